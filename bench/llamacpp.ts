/**
 * Single-stream decoding against llama.cpp (issue 3): tokens/s of greedy generation at batch 1,
 * alignlab's engine vs llama.cpp (through node-llama-cpp) on the exported GGUF of the same model.
 *
 * Setup: the config's model is initialised with seed 1 (`alignlab model init`), given a small BPE
 * tokenizer (a GGUF file must carry one; the model's vocabulary is larger, so the extra ids are
 * unused entries) and exported as an F32 GGUF (`alignlab model export --format gguf --dtype f32`).
 * Both sides then decode the same fixed prompt greedily, with the same thread count, in fresh
 * processes (bench/stream-worker.ts), alternating which goes first from round to round so that
 * drifting background load hits both.
 *
 * What each number includes (per run, then the median over runs within a round, then the median
 * over rounds):
 * - prompt ms: from the call until the first new token is known: one forward pass over the
 *   prompt (keys/values cached) and the choice of the first token;
 * - decode tokens/s: (new tokens − 1) / (time from the first new token to the last): each step
 *   is one single-token forward pass over the cache and the greedy choice, host work included
 *   (the engine's feeds and cache writes; node-llama-cpp's JS ↔ native calls and its sampler);
 * - end-to-end tokens/s: new tokens / (time from the call to the last new token);
 * - llama.cpp inside llama_decode: llama.cpp's own counters for the same runs, i.e. its
 *   forward passes without node-llama-cpp's JS side (there is no such split for the engine here:
 *   its figures always include the host work).
 * Model loading, graph compilation and warmup runs are not timed.
 *
 * Fairness: both sides are F32 throughout (the GGUF's weights, llama.cpp's KV cache, the
 * engine), get the same thread count, and must choose the same greedy tokens (a row whose tokens
 * differ carries a warning). On a 2-core machine shared with other work, 2 threads per side is
 * very sensitive to other load (a thread that loses its core stalls every fork-join, in both
 * libraries); 1 thread per side is the steadier comparison, so bench/run.ts runs both.
 *
 *   const r = await singleStreamBench({ config: 'bench/reference.json', rounds: 3, threads: [2, 1], alignlab, log });
 *   r.rows[0].ratios.decodeTokensPerSec   // engine / llama.cpp at 2 threads, target ≥ 1
 *   formatSingleStream(r)                 // the table lines bench/run.ts prints
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
// Both workers get bin/alignlab's malloc tunables, so the engine runs as it does from the CLI and
// llama.cpp runs in the same process environment.
import { MALLOC_TUNABLES } from '../bin/malloc-tunables.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

/** The node-llama-cpp version the comparison is run with (as src/cli/generate.ts pins it). */
export const NODE_LLAMA_CPP_PIN = 'node-llama-cpp@3.21.1';

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median: empty list');
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One generation's phases, in milliseconds. */
export interface StreamTiming {
  /** Call → first new token known: the prompt's forward pass and the first choice. */
  prefillMs: number;
  /** First new token → last new token: `decodeTokens` single-token steps. */
  decodeMs: number;
  /** New tokens after the first (steps timed in `decodeMs`). */
  decodeTokens: number;
  /** Call → last new token. */
  totalMs: number;
}

/**
 * Phases of one generation from the start time `t0` and the times `stamps[i]` at which new token
 * i became known: prefill = stamps[0] − t0, decode = stamps[n−1] − stamps[0] over n − 1 tokens.
 *
 *   streamTiming(100, [130, 140, 150])  // { prefillMs: 30, decodeMs: 20, decodeTokens: 2, totalMs: 50 }
 */
