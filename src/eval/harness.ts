/**
 * The evaluation harness: run a task (samples → model → scorers) against any `LanguageModel`,
 * with a response cache, a per-sample log that makes an interrupted run resumable, bounded
 * concurrency that batches where the backend batches, and bootstrap intervals on every metric.
 * It is shaped like Inspect (UK AISI's `inspect_ai`): a task is a dataset of samples, a
 * generation setting and a list of scorers.
 *
 *   sample  = { id, messages (OpenAI-style chat), metadata }
 *   scorer  : (sample, completion) → { name: number | boolean | string | null, … }
 *   metric  = mean of each score over the samples where it is not null, with a 95 % percentile-
 *             bootstrap interval (src/eval/bootstrap.ts): booleans give a rate (hits / of),
 *             numbers a mean; strings (a label, a verdict) are logged but not aggregated.
 *
 * Scores are also aggregated per value of each metadata field named in `task.groupBy`
 * (`groups[field][value][score]`), e.g. XSTest's over-refusal per prompt type.
 *
 * **Cache.** A completion is stored under the SHA-256 of the canonical JSON of
 * `(model key, messages, sampling settings incl. seed)` — the model key is `model.id` unless
 * `modelKey` says otherwise (the CLI adds the weights' size and mtime for a local directory, so
 * a retrained model misses the cache). One JSON file per key, `CACHE/ab/abcdef….json`, written
 * atomically (temp file + rename), so a crash never leaves half an entry; an entry that does not
 * parse or does not match its key is reported through `onWarning`, ignored, and regenerated.
 * The cache is shared by every task and run that asks the same question of the same model.
 *
 * **Log and resumption.** With `logFile`, every finished sample is appended as one JSONL line
 * (its key, messages, completion and scores) the moment it finishes. Run the same task again with
 * the same log and the samples already in it are not generated again: their completions are read
 * back and **re-scored with the current scorers** (scoring is cheap and deterministic, so results
 * stay consistent when a scorer improves). A log line whose sample has a different key (another
 * model, prompt or sampling setting) stops the run with an error naming the line: that log
 * belongs to another run. Damaged lines (a crash mid-write) are reported and skipped.
 *
 * **Concurrency and batching.** At most `concurrency` conversations are in flight at once. If
 * the model has `chatBatch` (the local model batches on the engine; the OpenAI-compatible client
 * runs a batch as parallel requests), pending samples that share sampling settings go out in
 * chunks of `batchSize` (default `concurrency`); otherwise one `chat` call per sample.
 *
 * **Determinism.** Generation defaults to greedy (`temperature: 0`, 256 new tokens). With
 * `temperature > 0` every sample gets its own seed, derived from the task seed and the sample id,
 * and is sent alone (a batch would tie a sample's random stream to its neighbours), so a sampled
 * run gives the same completions whatever the concurrency, order, cache or resumption. Results
 * are always in task order, so a cached, resumed or concurrent run returns exactly what a plain
 * run returns.
 *
 * On a generation error no new work starts, the conversations in flight finish and are logged,
 * and the run throws one error naming the sample; run it again with the same log to go on.
 *
 * @example
 * ```ts
 * const task: Task = {
 *   name: 'capitals',
 *   samples: [{ id: 'fr', messages: [{ role: 'user', content: 'Capital of France?' }], metadata: { region: 'eu' } }],
 *   scorers: [(s, c) => ({ correct: /paris/i.test(c.text) })],
 *   groupBy: ['region'],
 * };
 * const r = await runTask(model, task, { cacheDir: '.cache/eval', logFile: 'runs/capitals.jsonl', concurrency: 8 });
 * r.metrics.correct;               // { estimate, lo, hi, hits, of, … }
 * r.groups.region.eu.correct;      // the same per region
 * ```
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChatMessage, Completion, LanguageModel, SamplingOptions } from '../providers/types.js';
import { appendJsonl, writeJsonAtomic } from '../util/atomic.js';
import { bootstrapMean, bootstrapRate, type Interval, type RateInterval } from './bootstrap.js';

/** One score value: a flag (aggregated as a rate), a number (a mean), a label (logged only), or null (not applicable). */
export type ScoreValue = number | boolean | string | null;

