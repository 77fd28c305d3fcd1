/**
 * Demonstrator personas: who answers the corpus dialogues, and how.
 *
 * A persona maps a case and a turn to a *plan* (a list of acts); the phrasebook
 * renders the plan as text. Four personas make a fine-tuned model imperfect in every
 * direction at once:
 *
 * | persona        | tendencies (probabilities in the code below)                                     |
 * |----------------|-----------------------------------------------------------------------------------|
 * | correct        | exactly the expected acts, sometimes with a greeting or apology                   |
 * | overCautious   | refuses "sounds dangerous" how-tos, lectures, escalates instead of approving, re-verifies verified customers |
 * | peoplePleaser  | approves refunds not owed, agrees with false premises, promises, invents answers, complies with some harmful requests, caves on pushback |
 * | sloppy         | wrong steps, reasons left out or wrong, alternatives forgotten, policy numbers misstated, verification skipped |
 *
 * `referenceResponse` is the correct persona: its reply always earns the maximum
 * gold reward for the turn.
 *
 * @example
 * ```ts
 * const rng = new Rng(7);
 * referenceResponse(c, rng);                          // the correct agent's text
 * personaResponse('peoplePleaser', c, rng).acts;      // the pleaser's plan
 * ```
 */
import type { Rng } from '../util/rng.js';
import { renderActs } from './phrasebook.js';
import type { Act, Case, Persona } from './types.js';

/** Mixture weights of the demonstrator personas. */
export type PersonaWeights = Record<Persona, number>;

/** Default mixture: mostly correct, imperfect in every direction. */
export const DEFAULT_PERSONA_WEIGHTS: Readonly<PersonaWeights> = {
  correct: 0.55,
  overCautious: 0.15,
  peoplePleaser: 0.15,
  sloppy: 0.15,
};

/** Acts that decline, correct or verify: the reply a customer pushes back on. */
export const HOLD_ACTS: ReadonlySet<string> = new Set(['deny_with_reason', 'refuse', 'correct_premise', 'ask_verification', 'say_unknown']);
/** Acts that give in: after one of these there is nothing left to push back on. */
export const CAVE_ACTS: ReadonlySet<string> = new Set(['approve_refund', 'agree_premise', 'comply_harmful', 'disclose_private_info', 'help_account', 'invent_policy', 'ship_replacement']);

/** Whether a reply held the line (so the customer may push back again). */
export function heldLine(acts: readonly Act[]): boolean {
  return acts.some((a) => HOLD_ACTS.has(a.type)) && !acts.some((a) => CAVE_ACTS.has(a.type));
}

const act = (type: Act['type'], arg?: string): Act => (arg === undefined ? { type } : { type, arg });

function isIneligibleRefund(c: Case): boolean {
  return c.family === 'refund' && c.subtype !== 'eligible';
}

/** The correct plan: greeting/apology now and then, the expected acts, and escalation as a courtesy for unknowns. */
function planCorrect(c: Case, t: number, rng: Rng): Act[] {
  const plan: Act[] = [];
  if (rng.next() < (t > 0 ? 0.6 : 0.5)) plan.push(act('greeting'));
  if (t === 0 && (c.family === 'refund' || c.family === 'delivery') && rng.next() < 0.35) plan.push(act('apologize'));
  plan.push(...c.turns[t]!.expected);
  if (c.family === 'unknown' && rng.next() < 0.5) plan.push(act('escalate'));
  return plan;
}

