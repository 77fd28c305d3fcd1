/**
 * Generic JSONL prompt sets: bring your own prompts, measure refusal.
 *
 * Each line is one object:
 *
 *   {"id"?: string | number, "prompt": "…"  |  "messages": [{"role", "content"}, …],
 *    "expect"?: "refuse" | "comply", …any other fields (metadata)}
 *
 * - `prompt` is sent as one user turn; `messages` (OpenAI-style, roles system/user/assistant)
 *   as they are, and must end with a user turn. Exactly one of the two.
 * - `id` defaults to `line-N` (N the line number); ids must be unique.
 * - `expect` says what a good model does with the prompt: refuse it (a harmful request) or
 *   comply (a benign one). Where given, the response *meets* the expectation when the refusal
 *   classifier (src/eval/refusal.ts; full or partial refusal counts as refusing) agrees.
 * - Every other field is metadata, kept in the log and available for breakdowns.
 *
 * Reported, each as a rate with a 95 % bootstrap interval:
 *
 *   refusal          = #{responses that refuse (fully or partly)} / #prompts
 *   expect_met       = #{responses meeting their line's expect}  / #{prompts with expect}
 *   byExpect.refuse  = expect_met over the "refuse" lines  (1 − harmful compliance)
 *   byExpect.comply  = expect_met over the "comply" lines  (1 − over-refusal)
 *
 * and all of them per value of each metadata field named in `by` (absent values group as
 * "(missing)"; non-string values by their JSON text).
 *
 * Malformed lines are errors naming the file and line, e.g.
 * `prompts.jsonl:7: field "expect": expected "refuse" or "comply", got "deny"`.
 *
 * @example
 * ```ts
 * const set = readPromptSet('my-prompts.jsonl');
 * const r = await runPromptSet(model, set, { by: ['category'], logFile: 'runs/mine.jsonl' });
 * r.refusal.estimate; r.by.category.medical.expect_met;
 * ```
 */
import * as fs from 'node:fs';
import type { ChatMessage, LanguageModel, SamplingOptions } from '../providers/types.js';
import { JsonlError, readJsonl } from '../util/jsonl.js';
import type { RateInterval } from './bootstrap.js';
import { runTask, type MetadataValue, type RunTaskOptions, type Sample, type Scorer, type Task, type TaskResult } from './harness.js';
import { refusalScorer } from './xstest.js';

export type Expectation = 'refuse' | 'comply';

export interface PromptRecord {
  id: string;
  messages: ChatMessage[];
  expect?: Expectation;
  metadata: Record<string, MetadataValue>;
  /** 1-based line in the file. */
  line: number;
}

const RESERVED = new Set(['id', 'prompt', 'messages', 'expect']);
const ROLES = new Set(['system', 'user', 'assistant']);

const show = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : typeof v);

/** Validate one parsed line; returns the record or the problem (without file and line). */
export function parsePromptLine(value: unknown, line: number): { record: PromptRecord } | { error: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: `expected a JSON object with "prompt" or "messages", got ${show(value)}` };
  const o = value as Record<string, unknown>;
  let id = `line-${line}`;
  if (o.id !== undefined) {
    if ((typeof o.id !== 'string' || o.id === '') && !(typeof o.id === 'number' && Number.isFinite(o.id))) return { error: `field "id": expected a non-empty string or a number, got ${show(o.id)}` };
    id = String(o.id);
  }
  const hasPrompt = o.prompt !== undefined;
  const hasMessages = o.messages !== undefined;
  if (hasPrompt === hasMessages) return { error: hasPrompt ? 'give "prompt" or "messages", not both' : 'missing "prompt" (a string) or "messages" (an array of {role, content})' };
  let messages: ChatMessage[];
  if (hasPrompt) {
    if (typeof o.prompt !== 'string' || o.prompt.trim() === '') return { error: `field "prompt": expected a non-empty string, got ${show(o.prompt)}` };
    messages = [{ role: 'user', content: o.prompt }];
  } else {
    if (!Array.isArray(o.messages) || o.messages.length === 0) return { error: `field "messages": expected a non-empty array of {role, content}, got ${show(o.messages)}` };
    messages = [];
    for (let k = 0; k < o.messages.length; k++) {
      const m = o.messages[k] as Record<string, unknown> | null;
      if (m === null || typeof m !== 'object' || Array.isArray(m)) return { error: `field "messages[${k}]": expected an object {role, content}, got ${show(m)}` };
      if (typeof m.role !== 'string' || !ROLES.has(m.role)) return { error: `field "messages[${k}].role": expected "system", "user" or "assistant", got ${show(m.role)}` };
      if (typeof m.content !== 'string') return { error: `field "messages[${k}].content": expected a string, got ${show(m.content)}` };
      messages.push({ role: m.role as ChatMessage['role'], content: m.content });
    }
    if (messages[messages.length - 1]!.role !== 'user') return { error: `field "messages": the last message must be a user turn (the model answers it), got "${messages[messages.length - 1]!.role}"` };
  }
  if (o.expect !== undefined && o.expect !== 'refuse' && o.expect !== 'comply') return { error: `field "expect": expected "refuse" or "comply", got ${show(o.expect)}` };
  const metadata: Record<string, MetadataValue> = {};
  for (const [k, v] of Object.entries(o)) if (!RESERVED.has(k)) metadata[k] = v as MetadataValue;
  if (o.expect !== undefined) metadata.expect = o.expect as Expectation;
  return { record: { id, messages, ...(o.expect !== undefined ? { expect: o.expect as Expectation } : {}), metadata, line } };
}

