/**
 * Preference data in TRL's JSONL formats, read with one clear message per bad line.
 *
 * Two row shapes, as in TRL's dataset-format guide
 * (https://huggingface.co/docs/trl/dataset_formats):
 *
 * - **paired** (reward modelling, DPO): `{prompt, chosen, rejected}`;
 * - **unpaired** (KTO, binary feedback): `{prompt, completion, label}` with `label: boolean`.
 *
 * Each text field is either a string (TRL's *standard* form) or an OpenAI-style
 * messages array (the *conversational* form). In the conversational form the prompt
 * is the conversation up to and including the last user turn, and each completion is
 * an array of assistant messages (usually one):
 *
 * ```json
 * {"prompt": [{"role": "system", "content": "…"}, {"role": "user", "content": "Where is my order?"}],
 *  "chosen": [{"role": "assistant", "content": "It left the warehouse today."}],
 *  "rejected": [{"role": "assistant", "content": "I can't help with that."}]}
 * ```
 *
 * A row's fields must all take the same form (strings with strings, messages with
 * messages), as TRL requires. Optional metadata that alignlab adds, all documented on
 * {@link PreferencePair}: `rater`, `reason`, `principle`, `caseId`, `margin` (TRL's
 * reward-trainer margin), `strength` (Llama 2's preference strength) and the HelpDesk world's scores of both sides
 * (`chosen_gold`, `rejected_gold`, `chosen_proxy`, `rejected_proxy`). A `null` in an
 * optional metadata field counts as absent (Hugging Face exports write nulls for
 * missing values). Other keys are kept as they are, so a file round-trips.
 *
 * Every error names the file, the 1-based line and the field, compiler style:
 * `prefs.jsonl:17: field "chosen": expected a string or a messages array, got number`.
 *
 * @example
 * ```ts
 * const { pairs, unpaired, errors } = await readPreferences('prefs.jsonl', { onError: 'skip' });
 * for (const e of errors) console.error(e.message);
 * writePreferences('kto.jsonl', toUnpaired(pairs));
 * ```
 */
import { z } from 'zod';
import type { ChatMessage } from '../providers/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { iterateJsonl, JsonlError, type JsonlLineError, type OnJsonlError } from '../util/jsonl.js';

export type { ChatMessage };

/** A prompt or completion: a plain string (standard form) or a messages array (conversational form). */
export type Content = string | ChatMessage[];

/** One paired comparison (TRL's preference format) plus alignlab's optional metadata. */
export interface PreferencePair {
  /** The prompt: a string, or the messages up to and including the last user turn. */
  prompt: Content;
  /** The preferred completion: a string, or an array of assistant messages. */
  chosen: Content;
  /** The dispreferred completion, in the same form as `chosen`. */
  rejected: Content;
  /** Who judged: a rater id such as `careful-3`, a model id, or a person. */
  rater?: string;
  /** The judge's short justification, e.g. "rejected agrees with a false claim". */
  reason?: string;
  /** The principle the judgement rests on (helpful, harmless, honest, or a constitution's principle). */
  principle?: string;
  /** The HelpDesk case the prompt came from, so the world can re-score the completions. */
  caseId?: string;
  /** TRL RewardTrainer's margin: the loss becomes −log σ(r_chosen − r_rejected − margin). */
  margin?: number;
  /**
   * How much better the judge says `chosen` is, on Llama 2's scale: "significantly better",
   * "better", "slightly better" or "negligibly better" (unsure). Reward-model training can turn
   * it into a margin or drop the unsure pairs (lab/rm.ts).
   */
  strength?: string;
  /** The world's gold reward of the chosen completion (true intent, max 1). */
  chosen_gold?: number;
  /** The world's gold reward of the rejected completion. */
  rejected_gold?: number;
  /** The world's proxy reward (the customer's immediate rating, in [0, 1]) of the chosen completion. */
  chosen_proxy?: number;
  /** The world's proxy reward of the rejected completion. */
  rejected_proxy?: number;
}

/** One unpaired judgement (TRL's unpaired preference format, used by KTO): was this completion good? */
export interface UnpairedPreference {
  prompt: Content;
  completion: Content;
  /** `true`: desirable; `false`: undesirable. */
  label: boolean;
  rater?: string;
  reason?: string;
  principle?: string;
  caseId?: string;
  /** The world's gold reward of the completion. */
  gold?: number;
  /** The world's proxy reward of the completion. */
  proxy?: number;
}

export type PreferenceRow = PreferencePair | UnpairedPreference;

/** True for a paired row (`chosen`/`rejected`), false for an unpaired one (`completion`/`label`). */
export function isPaired(row: PreferenceRow): row is PreferencePair {
  return 'chosen' in row;
}

// --- Schemas. Each carries the message a user should read; `validateRow` adds the path and what it got.

