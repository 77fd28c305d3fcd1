import { describe, expect, it } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { Trainer, trainConfig } from './trainer.js';
import { worstFiniteDifference } from './test-fixtures.js';
import { groupNormalizedAdvantages, policyObjective, rlooAdvantages, type RolloutBatch } from './policy.js';
import { rlooStep, type RlooConfig } from './rloo.js';
import { AdaptiveKlController } from './kl.js';

const cfg = llamaConfig({ vocabSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 64 });

describe('RLOO advantages', () => {
  it('equal k/(k−1) · (R − group mean), groups independent', () => {
    const R = [1, 2, 3, 6, 0, 0, 4, 4];
    const A = rlooAdvantages(R, 4);
    for (let g = 0; g < 2; g++) {
      const grp = R.slice(4 * g, 4 * g + 4);
      const mean = grp.reduce((a, x) => a + x, 0) / 4;
      grp.forEach((r, i) => expect(A[4 * g + i]).toBeCloseTo((4 / 3) * (r - mean), 12));
    }
    expect(() => rlooAdvantages([1, 2, 3], 2)).toThrow(/multiple of k/);
  });
});

describe('GRPO advantages', () => {
  it('equal (R − group mean) / (sample SD + 1e-4); an all-equal group gives 0', () => {
    const R = [1, 2, 3, 6, 4, 4, 4, 4];
    const A = groupNormalizedAdvantages(R, 4);
    // Group 1: mean 3, sample variance (4 + 1 + 0 + 9) / 3.
    const sd = Math.sqrt(14 / 3);
    [1, 2, 3, 6].forEach((r, i) => expect(A[i]).toBeCloseTo((r - 3) / (sd + 1e-4), 12));
    expect(A.slice(4)).toEqual([0, 0, 0, 0]);
    expect(() => groupNormalizedAdvantages([1, 2, 3], 2)).toThrow(/multiple of k/);
    expect(() => groupNormalizedAdvantages([1], 1)).toThrow(/k ≥ 2/);
  });
});

/** A model with large random weights (so finite differences see curvature), random rows of 2 × 8 tokens, the mask from `from` on, and the model's log-probs of the targets. */
async function randomRows(modelSeed: number, rngSeed: number, from: number) {
  const m = LlamaModel.init(cfg, { seed: modelSeed, runtime: new Runtime({ threads: 1 }) });
  const rng = new Rng(rngSeed);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.4 * rng.normal();
  }
  const B = 2;
  const T = 8;
  const ids = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(16)));
  const targets = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(16)));
  const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T >= from ? 1 : 0));
  const cur = await m.tokenLogprobs({ B, T, ids, targets });
  return { m, B, T, ids, targets, mask, cur };
}

