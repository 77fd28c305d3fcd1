/**
 * Reading what `alignlab run` and `alignlab eval world` leave behind, validated where it enters:
 *
 * - a **run directory**: `results.json` (`eval: {<setting>: summary}`, optional `overopt`,
 *   optional `comparisons: [{ name, a, b }]` naming two settings to compare, see compare.ts),
 *   `samples.jsonl` (one scored reply per line, with its `setting`), and training curves in
 *   `metrics.jsonl` files (the directory's own and those one level down, e.g. `baseline/`);
 * - a **samples file**: the JSONL that `eval world --samples FILE` writes (replies without a
 *   `setting`: they form one setting named after the file).
 *
 * A malformed line or field gets one message naming the file, the line and the field.
 *
 * @example
 * ```ts
 * const run = loadRunDir('runs/latest');
 * run.settings.map((s) => [s.name, s.samples.length]);   // [['greedy', 370], …]
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readJsonl } from '../util/jsonl.js';
import { FAILURES, type WorldSample } from '../eval/world.js';

/** A scored reply as stored in samples.jsonl (a `WorldSample` plus the setting it belongs to). */
export type StoredSample = WorldSample & { setting?: string };

const flagsSchema = z.object(Object.fromEntries(FAILURES.map((f) => [f, z.boolean().optional()])) as Record<(typeof FAILURES)[number], z.ZodOptional<z.ZodBoolean>>);

const sampleSchema = z.looseObject({
  setting: z.string().optional(),
  caseId: z.string(),
  family: z.string(),
  subtype: z.string().default(''),
  shift: z.string().default('none'),
  turn: z.number().int().nonnegative().default(0),
  messages: z.array(z.looseObject({ role: z.string(), content: z.string() })).default([]),
  response: z.string(),
  acts: z.array(z.string()).default([]),
  parsed: z.boolean(),
  gold: z.number(),
  goldComponents: z.record(z.string(), z.number()).default({}),
  proxy: z.number(),
  flags: flagsSchema,
});

const countsSchema = z.object({ hits: z.number(), of: z.number() });
/**
 * One group of a breakdown (a request family or a shift preset). Results written before the
 * breakdowns carried failure counts have only replies, gold and proxy: `rates` and `counts` are
 * then absent.
 */
const groupSchema = z.looseObject({
  replies: z.number(),
  gold: z.number().nullable(),
  proxy: z.number().nullable(),
  rates: z.record(z.string(), z.number().nullable()).optional(),
  counts: z.record(z.string(), countsSchema).optional(),
});
export type GroupSummary = z.infer<typeof groupSchema>;
/**
 * One setting's summary in results.json (`summarize` of src/eval/world.ts without the samples).
 * `byShift` is missing from results written before the per-shift breakdown: read as empty.
 */
const summarySchema = z.looseObject({
  n: z.number(),
  replies: z.number(),
  gold: z.number().nullable(),
  goldComponents: z.record(z.string(), z.number().nullable()).default({}),
  proxy: z.number().nullable(),
  parseRate: z.number().nullable(),
  rates: z.record(z.string(), z.number()),
  counts: z.record(z.string(), countsSchema).default({}),
  byFamily: z.record(z.string(), groupSchema).default({}),
  byShift: z.record(z.string(), groupSchema).default({}),
});
export type SettingSummary = z.infer<typeof summarySchema>;

/**
 * One model comparison asked for in results.json: setting `a` against setting `b` (the
 * difference is a − b), e.g. `{ name: 'RLHF vs baseline · greedy', a: 'RLHF · greedy', b: 'baseline · greedy' }`.
 */
const comparisonSchema = z.looseObject({
  name: z.string().min(1, 'a comparison needs a non-empty name'),
  a: z.string().min(1, 'a comparison needs the setting a (compared) by name'),
  b: z.string().min(1, 'a comparison needs the setting b (compared against) by name'),
});
export type ComparisonSpec = z.infer<typeof comparisonSchema>;

const resultsSchema = z.looseObject({
  profile: z.string().optional(),
  seed: z.number().optional(),
  // A run's total, or (the overoptimization lab) seconds per phase with their `total`.
  seconds: z.union([z.number(), z.looseObject({ total: z.number() }).transform((x) => x.total)]).optional(),
  baseline: z.record(z.string(), z.unknown()).optional(),
  // The machine it ran on (engine/host.ts); runs written before it was recorded have none.
  host: z.looseObject({ cpu: z.string(), kernels: z.string(), cpus: z.number(), cpuFamily: z.number().optional(), cpuModel: z.number().optional() }).optional(),
  eval: z.record(z.string(), summarySchema).default({}),
  overopt: z.unknown().optional(),
  comparisons: z.array(comparisonSchema).optional(),
});
export type RunResults = z.infer<typeof resultsSchema>;

/** A training curve: `train/loss` against `train/step` from one metrics.jsonl. */
export interface LossCurve {
  /** The folder the metrics came from, relative to the run directory ('.' for its own). */
  name: string;
  file: string;
  steps: number[];
  loss: number[];
}

