/**
 * `npm run bench`: the engine against the strongest peer on this machine, in the same run.
 *
 * 1. Parity: a random reference-config model is saved in HF layout; its logits from the
 *    engine and from bench/torch_llama.py (an independent PyTorch implementation) must agree
 *    to 1e-4.
 * 2. Training step and forward pass of the reference config
 *    {vocab 2048, d 256, 4 layers, 4 heads, dFF 688, T 128, B 16} with AdamW: the engine's
 *    `bench train`, then PyTorch's `train-bench` on the same config, run one after the other
 *    (never concurrently), with ratios.
 *
 * 3. Batched sampling with a KV cache, 64 prompts × 64 new tokens, engine vs PyTorch's sampler,
 *    alternating for --rounds rounds; the speedup is the median of the per-round ratios.
 *
 * 4. Single stream (bench/llamacpp.ts): greedy decoding at batch 1 of the reference-config model,
 *    the engine vs llama.cpp (node-llama-cpp) on its exported F32 GGUF, same prompt, same
 *    thread count, alternating rounds; decode tokens/s, end-to-end tokens/s and prompt time,
 *    with the check that both choose the same tokens. node-llama-cpp is optional: run with
 *    NODE_PATH=/path/to/node_modules (where node-llama-cpp@3.21.1 is installed) or after
 *    `npm i -E node-llama-cpp@3.21.1`; without it the row is skipped and said so.
 *
 * PyTorch comes from Debian (`apt-get install -y python3-torch libopenblas0-pthread`) and runs
 * with /usr/bin/python3; where it is missing the peer rows are skipped and said so. Timings are
 * medians; the machine is noisy, so read ratios, not absolutes.
 *
 * Options: --steps N (default 20), --rounds R (default 3), --config FILE (default
 * bench/reference.json), --stream-threads LIST (thread counts of the single-stream rows, default
 * 2,1: 2 is every other row's count; on a shared 2-core machine 2 threads per side is the most
 * exposed to other load, 1 the least), --only LIST (some of parity,train,generate,stream), --json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_LLAMA_CPP_PIN, formatSingleStream, nodeLlamaCppAvailable, singleStreamBench } from './llamacpp.js';
import { hostInfo, hostLabel } from '../src/engine/host.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const steps = flag('steps', '20');
const config = flag('config', path.join(here, 'reference.json'));
const json = args.includes('--json');
const SECTIONS = ['parity', 'train', 'generate', 'stream'];
const only = flag('only', SECTIONS.join(',')).split(',');
const unknown = only.filter((x) => !SECTIONS.includes(x));
if (unknown.length) throw new Error(`--only: unknown section "${unknown[0]}" (expected some of ${SECTIONS.join(',')})`);
const streamThreads = flag('stream-threads', '2,1').split(',').map(Number);
if (streamThreads.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--stream-threads: expected comma-separated positive integers, got "${flag('stream-threads', '')}"`);
const wants = (section: string) => only.includes(section);
const PY = '/usr/bin/python3';
const log = (m: string) => process.stderr.write(m + '\n');

function lastJson(out: string): Record<string, unknown> {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function alignlab(argv: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/alignlab'), ...argv, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`alignlab ${argv.join(' ')} failed (exit ${r.status})`);
  return lastJson(r.stdout);
}

function torchAvailable(): boolean {
  return fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function torch(argv: string[]): Record<string, unknown> {
  const r = spawnSync(PY, [path.join(here, 'torch_llama.py'), ...argv], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`torch_llama.py ${argv.join(' ')} failed (exit ${r.status})`);
  return lastJson(r.stdout);
}

// `host` names the kernels ONNX Runtime picks (AVX-512 or AVX2): a ratio is comparable only between hosts that pick alike.
const results: Record<string, unknown> = { config: JSON.parse(fs.readFileSync(config, 'utf8')), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, host: hostInfo() };
const hasTorch = (wants('parity') || wants('train') || wants('generate')) && torchAvailable();
if (!hasTorch && (wants('parity') || wants('train') || wants('generate'))) log('PyTorch not found (/usr/bin/python3 -c "import torch" failed): peer rows skipped. Install: apt-get install -y python3-torch libopenblas0-pthread');

// 1. parity
if (hasTorch && wants('parity')) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-parity-'));
  alignlab(['model', 'init', '--config', config, '--seed', '1', '--out', dir]);
  const ids = Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 2048).join(',');
  const ours = alignlab(['model', 'logits', dir, '--ids', ids]).logits as number[][];
  const theirs = torch(['logits', '--model', dir, '--ids', ids]).logits as number[][];
  let maxAbs = 0;
  ours.forEach((row, t) => row.forEach((v, i) => (maxAbs = Math.max(maxAbs, Math.abs(v - theirs[t][i])))));
  results.parity = { maxAbsLogitDiff: maxAbs, positions: ours.length, pass: maxAbs < 1e-4 };
  log(`parity: max |logit difference| vs PyTorch = ${maxAbs.toExponential(2)} over ${ours.length} positions (${maxAbs < 1e-4 ? 'ok' : 'FAIL'} at 1e-4)`);
  fs.rmSync(dir, { recursive: true, force: true });
}

// 2. training step and forward pass: alternate engine and peer for `rounds` rounds, so that
// drifting background load hits both; each figure is the median over rounds of per-round medians.
const rounds = Number(flag('rounds', '3'));
const engineRuns: Record<string, number>[] = [];
const torchRuns: Record<string, number>[] = [];
for (let r = 0; r < (wants('train') ? rounds : 0); r++) {
  log(`round ${r + 1}/${rounds}: engine bench train --config ${path.relative(root, config)} --steps ${steps}`);
  engineRuns.push(alignlab(['bench', 'train', '--config', config, '--steps', steps]) as Record<string, number>);
  if (hasTorch) {
    log(`round ${r + 1}/${rounds}: PyTorch train-bench on the same config`);
    torchRuns.push(torch(['train-bench', '--config', config, '--steps', steps]) as Record<string, number>);
  }
}
const med = (xs: number[]) => {
  const s2 = [...xs].sort((a, b) => a - b);
  return s2.length % 2 ? s2[(s2.length - 1) / 2] : (s2[s2.length / 2 - 1] + s2[s2.length / 2]) / 2;
};
const summarize = (runs: Record<string, number>[]) => ({
  ...runs[0],
  msPerStep: med(runs.map((x) => x.msPerStep)),
  fwdMs: med(runs.map((x) => x.fwdMs)),
  tokensPerSec: med(runs.map((x) => x.tokensPerSec)),
  ...(runs[0].mfu !== undefined ? { mfu: med(runs.map((x) => x.mfu)) } : {}),
  rounds: runs.map((x) => ({ msPerStep: x.msPerStep, fwdMs: x.fwdMs })),
});
const engine = wants('train') ? summarize(engineRuns) : undefined;
if (engine) results.engine = engine;
if (engine && hasTorch) {
  const peer = summarize(torchRuns);
  results.torch = peer;
  results.ratios = {
    trainStepTimeVsTorch: engine.msPerStep / peer.msPerStep,
    forwardTimeVsTorch: engine.fwdMs / peer.fwdMs,
    speedupTrain: peer.msPerStep / engine.msPerStep,
    speedupForward: peer.fwdMs / engine.fwdMs,
  };
}

// 3. batched rollout throughput: 64 prompts × 64 new tokens, KV cache on both sides.
if (wants('generate')) {
  // Alternating rounds as for training; the speedup is the median of per-round ratios (each
  // round's two sides ran back to back, under about the same background load).
  const gen: Record<string, number>[] = [];
  const tgen: Record<string, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1}/${rounds}: alignlab bench generate --batch 64 --new-tokens 64`);
    gen.push(alignlab(['bench', 'generate', '--config', config, '--batch', '64', '--new-tokens', '64']) as Record<string, number>);
    if (hasTorch) {
      log(`round ${r + 1}/${rounds}: PyTorch sample-bench --batch 64 --new-tokens 64`);
      tgen.push(torch(['sample-bench', '--config', config, '--batch', '64', '--new-tokens', '64']) as Record<string, number>);
    }
  }
  const tps = (xs: Record<string, number>[]) => ({ ...xs[0], tokensPerSec: med(xs.map((x) => x.tokensPerSec)), rounds: xs.map((x) => x.tokensPerSec) });
  results.generate = hasTorch
    ? { engine: tps(gen), torch: tps(tgen), speedup: med(gen.map((x, i) => x.tokensPerSec / tgen[i].tokensPerSec)), speedups: gen.map((x, i) => x.tokensPerSec / tgen[i].tokensPerSec) }
    : { engine: tps(gen) };
}

// 4. single stream against llama.cpp on the exported GGUF of the same model.
let streamLines: string[] = [];
if (wants('stream')) {
  if (!nodeLlamaCppAvailable()) {
    const why = `single stream vs llama.cpp skipped: node-llama-cpp not found. Enable with NODE_PATH=/path/to/node_modules (where ${NODE_LLAMA_CPP_PIN} is installed) or \`npm i -E ${NODE_LLAMA_CPP_PIN}\``;
    log(why);
    results.singleStream = { skipped: why };
    streamLines = ['single stream vs llama.cpp: skipped (node-llama-cpp not found)'];
  } else {
    const loadBefore = os.loadavg();
    const stream = await singleStreamBench({ config, rounds: Math.max(3, rounds), threads: streamThreads, alignlab, log });
    results.singleStream = { ...stream, loadAverage: { before: loadBefore, after: os.loadavg() } };
    streamLines = formatSingleStream(stream);
    for (const row of stream.rows) if (!row.sameTokens) log(`WARNING: single stream at ${row.threads} thread(s): engine and llama.cpp greedy tokens differ from position ${row.firstDifference}`);
  }
}

const f = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '—');
const e = (engine ?? {}) as unknown as Record<string, number>;
const t = (results.torch ?? {}) as Record<string, number>;
const r = (results.ratios ?? {}) as Record<string, number>;
const g = (results.generate ?? {}) as Record<string, Record<string, number>> & { speedup?: number };
const table = [
  '',
  `reference config, ${hostLabel(hostInfo())}, medians:`,
  ...(wants('train') || wants('generate') ? [`                      alignlab     PyTorch     time ratio (target)`] : []),
  ...(wants('train')
    ? [
        `  train step (ms)   ${f(e.msPerStep).padStart(10)}  ${f(t.msPerStep).padStart(10)}     ${f(r.trainStepTimeVsTorch, 2)} (≤ 0.67)`,
        `  forward (ms)      ${f(e.fwdMs).padStart(10)}  ${f(t.fwdMs).padStart(10)}     ${f(r.forwardTimeVsTorch, 2)} (≤ 0.60)`,
        `  tokens/s (train)  ${f(e.tokensPerSec, 0).padStart(10)}  ${f(t.tokensPerSec, 0).padStart(10)}`,
        // The default peak is a 2-core Zen 5's (README, "Performance"); on another host it understates MFU.
        `  MFU               ${f(e.mfu * 100)}% of ${e.peakGflops} GFLOPS${process.env.ALIGNLAB_PEAK_GFLOPS ? '' : " (a 2-core Zen 5's peak; ALIGNLAB_PEAK_GFLOPS sets this host's)"} (target ≥ 50%)`,
      ]
    : []),
  ...(wants('generate') ? [`  sampling tokens/s ${f(g.engine?.tokensPerSec, 0).padStart(10)}  ${f(g.torch?.tokensPerSec, 0).padStart(10)}     ${f(g.speedup, 2)}× (≥ 1.5×; batch 64 × 64 new)`] : []),
  ...streamLines.map((l) => `  ${l}`),
  '',
].join('\n');
if (json) {
  log(table);
  process.stdout.write(JSON.stringify(results) + '\n');
} else process.stdout.write(table + '\n');
