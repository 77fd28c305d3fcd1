/**
 * `alignlab prefs ...`: preference data in TRL's JSONL formats.
 *
 *   alignlab prefs collect --model DIR --n 200 --k 4 --raters careful --seed 1 --out prefs.jsonl
 *   alignlab prefs import-hh --input harmless-base_test.jsonl --out hh.jsonl [--on-error skip|throw]
 *   alignlab prefs stats --input prefs.jsonl
 *   alignlab prefs sample --model DIR --n 50 --k 4 --seed 1 --out tasks.jsonl
 *   alignlab prefs import-labels --input labeled.jsonl --out prefs.jsonl [--rater NAME] [--on-error throw|skip]
 *
 * `collect` samples k replies per HelpDesk prompt from a local model and has simulated
 * raters compare them (src/prefs/collect.ts); its result includes the raters' agreement
 * with gold (fraction of pairs where the chosen reply has the higher gold reward, ties
 * excluded). `import-hh` converts Anthropic HH-RLHF transcripts to conversational pairs.
 * `stats` reports counts, mean lengths in words, how often the chosen side is longer,
 * and agreement with gold where the rows carry `chosen_gold`/`rejected_gold`.
 * `sample` and `import-labels` are the round trip for human labelers (src/prefs/labels.ts):
 * `sample` writes unlabeled comparison tasks (the replies and pairs `collect` would judge
 * with the same seed, A/B order by a seeded coin); people add `"preference": "a"|"b"|"tie"`
 * (and `rater`, `reason`, `strength`); `import-labels` turns them into TRL pairs, counting
 * ties. Unlike the other readers, `import-labels --on-error throw` checks the whole file and
 * lists every bad line before refusing it.
 * Outputs are written atomically; with `--on-error throw` (the default) the first bad
 * line stops the command and nothing is written; with `skip` the bad lines are logged
 * and returned (the first 100; `skipped` counts them all).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectPreferences, type Pairing } from '../prefs/collect.js';
import { readPreferences, writePreferences } from '../prefs/format.js';
import { importHh } from '../prefs/hh.js';
import { labelsToPairs, LabelsError, readLabels, sampleComparisons, writeComparisons } from '../prefs/labels.js';
import { goldAgreement, preferenceStats, type PreferenceStats } from '../prefs/stats.js';
import { LocalModel } from '../providers/local.js';
import type { JsonlLineError, OnJsonlError } from '../util/jsonl.js';
import { RATER_PRESETS, SPLITS, type RaterPreset, type Split } from '../world/index.js';
import { UsageError, type Command } from './types.js';

function intOpt(cmd: string, name: string, v: unknown, min: number, max = 1_000_000): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${cmd}: --${name} must be an integer from ${min} to ${max}, got ${v}`);
  return n;
}

function oneOf<T extends string>(cmd: string, name: string, v: unknown, allowed: readonly T[]): T {
  const s = String(v);
  if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`${cmd}: --${name} must be one of ${allowed.join(', ')}, got "${s}"`);
  return s as T;
}

function inputFile(cmd: string, file: unknown): string {
  const f = String(file);
  if (!fs.existsSync(f)) throw new UsageError(`${cmd}: --input ${f} does not exist`);
  return f;
}

function outputFile(cmd: string, file: unknown): string {
  const f = String(file);
  const dir = path.dirname(f);
  if (!fs.existsSync(dir)) throw new UsageError(`${cmd}: the folder of --out ${f} does not exist`);
  return f;
}

/** At most this many line errors are logged and returned; `skipped` always has the full count. */
const MAX_REPORTED_ERRORS = 100;

function reportErrors(errors: readonly JsonlLineError[], log: (m: string) => void): JsonlLineError[] {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  for (const e of shown) log(e.message);
  if (errors.length > shown.length) log(`… and ${errors.length - shown.length} more bad lines`);
  return shown;
}

const fmt = (x: number | null, digits = 3) => (x === null ? 'n/a' : x.toFixed(digits));
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

function printStats(s: PreferenceStats, print: (t: string) => void): void {
  print(`${s.pairs} pairs, ${s.unpaired} unpaired rows${s.unpaired > 0 ? ` (${s.unpairedDesirable} desirable)` : ''}`);
  if (s.pairs > 0) {
    print(`mean words: chosen ${fmt(s.chosenWords, 1)}, rejected ${fmt(s.rejectedWords, 1)}; chosen longer in ${pct(s.chosenLongerFraction)}`);
    if (s.identical > 0) print(`identical chosen and rejected: ${s.identical}`);
  }
  if (s.goldAgreement !== null) print(`agreement with gold: ${pct(s.goldAgreement)} of ${s.goldDecided} decided pairs (${s.goldTies} ties excluded)`);
  if (s.proxyAgreement !== null) print(`agreement with proxy: ${pct(s.proxyAgreement)} of ${s.proxyDecided} decided pairs`);
}

