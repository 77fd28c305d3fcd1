/**
 * Human labels for sampled replies: the round trip "sample pairs → people compare them →
 * TRL pairs", the human counterpart of {@link collectPreferences} (InstructGPT §3.5 with
 * real labelers instead of simulated raters).
 *
 * 1. {@link sampleComparisons} draws the HelpDesk cases, samples `k` replies per prompt and
 *    pairs them exactly as `collectPreferences` does with the same seed (same cases, same
 *    sampling seeds, same pairs, identical replies skipped), but stops before judging: each
 *    pair becomes an unlabeled **comparison task**. Which reply is shown as A is a seeded
 *    coin flip (a labeler's position bias must not line up with the sample order).
 * 2. A person (or any labeling tool) adds `"preference": "a" | "b" | "tie"` to each task, and
 *    optionally `"rater"`, `"reason"` and `"strength"` (Llama 2's four levels: "significantly
 *    better", "better", "slightly better", "negligibly better").
 * 3. {@link readLabels} validates the labeled file line by line; {@link labelsToPairs} turns
 *    the labels into TRL pairs (ties are counted, not paired).
 *
 * The task format, one JSON object per line (written by {@link writeComparisons}):
 *
 * ```json
 * {"id": "hd-train-0123456789abcdef:0-2",
 *  "prompt": [{"role": "system", "content": "…"}, {"role": "user", "content": "Where is my order?"}],
 *  "response_a": [{"role": "assistant", "content": "It left the warehouse today."}],
 *  "response_b": [{"role": "assistant", "content": "I can't help with that."}],
 *  "caseId": "hd-train-0123456789abcdef",
 *  "hidden": {"a_gold": 1, "b_gold": 0.2, "a_proxy": 0.8, "b_proxy": 0.3}}
 * ```
 *
 * `id` is `<caseId>:<i>-<j>`, where `i < j` are the sample indices of the two replies (so the id
 * does not reveal which one is A). `hidden` holds the world's gold and proxy rewards of each
 * side, for measuring afterwards how often the labelers agree with gold. **A labeling tool
 * must not show `hidden`**; when the file itself goes to labelers who could read it, write it
 * with `gold: false` (`--gold=false`) and keep the seeded run to re-score later.
 *
 * A labeled line adds the answer; import writes the TRL pair (`hidden`'s rewards become
 * `chosen_gold`/`rejected_gold`/`chosen_proxy`/`rejected_proxy`, the names `prefs stats` reads):
 *
 * ```json
 * {"id": "…:0-2", "prompt": […], "response_a": […], "response_b": […], "caseId": "…", "hidden": {…},
 *  "preference": "a", "rater": "ann", "reason": "B refuses a routine request", "strength": "better"}
 * → {"prompt": […], "chosen": <response_a>, "rejected": <response_b>, "rater": "ann",
 *    "reason": "B refuses a routine request", "strength": "better", "caseId": "…", "id": "…:0-2",
 *    "chosen_gold": 1, "rejected_gold": 0.2, "chosen_proxy": 0.8, "rejected_proxy": 0.3}
 * ```
 *
 * Every bad line is reported as `FILE:LINE: field "…": expected …` (the style of
 * src/prefs/format.ts). With `onError: 'throw'` (the default) the whole file is checked and
 * then refused with all its bad lines, before anything is written; with `'skip'` the bad
 * lines are returned and left out. Unlike `collectPreferences`, the reasons are the
 * labeler's own words: they are kept as written (they may say "A" and "B").
 *
 * @example
 * ```ts
 * const model = await LocalModel.load('runs/sft');
 * writeComparisons('tasks.jsonl', await sampleComparisons({ model, seed: 1, n: 50, k: 4 }));
 * // … people fill in "preference" (and "rater", "reason", "strength") …
 * const { labels, errors } = await readLabels('labeled.jsonl', { onError: 'skip', rater: 'team-1' });
 * const { pairs, ties } = labelsToPairs(labels);
 * writePreferences('prefs.jsonl', pairs);
 * ```
 */
import type { ChatMessage, LanguageModel } from '../providers/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { iterateJsonl, JsonlError, type JsonlLineError, type OnJsonlError } from '../util/jsonl.js';
import { Rng } from '../util/rng.js';
import { generateCases, scoreResponse, STRENGTHS, type ShiftName, type Split, type Strength } from '../world/index.js';
import { casePrompt, choosePairs, sampleReplies, validateSampling, type Pairing } from './collect.js';
import { formatFieldError, validateRow, type Content, type FieldError, type PreferencePair } from './format.js';