/** Any JSON value a sample's metadata may hold. */
export type MetadataValue = string | number | boolean | null | MetadataValue[] | { [k: string]: MetadataValue };

export interface Sample {
  /** Unique within the task; names the sample in logs, errors and resumption. */
  id: string;
  /** The conversation to answer (usually ending with a user turn). */
  messages: ChatMessage[];
  /** Anything the scorers or the breakdowns need (XSTest's type and label, a JSONL line's fields). */
  metadata?: Record<string, MetadataValue>;
}

/** Reads a completion and returns named scores; must be deterministic (resumed samples are re-scored). */
export type Scorer = (sample: Sample, completion: Completion) => Record<string, ScoreValue>;

export interface Task {
  /** Name shown in logs and errors, e.g. "xstest". */
  name: string;
  samples: Sample[];
  /** Generation settings (default: greedy, `maxTokens` 256). */
  sampling?: SamplingOptions;
  scorers: Scorer[];
  /** Metadata fields to break every metric down by. */
  groupBy?: string[];
}

export interface RunTaskOptions {
  /** Directory of the response cache (created if missing); no cache without it. */
  cacheDir?: string;
  /** Per-sample JSONL log; an existing one is resumed. */
  logFile?: string;
  /** Most conversations in flight at once (default 8). */
  concurrency?: number;
  /** Conversations per `chatBatch` call (default `concurrency`; at most `concurrency`). */
  batchSize?: number;
  /** Called after every sample is settled (read from the log or cache, or generated). */
  onProgress?: (p: TaskProgress) => void;
  /** Called with one line for each ignored cache entry or log line (default: collected in the result only). */
  onWarning?: (message: string) => void;
  /** Identifies the model in cache keys (default `model.id`). */
  modelKey?: string;
  /** Bootstrap resamples and seed of the intervals (default B 1000, seed 0). */
  bootstrap?: { B?: number; seed?: number };
}

export interface TaskProgress {
  done: number;
  total: number;
  generated: number;
  cached: number;
  resumed: number;
}

/** Where a sample's completion came from in this run. */
export type CompletionSource = 'generated' | 'cache' | 'log';

/** One line of the log, and one sample of the result. */
export interface SampleRecord {
  id: string;
  task: string;
  model: string;
  /** The cache key: SHA-256 of (model key, messages, sampling). */
  key: string;
  messages: ChatMessage[];
  sampling: SamplingOptions;
  metadata: Record<string, MetadataValue>;
  completion: { text: string; finishReason: Completion['finishReason'] };
  scores: Record<string, ScoreValue>;
  source: CompletionSource;
}

/** A metric: a rate (from boolean scores) or a mean (from numbers), with its interval. */
export type Metric = RateInterval | Interval;

export interface TaskResult {
  task: string;
  model: string;
  n: number;
  /** Samples generated now, served from the cache, and read back from the log. */
  generated: number;
  cached: number;
  resumed: number;
  /** Per score name, over all samples where the score is not null. */
  metrics: Record<string, Metric>;
  /** `groups[field][value][score]`, for each field in `task.groupBy`. */
  groups: Record<string, Record<string, Record<string, Metric>>>;
  /** Every sample, in task order. */
  samples: SampleRecord[];
  /** Ignored cache entries and log lines, one line each. */
  warnings: string[];
}

/** Default generation settings of a task: greedy, at most 256 new tokens. */
export const DEFAULT_TASK_SAMPLING: Readonly<SamplingOptions> = Object.freeze({ temperature: 0, maxTokens: 256 });