/** One evaluation setting: its summary from results.json (if any) and its replies (if any). */
export interface LoadedSetting {
  name: string;
  summary?: SettingSummary;
  samples: StoredSample[];
}

export interface LoadedRun {
  /** The path as given. */
  source: string;
  /** A short label: the directory's or file's base name. */
  label: string;
  results?: RunResults;
  settings: LoadedSetting[];
  curves: LossCurve[];
  /** Files that were looked for and not found, and other things a reader should know. */
  notes: string[];
}

function issuesOf(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Read and validate a samples JSONL file. */
export function readSamples(file: string): StoredSample[] {
  const { rows } = readJsonl(file);
  const text = fs.readFileSync(file, 'utf8').split('\n');
  // readJsonl skips blank lines; recover each row's line number for messages.
  const lineNos: number[] = [];
  text.forEach((t, i) => {
    if (t.trim() !== '') lineNos.push(i + 1);
  });
  return rows.map((row, i) => {
    const r = sampleSchema.safeParse(row);
    if (!r.success) throw new Error(`${file}:${lineNos[i]}: not a scored reply (${issuesOf(r.error)}); expected the lines 'alignlab run' or 'eval world --samples' write`);
    return r.data as StoredSample;
  });
}

/** Read and validate results.json. */
export function readResults(file: string): RunResults {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
  const r = resultsSchema.safeParse(raw);
  if (!r.success) throw new Error(`${file}: ${issuesOf(r.error)}`);
  return r.data;
}

/** `train/loss` against `train/step` (or the line number) from a metrics.jsonl; undefined when it has none. */
export function readLossCurve(file: string, name: string): LossCurve | undefined {
  const { rows } = readJsonl<Record<string, unknown>>(file);
  const steps: number[] = [];
  const loss: number[] = [];
  rows.forEach((r, i) => {
    const l = r['train/loss'];
    if (typeof l !== 'number' || !Number.isFinite(l)) return;
    const s = r['train/step'];
    steps.push(typeof s === 'number' ? s : i + 1);
    loss.push(l);
  });
  return loss.length ? { name, file, steps, loss } : undefined;
}

/** Group replies into settings: results.json's order first, then any settings only the samples name. */
function groupSettings(results: RunResults | undefined, samples: StoredSample[], fallbackName: string): LoadedSetting[] {
  const names = Object.keys(results?.eval ?? {});
  const unnamed = names.length === 1 ? names[0]! : fallbackName;
  const bySetting = new Map<string, StoredSample[]>();
  for (const s of samples) {
    const k = s.setting ?? unnamed;
    if (!bySetting.has(k)) bySetting.set(k, []);
    bySetting.get(k)!.push(s);
  }
  const all = [...names, ...[...bySetting.keys()].filter((k) => !names.includes(k))];
  return all.map((name) => ({ name, summary: results?.eval[name], samples: bySetting.get(name) ?? [] }));
}

/** Load a run directory (results.json required; samples.jsonl and metrics.jsonl optional). */
export function loadRunDir(dir: string): LoadedRun {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory`);
  const resultsFile = path.join(dir, 'results.json');
  if (!fs.existsSync(resultsFile)) throw new Error(`${dir}: not a run directory (no results.json; 'alignlab run' writes one)`);
  const results = readResults(resultsFile);
  const notes: string[] = [];
  const samplesFile = path.join(dir, 'samples.jsonl');
  let samples: StoredSample[] = [];
  if (fs.existsSync(samplesFile)) samples = readSamples(samplesFile);
  else notes.push(`${samplesFile} not found: numbers come from results.json, without intervals or examples`);
  if (Object.keys(results.eval).length === 0 && samples.length === 0) throw new Error(`${resultsFile}: no "eval" section and no samples.jsonl: nothing was evaluated in this run`);

  const curves: LossCurve[] = [];
  const candidates = [{ name: '.', file: path.join(dir, 'metrics.jsonl') }];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) candidates.push({ name: e.name, file: path.join(dir, e.name, 'metrics.jsonl') });
  }
  for (const c of candidates) {
    if (!fs.existsSync(c.file)) continue;
    const curve = readLossCurve(c.file, c.name);
    if (curve) curves.push(curve);
  }
  if (curves.length === 0) notes.push('no metrics.jsonl with train/loss found: no training curve');
  return { source: dir, label: path.basename(path.resolve(dir)), results, settings: groupSettings(results, samples, 'samples'), curves, notes };
}

/** Load a run directory, or a samples JSONL file as a run with one setting per `setting` value. */
export function loadEvalSource(p: string): LoadedRun {
  if (!fs.existsSync(p)) throw new Error(`${p}: no such file or directory`);
  if (fs.statSync(p).isDirectory()) return loadRunDir(p);
  const samples = readSamples(p);
  if (samples.length === 0) throw new Error(`${p}: no scored replies in the file`);
  const label = path.basename(p).replace(/\.jsonl?$/i, '');
  return { source: p, label, settings: groupSettings(undefined, samples, label), curves: [], notes: [] };
}