/** The options of sampling k replies per HelpDesk prompt, shared by `collect` and `sample` (same meaning, same defaults). */
const SAMPLING_OPTIONS = {
  model: { type: 'string', required: true, describe: 'model directory (config.json, model.safetensors, tokenizer.json)' },
  n: { type: 'number', default: 100, describe: 'number of world cases (prompts)' },
  k: { type: 'number', default: 4, describe: 'replies sampled per prompt (≥ 2)' },
  pairing: { type: 'string', default: 'all', describe: "'all': every pair of the k replies; 'random': ⌊k/2⌋ disjoint random pairs" },
  split: { type: 'string', default: 'train', describe: `world split: ${SPLITS.join(', ')}` },
  temperature: { type: 'number', default: 1, describe: 'sampling temperature (> 0)' },
  'max-tokens': { type: 'number', default: 96, describe: 'most new tokens per reply' },
  threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
} as const satisfies Command['options'];

/** The sampling options of `collect` and `sample` as values, checked, and the model loaded. */
function samplingArgs(name: string, o: Record<string, unknown>) {
  const dir = String(o.model);
  if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`${name}: --model ${dir} is not a model directory (no config.json)`);
  const n = intOpt(name, 'n', o.n, 1);
  const k = intOpt(name, 'k', o.k, 2, 64);
  const pairing = oneOf<Pairing>(name, 'pairing', o.pairing, ['all', 'random']);
  const split = oneOf<Split>(name, 'split', o.split, SPLITS);
  const seed = Number(o.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`${name}: --seed must be an integer, got ${o.seed}`);
  const temperature = Number(o.temperature);
  if (!(temperature > 0)) throw new UsageError(`${name}: --temperature must be > 0 so the k replies differ, got ${o.temperature}`);
  const maxTokens = intOpt(name, 'max-tokens', o['max-tokens'], 1);
  const threads = intOpt(name, 'threads', o.threads, 1, 256);
  return { dir, n, k, pairing, split, seed, temperature, maxTokens, threads };
}

const collect: Command = {
  path: ['prefs', 'collect'],
  summary: 'Sample k replies per HelpDesk prompt from a model and have simulated raters compare them (TRL pairs)',
  options: {
    ...SAMPLING_OPTIONS,
    out: { type: 'string', required: true, describe: 'output JSONL file (TRL conversational pairs)' },
    raters: { type: 'string', default: 'careful', describe: `rater preset: ${Object.keys(RATER_PRESETS).join(', ')}` },
    pool: { type: 'number', default: 10, describe: 'raters in the pool (each pair is judged by one at random)' },
    seed: { type: 'number', default: 1, describe: 'seed for the world, sampling and raters' },
  },
  async run(o, _pos, ctx) {
    const name = 'prefs collect';
    const { dir, n, k, pairing, split, seed, temperature, maxTokens, threads } = samplingArgs(name, o);
    const raters = oneOf(name, 'raters', o.raters, Object.keys(RATER_PRESETS) as RaterPreset[]);
    const poolSize = intOpt(name, 'pool', o.pool, 1);
    const out = outputFile(name, o.out);
    const model = await LocalModel.load(dir, { threads });
    ctx.log(`${name}: ${n} cases × ${k} replies from ${dir}, ${raters} raters, seed ${seed}`);
    let rows;
    try {
      rows = await collectPreferences({ model, seed, n, k, raters, poolSize, pairing, split, temperature, maxTokens });
    } finally {
      await model.close();
    }
    writePreferences(out, rows);
    const stats = preferenceStats(rows);
    const agree = goldAgreement(rows);
    printStats(stats, (t) => ctx.print(t));
    ctx.print(`wrote ${out}`);
    return {
      out,
      cases: n,
      k,
      raters,
      pairing,
      seed,
      pairs: rows.length,
      goldAgreement: agree.rate,
      goldDecided: agree.decided,
      goldTies: agree.ties,
      proxyAgreement: stats.proxyAgreement,
      chosenWords: stats.chosenWords,
      rejectedWords: stats.rejectedWords,
      chosenLongerFraction: stats.chosenLongerFraction,
    };
  },
};

const importHhCmd: Command = {
  path: ['prefs', 'import-hh'],
  summary: 'Convert Anthropic HH-RLHF transcripts ({chosen, rejected} strings) to TRL conversational pairs',
  options: {
    input: { type: 'string', required: true, describe: 'HH-RLHF JSONL file' },
    out: { type: 'string', required: true, describe: 'output JSONL file (TRL conversational pairs)' },
    'on-error': { type: 'string', default: 'throw', describe: "'throw': stop at the first bad line (nothing written); 'skip': report it and go on" },
  },
  async run(o, _pos, ctx) {
    const name = 'prefs import-hh';
    const input = inputFile(name, o.input);
    const out = outputFile(name, o.out);
    const onError = oneOf<OnJsonlError>(name, 'on-error', o['on-error'], ['throw', 'skip']);
    const r = await importHh(input, { onError });
    writePreferences(out, r.pairs);
    const errors = reportErrors(r.errors, (m) => ctx.log(m));
    ctx.print(`${r.pairs.length} pairs from ${r.lines} lines (${r.errors.length} skipped); wrote ${out}`);
    return { input, out, lines: r.lines, pairs: r.pairs.length, skipped: r.errors.length, errors };
  },
};

