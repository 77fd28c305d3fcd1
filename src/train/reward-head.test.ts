import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { pairBatch, replyFeatures, rewardObjective, scoreReplies, type ReplyFeatures, type TokenPair } from './reward.js';
import { fitRewardHead } from './reward-head.js';
import { PromptCache } from './prompt-cache.js';
import { worstFiniteDifference } from './test-fixtures.js';

const cfg = llamaConfig({ vocabSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 64 });

/** A model with a rank-`k` conditioned reward head and every parameter random (biases included). */
function randomModel(k: number, seed: number): LlamaModel {
  const m = LlamaModel.init(cfg, { seed, runtime: new Runtime({ threads: 1 }), heads: ['reward'], rewardRank: k });
  const rng = new Rng(seed + 10);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.3 * rng.normal();
  }
  return m;
}

const groupsOf = (rng: Rng) =>
  [0, 1, 2].map(() => ({ prompt: Array.from({ length: 3 + rng.int(9) }, () => 1 + rng.int(20)), replies: Array.from({ length: 3 }, () => Array.from({ length: 2 + rng.int(8) }, () => 1 + rng.int(20))) }));

/** Host computation from full-sequence hidden states: the head's reward with the mean read-out. */
async function hostRewards(m: LlamaModel, groups: { prompt: number[]; replies: number[][] }[]): Promise<number[]> {
  const d = cfg.dModel;
  const P = (n: string) => m.params.get(n);
  const k = P('score.cond_u.weight').length / d;
  const out: number[] = [];
  for (const g of groups)
    for (const r of g.replies) {
      const seq = [...g.prompt, ...r];
      const H = (await m.forward([seq], { logits: false, hooks: { cache: ['ln_final.hook_normalized'] } })).cache['ln_final.hook_normalized'].data as Float32Array;
      const h = (t: number) => H.subarray(t * d, (t + 1) * d);
      const dot = (w: Float32Array, off: number, x: Float32Array) => x.reduce((s, xi, j) => s + w[off + j] * xi, 0);
      const a = Array.from({ length: k }, (_, i) => dot(P('score.cond_u.weight'), i * d, h(g.prompt.length - 1)) + P('score.cond_u.bias')[i]);
      let sum = 0;
      for (let t = g.prompt.length; t < seq.length; t++) {
        let s = dot(P('score.weight'), 0, h(t));
        for (let i = 0; i < k; i++) s += a[i] * (dot(P('score.cond_v.weight'), i * d, h(t)) + P('score.cond_v.bias')[i]);
        sum += s;
      }
      out.push(sum / r.length);
    }
  return out;
}