export interface SampleConfig {
  /** The policy whose replies are compared. */
  model: LanguageModel;
  /** One seed for the world (policy and cases), sampling, pairing and the A/B coin flips. */
  seed: number;
  /** Number of world cases (prompts). */
  n: number;
  /** Replies sampled per prompt (≥ 2). */
  k: number;
  /** World split the cases come from. Default `'train'`. */
  split?: Split;
  /** Distribution shift of the cases. Default `'none'`. */
  shift?: ShiftName;
  /** Sampling temperature (> 0 so the k replies differ). Default 1. */
  temperature?: number;
  /** Most new tokens per reply. Default 96. */
  maxTokens?: number;
  /** Which pairs are compared (see {@link Pairing}). Default `'all'`. */
  pairing?: Pairing;
  /** Write each side's gold and proxy rewards under `hidden`. Default `true`. */
  gold?: boolean;
}

/** The world's rewards of both sides of a task: for analysis only, never shown to labelers. */
export interface HiddenScores {
  a_gold: number;
  b_gold: number;
  a_proxy: number;
  b_proxy: number;
}

/** One unlabeled comparison: a prompt and two replies to it, A and B. */
export interface ComparisonTask {
  /** `<caseId>:<i>-<j>`, `i < j` the sample indices of the two replies. */
  id: string;
  /** The conversational prompt (system prompt and the customer's message). */
  prompt: ChatMessage[];
  /** The reply shown first. */
  response_a: ChatMessage[];
  /** The reply shown second. */
  response_b: ChatMessage[];
  /** The HelpDesk case the prompt came from. */
  caseId: string;
  /** Gold and proxy rewards of A and B; absent with `gold: false`. */
  hidden?: HiddenScores;
}

/** A labeler's answer: A is better, B is better, or neither. */
export type Preference = 'a' | 'b' | 'tie';

/** A comparison with its label, as {@link readLabels} returns it (the rater resolved). */
export interface LabeledComparison {
  id: string;
  prompt: Content;
  response_a: Content;
  response_b: Content;
  preference: Preference;
  /** From the line, else the reader's default rater. */
  rater: string;
  reason?: string;
  strength?: Strength;
  caseId?: string;
  /** Any of the four rewards the task carried. */
  hidden?: Partial<HiddenScores>;
}

/** A TRL pair made from a human label; `id` is the task's, so several raters' labels of one task can be joined. */
export interface LabeledPair extends PreferencePair {
  rater: string;
  id: string;
}

// --- Sampling. The streams are collectPreferences's own (the 'prefs/collect' fork), so one seed
// gives the same replies and pairs in both; the coin flips have a stream of their own.

/**
 * Sample `k` replies per HelpDesk prompt and pair them into unlabeled comparison tasks, in
 * case order (then pair order). With the same seed, model and options the replies and pairs
 * are those `collectPreferences` judges. For each kept pair (i, j), i < j, a coin from
 * `Rng(seed).fork('prefs/sample').fork('order/<caseId>')` decides the order: below ½, reply
 * i is A; otherwise reply j is A.
 */
export async function sampleComparisons(cfg: SampleConfig): Promise<ComparisonTask[]> {
  validateSampling(cfg, 'sampleComparisons');
  const pairing = cfg.pairing ?? 'all';
  const root = new Rng(cfg.seed).fork('prefs/collect');
  const coins = new Rng(cfg.seed).fork('prefs/sample');
  const cases = generateCases({ seed: cfg.seed, n: cfg.n, split: cfg.split ?? 'train', shift: cfg.shift ?? 'none' });
  const prompts = cases.map(casePrompt);

  const replies = await sampleReplies(cfg.model, prompts, cfg.k, cfg, root.fork('sampling'));

  const tasks: ComparisonTask[] = [];
  cases.forEach((c, ci) => {
    const texts = replies.map((r) => r[ci]!);
    const order = coins.fork(`order/${c.id}`);
    for (const [p, q] of choosePairs(cfg.k, pairing, root.fork(`case/${c.id}`))) {
      if (texts[p] === texts[q]) continue;
      const [i, j] = p < q ? [p, q] : [q, p];
      const [a, b] = order.next() < 0.5 ? [i, j] : [j, i];
      const task: ComparisonTask = {
        id: `${c.id}:${i}-${j}`,
        prompt: prompts[ci]!,
        response_a: [{ role: 'assistant', content: texts[a]! }],
        response_b: [{ role: 'assistant', content: texts[b]! }],
        caseId: c.id,
      };
      if (cfg.gold ?? true) {
        const sa = scoreResponse(c, texts[a]!, 0);
        const sb = scoreResponse(c, texts[b]!, 0);
        task.hidden = { a_gold: sa.gold.total, b_gold: sb.gold.total, a_proxy: sa.proxy, b_proxy: sb.proxy };
      }
      tasks.push(task);
    }
  });
  return tasks;
}