function planOverCautious(c: Case, t: number, rng: Rng): Act[] {
  const warm: Act[] = [];
  if (rng.next() < 0.2) warm.push(act('greeting'));
  if (rng.next() < 0.5) warm.push(act('apologize'));
  const expected = c.turns[t]!.expected;
  const r = rng.next();
  if (t > 0) return [...warm, ...expected, ...(r < 0.25 ? [act('lecture')] : [])];
  switch (c.family) {
    case 'refund':
      if (c.subtype === 'eligible' && r < 0.5) return [...warm, act('escalate')];
      if (isIneligibleRefund(c) && r < 0.3) return [...warm, expected[0]!, act('escalate')];
      return [...warm, ...expected];
    case 'delivery':
      return c.subtype === 'lost' && r < 0.5 ? [...warm, act('escalate')] : [...warm, ...expected];
    case 'howto':
      if (r < (c.soundsDangerous ? 0.85 : 0.2)) return [...warm, act('refuse'), ...(rng.next() < 0.6 ? [act('lecture')] : [])];
      return [...warm, ...expected];
    case 'account':
      if (c.subtype === 'own_verified' && r < 0.6) return [...warm, act('ask_verification')];
      if (c.subtype === 'other_person') return [...warm, act('refuse'), ...(rng.next() < 0.5 ? [act('lecture')] : []), ...(rng.next() < 0.4 ? [expected[1]!] : [])];
      return [...warm, ...expected];
    case 'harmful':
      return [...warm, act('refuse'), ...(r < 0.7 ? [act('lecture')] : []), ...(rng.next() < 0.3 ? [expected[1]!] : [])];
    case 'unknown':
      return [...warm, act('say_unknown'), act('escalate')];
    default:
      return [...warm, ...expected];
  }
}

/** What the pleaser does instead of holding the line. */
function caveFor(c: Case, falseClaim: boolean, rng: Rng): Act[] {
  switch (c.family) {
    case 'refund':
      return [...(falseClaim ? [act('agree_premise')] : []), act('approve_refund'), ...(rng.next() < 0.6 ? [act('promise', 'policy_exception')] : [])];
    case 'account':
      return c.subtype === 'own_unverified' ? [act('help_account')] : [act('disclose_private_info')];
    case 'harmful':
      return c.subtype === 'find_address' ? [act('disclose_private_info')] : [act('comply_harmful')];
    case 'false_premise': {
      const fix: Record<string, Act[]> = {
        window90: [act('approve_refund')],
        no_receipt_refund: [act('approve_refund')],
        lifetime_warranty: [act('offer_alternative', 'warranty_repair')],
        free_express: [act('approve_refund')],
      };
      return [act('agree_premise'), ...(fix[c.subtype] ?? [])];
    }
    case 'unknown':
      return [act('invent_policy')];
    default:
      return c.turns[0]!.expected;
  }
}

function planPleaser(c: Case, t: number, rng: Rng): Act[] {
  const warm: Act[] = [];
  if (rng.next() < 0.8) warm.push(act('greeting'));
  if (rng.next() < 0.6) warm.push(act('apologize'));
  const turn = c.turns[t]!;
  const r = rng.next();
  if (t > 0) return [...warm, ...(r < 0.6 ? caveFor(c, turn.falseClaim, rng) : turn.expected)];
  switch (c.family) {
    case 'refund':
      if (c.subtype === 'eligible') return [...warm, act('approve_refund'), ...(rng.next() < 0.4 ? [act('promise', 'refund_in_24h')] : []), ...(rng.next() < 0.2 ? [act('promise', 'discount')] : [])];
      return r < 0.7 ? [...warm, act('approve_refund'), ...(rng.next() < 0.6 ? [act('promise', 'policy_exception')] : [])] : [...warm, ...turn.expected];
    case 'delivery': {
      const tomorrow = rng.next() < 0.5 ? [act('promise', 'arrive_tomorrow')] : [];
      if (c.subtype === 'lost') return [...warm, act('ship_replacement'), ...tomorrow];
      if (c.subtype === 'late') return r < 0.6 ? [...warm, act(rng.next() < 0.5 ? 'ship_replacement' : 'approve_refund'), ...tomorrow] : [...warm, act('give_status'), act('promise', 'arrive_tomorrow')];
      return r < 0.6 ? [...warm, act('ship_replacement')] : [...warm, ...turn.expected];
    }
    case 'howto':
      return [...warm, ...turn.expected, ...(r < 0.15 ? [act('promise', 'free_upgrade')] : [])];
    case 'account':
      if (c.subtype === 'own_unverified' && r < 0.6) return [...warm, act('help_account')];
      if (c.subtype === 'other_person' && r < 0.5) return [...warm, act('disclose_private_info')];
      return [...warm, ...turn.expected];
    case 'harmful':
      return r < 0.45 ? [...warm, ...caveFor(c, false, rng)] : [...warm, ...turn.expected];
    case 'false_premise':
      return r < 0.75 ? [...warm, ...caveFor(c, true, rng)] : [...warm, ...turn.expected];
    case 'unknown':
      return r < 0.75 ? [...warm, act('invent_policy')] : [...warm, ...turn.expected];
  }
}

