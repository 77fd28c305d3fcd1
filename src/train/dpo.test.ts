import { describe, expect, it } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { referenceLogits } from '../model/reference.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { Trainer, trainConfig } from './trainer.js';
import { worstFiniteDifference } from './test-fixtures.js';
import { dpoBatch, dpoConfig, dpoObjective, implicitRewards, pairLogps, withReference, type DpoConfig, type DpoPair } from './dpo.js';

const cfg = llamaConfig({ vocabSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 64 });
const seq = (rng: Rng, n: number) => Array.from({ length: n }, () => 1 + rng.int(20));

function randomPairs(rng: Rng, n: number): DpoPair[] {
  return Array.from({ length: n }, () => ({ prompt: seq(rng, 2 + rng.int(6)), chosen: seq(rng, 1 + rng.int(6)), rejected: seq(rng, 1 + rng.int(6)) }));
}

/** A tiny model with weights large enough that log-probabilities vary a lot between tokens. */
function wideModel(seed: number): LlamaModel {
  const m = LlamaModel.init(cfg, { seed, runtime: new Runtime({ threads: 1 }) });
  const rng = new Rng(seed + 100);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.4 * rng.normal();
  }
  return m;
}

/** Σ log p(response | prompt) of one unpadded sequence, from tokenLogprobs and host-side indexing. */
async function seqLogp(m: LlamaModel, prompt: number[], response: number[]): Promise<number> {
  const full = [...prompt, ...response];
  const T = full.length - 1;
  const lp = await m.tokenLogprobs({ B: 1, T, ids: BigInt64Array.from(full.slice(0, T), BigInt), targets: BigInt64Array.from(full.slice(1), BigInt) });
  let s = 0;
  for (let j = 0; j < response.length; j++) s += lp[prompt.length - 1 + j];
  return s;
}

/** The DPO family's per-pair loss, written directly from the papers' formulas in float64. */
function pairLoss(c: DpoConfig, pc: number, pr: number, rc: number, rr: number): number {
  const h = pc - rc - (pr - rr);
  const softplus = (x: number) => Math.log1p(Math.exp(x));
  if (c.lossType === 'ipo') return (h - 1 / (2 * c.beta)) ** 2;
  return (1 - c.labelSmoothing) * softplus(-c.beta * h) + c.labelSmoothing * softplus(c.beta * h);
}

