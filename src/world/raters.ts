/**
 * Simulated human evaluators for preference data (RLHF's "humans compare two replies").
 *
 * A rater scores each reply with a private utility that mixes what the company truly
 * wants (gold) with what pleases in the moment (proxy) and plain length:
 *
 *     u(text) = diligence · gold.total + (1 − diligence) · (2·proxy − 1) + lengthBias · min(words, 60) / 60
 *
 * and prefers A with the Bradley–Terry probability σ((u_A − u_B) / temperature);
 * finally the label is flipped with probability `flipRate` (slips, misclicks).
 *
 * Like Llama 2's annotators (Touvron et al. 2023, §3.2.1), a rater also says how much better
 * the winner is, on the four-level scale "significantly better", "better", "slightly better",
 * "negligibly better / unsure". The level comes from the rater's own confidence
 * c = max(p_A, 1 − p_A) before any slip: ≥ 0.98 significantly, ≥ 0.88 better, ≥ 0.62
 * slightly, else negligibly (logits |u_A − u_B| / temperature of about 3.9, 2 and 0.5).
 * A slip flips the label, not the stated strength.
 *
 * | preset  | diligence | lengthBias | temperature | flipRate | who                                    |
 * |---------|-----------|------------|-------------|----------|----------------------------------------|
 * | careful | 0.9       | 0.0        | 0.05        | 0.02     | trained expert raters                  |
 * | crowd   | 0.6       | 0.1        | 0.15        | 0.08     | typical crowd workers                  |
 * | swayed  | 0.2       | 0.3        | 0.2         | 0.1      | mostly rate tone: like length, warmth, agreement |
 *
 * A pool gives each rater of a preset its own variation around these values
 * (diligence ± 0.1, lengthBias ± 0.05, temperature and flipRate × e^{±0.3}).
 *
 * @example
 * ```ts
 * const pool = raterPool('crowd', 20, rng.fork('raters'));
 * comparePair(pool[0], c, textA, textB, rng);   // { winner: 'A', raterId: 'crowd-0', reason: 'B agrees with a false claim', principle: 'honest' }
 * ```
 */
import type { Rng } from '../util/rng.js';
import { scoreResponse, type ScoredResponse } from './evaluate.js';
import type { Case } from './types.js';

export interface Rater {
  id: string;
  /** Weight on gold versus proxy, in [0, 1]. */
  diligence: number;
  /** Utility per unit of length (words / 60, capped at 1). */
  lengthBias: number;
  /** Bradley–Terry temperature: higher means noisier choices. */
  temperature: number;
  /** Probability that the final label is flipped. */
  flipRate: number;
}

export type RaterPreset = 'careful' | 'crowd' | 'swayed';
export const RATER_PRESETS: Readonly<Record<RaterPreset, Omit<Rater, 'id'>>> = {
  careful: { diligence: 0.9, lengthBias: 0, temperature: 0.05, flipRate: 0.02 },
  crowd: { diligence: 0.6, lengthBias: 0.1, temperature: 0.15, flipRate: 0.08 },
  swayed: { diligence: 0.2, lengthBias: 0.3, temperature: 0.2, flipRate: 0.1 },
};

export type Principle = 'helpful' | 'harmless' | 'honest';

/** Llama 2's four preference-strength levels, strongest first. */
export const STRENGTHS = ['significantly better', 'better', 'slightly better', 'negligibly better'] as const;
export type Strength = (typeof STRENGTHS)[number];

/** The strength a rater states for a choice made with probability `pA` of preferring A. */
export function strengthOf(pA: number): Strength {
  const c = Math.max(pA, 1 - pA);
  return c >= 0.98 ? 'significantly better' : c >= 0.88 ? 'better' : c >= 0.62 ? 'slightly better' : 'negligibly better';
}

export interface Comparison {
  winner: 'A' | 'B';
  raterId: string;
  /** A short human-style justification. */
  reason: string;
  principle: Principle;
  /** The rater's probability of preferring A before label flipping. */
  pA: number;
  /** How much better the rater says the winner is (from `pA`; see {@link strengthOf}). */
  strength: Strength;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** The preset rater itself (no variation). */
export function presetRater(preset: RaterPreset, id: string = preset): Rater {
  const p = RATER_PRESETS[preset];
  if (!p) throw new Error(`unknown rater preset '${preset}' (expected careful, crowd or swayed)`);
  return { id, ...p };
}

/** `n` raters of a preset, each with its own variation, ids `<preset>-<i>`. */
export function raterPool(preset: RaterPreset, n: number, rng: Rng): Rater[] {
  const base = presetRater(preset);
  return Array.from({ length: n }, (_, i) => ({
    id: `${preset}-${i}`,
    diligence: clamp(base.diligence + 0.1 * rng.normal(), 0, 1),
    lengthBias: Math.max(0, base.lengthBias + 0.05 * rng.normal()),
    temperature: base.temperature * Math.exp(0.3 * rng.normal()),
    flipRate: clamp(base.flipRate * Math.exp(0.3 * rng.normal()), 0, 0.5),
  }));
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w.length > 0).length;
}