describe('prompt-conditioned reward head', () => {
  it('scoreReplies and PromptCache.rewards equal a host computation from full-sequence hidden states; full-sequence scoring is refused', async () => {
    const m = randomModel(3, 1);
    const groups = groupsOf(new Rng(2));
    const want = await hostRewards(m, groups);
    const got = (await scoreReplies(m, groups, { padId: 0, rowsPerBatch: 4, readout: 'mean' })).flat();
    got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 4));
    const flat = groups.flatMap((g) => g.replies.map((r) => ({ prompt: g.prompt, r })));
    const cache = await PromptCache.build(m, flat.map((x) => x.prompt), { padId: 0 });
    const cached = await cache.rewards(flat.map((x) => x.r), 'mean');
    cached.forEach((x, i) => expect(x).toBeCloseTo(want[i], 4));
    // The conditioning matters: without it the same replies score differently.
    m.params.get('score.cond_u.weight').fill(0);
    m.params.get('score.cond_u.bias').fill(0);
    const plain = (await scoreReplies(m, groups, { padId: 0, readout: 'mean' })).flat();
    expect(Math.max(...plain.map((x, i) => Math.abs(x - want[i])))).toBeGreaterThan(0.1);
    await expect(m.forward([[1, 2, 3]], { heads: ['reward'] })).rejects.toThrow(/prompt-conditioned reward head/);
  });

  it('the Bradley–Terry gradient through the conditioned head matches finite differences', async () => {
    const m = randomModel(2, 3);
    const rng = new Rng(4);
    const groups = groupsOf(rng);
    const pairs: TokenPair[] = groups.flatMap((g) => [{ prompt: g.prompt, chosen: g.replies[0], rejected: g.replies[1] }, { prompt: g.prompt, chosen: g.replies[2], rejected: g.replies[0], margin: 0.4 }]);
    const b = pairBatch(pairs, { padId: 0, maxSeqLen: 64, readout: 'mean' });
    const obj = rewardObjective({ centerCoef: 0.1 });
    const r = await obj(m, b);
    const names = ['score.cond_u.weight', 'score.cond_u.bias', 'score.cond_v.weight', 'score.cond_v.bias', 'score.weight', 'model.layers.0.mlp.up_proj.weight'];
    const { worst, where } = await worstFiniteDifference(m, () => obj(m, b), r.flat, names, (k, n) => (k * 13) % n);
    expect(worst, where).toBeLessThan(2e-2);
  });

  it('is saved with its rank and loads back bit for bit; a rank mismatch is refused', async () => {
    const m = randomModel(2, 5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-cond-'));
    saveModel(dir, m);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).alignlab_reward_rank).toBe(2);
    const back = loadModel(dir, { runtime: new Runtime({ threads: 1 }) });
    for (const s of m.params.specs) expect(Array.from(back.params.get(s.name))).toEqual(Array.from(m.params.get(s.name)));
    expect(() => loadModel(dir, { rewardRank: 3 })).toThrow(/rank 2, asked for 3/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('fitRewardHead (frozen features)', () => {
  it('reaches the analytic optimum of a one-feature problem, with the standardization folded into score.weight', () => {
    // Two replies, features 1 and 0 (standardized: +1 and −1, σ = 0.5): loss(w) = softplus(−2w) + λw².
    const f: ReplyFeatures = { d: 1, prompt: new Float32Array([0, 0]), reply: new Float32Array([1, 0]), index: [[0, 1]] };
    const l2 = 0.05;
    const fit = fitRewardHead(f, [{ chosen: 0, rejected: 1 }], { rank: 0, l2, iters: 3000, lr: 0.02, centerCoef: 0 });
    // Stationary point: 2σ(−2w) = 2λw, by bisection.
    let lo = 0, hi = 50;
    for (let i = 0; i < 100; i++) {
      const w = (lo + hi) / 2;
      if (2 / (1 + Math.exp(2 * w)) > 2 * l2 * w) lo = w;
      else hi = w;
    }
    expect(fit.params['score.weight'][0] * 0.5).toBeCloseTo(lo, 3);
  });

  it('learns a prompt × reply interaction that a linear head cannot, and its folded parameters rank pairs as the fit does', () => {
    // The prompt states a fact (±1 on feature 0); the better reply matches it (feature 1 = fact).
    const rng = new Rng(7);
    const d = 5;
    const make = (n: number) => {
      const prompt = new Float32Array(2 * n * d), reply = new Float32Array(2 * n * d);
      const pairs = [];
      for (let i = 0; i < n; i++) {
        const fact = rng.next() < 0.5 ? 1 : -1;
        for (const [j, match] of [[2 * i, 1], [2 * i + 1, -1]] as const) {
          for (let c = 0; c < d; c++) {
            prompt[j * d + c] = 0.3 * rng.normal() + 0.5;
            reply[j * d + c] = 0.3 * rng.normal() - 0.2;
          }
          prompt[j * d] = fact + 0.1 * rng.normal();
          reply[j * d + 1] = fact * match + 0.1 * rng.normal();
        }
        pairs.push({ chosen: 2 * i, rejected: 2 * i + 1 });
      }
      return { f: { d, prompt, reply, index: [] } as ReplyFeatures, pairs };
    };
    const train = make(200), test = make(200);
    // Host computation of the folded head on raw features.
    const score = (p: Record<string, Float32Array>, f: ReplyFeatures, i: number) => {
      const dot = (w: Float32Array, off: number, x: Float32Array) => Array.from({ length: d }, (_, c) => w[off + c] * x[i * d + c]).reduce((a, b) => a + b, 0);
      let s = dot(p['score.weight'], 0, f.reply);
      const k = p['score.cond_u.weight'] ? p['score.cond_u.weight'].length / d : 0;
      for (let q = 0; q < k; q++) s += (dot(p['score.cond_u.weight'], q * d, f.prompt) + p['score.cond_u.bias'][q]) * (dot(p['score.cond_v.weight'], q * d, f.reply) + p['score.cond_v.bias'][q]);
      return s;
    };
    const accuracy = (p: Record<string, Float32Array>, s: ReturnType<typeof make>) => s.pairs.filter((q) => score(p, s.f, q.chosen) > score(p, s.f, q.rejected)).length / s.pairs.length;
    const linear = fitRewardHead(train.f, train.pairs, { rank: 0, l2: 0.01 });
    const cond = fitRewardHead(train.f, train.pairs, { rank: 1, l2: 0.01 });
    expect(accuracy(linear.params, test)).toBeLessThan(0.65);
    expect(accuracy(cond.params, test)).toBeGreaterThan(0.95);
    // Folding changes each reward by one constant only: every training gap is the fit's own.
    for (const q of train.pairs) expect(score(cond.params, train.f, q.chosen) - score(cond.params, train.f, q.rejected)).toBeCloseTo(cond.reward(q.chosen) - cond.reward(q.rejected), 3);
    expect(() => fitRewardHead(train.f, [{ chosen: 0, rejected: 9999 }], { rank: 1 })).toThrow(/pair 0 names feature 9999/);
  });

  it('replyFeatures give the rewards of scoreReplies through the head: (w + Vᵀa)·reply + a·v', async () => {
    const m = randomModel(2, 9);
    const groups = groupsOf(new Rng(3));
    const f = await replyFeatures(m, groups, { padId: 0, readout: 'mean' });
    const want = (await scoreReplies(m, groups, { padId: 0, readout: 'mean' })).flat();
    const p = Object.fromEntries(['score.weight', 'score.cond_u.weight', 'score.cond_u.bias', 'score.cond_v.weight', 'score.cond_v.bias'].map((n) => [n, m.params.get(n)]));
    const d = cfg.dModel;
    const dot = (w: Float32Array, off: number, x: Float32Array, i: number) => Array.from({ length: d }, (_, c) => w[off + c] * x[i * d + c]).reduce((a, b) => a + b, 0);
    groups.forEach((g, gi) =>
      g.replies.forEach((_, ri) => {
        const i = f.index[gi][ri];
        let s = dot(p['score.weight'], 0, f.reply, i);
        for (let q = 0; q < 2; q++) s += (dot(p['score.cond_u.weight'], q * d, f.prompt, i) + p['score.cond_u.bias'][q]) * (dot(p['score.cond_v.weight'], q * d, f.reply, i) + p['score.cond_v.bias'][q]);
        expect(s).toBeCloseTo(want[i], 4);
      }),
    );
  });
});