export function streamTiming(t0: number, stamps: number[]): StreamTiming {
  if (stamps.length === 0) throw new Error('streamTiming: no token was generated');
  for (let i = 0; i < stamps.length; i++) {
    if (!(stamps[i] >= (i === 0 ? t0 : stamps[i - 1]))) throw new Error(`streamTiming: stamp ${i} (${stamps[i]}) is earlier than the one before it`);
  }
  const last = stamps[stamps.length - 1];
  return { prefillMs: stamps[0] - t0, decodeMs: last - stamps[0], decodeTokens: stamps.length - 1, totalMs: last - t0 };
}

/** Index of the first position where two token lists differ (a length difference counts), or −1. */
export function firstDifference(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Rates of one side: medians over runs within each round, then over rounds. */
export interface StreamSummary {
  promptTokens: number;
  newTokens: number;
  threads: number;
  prefillMs: number;
  decodeMsPerToken: number;
  decodeTokensPerSec: number;
  endToEndTokensPerSec: number;
  /** Per round: the medians over its runs. */
  rounds: { prefillMs: number; decodeMsPerToken: number; totalMs: number }[];
}

/** What a worker (bench/stream-worker.ts) prints. */
export interface WorkerOutput {
  backend: string;
  threads: number;
  promptTokens: number;
  newTokens: number;
  tokens: number[];
  runs: StreamTiming[];
  [k: string]: unknown;
}

/**
 * Summarises one side's rounds: each round's median prefill, decode time per token and total over
 * its runs, then the median of those over rounds; tokens/s are computed from the medians.
 *
 *   summarizeStream([{ …, newTokens: 3, runs: [{ prefillMs: 30, decodeMs: 20, decodeTokens: 2, totalMs: 50 }] }])
 *   // decodeMsPerToken 10, decodeTokensPerSec 100, endToEndTokensPerSec 60
 */
export function summarizeStream(rounds: WorkerOutput[]): StreamSummary {
  if (rounds.length === 0) throw new Error('summarizeStream: no rounds');
  const per = rounds.map((w) => ({
    prefillMs: median(w.runs.map((r) => r.prefillMs)),
    decodeMsPerToken: median(w.runs.map((r) => r.decodeMs / r.decodeTokens)),
    totalMs: median(w.runs.map((r) => r.totalMs)),
  }));
  const decodeMsPerToken = median(per.map((r) => r.decodeMsPerToken));
  const totalMs = median(per.map((r) => r.totalMs));
  const first = rounds[0];
  return {
    promptTokens: first.promptTokens,
    newTokens: first.newTokens,
    threads: first.threads,
    prefillMs: median(per.map((r) => r.prefillMs)),
    decodeMsPerToken,
    decodeTokensPerSec: 1000 / decodeMsPerToken,
    endToEndTokensPerSec: (first.newTokens * 1000) / totalMs,
    rounds: per,
  };
}

/** True when node-llama-cpp resolves from here (node_modules or a directory in NODE_PATH). */
export function nodeLlamaCppAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
    return true;
  } catch {
    return false;
  }
}

export interface SingleStreamOptions {
  /** Model config file (LlamaConfig keys; seqLen/batchSize ignored). */
  config: string;
  /** Alternating rounds (default 3). */
  rounds?: number;
  /**
   * Thread counts, each used by both sides: ONNX Runtime intra-op threads and llama.cpp's threads
   * (default [2]). Each round runs every count, both sides each.
   */
  threads?: number[];
  /** Prompt length (default 16). */
  promptLen?: number;
  /** New tokens (default: the context length minus the prompt, at most 128). */
  newTokens?: number;
  /** Timed runs per worker (default 5) and untimed warmup runs before them (default 2). */
  runs?: number;
  warmup?: number;
  /** Runs an alignlab command with --json and returns its result (bench/run.ts's helper). */
  alignlab: (argv: string[]) => Record<string, unknown>;
  log: (line: string) => void;
}

/**
 * llama.cpp's own time inside llama_decode (its llama_perf counters, without node-llama-cpp's JS
 * side): the mean over a worker's timed runs, then the median over rounds.
 */
export interface LlamaPerf {
  promptEvalMsPerRun: number;
  evalMsPerToken: number;
}

