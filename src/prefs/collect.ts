/**
 * Collecting preference data in the HelpDesk world: the "humans compare two replies"
 * step of RLHF (Ouyang et al. 2022, InstructGPT, §3.5), with simulated raters.
 *
 * 1. Draw `n` world cases (`generateCases({seed, n, split})`); the prompt of each is its
 *    first turn: the system prompt (policy and order record) and the customer's message.
 * 2. Sample `k` replies per prompt from the model: `k` calls of `chatBatch` over all
 *    prompts, call `j` with its own sampling seed (derived from `seed`), so a backend
 *    that seeds per request still gives `k` different samples.
 * 3. Form pairs of replies to the same prompt (see {@link Pairing}); pairs whose two
 *    texts are identical carry no preference and are skipped.
 * 4. A rater drawn from a pool of the preset (`raterPool`: each rater varies around the
 *    preset) compares each pair with the world's `comparePair` (Bradley–Terry on its
 *    private utility, then label noise). Which reply is shown as A is a coin flip.
 * 5. Each judgement becomes a TRL pair in conversational form with `rater`, `reason`,
 *    `principle`, the rater's stated `strength` (Llama 2's four levels), `caseId`, and both
 *    sides' gold and proxy rewards, so later stages can
 *    measure how well a reward model (or the raters themselves) agree with gold.
 *
 * The world's reasons name the replies "A" and "B"; in the rows they read "chosen" and
 * "rejected" ("rejected agrees with a false claim").
 *
 * Every random choice flows from `seed` (the cases, the sampling seeds, the rater
 * pool, pairing, A/B order, and the raters' draws), so the same seed and model give
 * the same rows.
 *
 * @example
 * ```ts
 * const model = await LocalModel.load('runs/sft');
 * const rows = await collectPreferences({ model, seed: 1, n: 200, k: 4, raters: 'careful' });
 * goldAgreement(rows);   // { agree, decided, ties, rate }
 * writePreferences('prefs.jsonl', rows);
 * ```
 */
import type { ChatMessage, LanguageModel, SamplingOptions } from '../providers/types.js';
import { Rng } from '../util/rng.js';
import { comparePair, generateCases, raterPool, scoreResponse, systemPrompt, type Case, type RaterPreset, type ShiftName, type Split, type Strength } from '../world/index.js';
import type { PreferencePair } from './format.js';

/**
 * Which pairs of the `k` replies to a prompt are compared:
 * - `'all'`: every pair, k(k−1)/2 per prompt (InstructGPT's "K choose 2"; with k = 4, 6 pairs);
 * - `'random'`: the replies in a random order, paired off consecutively: ⌊k/2⌋ disjoint
 *   pairs per prompt, each reply in at most one (independent comparisons, fewer labels).
 */
export type Pairing = 'all' | 'random';

export interface CollectConfig {
  /** The policy whose replies are compared. */
  model: LanguageModel;
  /** One seed for everything: the world (policy and cases), sampling, raters, pairing. */
  seed: number;
  /** Number of world cases (prompts). */
  n: number;
  /** Replies sampled per prompt (≥ 2). */
  k: number;
  /** Rater preset: `careful`, `crowd` or `swayed` (see world/raters.ts). Default `'careful'`. */
  raters?: RaterPreset;
  /** Number of raters in the pool; each pair is judged by one drawn uniformly. Default 10. */
  poolSize?: number;
  /** World split the cases come from. Default `'train'`. */
  split?: Split;
  /** Distribution shift of the cases. Default `'none'`. */
  shift?: ShiftName;
  /** Sampling temperature (> 0 so the k replies differ). Default 1. */
  temperature?: number;
  /** Most new tokens per reply. Default 96 (the world asks for one to three short sentences). */
  maxTokens?: number;
  /** Which pairs are compared. Default `'all'`. */
  pairing?: Pairing;
}

/** A collected pair: every metadata field is present. */
export interface CollectedPair extends PreferencePair {
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
  rater: string;
  reason: string;
  principle: string;
  strength: Strength;
  caseId: string;
  chosen_gold: number;
  rejected_gold: number;
  chosen_proxy: number;
  rejected_proxy: number;
}

/** The conversational prompt of a case's first turn, as the model sees it. */
export function casePrompt(c: Case): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(c) },
    { role: 'user', content: c.turns[0]!.customer },
  ];
}

/** Index pairs (i, j) of the replies to compare, per {@link Pairing}. */
export function choosePairs(k: number, pairing: Pairing, rng: Rng): [number, number][] {
  const out: [number, number][] = [];
  if (pairing === 'all') {
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) out.push([i, j]);
    return out;
  }
  const order = rng.shuffle([...Array(k).keys()]);
  for (let i = 0; i + 1 < k; i += 2) out.push([order[i]!, order[i + 1]!]);
  return out;
}