describe('clipped policy objective', () => {
  it('its gradient matches finite differences, with some tokens clipped', async () => {
    const { m, B, T, ids, targets, mask, cur } = await randomRows(3, 2, 3);
    // Old log-probs differ from the current ones by ±0.4, so some ratios fall outside 1 ± 0.2.
    const oldLogprobs = Float32Array.from(cur, (x, i) => (mask[i] ? x + 0.4 * Math.sin(3 * i) : 0));
    const advantages = Float32Array.from({ length: B * T }, (_, i) => (mask[i] ? Math.cos(i) : 0));
    const batch: RolloutBatch = { B, T, ids, targets, mask, oldLogprobs, advantages };
    const obj = policyObjective({ clip: 0.2 });
    const r = await obj(m, batch);
    expect(r.metrics!['policy/clipfrac_avg']).toBeGreaterThan(0);
    const names = ['model.layers.0.self_attn.q_proj.weight', 'lm_head.weight', 'model.norm.weight'];
    const { worst, where } = await worstFiniteDifference(m, () => obj(m, batch), r.flat, names, (k, n) => (k * 29 + 3) % n);
    expect(worst, where).toBeLessThan(3e-2);
  });

  it('with a KL term in the loss: adds β · mean k3 of the current policy against the reference, and its gradient matches finite differences', async () => {
    const { m, B, T, ids, targets, mask, cur } = await randomRows(5, 9, 2);
    const oldLogprobs = Float32Array.from(cur, (x, i) => (mask[i] ? x + 0.1 * Math.sin(5 * i) : 0));
    const advantages = Float32Array.from({ length: B * T }, (_, i) => (mask[i] ? Math.cos(2 * i) : 0));
    // The reference differs from the current policy by up to ±0.8 nats per token.
    const refLogprobs = Float32Array.from(cur, (x, i) => (mask[i] ? x + 0.8 * Math.sin(7 * i + 1) : 0));
    const beta = 0.3;
    const obj = policyObjective({ clip: 0.2 });
    const plain = await obj(m, { B, T, ids, targets, mask, oldLogprobs, advantages });
    const batch: RolloutBatch = { B, T, ids, targets, mask, oldLogprobs, advantages, klLoss: { refLogprobs, coef: beta } };
    const r = await obj(m, batch);
    // The term, independently: k3 of each masked token from the model's own log-probs.
    let sum = 0;
    let n = 0;
    for (let i = 0; i < B * T; i++) {
      if (!mask[i]) continue;
      const d = refLogprobs[i] - cur[i];
      sum += Math.exp(d) - d - 1;
      n++;
    }
    expect(r.metrics!['loss/kl_avg']).toBeCloseTo(sum / n, 5);
    expect(r.loss - plain.loss).toBeCloseTo(beta * (sum / n), 5);
    expect(plain.metrics!['loss/kl_avg']).toBeUndefined();
    const names = ['model.layers.0.mlp.up_proj.weight', 'lm_head.weight', 'model.embed_tokens.weight'];
    const { worst, where } = await worstFiniteDifference(m, () => obj(m, batch), r.flat, names, (k, n) => (k * 31 + 7) % n);
    expect(worst, where).toBeLessThan(3e-2);
    await expect(obj(m, { ...batch, klLoss: { refLogprobs: refLogprobs.subarray(1), coef: beta } })).rejects.toThrow(/refLogprobs has 15 values, expected B·T = 16/);
    await expect(obj(m, { ...batch, klLoss: { refLogprobs, coef: -1 } })).rejects.toThrow(/klLoss.coef/);
  });
});

