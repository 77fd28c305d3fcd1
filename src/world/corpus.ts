/**
 * The HelpDesk corpus: documents for pretraining and dialogues for supervised
 * fine-tuning.
 *
 * - **Documents**: the policy handbook, FAQ entries (several phrasings per rule),
 *   the product catalog, how-to articles, and plain-text transcripts of the
 *   dialogues. Only training categories appear, so `new_categories` stays novel.
 * - **Dialogues**: one per case, answered by a persona drawn from the mixture
 *   weights, as OpenAI-style `messages`: a system prompt with the relevant policy and
 *   the order record, the customer's turn, the agent's reply, and, while the agent
 *   holds the line, the customer's pushback turns and further replies.
 *
 * The default mixture (correct 0.55, overCautious 0.15, peoplePleaser 0.15, sloppy
 * 0.15) makes a model fine-tuned on the corpus imperfect in every direction, which
 * is what the later RLHF and Constitutional AI stages have to fix.
 *
 * @example
 * ```ts
 * const { documents, dialogues } = buildCorpus({ seed: 1, nCases: 2000 });
 * dialogues[0].messages; // [{ role: 'system', ... }, { role: 'user', ... }, { role: 'assistant', ... }, ...]
 * ```
 */
import { Rng } from '../util/rng.js';
import { generateCases, policyForSeed } from './generator.js';
import { DEFAULT_PERSONA_WEIGHTS, drawPersona, heldLine, personaResponse, type PersonaWeights } from './personas.js';
import { CATEGORIES, categorySpec, money, policyDocument, policyRules, type RuleName } from './policy.js';
import { fill } from './customer_text.js';
import { HOWTO_TOPICS } from './topics.js';
import type { Act, Case, Family, Persona, ShiftName, Split } from './types.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Dialogue {
  /** `<caseId>/<persona>`. */
  id: string;
  caseId: string;
  persona: Persona;
  messages: ChatMessage[];
}

export interface CorpusOptions {
  seed: number;
  /** Number of cases (one dialogue each). */
  nCases: number;
  /** Persona mixture. Default {@link DEFAULT_PERSONA_WEIGHTS}. */
  weights?: Partial<PersonaWeights>;
  /** Split to draw cases from. Default `'train'`. */
  split?: Split;
  /** Distribution shift. Default `'none'`. */
  shift?: ShiftName;
  /** Add plain-text transcripts of the dialogues to the documents. Default true. */
  transcripts?: boolean;
}

export interface Corpus {
  documents: string[];
  dialogues: Dialogue[];
}

const RULES_BY_FAMILY: Record<Family, RuleName[]> = {
  refund: ['returns', 'receipt', 'warranty', 'refunds'],
  delivery: ['lost', 'missing', 'refunds'],
  howto: [],
  account: ['privacy'],
  harmful: ['privacy', 'receipt'],
  false_premise: ['returns', 'receipt', 'warranty', 'shipping'],
  unknown: ['escalation'],
};

function orderRecord(c: Case): string {
  const f = c.facts;
  const damage = { none: 'none', defect: 'defect reported', customer: 'accidental damage (technician note)' }[f.damage];
  const delivery = {
    delivered: 'delivered',
    late: `in transit, last tracking update ${f.daysSinceTracking} days ago, carrier estimate ${f.etaDays} more days`,
    lost: `in transit, last tracking update ${f.daysSinceTracking} days ago`,
    delivered_missing: 'marked delivered, customer reports not received',
  }[f.delivery];
  return `Order ${f.orderId}: ${f.product.name} (${categorySpec(f.product.category).plural}, ${money(f.product.price)}), bought ${f.daysSincePurchase} days ago, receipt on file: ${f.hasReceipt ? 'yes' : 'no'}, damage: ${damage}, delivery: ${delivery}.`;
}

/**
 * The system prompt of a case: the role, the policy rules relevant to the request
 * family (from the case's own policy numbers), the customer and the order record.
 */
export function systemPrompt(c: Case): string {
  const rules = policyRules(c.policy);
  const lines = [`You are a support agent for ${c.company}. Reply in one to three short sentences; be helpful, honest and harmless.`];
  const relevant = RULES_BY_FAMILY[c.family].map((r) => rules[r]);
  if (relevant.length > 0) lines.push(`Policy: ${relevant.join(' ')}`);
  lines.push(`Customer: ${c.customer.name}, account ${c.customer.accountId}, identity verified: ${c.customer.verified ? 'yes' : 'no'}.`);
  lines.push(orderRecord(c));
  return lines.join('\n');
}

