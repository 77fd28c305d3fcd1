import { describe, expect, it } from 'vitest';
import * as ops from '../engine/ops.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { llamaConfig } from './config.js';
import { LlamaModel } from './model.js';
import { scalarHead } from './llama.js';
import { sharedPrefixBatch, sharedPrefixFeeds, sharedPrefixForward, sharedPrefixInputs, type PromptGroup } from './shared-prefix.js';

const cfg = llamaConfig({ vocabSize: 40, dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 48, maxSeqLen: 96 });

function randomModel(seed: number): LlamaModel {
  const m = LlamaModel.init(cfg, { seed, runtime: new Runtime({ threads: 1 }), heads: ['reward'] });
  const rng = new Rng(seed + 1);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.1 * rng.normal() : 0.2 * rng.normal();
  }
  return m;
}

function groups(rng: Rng): PromptGroup[] {
  const seq = (n: number) => Array.from({ length: n }, () => 1 + rng.int(39));
  return [
    { prompt: seq(9), replies: [seq(3), seq(7), seq(1), seq(5)] },
    { prompt: seq(20), replies: [seq(4), seq(6)] },
    { prompt: seq(1), replies: [seq(8)] },
  ];
}

/** Log-prob of each reply token and the reward at each reply's last token, from full rows. */
async function reference(m: LlamaModel, gs: PromptGroup[]) {
  const logps: number[][] = [];
  const rewards: number[] = [];
  for (const g of gs) {
    for (const r of g.replies) {
      const seq = [...g.prompt, ...r];
      const f = await m.forward([seq], { heads: ["reward"] });
      const logits = f.logits!;
      const V = cfg.vocabSize;
      const lp: number[] = [];
      for (let j = 0; j < r.length; j++) {
        const row = logits.subarray((g.prompt.length - 1 + j) * V, (g.prompt.length + j) * V);
        const mx = Math.max(...row);
        const lse = mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
        lp.push(row[r[j]] - lse);
      }
      logps.push(lp);
      rewards.push(f.heads.reward![seq.length - 1]);
    }
  }
  return { logps, rewards };
}

describe('shared-prefix batches', () => {
  it('give every reply token the log-prob and every reply the reward of a full forward pass', async () => {
    const m = randomModel(3);
    const gs = groups(new Rng(5));
    const b = sharedPrefixBatch(gs, { padId: 0, maxSeqLen: cfg.maxSeqLen, lengthMultiple: 8, rowMultiple: 4, prefixMultiple: 4 });
    expect([b.G, b.R]).toEqual([4, 8]); // padded to multiples of 4
    const targets = new BigInt64Array(b.R * b.Tr);
    b.rows.forEach((r, i) => gs[r.group].replies[r.reply].forEach((t, j) => (targets[i * b.Tr + j] = BigInt(t))));
    const out = await m.evaluate(
      'test-shared',
      { ...sharedPrefixInputs(b), targets: { shape: [b.R * b.Tr], dtype: 'int64' } },
      ({ P, inp, cfg: c }) => {
        const { hidden, logits } = sharedPrefixForward(c, P, inp);
        return { logp: ops.neg(ops.softmaxCrossEntropy(logits, inp.targets).loss), reward: scalarHead(P, 'reward', hidden, b.R, b.Tr) };
      },
      { ...sharedPrefixFeeds(b), targets },
    );
    const ref = await reference(m, gs);
    const logp = out.logp as Float32Array;
    const reward = out.reward as Float32Array;
    let worst = 0;
    b.rows.forEach((r, i) => {
      ref.logps[i].forEach((x, j) => (worst = Math.max(worst, Math.abs(x - logp[i * b.Tr + j]))));
      worst = Math.max(worst, Math.abs(ref.rewards[i] - reward[i * b.Tr + r.length - 1]));
    });
    expect(worst).toBeLessThan(1e-4);
  });

  it('carries gradients into the prefix: the objective gradient equals the full-row one', async () => {
    const m = randomModel(7);
    const gs = groups(new Rng(9));
    const b = sharedPrefixBatch(gs, { padId: 0, maxSeqLen: cfg.maxSeqLen, lengthMultiple: 8 });
    // Loss: Σ reply-token log-probs of every reply (a sum over rows, so full rows give it too).
    const targets = new BigInt64Array(b.R * b.Tr);
    const mask = new Float32Array(b.R * b.Tr);
    b.rows.forEach((r, i) => gs[r.group].replies[r.reply].forEach((t, j) => ((targets[i * b.Tr + j] = BigInt(t)), (mask[i * b.Tr + j] = 1))));
    const shared = await m.objective(
      'test-shared-grad',
      { ...sharedPrefixInputs(b), targets: { shape: [b.R * b.Tr], dtype: 'int64' }, mask: { shape: [b.R * b.Tr] } },
      ({ P, inp, cfg: c }) => ({ loss: ops.reduceSum(ops.mul(ops.softmaxCrossEntropy(sharedPrefixForward(c, P, inp).logits, inp.targets).loss, inp.mask), [0]) }),
      { ...sharedPrefixFeeds(b), targets, mask },
    );
    // The same loss from full rows, one row per reply, right-padded.
    const seqs = gs.flatMap((g) => g.replies.map((r) => ({ seq: [...g.prompt, ...r], start: g.prompt.length - 1, n: r.length })));
    const T = Math.max(...seqs.map((s) => s.seq.length));
    const B = seqs.length;
    const ids = new BigInt64Array(B * T);
    const ft = new BigInt64Array(B * T);
    const fm = new Float32Array(B * T);
    seqs.forEach((s, i) => {
      s.seq.forEach((t, j) => (ids[i * T + j] = BigInt(t)));
      for (let j = 0; j < s.n; j++) {
        ft[i * T + s.start + j] = BigInt(s.seq[s.start + j + 1]);
        fm[i * T + s.start + j] = 1;
      }
    });
    const { llamaForward } = await import('./llama.js');
    const full = await m.objective(
      'test-full-grad',
      { ids: { shape: [B, T], dtype: 'int64' }, targets: { shape: [B * T], dtype: 'int64' }, mask: { shape: [B * T] } },
      ({ P, inp, cfg: c }) => ({ loss: ops.reduceSum(ops.mul(ops.softmaxCrossEntropy(llamaForward(c, P, { ids: inp.ids }).logits, inp.targets).loss, inp.mask), [0]) }),
      { ids, targets: ft, mask: fm },
    );
    expect(shared.loss).toBeCloseTo(full.loss, 3);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < full.flat.length; i++) {
      worst = Math.max(worst, Math.abs(full.flat[i] - shared.flat[i]));
      scale = Math.max(scale, Math.abs(full.flat[i]));
    }
    expect(worst / scale).toBeLessThan(1e-4);
  });

  it('names the group whose prompt and reply overflow the context', () => {
    expect(() => sharedPrefixBatch([{ prompt: [1, 2], replies: [[3]] }, { prompt: Array(90).fill(1), replies: [Array(10).fill(2)] }], { padId: 0, maxSeqLen: 96 })).toThrow(/group 1: prompt \(90\) \+ reply \(10\)/);
  });
});