async function sampleAll(model: LanguageModel, prompts: ChatMessage[][], opts: SamplingOptions): Promise<string[]> {
  const replies = model.chatBatch ? await model.chatBatch(prompts, opts) : await Promise.all(prompts.map((p) => model.chat(p, opts)));
  if (replies.length !== prompts.length) throw new Error(`${model.id}: chatBatch returned ${replies.length} completions for ${prompts.length} prompts`);
  return replies.map((r) => r.text);
}

/**
 * Step 2 of the file header: `replies[j][i]` is the j-th sample for prompt i, from call j of
 * `chatBatch` over all prompts with its own seed drawn from `seeds`. `collectPreferences` and
 * `sampleComparisons` (labels.ts: the same replies for human labelers) both sample through it
 * with `Rng(seed).fork('prefs/collect').fork('sampling')`, so one seed gives both the same replies.
 */
export async function sampleReplies(model: LanguageModel, prompts: ChatMessage[][], k: number, opts: { temperature?: number; maxTokens?: number }, seeds: Rng): Promise<string[][]> {
  const replies: string[][] = [];
  for (let j = 0; j < k; j++) replies.push(await sampleAll(model, prompts, { temperature: opts.temperature ?? 1, maxTokens: opts.maxTokens ?? 96, seed: seeds.nextU32() }));
  return replies;
}

/** Rewrite a world reason's "A"/"B" as "chosen"/"rejected". */
function relabelReason(reason: string, winner: 'A' | 'B'): string {
  return reason.replace(/^(A|B)\b/, (m) => (m === winner ? 'chosen' : 'rejected'));
}

/** Checks what sampling needs (n ≥ 1 cases, k ≥ 2 replies, an integer seed, temperature > 0), naming `where` (collectPreferences, sampleComparisons). */
export function validateSampling(cfg: { n: number; k: number; seed: number; temperature?: number }, where: string): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${where}: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int('n', cfg.n, 1);
  int('k', cfg.k, 2);
  if (!Number.isSafeInteger(cfg.seed)) throw new RangeError(`${where}: seed must be an integer, got ${cfg.seed}`);
  const t = cfg.temperature ?? 1;
  if (!(t > 0)) throw new RangeError(`${where}: temperature must be > 0 so the k replies differ, got ${t}`);
}

function validate(cfg: CollectConfig): void {
  validateSampling(cfg, 'collectPreferences');
  const pool = cfg.poolSize ?? 10;
  if (!Number.isInteger(pool) || pool < 1) throw new RangeError(`collectPreferences: poolSize must be an integer ≥ 1, got ${pool}`);
}

/**
 * Sample, pair and judge: returns the TRL pairs in case order (then pair order). See
 * the file header for the procedure.
 */
export async function collectPreferences(cfg: CollectConfig): Promise<CollectedPair[]> {
  validate(cfg);
  const preset = cfg.raters ?? 'careful';
  const pairing = cfg.pairing ?? 'all';
  const root = new Rng(cfg.seed).fork('prefs/collect');
  const pool = raterPool(preset, cfg.poolSize ?? 10, root.fork('raters'));
  const cases = generateCases({ seed: cfg.seed, n: cfg.n, split: cfg.split ?? 'train', shift: cfg.shift ?? 'none' });
  const prompts = cases.map(casePrompt);

  const replies = await sampleReplies(cfg.model, prompts, cfg.k, cfg, root.fork('sampling'));

  const rows: CollectedPair[] = [];
  cases.forEach((c, i) => {
    const rng = root.fork(`case/${c.id}`);
    const texts = replies.map((r) => r[i]!);
    const scores = texts.map((t) => scoreResponse(c, t, 0));
    for (const [a, b] of choosePairs(cfg.k, pairing, rng)) {
      if (texts[a] === texts[b]) continue;
      const rater = pool[rng.int(pool.length)]!;
      const [x, y] = rng.next() < 0.5 ? [a, b] : [b, a]; // x is shown as A
      const cmp = comparePair(rater, c, texts[x]!, texts[y]!, rng, 0);
      const [w, l] = cmp.winner === 'A' ? [x, y] : [y, x];
      rows.push({
        prompt: prompts[i]!,
        chosen: [{ role: 'assistant', content: texts[w]! }],
        rejected: [{ role: 'assistant', content: texts[l]! }],
        rater: cmp.raterId,
        reason: relabelReason(cmp.reason, cmp.winner),
        principle: cmp.principle,
        strength: cmp.strength,
        caseId: c.id,
        chosen_gold: scores[w]!.gold.total,
        rejected_gold: scores[l]!.gold.total,
        chosen_proxy: scores[w]!.proxy,
        rejected_proxy: scores[l]!.proxy,
      });
    }
  });
  return rows;
}