/** Simulate a persona through a case: reply, and while it holds the line, take the next pushback. */
export function simulateDialogue(c: Case, persona: Persona, rng: Rng): { messages: ChatMessage[]; turns: { text: string; plan: Act[] }[] } {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt(c) }];
  const turns: { text: string; plan: Act[] }[] = [];
  for (let t = 0; t < c.turns.length; t++) {
    if (t > 0 && !heldLine(turns[t - 1]!.plan)) break;
    messages.push({ role: 'user', content: c.turns[t]!.customer });
    const r = personaResponse(persona, c, rng, t);
    messages.push({ role: 'assistant', content: r.text });
    turns.push({ text: r.text, plan: r.acts });
  }
  return { messages, turns };
}

const FAQ_QUESTIONS: Record<RuleName, readonly string[]> = {
  returns: ['How long do I have to return an item?', 'Can I get a refund on something I bought?', 'What is the return policy?'],
  receipt: ['What if I lost my receipt?', 'Can I return something without a receipt?'],
  warranty: ['What does the warranty cover?', 'How long is the warranty?', 'Is accidental damage covered?'],
  refunds: ['How long does a refund take?', 'When will I see my money back?'],
  shipping: ['Is shipping free?', 'How much is express shipping?'],
  lost: ['What happens if my package is lost?', 'My tracking has not updated in days. What now?'],
  missing: ['My package says delivered but it is not here. What do I do?'],
  privacy: ['Can you tell me about someone else\'s account?', 'Why do you ask me to verify my identity?'],
  escalation: ['What if support does not know the answer?'],
};

/** Policy, FAQ, catalog and how-to documents for a seed's world (training categories only). */
export function worldDocuments(seed: number): string[] {
  const policy = policyForSeed(seed);
  const rules = policyRules(policy.numbers);
  const docs: string[] = [policyDocument(policy)];
  for (const [rule, questions] of Object.entries(FAQ_QUESTIONS) as [RuleName, readonly string[]][]) {
    for (const q of questions) docs.push(`Q: ${q}\nA: ${rules[rule]}`);
  }
  const seen = CATEGORIES.filter((c) => !c.unseen);
  docs.push(
    [`${policy.company} catalog.`, ...policy.catalog.filter((p) => seen.some((c) => c.id === p.category)).map((p) => `${p.name} (${categorySpec(p.category).plural}): ${money(p.price)}.`)].join('\n'),
  );
  for (const t of HOWTO_TOPICS) {
    const cats = t.categories === 'any' ? seen.map((c) => c.id) : t.categories.filter((id) => !categorySpec(id).unseen);
    for (const cat of cats) {
      const product = policy.catalog.find((p) => p.category === cat)!;
      const question = fill(t.asks[0]!.text, { product: product.name, orderId: 'ORD-10001' });
      docs.push(`How-to: ${question}\n${t.correct.map((s) => fill(s, { orderId: 'ORD-10001' })).join('\nOr: ')}`);
    }
  }
  return docs;
}

/** Build the pretraining documents and the SFT dialogues. Deterministic in the options. */
export function buildCorpus(opts: CorpusOptions): Corpus {
  const weights: PersonaWeights = { ...DEFAULT_PERSONA_WEIGHTS, ...opts.weights };
  const cases = generateCases({ seed: opts.seed, n: opts.nCases, split: opts.split ?? 'train', shift: opts.shift ?? 'none' });
  const root = new Rng(opts.seed).fork('corpus');
  const dialogues: Dialogue[] = [];
  const documents = worldDocuments(opts.seed);
  for (const c of cases) {
    const rng = root.fork(c.id);
    const persona = drawPersona(weights, rng);
    const { messages } = simulateDialogue(c, persona, rng);
    dialogues.push({ id: `${c.id}/${persona}`, caseId: c.id, persona, messages });
    if (opts.transcripts ?? true) {
      documents.push(messages.filter((m) => m.role !== 'system').map((m) => `${m.role === 'user' ? 'Customer' : 'Agent'}: ${m.content}`).join('\n'));
    }
  }
  return { documents, dialogues };
}
