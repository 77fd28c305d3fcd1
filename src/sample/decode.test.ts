import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../engine/ir.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { llamaConfig, headDim, type LlamaConfigInput } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { llamaDecodeStep, llamaForward, paramInputs } from '../model/llama.js';
import { referenceLogits } from '../model/reference.js';

const rt = new Runtime({ threads: 1 });
afterAll(() => rt.release());

/** A tiny model with large random weights (std 0.4, norms ≠ 1) so every path matters. */
function tinyModel(over: Partial<LlamaConfigInput>, seed: number): LlamaModel {
  const cfg = llamaConfig({ vocabSize: 37, dModel: 16, nLayers: 2, nHeads: 4, dFF: 24, maxSeqLen: 48, ...over });
  const m = LlamaModel.init(cfg, { seed, runtime: rt });
  const rng = new Rng(seed + 100);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.3 * rng.normal() : 0.4 * rng.normal();
  }
  return m;
}

/** Each layer's keys and values of a whole sequence, (nkv, T, hd), from the plain forward pass. */
async function sequenceKV(m: LlamaModel, seq: number[]): Promise<{ k: Float32Array; v: Float32Array }[]> {
  const g = new Graph();
  const out = llamaForward(m.cfg, paramInputs(g, m.params.specs), { ids: g.input('ids', [1, seq.length], 'int64') });
  out.present.forEach((kv, i) => {
    g.output(`k${i}`, kv.k);
    g.output(`v${i}`, kv.v);
  });
  const res = await (await rt.compile(g)).run({ ...Object.fromEntries(m.params.views), ids: BigInt64Array.from(seq.map(BigInt)) });
  return Array.from({ length: m.cfg.nLayers }, (_, i) => ({ k: res[`k${i}`] as Float32Array, v: res[`v${i}`] as Float32Array }));
}

describe('llamaDecodeStep (one new token over a chunked KV cache)', () => {
  const variants: [string, Partial<LlamaConfigInput>][] = [
    ['grouped-query (4 q heads, 2 kv)', { nKVHeads: 2 }],
    ['multi-query with q/k/v biases, tied embeddings, θ=500000', { nKVHeads: 1, attentionBias: true, tieEmbeddings: true, ropeTheta: 500000 }],
    ['multi-head', {}],
  ];
  for (const [name, over] of variants) {
    it(`${name}: logits equal an independent float64 forward pass; new keys/values equal the full pass's`, async () => {
      const m = tinyModel(over, 3);
      const c = m.cfg;
      const nkv = c.nKVHeads;
      const hd = headDim(c);
      const rng = new Rng(11);
      // Two rows of different lengths; each row's cached positions sit at scattered slots of two
      // chunks (6 and 8 slots), the other slots hold finite junk and are masked out.
      const seqs = [7, 11].map((n) => Array.from({ length: n + 1 }, () => rng.int(c.vocabSize)));
      const sizes = [6, 8];
      const S = sizes[0] + sizes[1];
      const slotsOf = [
        [1, 2, 4, 5, 6, 9, 13],
        [0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 12],
      ];
      const B = seqs.length;
      const chunks = (kv: 'k' | 'v', i: number, full: { k: Float32Array; v: Float32Array }[][]) =>
        sizes.map((size, j) => {
          const x = Float32Array.from({ length: B * nkv * size * hd }, () => 5 * rng.normal());
          const first = j === 0 ? 0 : sizes[0];
          seqs.forEach((seq, b) =>
            slotsOf[b].forEach((slot, t) => {
              if (slot < first || slot >= first + size) return;
              for (let h = 0; h < nkv; h++) {
                const src = full[b][i][kv].subarray((h * seq.length + t) * hd, (h * seq.length + t + 1) * hd);
                x.set(src, ((b * nkv + h) * size + slot - first) * hd);
              }
            }),
          );
          return x;
        });
      const full = await Promise.all(seqs.map((s) => sequenceKV(m, s)));
      const keyMask = new Float32Array(B * (S + 1));
      slotsOf.forEach((slots, b) => {
        for (const slot of slots) keyMask[b * (S + 1) + slot] = 1;
        keyMask[b * (S + 1) + S] = 1;
      });

      const g = new Graph();
      const past = Array.from({ length: c.nLayers }, (_, i) => ({
        k: sizes.map((n, j) => g.input(`k${i}.${j}`, [B, nkv, n, hd])),
        v: sizes.map((n, j) => g.input(`v${i}.${j}`, [B, nkv, n, hd])),
      }));
      const out = llamaDecodeStep(c, paramInputs(g, m.params.specs), { ids: g.input('ids', [B, 1], 'int64'), positions: g.input('positions', [B, 1], 'int64'), keyMask: g.input('keyMask', [B, S + 1]), past });
      g.output('logits', out.logits);
      out.present.forEach((kv, i) => {
        g.output(`newK${i}`, kv.k);
        g.output(`newV${i}`, kv.v);
      });
      const feeds: Record<string, Float32Array | BigInt64Array> = { ...Object.fromEntries(m.params.views), keyMask };
      feeds.ids = BigInt64Array.from(seqs.map((s) => BigInt(s[s.length - 1])));
      feeds.positions = BigInt64Array.from(seqs.map((s) => BigInt(s.length - 1)));
      for (let i = 0; i < c.nLayers; i++) {
        chunks('k', i, full).forEach((x, j) => (feeds[`k${i}.${j}`] = x));
        chunks('v', i, full).forEach((x, j) => (feeds[`v${i}.${j}`] = x));
      }
      const res = await (await rt.compile(g)).run(feeds);

      const V = c.vocabSize;
      seqs.forEach((seq, b) => {
        const ref = referenceLogits(c, (n) => m.params.get(n), seq);
        const got = (res.logits as Float32Array).subarray(b * V, (b + 1) * V);
        for (let j = 0; j < V; j++) expect(Math.abs(got[j] - ref[seq.length - 1][j])).toBeLessThan(1e-4);
        for (let i = 0; i < c.nLayers; i++) {
          for (const kv of ['k', 'v'] as const) {
            const newKV = res[`new${kv.toUpperCase()}${i}`] as Float32Array; // (B, nkv, 1, hd)
            for (let h = 0; h < nkv; h++) {
              for (let e = 0; e < hd; e++) {
                const want = full[b][i][kv][(h * seq.length + seq.length - 1) * hd + e];
                expect(Math.abs(newKV[(b * nkv + h) * hd + e] - want)).toBeLessThan(1e-4);
              }
            }
          }
        }
      });
    });
  }
});