/** Read a JSONL prompt set; the first malformed line throws a `JsonlError` naming `FILE:LINE`. */
export function readPromptSet(file: string): PromptRecord[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  const text = fs.readFileSync(file, 'utf8');
  // readJsonl reports invalid JSON with its line; the line numbers of the values come from a second pass.
  readJsonl(file);
  const out: PromptRecord[] = [];
  const seen = new Map<string, number>();
  text.replace(/^\uFEFF/, '').split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    const r = parsePromptLine(JSON.parse(raw), line);
    if ('error' in r) throw new JsonlError(`${file}:${line}: ${r.error}`, file, line);
    const prev = seen.get(r.record.id);
    if (prev !== undefined) throw new JsonlError(`${file}:${line}: id "${r.record.id}" already used on line ${prev}`, file, line);
    seen.set(r.record.id, line);
    out.push(r.record);
  });
  if (out.length === 0) throw new Error(`${file}: no prompts (the file is empty)`);
  return out;
}

/**
 * The refusal scores of {@link refusalScorer} plus `expect_met`: whether the response did what
 * the line expects (null where the line has no `expect`).
 */
export const promptSetScorer: Scorer = (sample, completion) => {
  const scores = refusalScorer(sample, completion);
  const expect = sample.metadata?.expect;
  const refused = scores.refusal as boolean;
  return { ...scores, expect_met: expect === 'refuse' ? refused : expect === 'comply' ? !refused : null };
};

export interface PromptSetOptions {
  /** Task name in logs (default "jsonl"). */
  name?: string;
  /** Metadata fields to break the rates down by. */
  by?: string[];
  /** Generation settings (default greedy, 256 new tokens). */
  sampling?: SamplingOptions;
}

/** The harness task of a prompt set; throws if a `by` field is on no line. */
export function promptSetTask(records: readonly PromptRecord[], options: PromptSetOptions = {}): Task {
  for (const f of options.by ?? []) {
    if (!records.some((r) => r.metadata[f] !== undefined)) {
      const fields = [...new Set(records.flatMap((r) => Object.keys(r.metadata)))];
      throw new Error(`no line has the field "${f}" to break down by (fields present: ${fields.length ? fields.join(', ') : 'none'})`);
    }
  }
  const samples: Sample[] = records.map((r) => ({ id: r.id, messages: r.messages, metadata: r.metadata }));
  return { name: options.name ?? 'jsonl', samples, sampling: options.sampling, scorers: [promptSetScorer], groupBy: ['expect', ...(options.by ?? [])] };
}

export interface GroupRates {
  n: number;
  refusal: RateInterval;
  /** Null when no line of the group has `expect`. */
  expect_met: RateInterval | null;
}

export interface PromptSetResult {
  model: string;
  n: number;
  refusal: RateInterval;
  fullRefusal: RateInterval;
  partialRefusal: RateInterval;
  /** Over the lines with `expect`; null when none has one. */
  expectMet: RateInterval | null;
  /** expect_met over the "refuse" lines and over the "comply" lines (absent when there are none). */
  byExpect: Partial<Record<Expectation, RateInterval>>;
  /** `by[field][value]`, for each field asked for. */
  by: Record<string, Record<string, GroupRates>>;
  generated: number;
  cached: number;
  resumed: number;
  warnings: string[];
}

const rateOrNull = (m: TaskResult['metrics'][string] | undefined) => (m && 'hits' in m && m.of > 0 ? (m as RateInterval) : null);

/** The prompt-set numbers from a harness result of {@link promptSetTask}. */
export function summarizePromptSet(r: TaskResult, by: readonly string[] = []): PromptSetResult {
  const group = (m: Record<string, TaskResult['metrics'][string]>): GroupRates => {
    const refusal = m.refusal as RateInterval;
    return { n: refusal.of, refusal, expect_met: rateOrNull(m.expect_met) };
  };
  const byExpect: Partial<Record<Expectation, RateInterval>> = {};
  for (const e of ['refuse', 'comply'] as const) {
    const m = rateOrNull(r.groups.expect?.[e]?.expect_met);
    if (m) byExpect[e] = m;
  }
  return {
    model: r.model,
    n: r.n,
    refusal: r.metrics.refusal as RateInterval,
    fullRefusal: r.metrics.full_refusal as RateInterval,
    partialRefusal: r.metrics.partial_refusal as RateInterval,
    expectMet: rateOrNull(r.metrics.expect_met),
    byExpect,
    by: Object.fromEntries(by.map((f) => [f, Object.fromEntries(Object.entries(r.groups[f] ?? {}).map(([v, m]) => [v, group(m)]))])),
    generated: r.generated,
    cached: r.cached,
    resumed: r.resumed,
    warnings: r.warnings,
  };
}

/** Run a prompt set on `model` through the harness (cache, log, concurrency) and summarize it. */
export async function runPromptSet(model: LanguageModel, records: readonly PromptRecord[], options: RunTaskOptions & PromptSetOptions = {}): Promise<PromptSetResult & { samples: TaskResult['samples'] }> {
  const r = await runTask(model, promptSetTask(records, options), options);
  return { ...summarizePromptSet(r, options.by), samples: r.samples };
}
