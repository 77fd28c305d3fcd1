import { describe, expect, it, afterAll } from 'vitest';
import { llamaConfig, type LlamaConfigInput } from './config.js';
import { LlamaModel, toBatch } from './model.js';
import { referenceLogits } from './reference.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { hookNames } from './hooks.js';

const rt = new Runtime({ threads: 1 });
afterAll(() => rt.release());

/** A tiny model with large random weights (std 0.3, norms ≠ 1) so every path matters. */
function tinyModel(over: Partial<LlamaConfigInput> = {}, seed = 1): LlamaModel {
  const cfg = llamaConfig({ vocabSize: 23, dModel: 16, nLayers: 2, nHeads: 4, dFF: 24, maxSeqLen: 32, ...over });
  const m = LlamaModel.init(cfg, { seed, runtime: rt });
  const rng = new Rng(seed + 100);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.3 * rng.normal() : 0.3 * rng.normal();
  }
  return m;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('Llama forward matches an independent float64 implementation of the HF math', () => {
  const variants: [string, Partial<LlamaConfigInput>][] = [
    ['multi-head, untied', {}],
    ['grouped-query (4 q heads, 2 kv), tied embeddings', { nKVHeads: 2, tieEmbeddings: true }],
    ['multi-query with q/k/v biases (Qwen2-style), θ=500000', { nKVHeads: 1, attentionBias: true, ropeTheta: 500000 }],
  ];
  for (const [name, over] of variants) {
    it(name, async () => {
      const m = tinyModel(over);
      const ids = [3, 17, 0, 22, 5, 5, 9, 1, 12, 7, 2];
      const { logits } = await m.forward([ids]);
      const ref = referenceLogits(m.cfg, (n) => m.params.get(n), ids).flat();
      expect(logits!.length).toBe(ref.length);
      expect(maxAbsDiff(logits!, ref)).toBeLessThan(1e-4);
    });
  }

  it('with many rows (fused q/k/v and gate/up projections), GQA and biases', async () => {
    const m = tinyModel({ nKVHeads: 2, attentionBias: true, maxSeqLen: 160 });
    const rows = [0, 1].map((r) => Array.from({ length: 128 }, (_, i) => (i * 7 + r * 5) % 23));
    const { logits } = await m.forward(rows);
    const ref = rows.flatMap((row) => referenceLogits(m.cfg, (n) => m.params.get(n), row).flat());
    expect(maxAbsDiff(logits!, ref)).toBeLessThan(1e-4);
  });

  it('batches rows independently', async () => {
    const m = tinyModel();
    const rows = [
      [1, 2, 3, 4, 5],
      [9, 8, 7, 6, 5],
    ];
    const { logits } = await m.forward(rows);
    const ref = rows.flatMap((r) => referenceLogits(m.cfg, (n) => m.params.get(n), r).flat());
    expect(maxAbsDiff(logits!, ref)).toBeLessThan(1e-4);
  });

  it('left padding with positions and a key mask gives the unpadded logits', async () => {
    const m = tinyModel({ nKVHeads: 2 });
    const V = m.cfg.vocabSize;
    const short = [4, 8, 15, 16];
    const long = [1, 2, 3, 4, 5, 6];
    const pad = long.length - short.length;
    const batch = toBatch([[...new Array(pad).fill(0), ...short], long]);
    const positions = BigInt64Array.from([...new Array(pad).fill(0), 0, 1, 2, 3, 0, 1, 2, 3, 4, 5].map(BigInt));
    const keyMask = Float32Array.from([...new Array(pad).fill(0), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const { logits } = await m.forward(batch, { positions, keyMask });
    const refShort = referenceLogits(m.cfg, (n) => m.params.get(n), short).flat();
    const refLong = referenceLogits(m.cfg, (n) => m.params.get(n), long).flat();
    expect(maxAbsDiff(logits!.subarray(pad * V, long.length * V), refShort)).toBeLessThan(1e-4);
    expect(maxAbsDiff(logits!.subarray(long.length * V), refLong)).toBeLessThan(1e-4);
  });

  it('rejects token ids outside the vocabulary with a clear error', async () => {
    const m = tinyModel();
    await expect(m.forward([[1, 99]])).rejects.toThrow(/token id 99 at position 1 is outside the vocabulary \(0…22\)/);
  });
});

describe('whole-model gradients match finite differences', () => {
  it('loss gradient for sampled entries of every parameter tensor', async () => {
    const m = tinyModel({ nKVHeads: 2, attentionBias: true }, 3);
    const rng = new Rng(5);
    const B = 2;
    const T = 6;
    const ids = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(m.cfg.vocabSize)));
    const targets = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(m.cfg.vocabSize)));
    const weights = Float32Array.from({ length: B * T }, (_, i) => (i % 5 === 0 ? 0 : 0.5 + rng.next()));
    const batch = { B, T, ids, targets, weights };
    const { grads } = await m.lossAndGrads(batch);
    const eps = 1e-2;
    let worst = 0;
    let where = '';
    for (const s of m.params.specs) {
      const v = m.params.get(s.name);
      for (let k = 0; k < 3; k++) {
        const i = rng.int(v.length);
        const orig = v[i];
        v[i] = orig + eps;
        const lp = (await m.lossAndGrads(batch)).loss;
        v[i] = orig - eps;
        const lm = (await m.lossAndGrads(batch)).loss;
        v[i] = orig;
        const numeric = (lp - lm) / (2 * eps);
        const err = Math.abs(numeric - grads[s.name][i]) / Math.max(0.05, Math.abs(numeric));
        if (err > worst) {
          worst = err;
          where = `${s.name}[${i}]: analytic ${grads[s.name][i]}, numeric ${numeric}`;
        }
      }
    }
    expect(worst, where).toBeLessThan(2e-2);
  });
});

