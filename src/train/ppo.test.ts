import { describe, expect, it } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { logSoftmaxRow } from '../sample/generate.js';
import { Rng } from '../util/rng.js';
import { Trainer, trainConfig } from './trainer.js';
import { worstFiniteDifference } from './test-fixtures.js';
import { policyObjective, type RolloutBatch } from './policy.js';
import { gae, ppoConfig, ppoGradAccum, ppoObjective, ppoStep, ppoUpdates, whiten, type PpoConfig } from './ppo.js';
import { AdaptiveKlController, FixedKlController } from './kl.js';
import type { RewardFn } from './rloo.js';

const cfg = llamaConfig({ vocabSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 64 });

describe('GAE', () => {
  /** Rows of [prompt (unmasked) | response (masked) | padding (unmasked)] with random rewards and values. */
  function randomRows(seed: number) {
    const rng = new Rng(seed);
    const B = 5;
    const T = 12;
    const rewards = Float32Array.from({ length: B * T }, () => rng.normal());
    const values = Float32Array.from({ length: B * T }, () => rng.normal());
    const mask = new Float32Array(B * T);
    const spans: [number, number][] = [];
    for (let b = 0; b < B; b++) {
      const start = rng.int(4);
      const end = b === 0 ? T : start + 1 + rng.int(T - start - 1); // row 0 runs to the end of the row
      for (let t = start; t < end; t++) mask[b * T + t] = 1;
      spans.push([start, end]);
    }
    return { B, T, rewards, values, mask, spans };
  }

  /** The definition: A_t = Σ_{l=0}^{L−1−t} (γλ)^l δ_{t+l}, δ_m = r_m + γ V_{m+1} − V_m, V_L = 0. */
  function direct(r: number[], v: number[], gamma: number, lam: number): number[] {
    const L = r.length;
    const delta = r.map((x, m) => x + gamma * (m + 1 < L ? v[m + 1] : 0) - v[m]);
    return r.map((_, t) => {
      let s = 0;
      for (let l = 0; t + l < L; l++) s += (gamma * lam) ** l * delta[t + l];
      return s;
    });
  }

  it('matches the direct sum of discounted TD residuals over each response, padding excluded', () => {
    for (const [k, [gamma, lam]] of [[1, 0.95], [0.9, 0.8], [0.99, 1], [1, 0]].entries()) {
      const d = randomRows(k);
      const { advantages, returns } = gae({ ...d, gamma, lam });
      d.spans.forEach(([s, e], b) => {
        const r = Array.from(d.rewards.subarray(b * d.T + s, b * d.T + e));
        const v = Array.from(d.values.subarray(b * d.T + s, b * d.T + e));
        const want = direct(r, v, gamma, lam);
        for (let t = 0; t < d.T; t++) {
          const i = b * d.T + t;
          if (t < s || t >= e) {
            expect(advantages[i]).toBe(0);
            expect(returns[i]).toBe(0);
          } else {
            expect(advantages[i]).toBeCloseTo(want[t - s], 4);
            expect(returns[i]).toBeCloseTo(want[t - s] + v[t - s], 4);
          }
        }
      });
    }
  });

  it('λ = 1 gives discounted Monte-Carlo returns minus the value; λ = 0 gives one-step TD residuals', () => {
    const d = randomRows(3);
    const mc = gae({ ...d, gamma: 0.9, lam: 1 });
    const td = gae({ ...d, gamma: 0.9, lam: 0 });
    const [s, e] = d.spans[1];
    const i0 = d.T + s;
    let G = 0;
    for (let t = e - 1; t >= s; t--) {
      const i = d.T + t;
      G = d.rewards[i] + 0.9 * G;
      expect(mc.returns[i]).toBeCloseTo(G, 4);
      expect(td.advantages[i]).toBeCloseTo(d.rewards[i] + (t + 1 < e ? 0.9 * d.values[i + 1] : 0) - d.values[i], 5);
    }
    expect(mc.advantages[i0]).toBeCloseTo(G - d.values[i0], 4);
  });

  it('whiten: masked entries get mean 0 and unbiased variance 1; unmasked are 0; shiftMean false keeps the mean', () => {
    const x = [5, 1, 2, 3, 100, 4];
    const mask = [0, 1, 1, 1, 0, 1];
    const w = whiten(x, mask);
    const sd = Math.sqrt(((1 - 2.5) ** 2 + (2 - 2.5) ** 2 + (3 - 2.5) ** 2 + (4 - 2.5) ** 2) / 3);
    expect(Array.from(w)).toEqual([0, (1 - 2.5) / sd, (2 - 2.5) / sd, (3 - 2.5) / sd, 0, (4 - 2.5) / sd].map((v) => Math.fround(v)));
    expect(whiten(x, mask, false)[1]).toBeCloseTo((1 - 2.5) / sd + 2.5, 5);
  });
});