const MessageSchema = z.looseObject(
  {
    role: z.enum(['system', 'user', 'assistant'], { error: 'expected "system", "user" or "assistant"' }),
    content: z.string({ error: 'expected a string' }),
  },
  { error: 'expected a message object {role, content}' },
);
const MessagesSchema = z.array(MessageSchema, { error: 'expected a messages array' });
const ContentSchema = z.union([z.string(), MessagesSchema], { error: 'expected a string or a messages array' });
const text = () => z.string({ error: 'expected a string' }).optional();
const num = () => z.number({ error: 'expected a finite number' }).optional();

const PairSchema = z.looseObject({
  prompt: ContentSchema,
  chosen: ContentSchema,
  rejected: ContentSchema,
  rater: text(),
  reason: text(),
  principle: text(),
  caseId: text(),
  margin: num(),
  strength: text(),
  chosen_gold: num(),
  rejected_gold: num(),
  chosen_proxy: num(),
  rejected_proxy: num(),
});

const UnpairedSchema = z.looseObject({
  prompt: ContentSchema,
  completion: ContentSchema,
  label: z.boolean({ error: 'expected true or false' }),
  rater: text(),
  reason: text(),
  principle: text(),
  caseId: text(),
  gold: num(),
  proxy: num(),
});

/** Optional metadata fields for which `null` means absent. */
const NULLABLE_PAIRED = ['rater', 'reason', 'principle', 'caseId', 'margin', 'strength', 'chosen_gold', 'rejected_gold', 'chosen_proxy', 'rejected_proxy'];
const NULLABLE_UNPAIRED = ['rater', 'reason', 'principle', 'caseId', 'gold', 'proxy'];

/** A validation failure: the field (a path like `chosen[0].role`, or null for the row as a whole) and what was wrong. */
export interface FieldError {
  field: string | null;
  message: string;
}

/** `['chosen', 0, 'role']` → `chosen[0].role`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** The JSON type of a value, as a reader names it. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

type Issue = z.core.$ZodIssue;

/**
 * The most specific issue: for a union whose value is the right container but wrong
 * inside (a messages array with a bad element), the inner issue, with its full path.
 */
function specificIssue(issue: Issue): { path: PropertyKey[]; message: string; code: string } {
  if (issue.code === 'invalid_union') {
    const deeper = issue.errors.find((branch) => branch.length > 0 && branch[0]!.path.length > 0);
    if (deeper) {
      const inner = specificIssue(deeper[0]!);
      return { ...inner, path: [...issue.path, ...inner.path] };
    }
  }
  return { path: [...issue.path], message: issue.message, code: issue.code };
}

function zodFieldError(row: unknown, error: z.ZodError): FieldError {
  const { path, message, code } = specificIssue(error.issues[0]!);
  const value = valueAt(row, path);
  const field = formatPath(path);
  if (value === undefined) return { field, message: `missing (${message})` };
  const got = code === 'invalid_value' ? JSON.stringify(value) : jsonType(value);
  return { field, message: `${message}, got ${got}` };
}

function isMessages(c: Content): c is ChatMessage[] {
  return Array.isArray(c);
}

/** Form and role checks TRL relies on but a schema cannot express field by field. */
function checkForms(prompt: Content, completions: [string, Content][]): FieldError | null {
  if (isMessages(prompt)) {
    if (prompt.length === 0) return { field: 'prompt', message: 'expected at least one message' };
    const last = prompt[prompt.length - 1]!;
    if (last.role !== 'user') {
      return { field: `prompt[${prompt.length - 1}].role`, message: `a conversational prompt ends with the last user turn, got "${last.role}"` };
    }
  } else if (prompt.trim() === '') {
    return { field: 'prompt', message: 'expected a non-empty string' };
  }
  for (const [name, c] of completions) {
    if (isMessages(prompt) !== isMessages(c)) {
      const want = isMessages(prompt) ? 'a messages array' : 'a string';
      return { field: name, message: `expected ${want}, like "prompt" (a row's fields share one form), got ${jsonType(c)}` };
    }
    if (isMessages(c)) {
      if (c.length === 0) return { field: name, message: 'expected at least one assistant message' };
      const bad = c.findIndex((m) => m.role !== 'assistant');
      if (bad >= 0) return { field: `${name}[${bad}].role`, message: `expected "assistant" (completions are assistant messages), got "${c[bad]!.role}"` };
    }
  }
  return null;
}

function dropNulls(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out = { ...obj };
  for (const k of keys) if (out[k] === null) delete out[k];
  return out;
}

/**
 * Validate one parsed JSON value as a preference row. Returns the row (a paired or an
 * unpaired one, decided by which fields it has) or the first problem found, with the
 * field it is in.
 */