const stats: Command = {
  path: ['prefs', 'stats'],
  summary: 'Counts, mean lengths, length bias and agreement with gold of a TRL preference file',
  options: {
    input: { type: 'string', required: true, describe: 'TRL preference JSONL file' },
    'on-error': { type: 'string', default: 'throw', describe: "'throw': stop at the first bad line; 'skip': count it and go on" },
  },
  async run(o, _pos, ctx) {
    const name = 'prefs stats';
    const input = inputFile(name, o.input);
    const onError = oneOf<OnJsonlError>(name, 'on-error', o['on-error'], ['throw', 'skip']);
    const file = await readPreferences(input, { onError });
    const errors = reportErrors(file.errors, (m) => ctx.log(m));
    const s = preferenceStats(file.pairs, file.unpaired);
    printStats(s, (t) => ctx.print(t));
    if (file.errors.length > 0) ctx.print(`${file.errors.length} lines skipped`);
    return { input, ...s, skipped: file.errors.length, errors };
  },
};

const sample: Command = {
  path: ['prefs', 'sample'],
  summary: 'Sample k replies per HelpDesk prompt and write unlabeled A/B comparison tasks for human labelers',
  options: {
    ...SAMPLING_OPTIONS,
    out: { type: 'string', required: true, describe: 'output JSONL file (one comparison task per line)' },
    seed: { type: 'number', default: 1, describe: 'seed for the world, sampling, pairing and A/B order (same seed as prefs collect → same replies)' },
    gold: { type: 'boolean', default: true, describe: 'write both sides\' gold and proxy rewards under "hidden" (a labeling tool must not show it); --gold=false leaves them out' },
  },
  async run(o, _pos, ctx) {
    const name = 'prefs sample';
    const { dir, n, k, pairing, split, seed, temperature, maxTokens, threads } = samplingArgs(name, o);
    const out = outputFile(name, o.out);
    const model = await LocalModel.load(dir, { threads });
    ctx.log(`${name}: ${n} cases × ${k} replies from ${dir}, seed ${seed}`);
    let tasks;
    try {
      tasks = await sampleComparisons({ model, seed, n, k, pairing, split, temperature, maxTokens, gold: o.gold !== false });
    } finally {
      await model.close();
    }
    writeComparisons(out, tasks);
    const identical = n * (pairing === 'all' ? (k * (k - 1)) / 2 : Math.floor(k / 2)) - tasks.length;
    ctx.print(`${tasks.length} comparison tasks (${identical} pairs of identical replies skipped); wrote ${out}`);
    return { out, cases: n, k, pairing, seed, tasks: tasks.length, identical, gold: o.gold !== false };
  },
};

const importLabels: Command = {
  path: ['prefs', 'import-labels'],
  summary: 'Turn labeled comparison tasks ("preference": "a"|"b"|"tie") into TRL pairs; ties are counted, not paired',
  options: {
    input: { type: 'string', required: true, describe: 'labeled JSONL file (prefs sample tasks plus "preference", optional "rater", "reason", "strength")' },
    out: { type: 'string', required: true, describe: 'output JSONL file (TRL conversational pairs)' },
    rater: { type: 'string', describe: 'rater id for lines without their own "rater" (a line\'s own wins)' },
    'on-error': { type: 'string', default: 'throw', describe: "'throw': list every bad line and write nothing; 'skip': report them and import the rest" },
  },
  async run(o, _pos, ctx) {
    const name = 'prefs import-labels';
    const input = inputFile(name, o.input);
    const out = outputFile(name, o.out);
    const onError = oneOf<OnJsonlError>(name, 'on-error', o['on-error'], ['throw', 'skip']);
    const rater = o.rater === undefined ? undefined : String(o.rater);
    if (rater === '') throw new UsageError(`${name}: --rater must not be empty`);
    let file;
    try {
      file = await readLabels(input, { onError, rater });
    } catch (e) {
      if (e instanceof LabelsError) throw new Error(`${name}: ${e.errors.length} bad line${e.errors.length === 1 ? '' : 's'}, nothing written:\n${e.message}`);
      throw e;
    }
    const { pairs, ties } = labelsToPairs(file.labels);
    writePreferences(out, pairs);
    const errors = reportErrors(file.errors, (m) => ctx.log(m));
    printStats(preferenceStats(pairs), (t) => ctx.print(t));
    ctx.print(`${file.labels.length} labels from ${file.lines} lines: ${pairs.length} pairs, ${ties} ties (not pairs, left out), ${file.errors.length} lines skipped; wrote ${out}`);
    return { input, out, lines: file.lines, labels: file.labels.length, pairs: pairs.length, ties, skipped: file.errors.length, errors };
  },
};

export default [collect, importHhCmd, stats, sample, importLabels];