describe('rlooStep', () => {
  /** 40 steps toward a simple reward (share of token 5 in the response) with a light KL leash, updating in micro-batches; per step metrics. */
  async function towardToken5(extra: Partial<RlooConfig>): Promise<Record<string, number>[]> {
    const rt = new Runtime({ threads: 1 });
    const policy = LlamaModel.init(cfg, { seed: 1, runtime: rt });
    const reference = new LlamaModel(policy.cfg, policy.params.clone(), rt);
    const trainer = new Trainer(policy, trainConfig({ lr: 1e-2, totalSteps: 40, weightDecay: 0, minLrRatio: 1, gradAccum: 4 }), policyObjective());
    const rng = new Rng(7);
    const reward = async (_p: number[][], rs: number[][]) => rs.map((r) => (r.length ? r.filter((t) => t === 5).length / r.length : 0));
    const rows: Record<string, number>[] = [];
    for (let s = 0; s < 40; s++) {
      const prompts = Array.from({ length: 8 }, () => Array.from({ length: 3 }, () => 1 + rng.int(14)));
      rows.push((await rlooStep({ policy, reference, trainer, prompts, reward, seed: s, cfg: { k: 4, klCoef: 0.01, maxNewTokens: 8, temperature: 1, stopTokenIds: [], padId: 0, microRows: 8, ...extra } })).metrics);
    }
    const mean = (xs: Record<string, number>[]) => xs.reduce((a, x) => a + x['objective/scores'], 0) / xs.length;
    expect(mean(rows.slice(0, 5))).toBeLessThan(0.2);
    expect(mean(rows.slice(-5))).toBeGreaterThan(mean(rows.slice(0, 5)) + 0.3);
    return rows;
  }

  it('raises a simple reward (share of token 5 in the response) with a KL leash, updating in micro-batches', async () => {
    const rows = await towardToken5({});
    const kl = rows[rows.length - 1]['objective/kl'];
    expect(Number.isFinite(kl)).toBe(true);
    expect(kl).toBeGreaterThan(0);
  });

  it('takes β from a KL controller and updates it with the step\'s mean per-sequence KL (k3 estimator)', async () => {
    const rt = new Runtime({ threads: 1 });
    const policy = LlamaModel.init(cfg, { seed: 1, runtime: rt });
    const reference = LlamaModel.init(cfg, { seed: 2, runtime: rt });
    const trainer = new Trainer(policy, trainConfig({ lr: 1e-3 }), policyObjective());
    const reward = async (_p: number[][], rs: number[][]) => rs.map((r) => r.length / 10);
    const klController = new AdaptiveKlController({ init: 0.5, target: 1e-6, horizon: 100 });
    const cfgR = { k: 2, klCoef: 99, klEstimator: 'k3' as const, maxNewTokens: 5, temperature: 1, stopTokenIds: [], padId: 0 };
    const { metrics } = await rlooStep({ policy, reference, trainer, prompts: [[1, 2], [3]], reward, seed: 1, cfg: cfgR, klController });
    expect(metrics['objective/kl_coef']).toBe(0.5);
    expect(metrics['objective/kl']).toBeGreaterThan(1e-6); // k3 ≥ 0, and the models differ
    expect(metrics['objective/rlhf_reward']).toBeCloseTo(0.5 - 0.5 * metrics['objective/kl'], 6);
    expect(klController.value).toBeCloseTo(0.5 * (1 + 0.2 * 4 / 100), 12); // KL far above target: +20 % per horizon
  });

  it('GRPO (group-normalized advantages, KL in the loss) raises the simple reward too', async () => {
    const rows = await towardToken5({ klEstimator: 'k3', advantage: 'group-normalized', klPenalty: 'loss' });
    const last = rows[rows.length - 1];
    expect(last['loss/kl_avg']).toBeGreaterThan(0);
    expect(last['objective/kl']).toBeGreaterThan(0);
    expect(rows[0]['objective/reward_std']).toBeGreaterThan(0); // the replies differ at the start
  });

  it('GRPO on equal scores: no advantage, so only the KL term moves the policy (β = 0: not at all), back toward the reference', async () => {
    const rt = new Runtime({ threads: 1 });
    const reward = async (_p: number[][], rs: number[][]) => rs.map(() => 0.5);
    const run = async (beta: number, steps: number) => {
      const policy = LlamaModel.init(cfg, { seed: 1, runtime: rt });
      const reference = LlamaModel.init(cfg, { seed: 2, runtime: rt });
      const before = policy.params.clone();
      const trainer = new Trainer(policy, trainConfig({ lr: 1e-2, weightDecay: 0, minLrRatio: 1 }), policyObjective());
      const kls: number[] = [];
      let m: Record<string, number> = {};
      for (let s = 0; s < steps; s++) {
        const cfgG = { k: 4, klCoef: beta, klEstimator: 'k3' as const, advantage: 'group-normalized' as const, klPenalty: 'loss' as const, maxNewTokens: 6, temperature: 1, stopTokenIds: [], padId: 0 };
        m = (await rlooStep({ policy, reference, trainer, prompts: [[1, 2], [3, 4, 5]], reward, seed: 100 + s, cfg: cfgG })).metrics;
        kls.push(m['loss/kl_avg']);
      }
      const moved = policy.params.specs.some((s) => policy.params.get(s.name).some((x, i) => x !== before.get(s.name)[i]));
      return { moved, kls, m };
    };
    const still = await run(0, 2);
    expect(still.moved).toBe(false);
    expect(still.m['objective/frac_reward_zero_std']).toBe(1);
    expect(still.m['objective/reward_std']).toBe(0);
    const pulled = await run(1, 8);
    expect(pulled.moved).toBe(true);
    expect(pulled.kls[pulled.kls.length - 1]).toBeLessThan(0.8 * pulled.kls[0]);
  });
});
