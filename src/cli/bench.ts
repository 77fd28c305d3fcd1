/** `alignlab bench …`: timing of the engine on a config (benchmarks, never tests). */
import type { Command } from './types.js';
import { readRunConfig, trainFlopsPerToken } from '../model/run-config.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { Trainer, trainConfig } from '../train/trainer.js';
import { MarkovSource } from '../train/synthetic.js';
import { Rng } from '../util/rng.js';
import { progress } from '../util/progress.js';
import { generate } from '../sample/generate.js';
import { MAX_FROZEN_BYTES } from '../sample/frozen.js';

/** The machine's fp32 peak in GFLOPS used for MFU (ALIGNLAB_PEAK_GFLOPS; default 480, see README). */
export function peakGflops(): number {
  const env = Number(process.env.ALIGNLAB_PEAK_GFLOPS);
  return Number.isFinite(env) && env > 0 ? env : 480;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const train: Command = {
  path: ['bench', 'train'],
  summary: 'Time training steps (forward + loss + backward + AdamW) and the forward pass',
  options: {
    config: { type: 'string', required: true, describe: 'JSON config (model keys + seqLen + batchSize)' },
    steps: { type: 'number', default: 20, describe: 'timed training steps' },
    warmup: { type: 'number', default: 6, describe: 'untimed warmup steps (graph compilation, then ONNX Runtime\'s memory arena settles)' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
    seed: { type: 'number', default: 0, describe: 'random seed (init and data)' },
  },
  async run(o, _p, ctx) {
    const { model: cfg, seqLen: T, batchSize: B } = readRunConfig(String(o.config));
    const runtime = new Runtime({ threads: Number(o.threads) });
    const model = LlamaModel.init(cfg, { seed: Number(o.seed), runtime });
    const trainer = new Trainer(model, trainConfig({ lr: 3e-4, weightDecay: 0.1, gradClip: 1.0, totalSteps: Number(o.steps) + Number(o.warmup) }));
    const data = new MarkovSource(cfg.vocabSize, 4, Number(o.seed));
    const rng = new Rng(Number(o.seed)).fork('data');
    const steps = Number(o.steps);
    const warmup = Number(o.warmup);
    const times: number[] = [];
    let loss = NaN;
    const bar = progress('bench train', warmup + steps);
    for (let i = 0; i < warmup + steps; i++) {
      const batch = data.batch(rng, B, T);
      const t0 = performance.now();
      const m = await trainer.step([batch]);
      const dt = performance.now() - t0;
      if (i >= warmup) times.push(dt);
      loss = m['train/loss'];
      bar.tick({ loss, ms: dt });
    }
    bar.done();
    const fwdTimes: number[] = [];
    const batch = data.batch(rng, B, T);
    for (let i = 0; i < warmup + Math.max(5, Math.floor(steps / 2)); i++) {
      const t0 = performance.now();
      await model.forward(batch);
      if (i >= warmup) fwdTimes.push(performance.now() - t0);
    }
    const msPerStep = median(times);
    const fwdMs = median(fwdTimes);
    const tokens = B * T;
    const flops = trainFlopsPerToken(cfg, T) * tokens;
    const gflops = flops / (msPerStep * 1e6);
    const result = {
      msPerStep,
      fwdMs,
      tokensPerSec: tokens / (msPerStep / 1000),
      mfu: gflops / peakGflops(),
      achievedGflops: gflops,
      peakGflops: peakGflops(),
      finalLoss: loss,
      threads: runtime.threads,
      parameters: model.params.size,
      batchSize: B,
      seqLen: T,
      steps,
    };
    ctx.print(`train step ${msPerStep.toFixed(1)} ms (median of ${steps}), forward ${fwdMs.toFixed(1)} ms, ${result.tokensPerSec.toFixed(0)} tokens/s, MFU ${(result.mfu * 100).toFixed(1)}% of ${peakGflops()} GFLOPS, final loss ${loss.toFixed(3)}`);
    await runtime.release();
    return result;
  },
};

const generateBench: Command = {
  path: ['bench', 'generate'],
  summary: 'Time batched KV-cache sampling (tokens/s over the batch)',
  options: {
    config: { type: 'string', required: true, describe: 'JSON config (model keys; seqLen/batchSize ignored)' },
    batch: { type: 'number', default: 64, describe: 'prompts per batch' },
    'new-tokens': { type: 'number', default: 64, describe: 'tokens generated per prompt' },
    'prompt-len': { type: 'number', default: 16, describe: 'prompt length' },
    runs: { type: 'number', default: 3, describe: 'timed runs (median reported)' },
    warmup: { type: 'number', default: 2, describe: 'untimed warmup runs (graph compilation: the second call compiles the prepacked decode graphs; the heap settles)' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
    greedy: { type: 'boolean', default: false, describe: 'greedy instead of temperature-1 sampling' },
  },
  async run(o, _p, ctx) {
    const { model: cfg } = readRunConfig(String(o.config));
    const runtime = new Runtime({ threads: Number(o.threads) });
    const model = LlamaModel.init(cfg, { seed: 0, runtime });
    const B = Number(o.batch);
    const N = Number(o['new-tokens']);
    const L = Number(o['prompt-len']);
    const rng = new Rng(1);
    const prompts = Array.from({ length: B }, () => Array.from({ length: L }, () => rng.int(cfg.vocabSize)));
    const opts = { maxNewTokens: N, temperature: o.greedy ? 0 : 1, seed: 1 };
    for (let w = 0; w < Number(o.warmup); w++) await generate(model, prompts, opts);
    const times: number[] = [];
    for (let r = 0; r < Number(o.runs); r++) {
      const t0 = performance.now();
      const out = await generate(model, prompts, opts);
      times.push(performance.now() - t0);
      if (out.some((g) => g.tokens.length !== N)) throw new Error('bench generate: a row stopped early');
    }
    const ms = median(times);
    // Whether prepacked decode graphs apply (sample/frozen.ts): on, and the model small enough.
    // They then run from the second call on (the second warm-up compiles them).
    const prepackingOn = process.env.ALIGNLAB_FROZEN !== '0' && model.params.flat.byteLength <= MAX_FROZEN_BYTES;
    const result = { tokensPerSec: (B * N) / (ms / 1000), msPerRun: ms, msPerToken: ms / N, batch: B, newTokens: N, promptLen: L, threads: runtime.threads, prepackingOn };
    ctx.print(`generated ${B}×${N} tokens in ${ms.toFixed(0)} ms (median of ${o.runs}): ${result.tokensPerSec.toFixed(0)} tokens/s`);
    await runtime.release();
    return result;
  },
};

export default [train, generateBench];