/** A tiny policy with a value head and weights large enough that outputs vary. */
function randomPolicy(seed: number): LlamaModel {
  const m = LlamaModel.init(cfg, { seed, runtime: new Runtime({ threads: 1 }), heads: ['value'] });
  const rng = new Rng(seed + 1);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.4 * rng.normal();
  }
  return m;
}

/** A rollout batch whose old log-probs and values differ from the model's, so both clips bind. */
async function perturbedBatch(m: LlamaModel, seed: number): Promise<RolloutBatch> {
  const rng = new Rng(seed);
  const B = 2;
  const T = 8;
  const ids = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(16)));
  const targets = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(16)));
  const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T >= 3 && !(i >= T && i % T === 7) ? 1 : 0));
  const cur = await m.tokenLogprobs({ B, T, ids, targets });
  const v = (await m.forward({ B, T, ids }, { logits: false, heads: ['value'] })).heads.value!;
  return {
    B,
    T,
    ids,
    targets,
    mask,
    oldLogprobs: Float32Array.from(cur, (x, i) => (mask[i] ? x + 0.4 * Math.sin(3 * i) : 0)),
    advantages: Float32Array.from({ length: B * T }, (_, i) => (mask[i] ? Math.cos(i) : 0)),
    oldValues: Float32Array.from(v, (x, i) => (mask[i] ? x + 0.3 * Math.cos(5 * i) : 0)),
    returns: Float32Array.from(v, (x, i) => (mask[i] ? x + Math.sin(7 * i) : 0)),
  };
}

describe('PPO objective', () => {
  const o = { clip: 0.2, vfCoef: 0.5, cliprangeValue: 0.1, entCoef: 0.05 };

  it('loss, value loss and entropy equal an independent host computation from the full logits', async () => {
    const m = randomPolicy(3);
    const b = await perturbedBatch(m, 2);
    const r = await policyObjective(o)(m, b);
    const f = await m.forward({ B: b.B, T: b.T, ids: b.ids }, { heads: ['value'] });
    const V = cfg.vocabSize;
    const lp = new Float64Array(V);
    let n = 0;
    let pg = 0;
    let vf = 0;
    let H = 0;
    for (let i = 0; i < b.B * b.T; i++) {
      if (!b.mask[i]) continue;
      n++;
      logSoftmaxRow(f.logits!.subarray(i * V, (i + 1) * V), lp);
      for (let j = 0; j < V; j++) H -= Math.exp(lp[j]) * lp[j];
      const ratio = Math.exp(lp[Number(b.targets[i])] - b.oldLogprobs[i]);
      const A = b.advantages[i];
      pg += -Math.min(ratio * A, Math.min(Math.max(ratio, 1 - o.clip), 1 + o.clip) * A);
      const v = f.heads.value![i];
      const vc = Math.min(Math.max(v, b.oldValues![i] - o.cliprangeValue), b.oldValues![i] + o.cliprangeValue);
      vf += 0.5 * Math.max((v - b.returns![i]) ** 2, (vc - b.returns![i]) ** 2);
    }
    expect(r.metrics!['policy/entropy_avg']).toBeCloseTo(H / n, 4);
    expect(r.metrics!['loss/policy_avg']).toBeCloseTo(pg / n, 4);
    expect(r.metrics!['loss/value_avg']).toBeCloseTo(vf / n, 4);
    expect(r.loss).toBeCloseTo(pg / n + o.vfCoef * (vf / n) - o.entCoef * (H / n), 4);
    // Both clips bind somewhere, so the gradient check below covers the clipped branches.
    expect(r.metrics!['policy/clipfrac_avg']).toBeGreaterThan(0);
    expect(r.metrics!['val/clipfrac_avg']).toBeGreaterThan(0);
    expect(r.metrics!['val/clipfrac_avg']).toBeLessThan(1);
    // The entropy metric without the bonus (read from the cross-entropy node) is the same number.
    const r0 = await policyObjective({ ...o, entCoef: 0 })(m, b);
    expect(r0.metrics!['policy/entropy_avg']).toBeCloseTo(H / n, 4);
    expect(r0.loss - r.loss).toBeCloseTo(o.entCoef * (H / n), 4);
  });

  it('its gradient (policy, value head, entropy bonus) matches finite differences', async () => {
    const m = randomPolicy(5);
    const b = await perturbedBatch(m, 4);
    const obj = policyObjective(o);
    const r = await obj(m, b);
    expect(r.flat.length).toBe(m.params.size); // the value head trains too
    const names = ['v_head.summary.weight', 'v_head.summary.bias', 'lm_head.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.mlp.up_proj.weight', 'model.norm.weight'];
    const { worst, where } = await worstFiniteDifference(m, () => obj(m, b), r.flat, names, (k, n) => (k * 29 + 3) % n);
    expect(worst, where).toBeLessThan(3e-2);
  });

  it('refuses a value loss without a value head or without value targets', async () => {
    const plain = LlamaModel.init(cfg, { seed: 1, runtime: new Runtime({ threads: 1 }) });
    const b = await perturbedBatch(randomPolicy(3), 2);
    await expect(policyObjective(o)(plain, b)).rejects.toThrow(/value head/);
    await expect(policyObjective(o)(randomPolicy(3), { ...b, returns: undefined })).rejects.toThrow(/oldValues and returns/);
    expect(() => policyObjective({ clip: -1 })).toThrow(/clip must be/);
  });
});