/** The comparison at one thread count. */
export interface SingleStreamRow {
  threads: number;
  engine: StreamSummary;
  llamacpp: StreamSummary & { contextSize: number; batchSize: number; llamaPerf: LlamaPerf };
  /** engine / llama.cpp, for rates (higher is better for the engine). */
  ratios: { decodeTokensPerSec: number; endToEndTokensPerSec: number; prefillSpeed: number };
  sameTokens: boolean;
  /** First position where the greedy tokens differ, −1 when they agree. */
  firstDifference: number;
}

export interface SingleStreamResult {
  rows: SingleStreamRow[];
  prompt: number[];
  newTokens: number;
  settings: { rounds: number; runsPerRound: number; warmup: number; dtype: 'F32'; seed: number; order: string };
}

function worker(args: string[]): WorkerOutput {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'stream-worker.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, MALLOC_TUNABLES].filter(Boolean).join(':') },
  });
  if (r.status !== 0) throw new Error(`bench/stream-worker.ts ${args[0]} failed (exit ${r.status})`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as WorkerOutput;
}

/** One row from the workers' outputs at one thread count (all rounds). */
function compareSides(threads: number, eng: WorkerOutput[], lcp: WorkerOutput[]): SingleStreamRow {
  for (const [name, side] of [['engine', eng], ['llama.cpp', lcp]] as const) {
    side.forEach((w, r) => {
      if (firstDifference(w.tokens, side[0].tokens) !== -1) throw new Error(`single stream: ${name}'s greedy tokens at ${threads} threads in round ${r + 1} differ from round 1 (nondeterministic)`);
    });
  }
  const diff = firstDifference(eng[0].tokens, lcp[0].tokens);
  const engine = summarizeStream(eng);
  const perf = lcp.map((w) => w.llamaPerf as LlamaPerf);
  const llamacpp = {
    ...summarizeStream(lcp),
    contextSize: Number(lcp[0].contextSize),
    batchSize: Number(lcp[0].batchSize),
    llamaPerf: { promptEvalMsPerRun: median(perf.map((p) => p.promptEvalMsPerRun)), evalMsPerToken: median(perf.map((p) => p.evalMsPerToken)) },
  };
  return {
    threads,
    engine,
    llamacpp,
    ratios: {
      decodeTokensPerSec: engine.decodeTokensPerSec / llamacpp.decodeTokensPerSec,
      endToEndTokensPerSec: engine.endToEndTokensPerSec / llamacpp.endToEndTokensPerSec,
      prefillSpeed: llamacpp.prefillMs / engine.prefillMs,
    },
    sameTokens: diff === -1,
    firstDifference: diff,
  };
}