describe('DPO objective', () => {
  it('loss and metrics equal an independent per-pair computation from tokenLogprobs (sigmoid, conservative, ipo)', async () => {
    const m = wideModel(1);
    const rng = new Rng(3);
    const pairs = randomPairs(rng, 4).map((p) => ({ ...p, refChosenLogps: -3 * p.chosen.length + rng.normal(), refRejectedLogps: -3 * p.rejected.length + rng.normal() }));
    const weights = [0.1, 0.2, 0.3, 0.4];
    const batch = dpoBatch(pairs, { padId: 0, pairWeights: weights });
    const pc: number[] = [];
    const pr: number[] = [];
    for (const p of pairs) {
      pc.push(await seqLogp(m, p.prompt, p.chosen));
      pr.push(await seqLogp(m, p.prompt, p.rejected));
    }
    for (const input of [{ beta: 0.1 }, { beta: 0.5, labelSmoothing: 0.2 }, { beta: 0.3, lossType: 'ipo' }]) {
      const c = dpoConfig(input);
      const r = await dpoObjective(c)(m, batch);
      // IPO works on per-token averages of both policy and reference log-probabilities.
      const n = (p: DpoPair, side: 'chosen' | 'rejected') => (c.lossType === 'ipo' ? p[side].length : 1);
      let loss = 0;
      let acc = 0;
      let margin = 0;
      let lc = 0;
      pairs.forEach((p, i) => {
        const [a, b, ra, rb] = [pc[i] / n(p, 'chosen'), pr[i] / n(p, 'rejected'), p.refChosenLogps / n(p, 'chosen'), p.refRejectedLogps / n(p, 'rejected')];
        loss += weights[i] * pairLoss(c, a, b, ra, rb);
        acc += weights[i] * (a - ra > b - rb ? 1 : 0);
        margin += weights[i] * c.beta * (a - ra - (b - rb));
        lc += weights[i] * a;
      });
      expect(r.loss).toBeCloseTo(loss, 4);
      expect(r.metrics!['rewards/accuracies']).toBeCloseTo(acc, 6);
      expect(r.metrics!['rewards/margins']).toBeCloseTo(margin, 4);
      expect(r.metrics!['logps/chosen']).toBeCloseTo(lc, 3);
    }
  });

  it('its gradient matches finite differences of the loss (sigmoid with label smoothing, and ipo)', async () => {
    const m = wideModel(2);
    const rng = new Rng(5);
    const pairs = randomPairs(rng, 3);
    const cur = await pairLogps(m, pairs, { padId: 0 });
    // Reference log-probabilities ±1 away from the policy's, so h is far from 0 and the pairs differ.
    const withRef = pairs.map((p, i) => ({ ...p, refChosenLogps: cur.chosen[i] + Math.sin(3 * i + 1), refRejectedLogps: cur.rejected[i] + Math.cos(5 * i) }));
    const batch = dpoBatch(withRef, { padId: 0, T: 16 });
    for (const c of [dpoConfig({ beta: 0.7, labelSmoothing: 0.1 }), dpoConfig({ beta: 0.5, lossType: 'ipo' })]) {
      const obj = dpoObjective(c);
      const r = await obj(m, batch);
      const names = ['model.layers.0.self_attn.q_proj.weight', 'lm_head.weight', 'model.embed_tokens.weight', 'model.norm.weight'];
      const { worst, where } = await worstFiniteDifference(m, () => obj(m, batch), r.flat, names, (k, n) => (k * 31 + 5) % n);
      expect(worst, `${c.lossType}: ${where}`).toBeLessThan(3e-2);
    }
  });

  it('micro-batches weighted count/total give the loss and gradient of the whole batch', async () => {
    const m = wideModel(3);
    const rng = new Rng(8);
    const pairs = randomPairs(rng, 5).map((p) => ({ ...p, refChosenLogps: -10 + rng.normal(), refRejectedLogps: -10 + rng.normal() }));
    const obj = dpoObjective(dpoConfig({ beta: 0.2 }));
    const whole = await obj(m, dpoBatch(pairs, { padId: 0 }));
    const wholeFlat = Float32Array.from(whole.flat);
    // Two micro-batches (3 + 2 pairs), each pair weighted 2/5; the trainer averages the two.
    const a = await obj(m, dpoBatch(pairs.slice(0, 3), { padId: 0, pairWeights: [0.4, 0.4, 0.4] }));
    const aFlat = Float32Array.from(a.flat);
    const b = await obj(m, dpoBatch(pairs.slice(3), { padId: 0, pairWeights: [0.4, 0.4] }));
    expect((a.loss + b.loss) / 2).toBeCloseTo(whole.loss, 5);
    let worst = 0;
    for (let i = 0; i < wholeFlat.length; i++) worst = Math.max(worst, Math.abs((aFlat[i] + b.flat[i]) / 2 - wholeFlat[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('a few steps on a few pairs raise rewards/accuracies and rewards/margins', async () => {
    const m = LlamaModel.init(cfg, { seed: 4, runtime: new Runtime({ threads: 1 }) });
    // A consistent preference: chosen responses end in token 7, rejected ones in token 9.
    const rng = new Rng(11);
    const raw = Array.from({ length: 8 }, () => {
      const prompt = seq(rng, 4);
      const body = seq(rng, 3);
      return { prompt, chosen: [...body, 7], rejected: [...body, 9] };
    });
    const pairs = await withReference(m, raw, { padId: 0 });
    const c = dpoConfig({ beta: 0.1 });
    const trainer = new Trainer(m, trainConfig({ lr: 1e-2, totalSteps: 12, weightDecay: 0, minLrRatio: 1 }), dpoObjective(c));
    const batch = dpoBatch(pairs, { padId: 0 });
    const first = await trainer.step([batch]);
    for (let s = 1; s < 12; s++) await trainer.step([batch]);
    // The state after training, measured independently of the trainer: fresh log-probabilities.
    const lp = await pairLogps(m, pairs, { padId: 0 });
    const rw = implicitRewards(lp, pairs, c);
    const acc = rw.chosen.filter((x, i) => x > rw.rejected[i]).length / pairs.length;
    const margin = rw.chosen.reduce((s, x, i) => s + x - rw.rejected[i], 0) / pairs.length;
    expect(Math.abs(first['rewards/margins'])).toBeLessThan(1e-4); // the policy starts as the reference
    expect(acc).toBe(1);
    expect(margin).toBeGreaterThan(0.1);
    expect((await dpoObjective(c)(m, batch)).metrics!['rewards/margins']).toBeCloseTo(margin, 4);
  });

  it('pairLogps (padded, bucketed) equals the float64 reference forward pass', async () => {
    const m = wideModel(6);
    const pairs = randomPairs(new Rng(9), 5);
    const lp = await pairLogps(m, pairs, { padId: 0, batchPairs: 2 });
    const ref = (prompt: number[], response: number[]) => {
      const full = [...prompt, ...response];
      const logits = referenceLogits(cfg, (n) => m.params.get(n), full);
      let s = 0;
      for (let t = prompt.length - 1; t < full.length - 1; t++) {
        const row = logits[t];
        const mx = Math.max(...row);
        const lse = mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
        s += row[full[t + 1]] - lse;
      }
      return s;
    };
    pairs.forEach((p, i) => {
      expect(lp.chosen[i]).toBeCloseTo(ref(p.prompt, p.chosen), 3);
      expect(lp.rejected[i]).toBeCloseTo(ref(p.prompt, p.rejected), 3);
    });
  });

  it('bad configs and batches get one clear error', () => {
    expect(() => dpoConfig({ lossType: 'ipo', labelSmoothing: 0.1 }, 'cfg.json')).toThrow(/cfg.json: labelSmoothing: .*sigmoid/);
    expect(() => dpoConfig({ beta: 0 })).toThrow(/beta/);
    expect(() => dpoConfig({ betta: 0.1 })).toThrow(/betta|Unrecognized/);
    expect(() => dpoBatch([{ prompt: [1], chosen: [2], rejected: [3] }], { padId: 0 })).toThrow(/pair 0 has no reference log-probabilities/);
    expect(() => dpoBatch([{ prompt: [1], chosen: [], rejected: [3], refChosenLogps: 0, refRejectedLogps: 0 }], { padId: 0 })).toThrow(/pair 0 has an empty chosen/);
    expect(() => dpoBatch([{ prompt: [1, 2, 3], chosen: [2, 2], rejected: [3], refChosenLogps: 0, refRejectedLogps: 0 }], { padId: 0, T: 3 })).toThrow(/5 tokens does not fit T = 3/);
  });
});