describe('ppoStep', () => {
  const rt = new Runtime({ threads: 1 });
  /** Reward: the share of token 5 in the response. */
  const reward = async (_p: number[][], rs: number[][]) => rs.map((r) => r.filter((t) => t === 5).length / r.length);
  const prompts = (rng: Rng, n: number) => Array.from({ length: n }, () => Array.from({ length: 3 }, () => 1 + rng.int(14)));

  async function run(steps: number, c: PpoConfig, lr: number, seed: number) {
    const policy = LlamaModel.init(cfg, { seed, runtime: rt, heads: ['value'] });
    const reference = new LlamaModel(policy.cfg, policy.params.clone(), rt);
    const rows = 16 * c.k;
    const trainer = new Trainer(policy, trainConfig({ lr, totalSteps: steps * ppoUpdates(c), weightDecay: 0, minLrRatio: 1, gradAccum: ppoGradAccum(c, rows) }), ppoObjective(c));
    const klController = new AdaptiveKlController({ init: 0.01, target: 1, horizon: 1000 });
    const rng = new Rng(seed + 7);
    const history: Record<string, number>[] = [];
    for (let s = 0; s < steps; s++) history.push((await ppoStep({ policy, reference, trainer, prompts: prompts(rng, 16), reward, cfg: c, klController, seed: 1000 * seed + s })).metrics);
    return { history, policy, klController };
  }

  it('raises a simple reward (share of token 5) markedly, under an adaptive KL leash', async () => {
    const c = ppoConfig({ maxNewTokens: 8, numMiniBatches: 2, microRows: 4, ppoEpochs: 2, stopTokenIds: [] });
    const { history, klController } = await run(25, c, 1e-2, 1);
    const avg = (k: string, xs: Record<string, number>[]) => xs.reduce((a, h) => a + h[k], 0) / xs.length;
    const early = avg('objective/scores', history.slice(0, 4));
    const late = avg('objective/scores', history.slice(-4));
    expect(early).toBeLessThan(0.2);
    expect(late).toBeGreaterThan(early + 0.3);
    for (const h of history) for (const [k, v] of Object.entries(h)) expect(Number.isFinite(v), k).toBe(true);
    const h = history.at(-1)!;
    for (const k of ['objective/kl', 'objective/entropy', 'objective/non_score_reward', 'objective/rlhf_reward', 'objective/kl_coef', 'policy/approxkl_avg', 'policy/clipfrac_avg', 'loss/policy_avg', 'loss/value_avg', 'val/clipfrac_avg', 'policy/entropy_avg', 'val/ratio', 'val/num_eos_tokens']) expect(h, k).toHaveProperty([k]);
    expect(h['train/step']).toBe(25 * ppoUpdates(c));
    expect(h['objective/rlhf_reward']).toBeCloseTo(h['objective/scores'] + h['objective/non_score_reward'], 10);
    // KL above target (1 nat) raises β from 0.01; β as reported is the value before the update.
    expect(h['objective/kl']).toBeGreaterThan(0);
    expect(klController.value).toBeGreaterThan(0.01);
    expect(history[1]['objective/kl_coef']).toBeCloseTo(0.01 * (1 + Math.max(-0.2, Math.min(0.2, history[0]['objective/kl'] - 1)) * 16 / 1000), 12);
  }, 60_000);

  it('rollout KL (k3), entropy and rewards match an independent scoring of the responses by full forward passes', async () => {
    const c = ppoConfig({ maxNewTokens: 7, ppoEpochs: 1, klEstimator: 'k3', stopTokenIds: [3], missingEosPenalty: 1 });
    const policy = randomPolicy(11);
    const reference = randomPolicy(12);
    const before = new LlamaModel(policy.cfg, policy.params.clone(), rt, ['value']);
    const trainer = new Trainer(policy, trainConfig({ lr: 1e-3, gradAccum: ppoGradAccum(c, 6) }), ppoObjective(c));
    const ps = prompts(new Rng(1), 6).map((p, i) => p.slice(0, 1 + (i % 3)));
    const { metrics, responses, scores } = await ppoStep({ policy, reference, trainer, prompts: ps, reward, cfg: c, klController: new FixedKlController(0.3), seed: 4 });
    const V = cfg.vocabSize;
    const lp = new Float64Array(V);
    const logprobsOf = async (m: LlamaModel, seq: number[], from: number) => {
      const { logits } = await m.forward([seq]);
      return seq.slice(from).map((tok, j) => {
        logSoftmaxRow(logits!.subarray((from - 1 + j) * V, (from + j) * V), lp);
        return lp[tok];
      });
    };
    let kl = 0;
    let entropy = 0;
    for (let b = 0; b < ps.length; b++) {
      const seq = [...ps[b], ...responses[b]];
      const pol = await logprobsOf(before, seq, ps[b].length);
      const ref = await logprobsOf(reference, seq, ps[b].length);
      pol.forEach((x, j) => {
        const lr = x - ref[j];
        kl += Math.exp(-lr) - 1 + lr;
        entropy -= x;
      });
    }
    kl /= ps.length;
    entropy /= ps.length;
    expect(kl).toBeGreaterThan(0.5); // the two models differ, so the check has teeth
    expect(metrics['objective/kl']).toBeCloseTo(kl, 3);
    expect(metrics['objective/entropy']).toBeCloseTo(entropy, 3);
    expect(metrics['objective/non_score_reward']).toBeCloseTo(-0.3 * kl, 3);
    // Scores: the reward minus missingEosPenalty for responses that did not stop.
    const ended = responses.map((r) => r.at(-1) === 3);
    expect(ended.some(Boolean) && !ended.every(Boolean)).toBe(true);
    const want = responses.map((r, b) => r.filter((t) => t === 5).length / r.length - (ended[b] ? 0 : 1));
    scores.forEach((s, b) => expect(s).toBeCloseTo(want[b], 12));
    expect(metrics['objective/scores']).toBeCloseTo(want.reduce((a, x) => a + x, 0) / ps.length, 12);
    expect(metrics['val/num_eos_tokens']).toBe(ended.filter(Boolean).length);
  });

  it('looBaseline: each score less the mean of its prompt-mates; a per-prompt constant reward then trains like no reward', async () => {
    const c = ppoConfig({ maxNewTokens: 5, ppoEpochs: 1, k: 2, looBaseline: true });
    const trainOnce = async (rewardOf: RewardFn) => {
      const policy = randomPolicy(21);
      const trainer = new Trainer(policy, trainConfig({ lr: 1e-2, gradAccum: ppoGradAccum(c, 6) }), ppoObjective(c));
      const out = await ppoStep({ policy, reference: randomPolicy(22), trainer, prompts: prompts(new Rng(3), 3), reward: rewardOf, cfg: c, klController: new FixedKlController(0.1), seed: 7 });
      return { params: Array.from(policy.params.flat), scores: out.scores };
    };
    const perPrompt: RewardFn = async (_p, responses, idx) => responses.map((_r, j) => 10 * idx[j] + 1);
    const zero: RewardFn = async (_p, responses) => responses.map(() => 0);
    const a = await trainOnce(perPrompt);
    const b = await trainOnce(zero);
    expect(a.scores).toEqual([1, 1, 11, 11, 21, 21]); // the scores reported are the reward's own
    expect(a.params).toEqual(b.params);
    // Without the baseline the per-prompt reward does move the policy differently.
    const cNo = ppoConfig({ ...c, looBaseline: false });
    const policy = randomPolicy(21);
    const trainer = new Trainer(policy, trainConfig({ lr: 1e-2, gradAccum: ppoGradAccum(cNo, 6) }), ppoObjective(cNo));
    await ppoStep({ policy, reference: randomPolicy(22), trainer, prompts: prompts(new Rng(3), 3), reward: perPrompt, cfg: cNo, klController: new FixedKlController(0.1), seed: 7 });
    expect(Array.from(policy.params.flat)).not.toEqual(b.params);
    // One reply per prompt leaves no one to compare with.
    const c1 = ppoConfig({ maxNewTokens: 4, ppoEpochs: 1, looBaseline: true });
    const p1 = randomPolicy(23);
    await expect(ppoStep({ policy: p1, reference: randomPolicy(22), trainer: new Trainer(p1, trainConfig({ gradAccum: ppoGradAccum(c1, 2) }), ppoObjective(c1)), prompts: prompts(new Rng(3), 2), reward: zero, cfg: c1, klController: new FixedKlController(0.1), seed: 7 })).rejects.toThrow(/has one score/);
  }, 60_000);

  it('is deterministic: the same seed gives identical metrics twice, a different seed different ones', async () => {
    const c = ppoConfig({ maxNewTokens: 6, numMiniBatches: 2, ppoEpochs: 2, k: 2, entCoef: 0.01, klEstimator: 'k3' });
    const a = await run(3, { ...c }, 5e-3, 2);
    const b = await run(3, { ...c }, 5e-3, 2);
    expect(b.history).toEqual(a.history);
    expect(Array.from(b.policy.params.flat)).toEqual(Array.from(a.policy.params.flat));
    const d = await run(3, { ...c }, 5e-3, 3);
    expect(d.history[2]['objective/scores']).not.toBe(a.history[2]['objective/scores']);
  }, 60_000);

  it('checks its inputs: value head, gradAccum, minibatch split, config keys', async () => {
    const c = ppoConfig({ maxNewTokens: 4, numMiniBatches: 2 });
    const plain = LlamaModel.init(cfg, { seed: 1, runtime: rt });
    const policy = LlamaModel.init(cfg, { seed: 1, runtime: rt, heads: ['value'] });
    const klController = new FixedKlController(0.05);
    const base = { reference: plain, prompts: [[1, 2], [3, 4]], reward, cfg: c, klController, seed: 0 };
    await expect(ppoStep({ ...base, policy: plain, trainer: new Trainer(plain, trainConfig({}), ppoObjective(c)) })).rejects.toThrow(/no value head/);
    await expect(ppoStep({ ...base, policy, trainer: new Trainer(policy, trainConfig({ gradAccum: 2 }), ppoObjective(c)) })).rejects.toThrow(/gradAccum is 2; .* need 1/);
    await expect(ppoStep({ ...base, prompts: [[1, 2], [3, 4], [5]], policy, trainer: new Trainer(policy, trainConfig({}), ppoObjective(c)) })).rejects.toThrow(/3 rollout rows .* numMiniBatches = 2/);
    expect(() => ppoConfig({ ppoEpoch: 3 }, 'run.json')).toThrow(/run.json: .*ppoEpoch/);
    expect(() => ppoConfig({ klEstimator: 'k4' })).toThrow(/klEstimator/);
    expect(() => ppoGradAccum({ numMiniBatches: 1, microRows: 3 }, 8)).toThrow(/microRows = 3/);
  });
});