/** Runs the comparison (see the file comment). Call only when `nodeLlamaCppAvailable()`. */
export async function singleStreamBench(o: SingleStreamOptions): Promise<SingleStreamResult> {
  const rounds = o.rounds ?? 3;
  const threadCounts = o.threads ?? [2];
  const runs = o.runs ?? 5;
  const warmup = o.warmup ?? 2;
  const seed = 1;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-stream-'));
  try {
    const dir = path.join(tmp, 'model');
    const init = o.alignlab(['model', 'init', '--config', o.config, '--seed', String(seed), '--out', dir]);
    const cfg = init.config as { vocabSize: number; maxSeqLen: number };
    const promptLen = o.promptLen ?? 16;
    const newTokens = o.newTokens ?? Math.min(128, cfg.maxSeqLen - promptLen);
    if (newTokens < 2 || promptLen + newTokens > cfg.maxSeqLen) {
      throw new Error(`single stream: a ${promptLen}-token prompt + ${newTokens} new tokens does not fit the context length ${cfg.maxSeqLen} (need ≥ 2 new tokens)`);
    }
    const corpus = path.join(tmp, 'corpus.txt');
    fs.writeFileSync(corpus, 'the customer wants a refund for the late order; the agent is sorry, checks the order and helps.\n'.repeat(8));
    o.alignlab(['tokenizer', 'train', '--input', corpus, '--vocab', '300', '--out', dir]);
    const gguf = path.join(tmp, 'model.gguf');
    const exported = o.alignlab(['model', 'export', dir, '--format', 'gguf', '--dtype', 'f32', '--out', gguf]);
    if (exported.dtype !== 'F32') throw new Error(`single stream: the GGUF export wrote ${String(exported.dtype)} weights, expected F32`);

    const prompt = Array.from({ length: promptLen }, (_, i) => (i * 37 + 11) % cfg.vocabSize);
    const outputs = threadCounts.map(() => ({ engine: [] as WorkerOutput[], llamacpp: [] as WorkerOutput[] }));
    for (let r = 0; r < rounds; r++) {
      threadCounts.forEach((threads, k) => {
        const common = ['--ids', prompt.join(','), '--new-tokens', String(newTokens), '--threads', String(threads), '--runs', String(runs), '--warmup', String(warmup)];
        const order = r % 2 === 0 ? (['engine', 'llamacpp'] as const) : (['llamacpp', 'engine'] as const);
        for (const side of order) {
          o.log(`single stream round ${r + 1}/${rounds}: ${side === 'engine' ? 'alignlab engine' : 'llama.cpp'} (batch 1, greedy, ${promptLen}-token prompt + ${newTokens} new, ${threads} thread${threads === 1 ? '' : 's'})`);
          outputs[k][side].push(worker(side === 'engine' ? ['engine', '--model', dir, ...common] : ['llamacpp', '--gguf', gguf, ...common]));
        }
      });
    }
    return {
      rows: threadCounts.map((threads, k) => compareSides(threads, outputs[k].engine, outputs[k].llamacpp)),
      prompt,
      newTokens,
      settings: { rounds, runsPerRound: runs, warmup, dtype: 'F32', seed, order: 'each round runs every thread count; the side that goes first alternates from round to round' },
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Table lines for the single-stream rows (bench/run.ts prints them). */
export function formatSingleStream(r: SingleStreamResult): string[] {
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [`single stream: greedy, batch 1, ${r.prompt.length}-token prompt + ${r.newTokens} new, F32, medians of ${r.settings.rounds} alternating rounds:`];
  lines.push(`                              alignlab   llama.cpp   alignlab/llama.cpp (target ≥ 1)`);
  for (const row of r.rows) {
    const e = row.engine;
    const l = row.llamacpp;
    lines.push(`  ${row.threads} thread${row.threads === 1 ? ' ' : 's'}: decode tokens/s ${f(e.decodeTokensPerSec, 0).padStart(10)}  ${f(l.decodeTokensPerSec, 0).padStart(10)}     ${f(row.ratios.decodeTokensPerSec, 2)}×`);
    lines.push(`             end-to-end tok/s ${f(e.endToEndTokensPerSec, 0).padStart(10)}  ${f(l.endToEndTokensPerSec, 0).padStart(10)}     ${f(row.ratios.endToEndTokensPerSec, 2)}×`);
    lines.push(`             prompt (ms)      ${f(e.prefillMs).padStart(10)}  ${f(l.prefillMs).padStart(10)}     ${f(row.ratios.prefillSpeed, 2)}× speed`);
    lines.push(`             llama.cpp inside llama_decode: ${f(l.llamaPerf.evalMsPerToken, 2)} ms/token (${f(1000 / l.llamaPerf.evalMsPerToken, 0)} tokens/s), prompt ${f(l.llamaPerf.promptEvalMsPerRun, 1)} ms`);
    if (!row.sameTokens) lines.push(`  WARNING: at ${row.threads} thread(s) the greedy tokens differ from position ${row.firstDifference}: the two sides did not compute the same thing`);
  }
  return lines;
}
