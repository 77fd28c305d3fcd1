import { describe, expect, it } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { Trainer, trainConfig } from './trainer.js';
import { pairBatch, rewardObjective, scoreReplies, scoreSequences, type TokenPair } from './reward.js';
import { worstFiniteDifference } from './test-fixtures.js';

const cfg = llamaConfig({ vocabSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 64 });

/** A learnable preference: sequences with more copies of token 7 are preferred. */
function pairs(rng: Rng, n: number): TokenPair[] {
  return Array.from({ length: n }, () => {
    const prompt = Array.from({ length: 2 + rng.int(4) }, () => 1 + rng.int(20));
    const len = 4 + rng.int(8);
    const base = Array.from({ length: len }, () => 1 + rng.int(20));
    const good = base.map((t) => (rng.next() < 0.5 ? 7 : t));
    const bad = base.map((t) => (t === 7 ? 8 : t));
    return { prompt, chosen: good, rejected: bad };
  });
}

describe('reward model (Bradley–Terry)', () => {
  it('its gradient matches finite differences of the loss, centering included', async () => {
    const m = LlamaModel.init(cfg, { seed: 2, runtime: new Runtime({ threads: 1 }), heads: ['reward'] });
    const rng = new Rng(4);
    for (const s of m.params.specs) {
      const v = m.params.get(s.name);
      for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.3 * rng.normal();
    }
    const b = pairBatch(pairs(rng, 3).map((p, i) => ({ ...p, margin: i * 0.5 })), { padId: 0, maxSeqLen: 64 });
    const obj = rewardObjective({ centerCoef: 0.1 });
    const r = await obj(m, b);
    const { worst, where } = await worstFiniteDifference(m, () => obj(m, b), r.flat, ['score.weight', 'model.layers.0.mlp.up_proj.weight', 'model.embed_tokens.weight'], (k, n) => (k * 37) % n);
    expect(worst, where).toBeLessThan(2e-2);
  });

  it('a batch padded to fixed sizes gives the same loss, gradient and rewards as the tight one; too-small sizes are refused', async () => {
    const m = LlamaModel.init(cfg, { seed: 3, runtime: new Runtime({ threads: 1 }), heads: ['reward'] });
    const ps = pairs(new Rng(9), 5);
    const tight = pairBatch(ps, { padId: 0, maxSeqLen: 64, lengthMultiple: 1, rowMultiple: 1 });
    const fixed = pairBatch(ps, { padId: 0, maxSeqLen: 64, fixed: { prefixLength: tight.Tp + 5, rowLength: tight.Tr + 7, prefixCount: tight.G + 2, rowCount: tight.R + 3, comparisons: tight.P + 4 } });
    expect([fixed.Tp, fixed.Tr, fixed.G, fixed.R, fixed.P]).toEqual([tight.Tp + 5, tight.Tr + 7, tight.G + 2, tight.R + 3, tight.P + 4]);
    const obj = rewardObjective({ centerCoef: 0.1 });
    const a = await obj(m, tight);
    const b = await obj(m, fixed);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    let worst = 0;
    for (let i = 0; i < a.flat.length; i++) worst = Math.max(worst, Math.abs(a.flat[i] - b.flat[i]));
    expect(worst).toBeLessThan(1e-5);
    for (const k of ['accuracy', 'margin', 'rewards/chosen', 'min_reward', 'mean_reward', 'max_reward']) expect(b.metrics![k]).toBeCloseTo(a.metrics![k], 5);
    expect(() => pairBatch(ps, { padId: 0, maxSeqLen: 64, fixed: { comparisons: 4 } })).toThrow(/fixed.comparisons 4 is smaller than the batch's 5 pairs/);
    expect(() => pairBatch(ps, { padId: 0, maxSeqLen: 64, fixed: { rowCount: 2 } })).toThrow(/rowCount 2 is smaller than the batch needs \(10 replies\)/);
    expect(() => pairBatch(ps, { padId: 0, maxSeqLen: 64, fixed: { rowLength: 2 } })).toThrow(/rowLength 2 is smaller than the batch needs/);
  });

  it('learns a preference and agrees with held-out pairs; scoreSequences matches the training read-out', async () => {
    const m = LlamaModel.init(cfg, { seed: 1, runtime: new Runtime({ threads: 1 }), heads: ['reward'] });
    const trainer = new Trainer(m, trainConfig({ lr: 5e-3, totalSteps: 60, weightDecay: 0 }), rewardObjective());
    const rng = new Rng(1);
    let last: Record<string, number> = {};
    for (let s = 0; s < 60; s++) last = await trainer.step([pairBatch(pairs(rng, 16), { padId: 0, maxSeqLen: 64 })]);
    expect(last.accuracy).toBeGreaterThan(0.85);
    const held = pairs(new Rng(99), 40);
    const rc = await scoreSequences(m, held.map((p) => [...p.prompt, ...p.chosen]), { padId: 0 });
    const rr = await scoreSequences(m, held.map((p) => [...p.prompt, ...p.rejected]), { padId: 0 });
    const acc = rc.filter((x, i) => x > rr[i]).length / held.length;
    expect(acc).toBeGreaterThan(0.85);
    // The forward-pass read-out equals the training graph's: same batch, same mean rewards.
    const probe = pairs(new Rng(5), 8);
    const metrics = (await rewardObjective()(m, pairBatch(probe, { padId: 0, maxSeqLen: 64 }))).metrics!;
    const sc = await scoreSequences(m, probe.map((p) => [...p.prompt, ...p.chosen]), { padId: 0 });
    const sr = await scoreSequences(m, probe.map((p) => [...p.prompt, ...p.rejected]), { padId: 0 });
    expect(sc.reduce((a, x) => a + x, 0) / 8).toBeCloseTo(metrics['rewards/chosen'], 4);
    expect(sr.reduce((a, x) => a + x, 0) / 8).toBeCloseTo(metrics['rewards/rejected'], 4);
  });

  it('scores each distinct sequence once: K-choose-2 comparisons give the loss of an independent host computation', async () => {
    const m = LlamaModel.init(cfg, { seed: 3, runtime: new Runtime({ threads: 1 }), heads: ['reward'] });
    const rng = new Rng(8);
    for (const s of m.params.specs) {
      const v = m.params.get(s.name);
      for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 : 0.3 * rng.normal();
    }
    // Two prompts with four replies each; all six comparisons per prompt.
    const groups = [0, 1].map(() => ({ prompt: Array.from({ length: 3 + rng.int(9) }, () => 1 + rng.int(20)), replies: Array.from({ length: 4 }, () => Array.from({ length: 2 + rng.int(8) }, () => 1 + rng.int(20))) }));
    const pairs: TokenPair[] = [];
    for (const { prompt, replies: g } of groups) for (let a = 0; a < 4; a++) for (let c = a + 1; c < 4; c++) pairs.push(rng.next() < 0.5 ? { prompt, chosen: g[a], rejected: g[c], margin: 0.3 } : { prompt, chosen: g[c], rejected: g[a] });
    const b = pairBatch(pairs, { padId: 0, maxSeqLen: 64 });
    expect([b.pairs, b.P, b.G, b.R]).toEqual([12, 16, 2, 8]); // 2 prompts and 8 replies; comparisons padded to a multiple of 8
    const center = 0.05;
    const got = await rewardObjective({ centerCoef: center })(m, b);
    const rc = await scoreSequences(m, pairs.map((p) => [...p.prompt, ...p.chosen]), { padId: 0 });
    const rr = await scoreSequences(m, pairs.map((p) => [...p.prompt, ...p.rejected]), { padId: 0 });
    // scoreReplies (the grouped fast path) agrees with full sequences too.
    const grouped = await scoreReplies(m, groups, { padId: 0, rowsPerBatch: 5 });
    const full = await scoreSequences(m, groups.flatMap((g) => g.replies.map((r) => [...g.prompt, ...r])), { padId: 0 });
    grouped.flat().forEach((x, i) => expect(x).toBeCloseTo(full[i], 4));
    let bt = 0;
    let cen = 0;
    pairs.forEach((p, i) => {
      const z = rc[i] - rr[i] - (p.margin ?? 0);
      bt += Math.log1p(Math.exp(-z));
      cen += (rc[i] + rr[i]) ** 2;
    });
    expect(got.loss).toBeCloseTo(bt / pairs.length + (center * cen) / pairs.length, 4);
    expect(got.metrics!.accuracy).toBe(rc.filter((x, i) => x > rr[i]).length / pairs.length);
    expect(got.metrics!.margin).toBeCloseTo(rc.reduce((a, x, i) => a + x - rr[i], 0) / pairs.length, 4);
    // min / mean / max over both sides of the real comparisons (not the padding ones).
    expect(got.metrics!.min_reward).toBeCloseTo(Math.min(...rc, ...rr), 4);
    expect(got.metrics!.max_reward).toBeCloseTo(Math.max(...rc, ...rr), 4);
    expect(got.metrics!.mean_reward).toBeCloseTo([...rc, ...rr].reduce((a, x) => a + x, 0) / (2 * pairs.length), 4);
  });

  it("the language-model term adds lmCoef × the chosen replies' mean token NLL (an independent full-sequence computation), and its gradient matches finite differences", async () => {
    const m = LlamaModel.init(cfg, { seed: 5, runtime: new Runtime({ threads: 1 }), heads: ['reward'] });
    const rng = new Rng(12);
    for (const s of m.params.specs) {
      const v = m.params.get(s.name);
      for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.3 * rng.normal();
    }
    // One prompt with three replies (all three comparisons: one reply is chosen twice) and a pair of another prompt.
    const prompt = [3, 9, 4, 11];
    const rs = [[5, 6, 7], [8, 2], [12, 13, 14, 15, 1]];
    const ps: TokenPair[] = [{ prompt, chosen: rs[0], rejected: rs[1] }, { prompt, chosen: rs[0], rejected: rs[2] }, { prompt, chosen: rs[2], rejected: rs[1] }, ...pairs(rng, 1)];
    const b = pairBatch(ps, { padId: 0, maxSeqLen: 64 });
    const coef = 0.7;
    const plain = await rewardObjective()(m, b);
    const withLm = rewardObjective({ lmCoef: coef });
    const got = await withLm(m, b);
    // Reference: each pair's chosen reply scored as a whole sequence, its tokens' mean −log p.
    let nll = 0;
    for (const p of ps) {
      const seq = [...p.prompt, ...p.chosen];
      const T = seq.length;
      const ids = BigInt64Array.from(seq, BigInt);
      const targets = BigInt64Array.from([...seq.slice(1), 0], BigInt);
      const lp = await m.tokenLogprobs({ B: 1, T, ids, targets });
      let sum = 0;
      for (let j = p.prompt.length - 1; j < T - 1; j++) sum -= lp[j];
      nll += sum / p.chosen.length;
    }
    nll /= ps.length;
    expect(got.metrics!['loss/lm']).toBeCloseTo(nll, 4);
    expect(got.loss).toBeCloseTo(plain.loss + coef * nll, 4);
    const { worst, where } = await worstFiniteDifference(m, () => withLm(m, b), got.flat, ['lm_head.weight', 'model.layers.0.self_attn.v_proj.weight', 'score.weight'], (k, n) => (k * 41 + 3) % n);
    expect(worst, where).toBeLessThan(2e-2);
    // Without the term the head of the language model gets no gradient; a negative weight is refused.
    const lmOff = m.params.offsets.get('lm_head.weight')!;
    expect(plain.flat.subarray(lmOff, lmOff + m.params.get('lm_head.weight').length).every((x) => x === 0)).toBe(true);
    expect(() => rewardObjective({ lmCoef: -1 })).toThrow(/lmCoef must be a number ≥ 0, got -1/);
  });

  it('refuses a model without a reward head, naming the problem', async () => {
    const m = LlamaModel.init(cfg, { seed: 1, runtime: new Runtime({ threads: 1 }) });
    await expect(rewardObjective()(m, pairBatch(pairs(new Rng(1), 2), { padId: 0, maxSeqLen: 64 }))).rejects.toThrow(/no reward head/);
  });
});