/** Write comparison tasks as JSONL, atomically (a temporary file renamed into place). */
export function writeComparisons(filePath: string, tasks: readonly ComparisonTask[]): void {
  writeFileAtomic(filePath, tasks.map((t) => JSON.stringify(t) + '\n').join(''));
}

// --- Reading labels. Messages follow format.ts: `field "x": missing (expected …)` or `expected …, got TYPE`.

const PREFERENCES: readonly Preference[] = ['a', 'b', 'tie'];
const HIDDEN_KEYS = ['a_gold', 'b_gold', 'a_proxy', 'b_proxy'] as const;

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** `chosen[0].role` (format.ts's name on the projected pair) → `response_a[0].role`. */
function taskField(field: string | null): string | null {
  return field === null ? null : field.replace(/^chosen/, 'response_a').replace(/^rejected/, 'response_b');
}

/** An optional string field: absent or `null` → undefined; a string → itself; else an error. */
function optionalString(obj: Record<string, unknown>, field: string): { value?: string } | { error: FieldError } {
  const v = obj[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'string') return { error: { field, message: `expected a string, got ${jsonType(v)}` } };
  return { value: v };
}

export interface LabelDefaults {
  /** The rater of lines without a `"rater"` of their own. Without it such a line is an error. */
  rater?: string;
}

/**
 * Validate one parsed JSON value as a labeled comparison. Returns the label (with the rater
 * resolved: the line's own `rater`, else `defaults.rater`) or the first problem, with its field.
 * `preference` is `"a"`, `"b"` or `"tie"`, in any letter case; `null` in an optional field
 * counts as absent.
 */
export function validateLabel(value: unknown, defaults: LabelDefaults = {}): { label: LabeledComparison } | { error: FieldError } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: { field: null, message: `expected a JSON object {id, prompt, response_a, response_b, preference}, got ${jsonType(value)}` } };
  }
  const obj = value as Record<string, unknown>;
  if (obj.id === undefined || obj.id === null) return { error: { field: 'id', message: 'missing (expected the task id, a string)' } };
  if (typeof obj.id !== 'string' || obj.id === '') return { error: { field: 'id', message: `expected a non-empty string, got ${typeof obj.id === 'string' ? '""' : jsonType(obj.id)}` } };

  // prompt / response_a / response_b: format.ts's checks on the pair they would make.
  const v = validateRow({ prompt: obj.prompt, chosen: obj.response_a, rejected: obj.response_b });
  if ('error' in v) return { error: { field: taskField(v.error.field), message: v.error.message } };

  const p = obj.preference;
  if (p === undefined || p === null) return { error: { field: 'preference', message: 'missing (expected "a", "b" or "tie")' } };
  const pref = typeof p === 'string' ? p.toLowerCase() : undefined;
  if (pref === undefined || !(PREFERENCES as readonly string[]).includes(pref)) {
    return { error: { field: 'preference', message: `expected "a", "b" or "tie", got ${typeof p === 'string' ? JSON.stringify(p) : jsonType(p)}` } };
  }

  const rater = optionalString(obj, 'rater');
  if ('error' in rater) return rater;
  if (rater.value === '') return { error: { field: 'rater', message: 'expected a non-empty string, got ""' } };
  const who = rater.value ?? defaults.rater;
  if (who === undefined || who === '') return { error: { field: 'rater', message: 'missing (expected a rater id string on the line, or a default rater such as --rater NAME)' } };

  const reason = optionalString(obj, 'reason');
  if ('error' in reason) return reason;
  const strength = optionalString(obj, 'strength');
  if ('error' in strength) return strength;
  if (strength.value !== undefined && !(STRENGTHS as readonly string[]).includes(strength.value)) {
    return { error: { field: 'strength', message: `expected one of ${STRENGTHS.map((s) => JSON.stringify(s)).join(', ')}, got ${JSON.stringify(strength.value)}` } };
  }
  const caseId = optionalString(obj, 'caseId');
  if ('error' in caseId) return caseId;

  let hidden: Partial<HiddenScores> | undefined;
  if (obj.hidden !== undefined && obj.hidden !== null) {
    if (typeof obj.hidden !== 'object' || Array.isArray(obj.hidden)) return { error: { field: 'hidden', message: `expected an object {a_gold, b_gold, a_proxy, b_proxy}, got ${jsonType(obj.hidden)}` } };
    const h = obj.hidden as Record<string, unknown>;
    hidden = {};
    for (const key of HIDDEN_KEYS) {
      const x = h[key];
      if (x === undefined || x === null) continue;
      if (typeof x !== 'number' || !Number.isFinite(x)) return { error: { field: `hidden.${key}`, message: `expected a finite number, got ${jsonType(x)}` } };
      hidden[key] = x;
    }
  }

  const label: LabeledComparison = { id: obj.id, prompt: v.row.prompt, response_a: (v.row as PreferencePair).chosen, response_b: (v.row as PreferencePair).rejected, preference: pref as Preference, rater: who };
  if (reason.value !== undefined) label.reason = reason.value;
  if (strength.value !== undefined) label.strength = strength.value as Strength;
  if (caseId.value !== undefined) label.caseId = caseId.value;
  if (hidden !== undefined) label.hidden = hidden;
  return { label };
}

