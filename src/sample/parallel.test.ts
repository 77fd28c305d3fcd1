import { describe, expect, it, afterAll } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { generate, logSoftmaxRow, promptGroups } from './generate.js';
import { MIN_ROWS_PER_WORKER, generateOnWorkers, workerParts, workersFor } from './parallel.js';

const two = new Runtime({ threads: 2 });
const one = new Runtime({ threads: 1 });
afterAll(async () => {
  await two.release();
  await one.release();
});

/** The same random model in two runtimes: two threads (splits across workers) and one (never). */
function models(): [LlamaModel, LlamaModel] {
  const cfg = llamaConfig({ vocabSize: 50, dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 48, maxSeqLen: 96 });
  const a = LlamaModel.init(cfg, { seed: 3, runtime: two });
  const rng = new Rng(5);
  for (const s of a.params.specs) {
    const v = a.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.3 * rng.normal();
  }
  return [a, new LlamaModel(cfg, a.params, one)];
}

describe('generation split across worker threads', () => {
  it('is used for large batches on ≥ 2 threads only, and never with a shouldStop callback', () => {
    const [m2, m1] = models();
    expect(workersFor(m2, 2 * MIN_ROWS_PER_WORKER, {})).toBe(2);
    expect(workersFor(m2, 2 * MIN_ROWS_PER_WORKER - 1, {})).toBe(1);
    expect(workersFor(m1, 64, {})).toBe(1);
    expect(workersFor(m2, 64, { shouldStop: () => false })).toBe(1);
    // Fewer groups than workers: a share of each group's samples.
    expect(workerParts([7], 5, 2)).toEqual([[0, 1], [2, 3, 4]]);
    expect(workerParts([7], 4, 3)).toEqual([[0], [1], [2, 3]]);
    expect(workerParts([7, 3], 2, 3)).toEqual([[], [0, 2], [1, 3]]);
  });

  it('gives each worker whole groups of similar prompt lengths, balancing rows × longest prompt', () => {
    // Equal lengths: the rows split as evenly as whole groups allow.
    expect(workerParts([5, 5, 5], 2, 2)).toEqual([[0, 1], [2, 3, 4, 5]]);
    // Short prompts go together, long ones together (rows listed in ascending order).
    expect(workerParts([100, 10, 100, 10], 1, 2)).toEqual([[1, 3], [0, 2]]);
    // 6 short rows (length 10) and 2 long (length 40): 6 × 10 against 2 × 40, not 4 and 4.
    expect(workerParts([10, 40, 10, 10, 10, 40, 10, 10], 1, 2)).toEqual([[0, 2, 3, 4, 6, 7], [1, 5]]);
    // Against every contiguous cut of the sorted groups, by brute force, for random lengths.
    const rng = new Rng(9);
    for (let t = 0; t < 50; t++) {
      const G = 2 + rng.int(12);
      const k = 1 + rng.int(3);
      const n = 2 + rng.int(Math.min(3, G - 1));
      const lens = Array.from({ length: G }, () => 1 + rng.int(60));
      const parts = workerParts(lens, k, n);
      expect(parts.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: G * k }, (_, i) => i));
      const costOf = (rows: number[]) => (rows.length ? rows.length * Math.max(...rows.map((r) => lens[Math.floor(r / k)])) : 0);
      const got = Math.max(...parts.map(costOf));
      const sorted = lens.map((_, u) => u).sort((a, b) => lens[a] - lens[b] || a - b);
      let bestCost = Infinity;
      const search = (from: number, left: number, worst: number) => {
        if (left === 1) {
          bestCost = Math.min(bestCost, Math.max(worst, costOf(sorted.slice(from).flatMap((u) => Array.from({ length: k }, (_, i) => u * k + i)))));
          return;
        }
        for (let to = from + 1; to <= G - left + 1; to++) search(to, left - 1, Math.max(worst, costOf(sorted.slice(from, to).flatMap((u) => Array.from({ length: k }, (_, i) => u * k + i)))));
      };
      search(0, n, 0);
      expect(got).toBe(bestCost);
      for (const p of parts) expect(p.length % k).toBe(0);
    }
  });

  it('samples what one thread samples (row streams follow the row, not the split), log-probs equal a full forward pass', async () => {
    const [m2, m1] = models();
    const rng = new Rng(2);
    // Prompts of different lengths, some repeated (shared prefill), 20 rows → two workers of 10.
    const base = Array.from({ length: 6 }, () => Array.from({ length: 3 + rng.int(9) }, () => rng.int(50)));
    const prompts = Array.from({ length: 20 }, (_, i) => base[(i * 7) % base.length]);
    expect(workersFor(m2, prompts.length, {})).toBe(2);
    for (const opts of [
      { maxNewTokens: 40, temperature: 1, seed: 11 },
      { maxNewTokens: 20, temperature: 0 },
      { maxNewTokens: 20, temperature: 0.7, topK: 8, seed: 4, stopTokenIds: [7] },
    ]) {
      const split = await generate(m2, prompts, opts);
      const whole = await generate(m1, prompts, opts);
      expect(split.map((g) => g.tokens)).toEqual(whole.map((g) => g.tokens));
      expect(split.map((g) => g.finishReason)).toEqual(whole.map((g) => g.finishReason));
      split.forEach((g, b) => g.logprobs.forEach((lp, j) => expect(Math.abs(lp - whole[b].logprobs[j])).toBeLessThan(1e-5)));
    }
    // Against a full forward pass, for a few rows of the first setting.
    const split = await generate(m2, prompts, { maxNewTokens: 40, temperature: 1, seed: 11 });
    const V = m1.cfg.vocabSize;
    const lp = new Float64Array(V);
    for (const b of [0, 9, 10, 19]) {
      const seq = [...prompts[b], ...split[b].tokens];
      const { logits } = await m1.forward([seq.slice(0, -1)]);
      split[b].tokens.forEach((t, j) => {
        const row = prompts[b].length - 1 + j;
        logSoftmaxRow(logits!.subarray(row * V, (row + 1) * V), lp);
        expect(Math.abs(split[b].logprobs[j] - lp[t])).toBeLessThan(1e-4);
      });
    }
  });

  it('k samples per prompt (in any order) read each prompt once and sample as each row alone would', async () => {
    const [m2, m1] = models();
    const rng = new Rng(4);
    const base = Array.from({ length: 5 }, () => Array.from({ length: 2 + rng.int(20) }, () => rng.int(50)));
    const prompts = Array.from({ length: 20 }, (_, i) => base[i % 5]); // 5 prompts × 4, interleaved
    expect(promptGroups(prompts).k).toBe(4);
    const opts = { maxNewTokens: 24, temperature: 1, seed: 8 };
    // One prompt sampled 20 times (its samples split between the workers) and 5 × 4, both runtimes.
    const pool = await generate(m2, Array.from({ length: 20 }, () => base[2]), opts);
    for (const b of [0, 9, 10, 19]) {
      const [alone] = await generate(m1, [base[2]], { ...opts, rowStreams: [b] });
      expect(pool[b].tokens).toEqual(alone.tokens);
    }
    for (const m of [m2, m1]) {
      const batch = await generate(m, prompts, opts);
      for (const b of [0, 3, 6, 17]) {
        const [alone] = await generate(m1, [prompts[b]], { ...opts, rowStreams: [b] });
        expect(batch[b].tokens).toEqual(alone.tokens);
        batch[b].logprobs.forEach((lp, j) => expect(Math.abs(lp - alone.logprobs[j])).toBeLessThan(1e-5));
      }
    }
  });

  it('follows parameter changes between calls, and reports a worker-side error as a rejection', async () => {
    const [m2, m1] = models();
    const prompts = Array.from({ length: 16 }, (_, i) => [1 + (i % 5), 2, 3]);
    const before = await generate(m2, prompts, { maxNewTokens: 8, temperature: 0 });
    m2.params.get('lm_head.weight').fill(0);
    m2.params.get('lm_head.weight')[42 * 32] = 5; // token 42's logit = 5 × one hidden unit
    const after = await generate(m2, prompts, { maxNewTokens: 8, temperature: 0 });
    expect(after).toEqual(await generate(m1, prompts, { maxNewTokens: 8, temperature: 0 }));
    expect(after).not.toEqual(before);
    await expect(generateOnWorkers(m2, [[1, 2], [99]], {}, 2)).rejects.toThrow(/prompt 1 has token id 99 outside the vocabulary/);
  });
});