describe('named activation points (TransformerLens names)', () => {
  it('caches activations in TransformerLens shapes, with causal patterns that sum to 1', async () => {
    const m = tinyModel({ nKVHeads: 2 });
    const ids = [[1, 2, 3, 4, 5]];
    const names = ['hook_embed', 'blocks.0.attn.hook_pattern', 'blocks.1.hook_resid_post', 'blocks.0.attn.hook_k', 'blocks.1.mlp.hook_post', 'ln_final.hook_normalized'];
    const r = await m.forward(ids, { hooks: { cache: names } });
    expect(r.cache['hook_embed'].shape).toEqual([1, 5, 16]);
    expect(r.cache['blocks.0.attn.hook_k'].shape).toEqual([1, 5, 2, 4]);
    expect(r.cache['blocks.1.mlp.hook_post'].shape).toEqual([1, 5, 24]);
    const pat = r.cache['blocks.0.attn.hook_pattern'];
    expect(pat.shape).toEqual([1, 4, 5, 5]);
    for (let h = 0; h < 4; h++) {
      for (let i = 0; i < 5; i++) {
        let s = 0;
        for (let j = 0; j < 5; j++) {
          const p = pat.data[((h * 5 + i) * 5) + j];
          if (j > i) expect(p).toBeLessThan(1e-6);
          s += p;
        }
        expect(s).toBeCloseTo(1, 5);
      }
    }
    // hook_embed is exactly the embedding rows.
    const emb = m.params.get('model.embed_tokens.weight');
    expect(maxAbsDiff(r.cache['hook_embed'].data.subarray(16, 32), emb.subarray(2 * 16, 3 * 16))).toBe(0);
  });

  it('adding a vector at hook_resid_pre of block 0 equals shifting every embedding row', async () => {
    const m = tinyModel();
    const ids = [[3, 1, 4, 1, 5]];
    const vec = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const steered = await m.forward(ids, { hooks: { edits: { 'blocks.0.hook_resid_pre': 'add' } }, edits: { 'hook:blocks.0.hook_resid_pre:add': vec } });
    const shifted = m.params.clone();
    const emb = shifted.get('model.embed_tokens.weight');
    for (let r = 0; r < m.cfg.vocabSize; r++) for (let i = 0; i < 16; i++) emb[r * 16 + i] += vec[i];
    const ref = referenceLogits(m.cfg, (n) => shifted.get(n), ids[0]).flat();
    expect(maxAbsDiff(steered.logits!, ref)).toBeLessThan(1e-4);
  });

  it('replace with the cached value is the identity; projectOut removes the direction', async () => {
    const m = tinyModel();
    const ids = [[7, 7, 2, 9]];
    const name = 'blocks.0.hook_resid_post';
    const base = await m.forward(ids, { hooks: { cache: [name] } });
    const patched = await m.forward(ids, { hooks: { edits: { [name]: 'replace' } }, edits: { [`hook:${name}:replace`]: base.cache[name].data } });
    expect(maxAbsDiff(patched.logits!, base.logits!)).toBeLessThan(1e-6);
    const u = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
    const ablated = await m.forward(ids, { hooks: { cache: [name], edits: { [name]: 'projectOut' } }, edits: { [`hook:${name}:projectOut`]: u } });
    const x = ablated.cache[name].data;
    for (let t = 0; t < 4; t++) {
      let dot = 0;
      for (let i = 0; i < 16; i++) dot += x[t * 16 + i] * u[i];
      expect(Math.abs(dot)).toBeLessThan(1e-4);
    }
    expect(maxAbsDiff(ablated.logits!, base.logits!)).toBeGreaterThan(1e-3);
  });

  it('rejects unknown hook names', async () => {
    const m = tinyModel();
    await expect(m.forward([[1]], { hooks: { cache: ['blocks.9.hook_resid_pre'] } })).rejects.toThrow(/unknown hook point "blocks.9.hook_resid_pre"/);
    expect(hookNames(2)).toContain('blocks.1.attn.hook_z');
  });
});