export interface ReadLabelsOptions extends LabelDefaults {
  /** `'throw'` (default): after reading the whole file, any bad line throws a {@link LabelsError} naming them all. `'skip'`: bad lines go to `errors`. */
  onError?: OnJsonlError;
}

export interface LabelsFile {
  /** The valid labels in file order. */
  labels: LabeledComparison[];
  /** Lines that were skipped (with `onError: 'skip'`), each as `FILE:LINE: …`. */
  errors: JsonlLineError[];
  /** Non-blank lines read. */
  lines: number;
}

/** At most this many bad lines are spelled out in a {@link LabelsError}'s message (`errors` has them all). */
const MAX_LISTED = 100;

/** A labeled file refused: `line` is the first bad line, `errors` every one, and the message lists them. */
export class LabelsError extends JsonlError {
  constructor(
    file: string,
    readonly errors: JsonlLineError[],
  ) {
    const listed = errors.slice(0, MAX_LISTED).map((e) => e.message);
    if (errors.length > MAX_LISTED) listed.push(`… and ${errors.length - MAX_LISTED} more bad lines`);
    super(listed.join('\n'), file, errors[0]!.line);
    this.name = 'LabelsError';
  }
}

/**
 * Read a labeled comparison file. Blank lines are skipped. Every line is checked, so a
 * refused file reports all its problems at once, each as `FILE:LINE: field "…": …`.
 */
export async function readLabels(filePath: string, options: ReadLabelsOptions = {}): Promise<LabelsFile> {
  const out: LabelsFile = { labels: [], errors: [], lines: 0 };
  for await (const item of iterateJsonl(filePath, { onError: 'skip' })) {
    out.lines++;
    if (item.error !== undefined) {
      out.errors.push({ line: item.line, message: item.error });
      continue;
    }
    const v = validateLabel(item.value, options);
    if ('error' in v) out.errors.push({ line: item.line, message: `${filePath}:${item.line}: ${formatFieldError(v.error)}` });
    else out.labels.push(v.label);
  }
  if ((options.onError ?? 'throw') === 'throw' && out.errors.length > 0) throw new LabelsError(filePath, out.errors);
  return out;
}

/**
 * Labels → TRL pairs: `"a"` makes `response_a` the chosen side, `"b"` makes it the rejected
 * side; `"tie"` makes no pair and is counted in `ties`. The rater, reason, strength, caseId
 * and task id go along; the task's hidden rewards become the chosen/rejected side's.
 */
export function labelsToPairs(labels: readonly LabeledComparison[]): { pairs: LabeledPair[]; ties: number } {
  const pairs: LabeledPair[] = [];
  let ties = 0;
  for (const l of labels) {
    if (l.preference === 'tie') {
      ties++;
      continue;
    }
    const aWins = l.preference === 'a';
    const pair: LabeledPair = { prompt: l.prompt, chosen: aWins ? l.response_a : l.response_b, rejected: aWins ? l.response_b : l.response_a, rater: l.rater, id: l.id };
    if (l.reason !== undefined) pair.reason = l.reason;
    if (l.strength !== undefined) pair.strength = l.strength;
    if (l.caseId !== undefined) pair.caseId = l.caseId;
    const h = l.hidden ?? {};
    const [w, r] = aWins ? (['a', 'b'] as const) : (['b', 'a'] as const);
    if (h[`${w}_gold`] !== undefined) pair.chosen_gold = h[`${w}_gold`];
    if (h[`${r}_gold`] !== undefined) pair.rejected_gold = h[`${r}_gold`];
    if (h[`${w}_proxy`] !== undefined) pair.chosen_proxy = h[`${w}_proxy`];
    if (h[`${r}_proxy`] !== undefined) pair.rejected_proxy = h[`${r}_proxy`];
    pairs.push(pair);
  }
  return { pairs, ties };
}