export function validateRow(value: unknown): { row: PreferenceRow } | { error: FieldError } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: { field: null, message: `expected a JSON object {prompt, chosen, rejected} or {prompt, completion, label}, got ${jsonType(value)}` } };
  }
  const obj = value as Record<string, unknown>;
  const paired = 'chosen' in obj || 'rejected' in obj;
  const unpaired = 'completion' in obj || 'label' in obj;
  if (paired && unpaired) {
    const field = 'completion' in obj ? 'completion' : 'label';
    return { error: { field, message: `not allowed in a paired row (the row also has "chosen"/"rejected"; unpaired rows are {prompt, completion, label})` } };
  }
  if (!paired && !unpaired) {
    return { error: { field: 'chosen', message: 'missing (expected a paired row {prompt, chosen, rejected} or an unpaired row {prompt, completion, label})' } };
  }
  if (paired) {
    const cleaned = dropNulls(obj, NULLABLE_PAIRED);
    const r = PairSchema.safeParse(cleaned);
    if (!r.success) return { error: zodFieldError(cleaned, r.error) };
    const row = r.data as PreferencePair;
    const bad = checkForms(row.prompt, [
      ['chosen', row.chosen],
      ['rejected', row.rejected],
    ]);
    return bad ? { error: bad } : { row };
  }
  const cleaned = dropNulls(obj, NULLABLE_UNPAIRED);
  const r = UnpairedSchema.safeParse(cleaned);
  if (!r.success) return { error: zodFieldError(cleaned, r.error) };
  const row = r.data as UnpairedPreference;
  const bad = checkForms(row.prompt, [['completion', row.completion]]);
  return bad ? { error: bad } : { row };
}

/** `field "chosen": expected …`, or the bare message for a row-level problem. */
export function formatFieldError(e: FieldError): string {
  return e.field === null ? e.message : `field "${e.field}": ${e.message}`;
}

export interface ReadPreferencesOptions {
  /** `'throw'` (default): the first bad line throws a `JsonlError`. `'skip'`: bad lines go to `errors` and reading goes on. */
  onError?: OnJsonlError;
}

export interface PreferenceFile {
  pairs: PreferencePair[];
  unpaired: UnpairedPreference[];
  /** Lines that were skipped: invalid JSON or an invalid row, each as `FILE:LINE: …`. */
  errors: JsonlLineError[];
}

/**
 * Read a TRL preference file (paired and unpaired rows may be mixed; each goes to its
 * list in file order). Streams the file, so its size is not limited by memory for
 * the raw text. Blank lines are skipped.
 */
export async function readPreferences(filePath: string, options: ReadPreferencesOptions = {}): Promise<PreferenceFile> {
  const onError = options.onError ?? 'throw';
  const out: PreferenceFile = { pairs: [], unpaired: [], errors: [] };
  for await (const item of iterateJsonl(filePath, { onError })) {
    if (item.error !== undefined) {
      out.errors.push({ line: item.line, message: item.error });
      continue;
    }
    const v = validateRow(item.value);
    if ('error' in v) {
      const message = `${filePath}:${item.line}: ${formatFieldError(v.error)}`;
      if (onError === 'throw') throw new JsonlError(message, filePath, item.line);
      out.errors.push({ line: item.line, message });
      continue;
    }
    if (isPaired(v.row)) out.pairs.push(v.row);
    else out.unpaired.push(v.row);
  }
  return out;
}

/**
 * Write rows as TRL JSONL, atomically (a temporary file renamed into place). Every row
 * is validated first; an invalid one throws `FILE: row N: field "…": …` and the file
 * is not touched.
 */
export function writePreferences(filePath: string, rows: readonly PreferenceRow[]): void {
  const lines: string[] = [];
  rows.forEach((row, i) => {
    const v = validateRow(row);
    if ('error' in v) throw new Error(`${filePath}: row ${i + 1}: ${formatFieldError(v.error)}`);
    lines.push(JSON.stringify(row));
  });
  writeFileAtomic(filePath, lines.length > 0 ? lines.join('\n') + '\n' : '');
}

/**
 * Paired → unpaired, as TRL's `unpair_preference_dataset` does: each pair gives two
 * rows with the same prompt, the chosen completion labelled `true` and the rejected
 * one `false` (in that order). `rater`, `reason`, `principle` and `caseId` are kept on
 * both; the world's scores become `gold`/`proxy` of each side; `margin` is dropped
 * (it belongs to the pair).
 */
export function toUnpaired(pairs: readonly PreferencePair[]): UnpairedPreference[] {
  const out: UnpairedPreference[] = [];
  for (const p of pairs) {
    const meta: Partial<UnpairedPreference> = {};
    if (p.rater !== undefined) meta.rater = p.rater;
    if (p.reason !== undefined) meta.reason = p.reason;
    if (p.principle !== undefined) meta.principle = p.principle;
    if (p.caseId !== undefined) meta.caseId = p.caseId;
    const side = (completion: Content, label: boolean, gold?: number, proxy?: number): UnpairedPreference => {
      const row: UnpairedPreference = { prompt: p.prompt, completion, label, ...meta };
      if (gold !== undefined) row.gold = gold;
      if (proxy !== undefined) row.proxy = proxy;
      return row;
    };
    out.push(side(p.chosen, true, p.chosen_gold, p.chosen_proxy), side(p.rejected, false, p.rejected_gold, p.rejected_proxy));
  }
  return out;
}

/** The text of a completion: the string itself, or its messages' contents joined by blank lines. */
export function contentText(c: Content): string {
  return typeof c === 'string' ? c : c.map((m) => m.content).join('\n\n');
}