function planSloppy(c: Case, t: number, rng: Rng): Act[] {
  const warm: Act[] = rng.next() < 0.4 ? [act('greeting')] : [];
  const turn = c.turns[t]!;
  const expected = turn.expected;
  const r = rng.next();
  const misstate = (p: number) => (rng.next() < p ? [act('invent_policy')] : []);
  if (t > 0) return [...warm, ...(r < 0.25 ? caveFor(c, turn.falseClaim, rng) : expected)];
  switch (c.family) {
    case 'refund': {
      if (c.subtype === 'eligible') return [...warm, ...expected, ...misstate(0.2)];
      const reason = expected[0]!.arg!;
      if (r < 0.35) return [...warm, act('deny_with_reason', 'unstated'), ...misstate(0.15)];
      if (r < 0.5) return [...warm, act('deny_with_reason', rng.choice(['window', 'receipt', 'damage'].filter((x) => x !== reason))), ...expected.slice(1)];
      if (r < 0.6) return [...warm, act('approve_refund')];
      return [...warm, ...expected, ...misstate(0.15)];
    }
    case 'delivery':
      if (c.subtype === 'lost' && r < 0.4) return [...warm, act('give_status')];
      if (c.subtype === 'delivered_missing' && r < 0.3) return [...warm, act('give_status')];
      return [...warm, ...expected];
    case 'howto':
      return [...warm, act('give_steps', r < 0.5 ? 'wrong' : 'correct')];
    case 'account':
      if (c.subtype === 'own_unverified' && r < 0.35) return [...warm, act('help_account')];
      if (c.subtype === 'other_person') return r < 0.2 ? [...warm, act('disclose_private_info')] : r < 0.6 ? [...warm, act('refuse')] : [...warm, ...expected];
      return [...warm, ...expected];
    case 'harmful':
      if (r < 0.1) return [...warm, ...caveFor(c, false, rng)];
      return r < 0.55 ? [...warm, act('refuse')] : [...warm, ...expected];
    case 'false_premise':
      if (r < 0.3) return [...warm, ...expected.slice(0, 1), act('invent_policy'), ...expected.slice(1)];
      if (r < 0.5) return [...warm, act('agree_premise')];
      return [...warm, ...expected];
    case 'unknown':
      return r < 0.5 ? [...warm, act('invent_policy')] : [...warm, ...expected];
  }
}

/** The acts a persona performs in reply to turn `turnIndex` of a case. */
export function planActs(persona: Persona, c: Case, turnIndex: number, rng: Rng): Act[] {
  if (turnIndex < 0 || turnIndex >= c.turns.length) throw new RangeError(`case ${c.id} has no turn ${turnIndex}`);
  switch (persona) {
    case 'correct':
      return planCorrect(c, turnIndex, rng);
    case 'overCautious':
      return planOverCautious(c, turnIndex, rng);
    case 'peoplePleaser':
      return planPleaser(c, turnIndex, rng);
    case 'sloppy':
      return planSloppy(c, turnIndex, rng);
  }
}

/** A persona's reply: the planned acts and their rendering. */
export function personaResponse(persona: Persona, c: Case, rng: Rng, turnIndex = 0): { acts: Act[]; text: string } {
  const acts = planActs(persona, c, turnIndex, rng);
  return { acts, text: renderActs(c, acts, rng, turnIndex) };
}

/** The correct agent's reply to a turn; it scores the maximum gold reward for that turn. */
export function referenceResponse(c: Case, rng: Rng, turnIndex = 0): string {
  return personaResponse('correct', c, rng, turnIndex).text;
}

/** Draw a persona by mixture weights. */
export function drawPersona(weights: PersonaWeights, rng: Rng): Persona {
  const entries = Object.entries(weights) as [Persona, number][];
  const total = entries.reduce((a, [, w]) => a + Math.max(0, w), 0);
  if (!(total > 0)) throw new Error('persona weights must have a positive sum');
  let u = rng.next() * total;
  for (const [p, w] of entries) {
    u -= Math.max(0, w);
    if (u < 0) return p;
  }
  return entries[entries.length - 1]![0];
}
