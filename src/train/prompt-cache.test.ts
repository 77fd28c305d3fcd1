import { describe, expect, it, afterAll } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { logSoftmaxRow } from '../sample/generate.js';
import { PromptCache } from './prompt-cache.js';
import { scoreSequences } from './reward.js';

const rt = new Runtime({ threads: 1 });
afterAll(() => rt.release());

/** A random model with a reward head and large weights (std 0.3), so every path matters. */
function model(): LlamaModel {
  const cfg = llamaConfig({ vocabSize: 30, dModel: 16, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 24, maxSeqLen: 96 });
  const m = LlamaModel.init(cfg, { seed: 2, runtime: rt, heads: ['reward'] });
  const rng = new Rng(6);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.3 * rng.normal();
  }
  return m;
}

describe('PromptCache (prompt states computed once, continuations scored over them)', () => {
  const rng = new Rng(3);
  // Prompts of very different lengths (one of a single token: an empty prefix) over two chunks.
  const prompts = [1, 5, 40, 9, 33, 2, 17].map((n) => Array.from({ length: n }, () => 1 + rng.int(29)));
  const replies = (r: Rng) => prompts.map(() => Array.from({ length: 1 + r.int(30) }, () => 1 + r.int(29)));

  it('log-probs equal a full forward pass over prompt + reply, for two sets of replies', async () => {
    const m = model();
    const cache = await PromptCache.build(m, prompts, { padId: 0, chunkRows: 4 });
    const V = m.cfg.vocabSize;
    const lp = new Float64Array(V);
    for (const seed of [1, 2]) {
      const reps = replies(new Rng(seed));
      const got = await cache.logprobs(reps);
      for (let i = 0; i < prompts.length; i++) {
        const seq = [...prompts[i], ...reps[i]];
        const { logits } = await m.forward([seq.slice(0, -1)]);
        expect(got[i].length).toBe(reps[i].length);
        reps[i].forEach((t, j) => {
          const row = prompts[i].length - 1 + j;
          logSoftmaxRow(logits!.subarray(row * V, (row + 1) * V), lp);
          expect(Math.abs(got[i][j] - lp[t])).toBeLessThan(1e-5);
        });
      }
    }
  });

  it("rewards equal the head on full sequences ('last'), and the mean read-out averages the reply's positions", async () => {
    const m = model();
    const cache = await PromptCache.build(m, prompts, { padId: 0, chunkRows: 3 });
    const reps = replies(new Rng(9));
    const last = await cache.rewards(reps, 'last');
    const full = await scoreSequences(m, prompts.map((p, i) => [...p, ...reps[i]]), { padId: 0 });
    last.forEach((x, i) => expect(Math.abs(x - full[i])).toBeLessThan(1e-5));
    const mean = await cache.rewards(reps, 'mean');
    for (let i = 0; i < prompts.length; i++) {
      const seq = [...prompts[i], ...reps[i]];
      const { heads } = await m.forward([seq], { logits: false, heads: ['reward'] });
      const at = reps[i].map((_, j) => heads.reward![prompts[i].length + j]);
      expect(Math.abs(mean[i] - at.reduce((a, b) => a + b, 0) / at.length)).toBeLessThan(1e-5);
    }
  });

  it('refuses a reply count that does not match the prompts, and a model without a reward head', async () => {
    const m = model();
    const cache = await PromptCache.build(m, prompts, { padId: 0 });
    await expect(cache.logprobs(replies(new Rng(1)).slice(1))).rejects.toThrow(/6 replies for 7 prompts/);
    const plain = new LlamaModel(m.cfg, m.params, rt, []);
    const c2 = await PromptCache.build(plain, prompts.slice(0, 2), { padId: 0 });
    await expect(c2.rewards([[1], [2]])).rejects.toThrow(/no reward head/);
  });
});