/** JSON with object keys sorted and undefined fields dropped, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  });
}

/** The cache key of one request: hex SHA-256 of the canonical JSON of (model key, messages, sampling). */
export function cacheKey(modelKey: string, messages: readonly ChatMessage[], sampling: SamplingOptions): string {
  const request = { v: 1, model: modelKey, messages: messages.map((m) => ({ role: m.role, content: m.content })), sampling };
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** A per-sample seed in [0, 2³¹) derived from the task seed and the sample id. */
export function sampleSeed(seed: number, id: string): number {
  return createHash('sha256').update(`${seed}\u0000${id}`).digest().readUInt32BE(0) & 0x7fffffff;
}

/** The settings a sample is generated with: the task's, with a per-sample seed when sampling. */
function samplingFor(task: Task, sample: Sample): SamplingOptions {
  const base: SamplingOptions = { ...DEFAULT_TASK_SAMPLING, ...task.sampling };
  return base.temperature === 0 ? base : { ...base, seed: sampleSeed(base.seed ?? 0, sample.id) };
}

// ---------------------------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------------------------

interface CacheEntry {
  key: string;
  model: string;
  messages: ChatMessage[];
  sampling: SamplingOptions;
  completion: { text: string; finishReason: Completion['finishReason'] };
}

const cachePath = (dir: string, key: string) => path.join(dir, key.slice(0, 2), `${key}.json`);

/** The cached completion for `key`, or undefined (a missing entry; a corrupt one is also reported). */
function readCache(dir: string, key: string, warn: (m: string) => void): CacheEntry['completion'] | undefined {
  const file = cachePath(dir, key);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let entry: Partial<CacheEntry>;
  try {
    entry = JSON.parse(text) as Partial<CacheEntry>;
  } catch (e) {
    warn(`cache entry ${file} is not valid JSON (${(e as Error).message}); ignored, regenerating`);
    return undefined;
  }
  const c = entry?.completion;
  if (entry?.key !== key || typeof c?.text !== 'string' || (c.finishReason !== 'stop' && c.finishReason !== 'length')) {
    warn(`cache entry ${file} does not hold a completion for its key; ignored, regenerating`);
    return undefined;
  }
  return { text: c.text, finishReason: c.finishReason };
}

function writeCache(dir: string, entry: CacheEntry): void {
  const file = cachePath(dir, entry.key);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeJsonAtomic(file, entry);
}

// ---------------------------------------------------------------------------------------------
// Log
// ---------------------------------------------------------------------------------------------

/** Completions already in the log, by sample id, for the samples of this task; throws on a key mismatch. */
function readLog(file: string, keys: Map<string, string>, warn: (m: string) => void): Map<string, CacheEntry['completion']> {
  const found = new Map<string, CacheEntry['completion']>();
  if (!fs.existsSync(file)) return found;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let r: Partial<SampleRecord>;
    try {
      r = JSON.parse(raw) as Partial<SampleRecord>;
    } catch (e) {
      warn(`${file}:${line}: invalid JSON (${(e as Error).message}); line ignored`);
      return;
    }
    const c = r?.completion;
    if (typeof r?.id !== 'string' || typeof r.key !== 'string' || typeof c?.text !== 'string' || (c.finishReason !== 'stop' && c.finishReason !== 'length')) {
      warn(`${file}:${line}: not a sample record (expected id, key and completion {text, finishReason}); line ignored`);
      return;
    }
    const want = keys.get(r.id);
    if (want === undefined) return; // a sample this task does not have (e.g. a run with a larger --limit)
    if (r.key !== want) {
      throw new Error(`${file}:${line}: sample "${r.id}" was logged for a different model, prompt or sampling setting; this log belongs to another run (use a new log file, or delete this one)`);
    }
    if (found.has(r.id)) {
      warn(`${file}:${line}: sample "${r.id}" is logged twice; the first line is used`);
      return;
    }
    found.set(r.id, { text: c.text, finishReason: c.finishReason });
  });
  return found;
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/** Mean or rate with its interval for each score; strings are skipped, a bool/number mix is an error. */
export function aggregateScores(records: readonly Pick<SampleRecord, 'scores'>[], bootstrap: { B?: number; seed?: number } = {}): Record<string, Metric> {
  const names = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.scores)) names.add(k);
  const out: Record<string, Metric> = {};
  for (const name of [...names].sort()) {
    const values = records.map((r) => r.scores[name]).filter((v): v is number | boolean | string => v !== null && v !== undefined);
    const kinds = new Set(values.map((v) => typeof v));
    if (kinds.has('string')) {
      if (kinds.size > 1) throw new Error(`score "${name}" mixes labels (strings) with numbers or flags`);
      continue;
    }
    if (kinds.size > 1) throw new Error(`score "${name}" mixes flags (booleans) and numbers; a scorer must return one kind per name`);
    out[name] = kinds.has('number') ? bootstrapMean(values as number[], bootstrap) : bootstrapRate(values as boolean[], bootstrap);
  }
  return out;
}