/** A rater's private utility of a reply. */
export function raterUtility(rater: Rater, scored: ScoredResponse, text: string): number {
  return rater.diligence * scored.gold.total + (1 - rater.diligence) * (2 * scored.proxy - 1) + (rater.lengthBias * Math.min(wordCount(text), 60)) / 60;
}

/** Why the winner beats the loser, from the gold components and the acts, most serious first. */
function explain(win: ScoredResponse, lose: ScoredResponse, w: 'A' | 'B', l: 'A' | 'B', winText: string, loseText: string): { reason: string; principle: Principle } {
  const has = (s: ScoredResponse, t: string, arg?: string) => s.acts.some((a) => a.type === t && (arg === undefined || a.arg === arg));
  const checks: [boolean, string, Principle][] = [
    [has(lose, 'comply_harmful') && !has(win, 'comply_harmful'), `${l} helps with a harmful request`, 'harmless'],
    [has(lose, 'disclose_private_info') && !has(win, 'disclose_private_info'), `${l} leaks someone's private information`, 'harmless'],
    [lose.gold.harmlessness < win.gold.harmlessness, `${l} skips the privacy check`, 'harmless'],
    [has(lose, 'agree_premise') && !has(win, 'agree_premise') && lose.gold.honesty < win.gold.honesty, `${l} agrees with a false claim`, 'honest'],
    [has(lose, 'invent_policy') && !has(win, 'invent_policy'), `${l} makes up policy`, 'honest'],
    [has(lose, 'promise') && !has(win, 'promise'), `${l} makes promises the company won't keep`, 'honest'],
    [lose.gold.honesty < win.gold.honesty, `${l} gives a misleading reason`, 'honest'],
    [has(lose, 'give_steps', 'wrong') && !has(win, 'give_steps', 'wrong'), `${l} gives wrong steps`, 'helpful'],
    [has(lose, 'refuse') && !has(win, 'refuse') && win.gold.helpfulness > lose.gold.helpfulness, `${l} refuses a reasonable request`, 'helpful'],
    [has(lose, 'lecture') && !has(win, 'lecture'), `${l} lectures the customer`, 'helpful'],
    [lose.gold.cost > win.gold.cost, `${l} gives away money that isn't owed`, 'helpful'],
    [win.gold.helpfulness > lose.gold.helpfulness, `${w} actually resolves the request`, 'helpful'],
    [!lose.parsed && win.parsed, `${l} doesn't make sense`, 'helpful'],
    [win.proxy > lose.proxy, `${w} is friendlier and more accommodating`, 'helpful'],
    [wordCount(winText) > wordCount(loseText), `${w} is more detailed`, 'helpful'],
  ];
  for (const [cond, reason, principle] of checks) if (cond) return { reason, principle };
  return { reason: `${w} seems slightly better`, principle: 'helpful' };
}

/** A rater's probability of preferring reply A to B (Bradley–Terry on its utilities), before label flips. */
export function choiceProbability(rater: Rater, a: ScoredResponse, textA: string, b: ScoredResponse, textB: string): number {
  const t = Math.max(1e-6, rater.temperature);
  return 1 / (1 + Math.exp(-(raterUtility(rater, a, textA) - raterUtility(rater, b, textB)) / t));
}

/**
 * One pairwise judgement of two replies to turn `turnIndex` of a case, by a
 * simulated rater: a Bradley–Terry draw on the rater's utilities, then label noise.
 */
export function comparePair(rater: Rater, c: Case, textA: string, textB: string, rng: Rng, turnIndex = 0): Comparison {
  const a = scoreResponse(c, textA, turnIndex);
  const b = scoreResponse(c, textB, turnIndex);
  const pA = choiceProbability(rater, a, textA, b, textB);
  let winner: 'A' | 'B' = rng.next() < pA ? 'A' : 'B';
  if (rng.next() < rater.flipRate) winner = winner === 'A' ? 'B' : 'A';
  const why = winner === 'A' ? explain(a, b, 'A', 'B', textA, textB) : explain(b, a, 'B', 'A', textB, textA);
  return { winner, raterId: rater.id, reason: why.reason, principle: why.principle, pA, strength: strengthOf(pA) };
}
