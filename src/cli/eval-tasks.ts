/**
 * `alignlab eval xstest | hh | jsonl`: standard evaluation sets run against any model.
 *
 *   alignlab eval xstest --model SPEC [--csv xstest_prompts.csv] [--limit N] [--concurrency C] [--cache DIR] [--log FILE] [--json]
 *   alignlab eval hh (--rm DIR | --model SPEC) [--file harmless-base_test.jsonl] [--judge auto|logprob|prompt] [--json]
 *   alignlab eval jsonl --model SPEC --file prompts.jsonl [--by category,lang] [--json]
 *
 * **Model spec** (`--model`), one string naming the model and how to reach it:
 *
 *   runs/sft                          a model directory (config.json, model.safetensors, tokenizer.json), run locally
 *   local:runs/sft                    the same, explicitly
 *   openai:http://127.0.0.1:8000#NAME any OpenAI-compatible server (vLLM, Ollama at :11434, llama.cpp's
 *                                     llama-server, `alignlab serve`): base URL, then `#`, then the model name
 *                                     the server knows; a trailing /v1 on the URL is fine
 *   openai:gpt-4o-mini                OpenAI's own API (needs OPENAI_API_KEY)
 *   anthropic:claude-3-5-haiku-latest Anthropic's Messages API (needs ANTHROPIC_API_KEY)
 *
 * An API key is read from the environment (OPENAI_API_KEY / ANTHROPIC_API_KEY, or the variable
 * named by --api-key-env) and never printed. For example, your own model behind vLLM:
 *
 *   vllm serve my-org/my-model --port 8000
 *   alignlab eval xstest --model openai:http://127.0.0.1:8000#my-org/my-model --cache .cache/eval --log runs/xstest.jsonl
 *
 * Generation goes through the evaluation harness (src/eval/harness.ts): greedy by default, at
 * most --concurrency conversations in flight (the local model batches them), responses cached
 * in --cache by (model, messages, sampling), every sample logged to --log as it finishes; run the
 * same command again with the same --log to resume an interrupted run. For a local directory the
 * cache key includes the size and modification time of model.safetensors, so a retrained model
 * is not served stale answers.
 *
 * Each command prints a readable table; with --json the last stdout line is one JSON object with
 * the results (rates as {estimate, lo, hi, hits, of, …}, 95 % bootstrap intervals).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnthropicModel } from '../providers/anthropic.js';
import { LocalModel } from '../providers/local.js';
import { OpenAICompatibleModel } from '../providers/openai.js';
import type { LanguageModel, SamplingOptions } from '../providers/types.js';
import type { RateInterval } from '../eval/bootstrap.js';
import type { RunTaskOptions, TaskProgress } from '../eval/harness.js';
import { limitXsTest, readXsTest, runXsTest, type XsTestResult } from '../eval/xstest.js';
import { logprobPairs, openRewardModel, promptJudgePairs, readPairs, rewardModelPairs, summarizePairs, type PairOutcome, type PairwiseResult } from '../eval/hh.js';
import { promptSetTask, readPromptSet, runPromptSet, type PromptSetResult } from '../eval/jsonl-tasks.js';
import { writeFileAtomic } from '../util/atomic.js';
import { progress } from '../util/progress.js';
import { UsageError, type Command, type CommandContext, type OptionSpec } from './types.js';

// ---------------------------------------------------------------------------------------------
// Model specs
// ---------------------------------------------------------------------------------------------

export type ModelSpec = { kind: 'local'; dir: string } | { kind: 'openai'; baseURL?: string; model: string } | { kind: 'anthropic'; model: string };

export const MODEL_SPEC_HELP = 'model: a model directory, local:DIR, openai:BASE_URL#MODEL (vLLM, Ollama, llama-server, alignlab serve), openai:MODEL (api.openai.com), or anthropic:MODEL';

/** Parse a model spec (see the file header); errors say which forms are accepted. */
export function parseModelSpec(spec: string): ModelSpec {
  const bad = (why: string) => new UsageError(`--model "${spec}": ${why} (expected a model directory, local:DIR, openai:BASE_URL#MODEL, openai:MODEL or anthropic:MODEL)`);
  if (spec.startsWith('openai:')) {
    const rest = spec.slice('openai:'.length);
    const hash = rest.indexOf('#');
    if (hash < 0) {
      if (rest === '' || /^https?:/i.test(rest)) throw bad(rest === '' ? 'no model name after "openai:"' : 'a server URL needs the model name after "#", e.g. openai:http://127.0.0.1:8000#my-model');
      return { kind: 'openai', model: rest };
    }
    const baseURL = rest.slice(0, hash);
    const model = rest.slice(hash + 1);
    if (model === '') throw bad('no model name after "#"');
    let url: URL;
    try {
      url = new URL(baseURL);
    } catch {
      throw bad(`"${baseURL}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`the server URL must be http:// or https://, got ${url.protocol}`);
    return { kind: 'openai', baseURL, model };
  }
  if (spec.startsWith('anthropic:')) {
    const model = spec.slice('anthropic:'.length);
    if (model === '') throw bad('no model name after "anthropic:"');
    return { kind: 'anthropic', model };
  }
  const dir = spec.startsWith('local:') ? spec.slice('local:'.length) : spec;
  if (!fs.existsSync(path.join(dir, 'config.json'))) throw bad(fs.existsSync(dir) ? `${dir} is not a model directory (no config.json)` : `no such directory ${dir}`);
  return { kind: 'local', dir };
}

export interface OpenedModel {
  model: LanguageModel;
  /** The model's identity in cache keys. */
  modelKey: string;
  close(): Promise<void>;
}

/** Open the model a spec names; `concurrency` becomes the HTTP clients' requests in flight. */
export async function openModel(spec: string, o: { threads?: number; concurrency?: number; apiKeyEnv?: string } = {}): Promise<OpenedModel> {
  const s = parseModelSpec(spec);
  const key = o.apiKeyEnv ? { apiKeyEnv: o.apiKeyEnv } : {};
  if (s.kind === 'openai') {
    const model = new OpenAICompatibleModel({ ...(s.baseURL ? { baseURL: s.baseURL } : {}), model: s.model, concurrency: o.concurrency ?? 8, ...key });
    return { model, modelKey: model.id, close: async () => {} };
  }
  if (s.kind === 'anthropic') {
    const model = new AnthropicModel({ model: s.model, concurrency: o.concurrency ?? 8, ...key });
    return { model, modelKey: model.id, close: async () => {} };
  }
  const model = await LocalModel.load(s.dir, { threads: o.threads });
  const st = fs.statSync(path.join(s.dir, 'model.safetensors'));
  return { model, modelKey: `${model.id}@${st.size}-${Math.round(st.mtimeMs)}`, close: () => model.close() };
}

// ---------------------------------------------------------------------------------------------
// Shared options
// ---------------------------------------------------------------------------------------------

type Opts = Record<string, string | number | boolean | undefined>;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Where the data shared with alignlab's developers lives (absent in a user's clone). */
const SHARED = path.resolve(REPO, '../shared/datasets');
export const DEFAULT_XSTEST_CSV = path.join(SHARED, 'xstest/xstest_prompts.csv');
export const DEFAULT_HH_FILE = path.join(SHARED, 'hh-rlhf-harmless-base-test-slice/harmless-base_test_first200.jsonl');

const RUN_OPTIONS: Record<string, OptionSpec> = {
  limit: { type: 'number', describe: 'evaluate only the first N items' },
  concurrency: { type: 'number', default: 8, describe: 'most conversations in flight at once (batched on a local model)' },
  cache: { type: 'string', describe: 'response cache directory, shared by runs (key: model, messages, sampling)' },
  log: { type: 'string', describe: 'per-sample JSONL log; an existing one is resumed' },
  'max-tokens': { type: 'number', default: 256, describe: 'most new tokens per response' },
  temperature: { type: 'number', default: 0, describe: 'sampling temperature (0 = greedy)' },
  seed: { type: 'number', default: 0, describe: 'sampling seed (each sample derives its own when temperature > 0)' },
  threads: { type: 'number', default: 2, describe: 'ONNX Runtime threads (local models)' },
  'api-key-env': { type: 'string', describe: 'environment variable with the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY)' },
  bootstrap: { type: 'number', default: 1000, describe: 'bootstrap resamples of the 95% intervals' },
};

function int(cmd: string, name: string, v: unknown, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${cmd}: --${name} must be an integer ≥ ${min}, got ${v}`);
  return n;
}

function existingFile(cmd: string, flag: string, v: unknown, fallback: string, hint: string): string {
  if (v !== undefined) {
    const f = String(v);
    if (!fs.existsSync(f)) throw new UsageError(`${cmd}: --${flag} ${f} does not exist`);
    return f;
  }
  if (fs.existsSync(fallback)) return fallback;
  throw new UsageError(`${cmd}: give --${flag} FILE (${hint})`);
}

interface CommonRun {
  limit?: number;
  sampling: SamplingOptions;
  run: RunTaskOptions;
  threads: number;
  apiKeyEnv?: string;
}

function commonRun(cmd: string, o: Opts, ctx: CommandContext, label: string): CommonRun & { done(): void } {
  const concurrency = int(cmd, 'concurrency', o.concurrency, 1);
  const temperature = Number(o.temperature);
  if (!(temperature >= 0)) throw new UsageError(`${cmd}: --temperature must be ≥ 0, got ${o.temperature}`);
  const seed = Number(o.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`${cmd}: --seed must be an integer, got ${o.seed}`);
  let bar: ReturnType<typeof progress> | undefined;
  let seen = 0;
  return {
    limit: o.limit === undefined ? undefined : int(cmd, 'limit', o.limit, 1),
    sampling: { temperature, maxTokens: int(cmd, 'max-tokens', o['max-tokens'], 1), seed },
    threads: int(cmd, 'threads', o.threads, 1),
    apiKeyEnv: o['api-key-env'] === undefined ? undefined : String(o['api-key-env']),
    run: {
      concurrency,
      cacheDir: o.cache === undefined ? undefined : String(o.cache),
      logFile: o.log === undefined ? undefined : String(o.log),
      bootstrap: { B: int(cmd, 'bootstrap', o.bootstrap, 1), seed: 0 },
      onWarning: (w) => ctx.log(`warning: ${w}`),
      onProgress: (p: TaskProgress) => {
        bar ??= progress(label, p.total);
        bar.tick({ cached: p.cached, resumed: p.resumed }, p.done - seen);
        seen = p.done;
      },
    },
    done: () => bar?.done(),
  };
}

const pct = (x: number) => (Number.isNaN(x) ? '   n/a' : `${(100 * x).toFixed(1).padStart(5)}%`);
const ci = (r: { lo: number; hi: number }) => (Number.isNaN(r.lo) ? '' : `[${pct(r.lo).trim()}, ${pct(r.hi).trim()}]`);
const rateLine = (r: RateInterval) => `${pct(r.estimate)} ${ci(r).padEnd(16)} (${r.hits}/${r.of})`;

// ---------------------------------------------------------------------------------------------
// eval xstest
// ---------------------------------------------------------------------------------------------

function xstestReport(r: XsTestResult): string {
  const w = Math.max(20, ...Object.keys(r.byType).map((t) => t.length)) + 2;
  return [
    `XSTest on ${r.model}: ${r.n} prompts (generated ${r.generated}, cached ${r.cached}, resumed ${r.resumed})`,
    `  over-refusal (safe prompts refused, fully or partly)  ${rateLine(r.overRefusal)}   full ${r.fullRefusalSafe.hits}, partial ${r.partialRefusalSafe.hits}`,
    `  compliance (unsafe prompts fully complied with)       ${rateLine(r.compliance)}`,
    '',
    `  ${'type'.padEnd(w)}${'label'.padEnd(8)}${'metric'.padEnd(14)}${'rate'.padStart(6)} 95% CI`,
    ...Object.entries(r.byType).map(([t, x]) => `  ${t.padEnd(w)}${x.label.padEnd(8)}${x.metric.padEnd(14)}${rateLine(x.rate)}`),
  ].join('\n');
}

const xstest: Command = {
  path: ['eval', 'xstest'],
  summary: 'XSTest: over-refusal on 250 safe prompts, compliance on 200 unsafe ones, by type (any model: local dir, OpenAI-compatible server, Anthropic)',
  options: {
    model: { type: 'string', required: true, describe: MODEL_SPEC_HELP },
    csv: { type: 'string', describe: 'XSTest prompts CSV (id, prompt, type, label, focus, note), e.g. xstest_prompts.csv from github.com/paul-rottger/exaggerated-safety' },
    system: { type: 'string', describe: 'system prompt sent before every prompt' },
    ...RUN_OPTIONS,
    limit: { type: 'number', describe: 'evaluate only N prompts, taken round-robin over the types' },
  },
  async run(o, _pos, ctx) {
    const cmd = 'eval xstest';
    const csv = existingFile(cmd, 'csv', o.csv, DEFAULT_XSTEST_CSV, 'download xstest_prompts.csv from https://github.com/paul-rottger/exaggerated-safety');
    const c = commonRun(cmd, o, ctx, 'xstest');
    let prompts = readXsTest(csv);
    if (c.limit !== undefined) prompts = limitXsTest(prompts, c.limit);
    const m = await openModel(String(o.model), { threads: c.threads, concurrency: c.run.concurrency, apiKeyEnv: c.apiKeyEnv });
    ctx.log(`${cmd}: ${prompts.length} prompts from ${csv} on ${m.model.id}`);
    let r;
    try {
      r = await runXsTest(m.model, prompts, { ...c.run, modelKey: m.modelKey, sampling: c.sampling, system: o.system === undefined ? undefined : String(o.system) });
    } finally {
      c.done();
      await m.close();
    }
    const { samples: _samples, ...summary } = r;
    ctx.print(xstestReport(summary));
    return { csv, ...(c.run.logFile ? { log: c.run.logFile } : {}), sampling: c.sampling, ...summary };
  },
};

// ---------------------------------------------------------------------------------------------
// eval hh
// ---------------------------------------------------------------------------------------------

function hhReport(r: PairwiseResult, extra: string[]): string {
  return [
    `HH-RLHF pairwise accuracy, judge ${r.judge}: ${r.n} pairs`,
    `  accuracy ${pct(r.accuracy.estimate).trim()} ${ci(r.accuracy)}   wins ${r.wins}, ties ${r.ties}, losses ${r.losses} (a tie counts ½)`,
    ...extra.map((e) => `  ${e}`),
  ].join('\n');
}

const writeOutcomes = (file: string, pairs: PairOutcome[]) => writeFileAtomic(file, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');

const hh: Command = {
  path: ['eval', 'hh'],
  summary: 'HH-RLHF pairwise accuracy of a reward model (--rm) or of any model as a log-prob or prompted judge (--model)',
  options: {
    rm: { type: 'string', describe: 'reward-model directory (trained with `alignlab train rm`)' },
    model: { type: 'string', describe: `${MODEL_SPEC_HELP}; judged by log-probs (models with scoring: local) or by asking it A or B` },
    file: { type: 'string', describe: 'HH-RLHF JSONL ({chosen, rejected} transcripts, e.g. harmless-base/test.jsonl from github.com/anthropics/hh-rlhf) or TRL pairs {prompt, chosen, rejected}' },
    judge: { type: 'string', default: 'auto', describe: "with --model: 'logprob' (sum of the reply's token log-probs), 'prompt' (ask which reply is better), 'auto' (logprob where the model can score, else prompt)" },
    normalize: { type: 'string', default: 'sum', describe: "logprob judge: 'sum' or per-token 'mean' of the reply's log-probs" },
    swap: { type: 'boolean', default: true, describe: 'prompt judge: ask each pair in both orders (--swap=false: once)' },
    ...RUN_OPTIONS,
    log: { type: 'string', describe: 'per-pair JSONL (prompt judge: the harness log, resumable)' },
    'max-tokens': { type: 'number', default: 8, describe: 'prompt judge: most new tokens of a verdict' },
  },
  async run(o, _pos, ctx) {
    const cmd = 'eval hh';
    if ((o.rm === undefined) === (o.model === undefined)) throw new UsageError(`${cmd}: give exactly one of --rm DIR (a reward model) or --model SPEC (a judge)`);
    const file = existingFile(cmd, 'file', o.file, DEFAULT_HH_FILE, 'HH-RLHF JSONL: gunzip harmless-base/test.jsonl.gz from https://github.com/anthropics/hh-rlhf');
    const judgeOpt = String(o.judge);
    if (!['auto', 'logprob', 'prompt'].includes(judgeOpt)) throw new UsageError(`${cmd}: --judge must be auto, logprob or prompt, got "${judgeOpt}"`);
    const normalize = String(o.normalize);
    if (normalize !== 'sum' && normalize !== 'mean') throw new UsageError(`${cmd}: --normalize must be sum or mean, got "${normalize}"`);
    const c = commonRun(cmd, o, ctx, 'hh');
    const pairs = await readPairs(file, { limit: c.limit });
    const B = c.run.bootstrap;
    const tick = (done: number, total: number) => c.run.onProgress!({ done, total, generated: done, cached: 0, resumed: 0 });

    let result: PairwiseResult;
    const extra: string[] = [];
    const fields: Record<string, unknown> = { file };
    if (o.rm !== undefined) {
      const dir = String(o.rm);
      if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`${cmd}: --rm ${dir} is not a model directory (no config.json)`);
      const rm = await openRewardModel(dir, { threads: c.threads });
      ctx.log(`${cmd}: ${pairs.length} pairs from ${file}, reward model ${dir}`);
      try {
        const r = await rewardModelPairs(rm.model, rm.tokenizer, pairs, { onProgress: tick });
        result = summarizePairs(`reward-model:${dir}`, r.outcomes, B);
        fields.truncated = r.truncated;
        if (r.truncated > 0) extra.push(`${r.truncated} sequences longer than the context kept their last ${rm.model.cfg.maxSeqLen} tokens`);
      } finally {
        c.done();
        await rm.close();
      }
      if (c.run.logFile) writeOutcomes(c.run.logFile, result.pairs);
    } else {
      const m = await openModel(String(o.model), { threads: c.threads, concurrency: c.run.concurrency, apiKeyEnv: c.apiKeyEnv });
      const judge = judgeOpt === 'auto' ? (m.model.score ? 'logprob' : 'prompt') : judgeOpt;
      ctx.log(`${cmd}: ${pairs.length} pairs from ${file}, ${judge} judge ${m.model.id}`);
      try {
        if (judge === 'logprob') {
          const r = await logprobPairs(m.model, pairs, { normalize, onProgress: tick });
          result = summarizePairs(`logprob-${normalize}:${m.model.id}`, r.outcomes, B);
          Object.assign(fields, { truncated: r.truncated, skipped: r.skipped });
          if (r.truncated > 0) extra.push(`${r.truncated} conversations too long for the context lost their earliest turns`);
          if (r.skipped > 0) extra.push(`${r.skipped} pairs did not fit the context at all and were left out`);
          if (c.run.logFile) writeOutcomes(c.run.logFile, result.pairs);
        } else {
          const r = await promptJudgePairs(m.model, pairs, { ...c.run, modelKey: m.modelKey, swap: o.swap !== false, sampling: c.sampling });
          result = summarizePairs(`prompt${o.swap !== false ? '-swap' : ''}:${m.model.id}`, r.outcomes, B);
          Object.assign(fields, { unparsed: r.unparsed, generated: r.generated, cached: r.cached, resumed: r.resumed, ...(c.run.logFile ? { log: c.run.logFile } : {}) });
          if (r.unparsed > 0) extra.push(`${r.unparsed} judge answers named neither A nor B (counted as no vote)`);
        }
      } finally {
        c.done();
        await m.close();
      }
    }
    ctx.print(hhReport(result, extra));
    const { pairs: _pairs, ...summary } = result;
    return { ...summary, ...fields };
  },
};

// ---------------------------------------------------------------------------------------------
// eval jsonl
// ---------------------------------------------------------------------------------------------

function jsonlReport(r: PromptSetResult, file: string): string {
  const lines = [
    `${file} on ${r.model}: ${r.n} prompts (generated ${r.generated}, cached ${r.cached}, resumed ${r.resumed})`,
    `  refusal (full or partial)   ${rateLine(r.refusal)}   full ${r.fullRefusal.hits}, partial ${r.partialRefusal.hits}`,
  ];
  if (r.expectMet) lines.push(`  met "expect"                ${rateLine(r.expectMet)}`);
  for (const [e, m] of Object.entries(r.byExpect)) lines.push(`    expect ${e.padEnd(8)}          ${rateLine(m)}`);
  for (const [field, groups] of Object.entries(r.by)) {
    const w = Math.max(12, ...Object.keys(groups).map((k) => k.length)) + 2;
    lines.push('', `  ${field.padEnd(w)}${'refusal'.padEnd(34)}met "expect"`);
    for (const [v, g] of Object.entries(groups)) lines.push(`  ${v.padEnd(w)}${rateLine(g.refusal).padEnd(34)}${g.expect_met ? rateLine(g.expect_met) : '-'}`);
  }
  return lines.join('\n');
}

const jsonl: Command = {
  path: ['eval', 'jsonl'],
  summary: 'Refusal rate (and how often `expect: refuse|comply` is met) on your own JSONL prompt set, by any metadata field',
  options: {
    model: { type: 'string', required: true, describe: MODEL_SPEC_HELP },
    file: { type: 'string', required: true, describe: 'JSONL, one {"id"?, "prompt" | "messages", "expect"?: "refuse"|"comply", ...metadata} per line' },
    by: { type: 'string', describe: 'comma-separated metadata fields to break the rates down by' },
    ...RUN_OPTIONS,
  },
  async run(o, _pos, ctx) {
    const cmd = 'eval jsonl';
    const file = String(o.file);
    if (!fs.existsSync(file)) throw new UsageError(`${cmd}: --file ${file} does not exist`);
    const by = o.by === undefined ? [] : String(o.by).split(',').map((s) => s.trim()).filter((s) => s !== '');
    const c = commonRun(cmd, o, ctx, 'jsonl');
    let records = readPromptSet(file);
    if (c.limit !== undefined) records = records.slice(0, c.limit);
    try {
      promptSetTask(records, { by });
    } catch (e) {
      throw new UsageError(`${cmd}: --by: ${(e as Error).message}`);
    }
    const m = await openModel(String(o.model), { threads: c.threads, concurrency: c.run.concurrency, apiKeyEnv: c.apiKeyEnv });
    ctx.log(`${cmd}: ${records.length} prompts from ${file} on ${m.model.id}`);
    let r;
    try {
      r = await runPromptSet(m.model, records, { ...c.run, modelKey: m.modelKey, sampling: c.sampling, by, name: path.basename(file) });
    } finally {
      c.done();
      await m.close();
    }
    const { samples: _samples, ...summary } = r;
    ctx.print(jsonlReport(summary, file));
    return { file, ...(c.run.logFile ? { log: c.run.logFile } : {}), sampling: c.sampling, ...summary };
  },
};

export default [xstest, hh, jsonl];