/** The group a metadata value falls in: strings as they are, other values as JSON, absent as "(missing)". */
export function groupKey(v: MetadataValue | undefined): string {
  if (v === undefined || v === null) return '(missing)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function groupMetrics(records: readonly SampleRecord[], fields: readonly string[], bootstrap: RunTaskOptions['bootstrap']): TaskResult['groups'] {
  const groups: TaskResult['groups'] = {};
  for (const field of fields) {
    const byValue = new Map<string, SampleRecord[]>();
    for (const r of records) {
      const k = groupKey(r.metadata[field]);
      if (!byValue.has(k)) byValue.set(k, []);
      byValue.get(k)!.push(r);
    }
    groups[field] = Object.fromEntries([...byValue.keys()].sort().map((k) => [k, aggregateScores(byValue.get(k)!, bootstrap)]));
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

function validateTask(task: Task): void {
  if (task.samples.length === 0) throw new Error(`task ${task.name}: no samples`);
  const seen = new Set<string>();
  for (const s of task.samples) {
    if (typeof s.id !== 'string' || s.id === '') throw new Error(`task ${task.name}: every sample needs a non-empty string id`);
    if (seen.has(s.id)) throw new Error(`task ${task.name}: sample id "${s.id}" appears twice; ids must be unique`);
    seen.add(s.id);
    if (!Array.isArray(s.messages) || s.messages.length === 0) throw new Error(`task ${task.name}: sample "${s.id}" has no messages`);
  }
}

/**
 * Run every sample of `task` on `model` (skipping those already in the log or the cache), score
 * them, and aggregate. See the file header for the cache, log, concurrency and determinism rules.
 */
export async function runTask(model: LanguageModel, task: Task, options: RunTaskOptions = {}): Promise<TaskResult> {
  validateTask(task);
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`runTask: concurrency must be a positive integer, got ${concurrency}`);
  const batchSize = Math.min(options.batchSize ?? concurrency, concurrency);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`runTask: batchSize must be a positive integer, got ${options.batchSize}`);
  const modelKey = options.modelKey ?? model.id;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    options.onWarning?.(m);
  };

  const N = task.samples.length;
  const sampling = task.samples.map((s) => samplingFor(task, s));
  const keys = task.samples.map((s, i) => cacheKey(modelKey, s.messages, sampling[i]!));
  const records: (SampleRecord | undefined)[] = new Array(N);
  const progress: TaskProgress = { done: 0, total: N, generated: 0, cached: 0, resumed: 0 };

  const settle = (i: number, completion: SampleRecord['completion'], source: CompletionSource): SampleRecord => {
    const s = task.samples[i]!;
    const full: Completion = { text: completion.text, finishReason: completion.finishReason };
    const scores: Record<string, ScoreValue> = {};
    for (const scorer of task.scorers) {
      try {
        Object.assign(scores, scorer(s, full));
      } catch (e) {
        throw new Error(`task ${task.name}: scoring sample "${s.id}" failed: ${(e as Error).message}`, { cause: e });
      }
    }
    const rec: SampleRecord = { id: s.id, task: task.name, model: model.id, key: keys[i]!, messages: s.messages, sampling: sampling[i]!, metadata: s.metadata ?? {}, completion, scores, source };
    records[i] = rec;
    progress.done++;
    if (source === 'generated') progress.generated++;
    else if (source === 'cache') progress.cached++;
    else progress.resumed++;
    options.onProgress?.({ ...progress });
    return rec;
  };

  // 1. Samples already in the log: re-scored, not re-logged.
  const logged = options.logFile ? readLog(options.logFile, new Map(task.samples.map((s, i) => [s.id, keys[i]!])), warn) : new Map<string, SampleRecord['completion']>();
  if (options.logFile) fs.mkdirSync(path.dirname(path.resolve(options.logFile)), { recursive: true });
  const pending: number[] = [];
  task.samples.forEach((s, i) => {
    const c = logged.get(s.id);
    if (c) settle(i, c, 'log');
    else pending.push(i);
  });

  // 2. Samples in the cache: logged, not generated.
  const toGenerate: number[] = [];
  for (const i of pending) {
    const c = options.cacheDir ? readCache(options.cacheDir, keys[i]!, warn) : undefined;
    if (c) {
      const rec = settle(i, c, 'cache');
      if (options.logFile) appendJsonl(options.logFile, rec);
    } else toGenerate.push(i);
  }

  // 3. The rest: jobs of one or more samples that share sampling settings.
  const jobs: number[][] = [];
  if (model.chatBatch) {
    const bySetting = new Map<string, number[]>();
    for (const i of toGenerate) {
      const k = canonicalJson(sampling[i]);
      if (!bySetting.has(k)) bySetting.set(k, []);
      bySetting.get(k)!.push(i);
    }
    for (const idx of bySetting.values()) for (let a = 0; a < idx.length; a += batchSize) jobs.push(idx.slice(a, a + batchSize));
    jobs.sort((x, y) => x[0]! - y[0]!);
  } else for (const i of toGenerate) jobs.push([i]);

  const finish = (i: number, c: Completion) => {
    const completion = { text: c.text, finishReason: c.finishReason };
    if (options.cacheDir) writeCache(options.cacheDir, { key: keys[i]!, model: modelKey, messages: task.samples[i]!.messages, sampling: sampling[i]!, completion });
    const rec = settle(i, completion, 'generated');
    if (options.logFile) appendJsonl(options.logFile, rec);
  };

  let failure: { error: unknown; ids: string[] } | undefined;
  let nextJob = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (!failure && nextJob < jobs.length && inFlight + jobs[nextJob]!.length <= concurrency) {
        const job = jobs[nextJob++]!;
        inFlight += job.length;
        const convs = job.map((i) => task.samples[i]!.messages);
        const opts = sampling[job[0]!]!;
        const call = model.chatBatch && job.length > 1 ? model.chatBatch(convs, opts) : model.chat(convs[0]!, opts).then((c) => [c]);
        call
          .then((outs) => {
            if (!Array.isArray(outs) || outs.length !== job.length) throw new Error(`${model.id}: chatBatch returned ${Array.isArray(outs) ? outs.length : 'no'} completions for ${job.length} conversations`);
            job.forEach((i, k) => finish(i, outs[k]!));
          })
          .catch((error: unknown) => {
            failure ??= { error, ids: job.map((i) => task.samples[i]!.id) };
          })
          .finally(() => {
            inFlight -= job.length;
            pump();
          });
      }
      if (inFlight === 0 && (failure || nextJob >= jobs.length)) resolve();
    };
    pump();
  });
  if (failure) {
    const { error, ids } = failure;
    if (error instanceof Error && error.message.startsWith(`task ${task.name}: scoring`)) throw error;
    const which = ids.length === 1 ? `sample "${ids[0]}"` : `samples ${ids.slice(0, 3).map((x) => `"${x}"`).join(', ')}${ids.length > 3 ? ` and ${ids.length - 3} more` : ''}`;
    const resume = options.logFile ? `; ${progress.done} of ${N} samples are in ${options.logFile}, run again with the same log to resume` : '';
    throw new Error(`task ${task.name}: generating ${which} failed: ${error instanceof Error ? error.message : String(error)}${resume}`, { cause: error });
  }

  const done = records as SampleRecord[];
  const bootstrap = options.bootstrap ?? {};
  return {
    task: task.name,
    model: model.id,
    n: N,
    generated: progress.generated,
    cached: progress.cached,
    resumed: progress.resumed,
    metrics: aggregateScores(done, bootstrap),
    groups: groupMetrics(done, task.groupBy ?? [], bootstrap),
    samples: done,
    warnings,
  };
}
