import { describe, expect, it } from 'vitest';
import { sftBatches, splitByLength, type SftExample } from './sft.js';
import { Trainer, trainConfig } from './trainer.js';
import { Rng } from '../util/rng.js';
import { llamaConfig } from '../model/config.js';
import { LlamaModel, type LmBatch } from '../model/model.js';
import { Runtime } from '../engine/session.js';

/** Target positions of row r (its last positive weight + 1; 0 for an empty row). */
const rowLength = (b: LmBatch, r: number) => {
  let n = 0;
  for (let t = 0; t < b.T; t++) if (b.weights[r * b.T + t] > 0) n = t + 1;
  return n;
};
/** Target positions of each non-empty row, in row order. */
const rowLengths = (b: LmBatch) => [...Array(b.B).keys()].map((r) => rowLength(b, r)).filter((n) => n > 0);

describe('sftBatches', () => {
  const examples: SftExample[] = Array.from({ length: 50 }, (_, i) => {
    const n = 5 + ((i * 37) % 300);
    return { ids: Array.from({ length: n }, (_, t) => 10 + ((i + t) % 7)), weights: Array.from({ length: n }, (_, t) => (t % 3 === 0 ? 1 : 0.1)) };
  });
  const batches = sftBatches(examples, { tokensPerBatch: 1024, maxLen: 256, padId: 3, rng: new Rng(1) });

  it('uses few shapes: T a multiple of 128 and one B per T', () => {
    const shapes = new Set(batches.map((b) => `${b.B}x${b.T}`));
    expect(shapes.size).toBeLessThanOrEqual(2);
    for (const b of batches) {
      expect(b.T % 128).toBe(0);
      expect(b.B).toBe(Math.floor(1024 / b.T));
    }
  });

  it('places every example once, with targets shifted by one and padding at weight 0', () => {
    let rows = 0;
    let weightSum = 0;
    for (const b of batches) {
      for (let r = 0; r < b.B; r++) {
        const w = b.weights.subarray(r * b.T, (r + 1) * b.T);
        if (w.some((x) => x > 0)) rows++;
        for (let t = 0; t < b.T - 1; t++) if (w[t + 1] > 0) expect(b.ids[r * b.T + t + 1]).toBe(b.targets[r * b.T + t]);
        weightSum += w.reduce((a, x) => a + x, 0);
      }
    }
    expect(rows).toBe(examples.length);
    const expected = examples.reduce((s, e) => s + e.weights.slice(1, 257).reduce((a, x) => a + x, 0), 0);
    expect(weightSum).toBeCloseTo(expected, 3);
  });

  it('pads to a finer bucket when asked: each row in the smallest multiple of 32 that holds it', () => {
    const fine = sftBatches(examples, { tokensPerBatch: 1024, maxLen: 256, padId: 3, bucket: 32, rng: new Rng(1) });
    let rows = 0;
    for (const b of fine) {
      expect(b.B).toBe(Math.floor(1024 / b.T));
      for (let r = 0; r < b.B; r++) {
        const w = b.weights.subarray(r * b.T, (r + 1) * b.T);
        let targets = 0; // every example's weights are > 0: its targets end at the last positive weight
        for (let t = 0; t < b.T; t++) if (w[t] > 0) targets = t + 1;
        if (targets === 0) continue;
        rows++;
        expect(b.T).toBe(Math.min(256, Math.ceil(targets / 32) * 32));
      }
    }
    expect(rows).toBe(examples.length);
  });

  it('refuses a bucket that is not a positive integer', () => {
    expect(() => sftBatches(examples, { maxLen: 256, padId: 3, bucket: 0, rng: new Rng(1) })).toThrow(/bucket must be a positive integer, got 0/);
    expect(() => sftBatches(examples, { maxLen: 256, padId: 3, bucket: 2.5, rng: new Rng(1) })).toThrow(/got 2.5/);
  });

  it('with sortWindow and padTo keeps the batches per bucket and rows per batch, and pads each batch only to its longest row', () => {
    const tight = sftBatches(examples, { tokensPerBatch: 1024, maxLen: 256, padId: 3, padTo: 32, sortWindow: 2, rng: new Rng(1) });
    expect(tight.length).toBe(batches.length);
    const count = (bs: LmBatch[]) => bs.reduce((m, b) => m.set(b.B, (m.get(b.B) ?? 0) + 1), new Map<number, number>());
    expect(count(tight)).toEqual(count(batches)); // B identifies the bucket: 8 rows for 128, 4 for 256
    let rows = 0;
    for (const b of tight) {
      const lengths = rowLengths(b);
      rows += lengths.length;
      expect(b.T).toBe(Math.ceil(Math.max(...lengths) / 32) * 32);
    }
    expect(rows).toBe(examples.length);
    const cells = (bs: LmBatch[]) => bs.reduce((a, b) => a + b.B * b.T, 0);
    expect(cells(tight)).toBeLessThan(cells(batches));
  });

  it('sorts by length within windows: each window cuts into batches whose length ranges do not overlap', () => {
    // One bucket (lengths 131..250 → bucket 256, B = 4 rows per batch), 24 rows, all distinct.
    const same = Array.from({ length: 24 }, (_, i) => ({ ids: Array(131 + 5 * ((i * 7) % 24)).fill(5), weights: Array(131 + 5 * ((i * 7) % 24)).fill(1) }));
    const spans = (sortWindow: number) =>
      sftBatches(same, { tokensPerBatch: 1024, maxLen: 256, padId: 3, padTo: 1, sortWindow, rng: new Rng(2) }).map((b) => {
        const l = rowLengths(b);
        expect(b.T).toBe(Math.max(...l));
        return [Math.min(...l), Math.max(...l)];
      });
    const disjoint = (s: number[][]) => s.every(([lo, hi], i) => s.every(([l2, h2], j) => i === j || h2 < lo || l2 > hi));
    // A window as wide as the bucket sorts all of it: the six batches are six disjoint ranges.
    expect(disjoint(spans(6))).toBe(true);
    // Windows of 3 batches: the six split into two sets of three disjoint ranges (one per window).
    const s3 = spans(3);
    expect(disjoint(s3)).toBe(false);
    const splits = [0, 1, 2, 3, 4, 5].flatMap((a) => [0, 1, 2, 3, 4, 5].flatMap((b) => [0, 1, 2, 3, 4, 5].map((c) => [a, b, c]))).filter(([a, b, c]) => a < b && b < c);
    expect(splits.some((k) => disjoint(k.map((i) => s3[i])) && disjoint(s3.filter((_, i) => !k.includes(i))))).toBe(true);
    // Without sorting, the ranges overlap too much for that.
    const s1 = spans(1);
    expect(splits.some((k) => disjoint(k.map((i) => s1[i])) && disjoint(s1.filter((_, i) => !k.includes(i))))).toBe(false);
  });

  it('refuses padTo and sortWindow values that are not positive integers', () => {
    expect(() => sftBatches(examples, { maxLen: 256, padId: 3, padTo: 0, rng: new Rng(1) })).toThrow(/padTo must be a positive integer, got 0/);
    expect(() => sftBatches(examples, { maxLen: 256, padId: 3, sortWindow: 1.5, rng: new Rng(1) })).toThrow(/sortWindow must be a positive integer, got 1.5/);
  });

  it('a batch trimmed to its longest row has the loss and gradient of the same rows padded to the bucket', async () => {
    const cfg = llamaConfig({ vocabSize: 23, dModel: 16, nLayers: 2, nHeads: 4, dFF: 24, maxSeqLen: 64 });
    const model = LlamaModel.init(cfg, { seed: 3, runtime: new Runtime({ threads: 1 }) });
    const rows = [9, 20, 14].map((n, i) => ({ ids: Array.from({ length: n + 1 }, (_, t) => (3 * t + 5 * i) % 23), weights: Array.from({ length: n + 1 }, (_, t) => (t % 4 === 0 ? 0.1 : 1)) }));
    const [padded] = sftBatches(rows, { tokensPerBatch: 192, maxLen: 64, padId: 0, bucket: 64, rng: new Rng(1) });
    const [trimmed] = sftBatches(rows, { tokensPerBatch: 192, maxLen: 64, padId: 0, bucket: 64, padTo: 8, rng: new Rng(1) });
    expect([padded.B, padded.T, trimmed.B, trimmed.T]).toEqual([3, 64, 3, 24]);
    const a = await model.lossAndGrads(padded);
    const b = await model.lossAndGrads(trimmed);
    expect(b.loss).toBeCloseTo(a.loss, 6);
    let diff = 0, scale = 0;
    for (let i = 0; i < a.flat.length; i++) {
      diff = Math.max(diff, Math.abs(a.flat[i] - b.flat[i]));
      scale = Math.max(scale, Math.abs(a.flat[i]));
    }
    expect(scale).toBeGreaterThan(1e-3);
    expect(diff).toBeLessThan(1e-5 * scale);
    await model.runtime.release();
  });
});

describe('splitByLength', () => {
  // Rows of 9, 0 (empty), 20, 14, 3 and 17 targets in a 6 × 24 batch (weights 1 and 0.1).
  const lengths = [9, 0, 20, 14, 3, 17];
  const rows = lengths.filter((n) => n > 0).map((n, i) => ({ ids: Array.from({ length: n + 1 }, (_, t) => (3 * t + 5 * i) % 23), weights: Array.from({ length: n + 1 }, (_, t) => (t % 4 === 0 ? 0.1 : 1)) }));
  const [one] = sftBatches(rows, { tokensPerBatch: 144, maxLen: 24, padId: 0, bucket: 24, rng: new Rng(1) });

  it('cuts the rows, shortest first, into parts of ⌈B / parts⌉ rows, each padded only to its longest row', () => {
    expect([one.B, one.T]).toEqual([6, 24]);
    const parts = splitByLength(one, { parts: 2, padTo: 8, padId: 0 });
    expect(parts.map((p) => [p.batch.B, p.batch.T])).toEqual([[3, 16], [3, 24]]); // (empty, 3, 9) → 16; (14, 17, 20) → 24
    const weightOf = (b: LmBatch) => b.weights.reduce((a, x) => a + x, 0);
    const total = weightOf(one);
    for (const p of parts) expect(p.share).toBeCloseTo(weightOf(p.batch) / total, 12);
    expect(parts[0].share + parts[1].share).toBeCloseTo(1, 12);
    // Every row of the batch is in a part with the same ids, targets and weights up to its length.
    const key = (b: LmBatch, r: number, n: number) => JSON.stringify([...b.ids.subarray(r * b.T, r * b.T + n)].map(Number).concat([...b.targets.subarray(r * b.T, r * b.T + n)].map(Number), [...b.weights.subarray(r * b.T, r * b.T + n)]));
    const had = rowLengths(one).length;
    let found = 0;
    for (let r = 0; r < one.B; r++) {
      const n = rowLength(one, r);
      if (!n) continue;
      const hit = parts.some((p) => [...Array(p.batch.B).keys()].some((q) => key(p.batch, q, n) === key(one, r, n)));
      if (hit) found++;
    }
    expect(found).toBe(had);
  });

  it('leaves out parts without weight and refuses bad arguments', () => {
    const parts = splitByLength(one, { parts: 6, padTo: 1, padId: 0 });
    expect(parts.length).toBe(5); // the empty row's part is dropped
    expect(parts.map((p) => p.batch.T)).toEqual([3, 9, 14, 17, 20]);
    expect(() => splitByLength(one, { parts: 0, padTo: 8, padId: 0 })).toThrow(/parts must be a positive integer, got 0/);
    expect(() => splitByLength(one, { parts: 2, padTo: 1.5, padId: 0 })).toThrow(/padTo must be a positive integer, got 1.5/);
  });

  it('pads a short last part with weight-0 rows of padId, never pads beyond the batch, and returns a weightless batch whole', () => {
    const [five] = sftBatches(rows, { tokensPerBatch: 120, maxLen: 24, padId: 0, bucket: 24, rng: new Rng(1) });
    expect([five.B, five.T]).toEqual([5, 24]);
    const parts = splitByLength(five, { parts: 2, padTo: 64, padId: 7 });
    expect(parts.map((p) => [p.batch.B, p.batch.T])).toEqual([[3, 24], [3, 24]]); // padTo 64 > T: capped at T
    expect(parts.map((p) => rowLengths(p.batch))).toEqual([[3, 9, 14], [17, 20]]);
    const last = parts[1].batch;
    expect([...last.weights.subarray(2 * 24)].every((w) => w === 0)).toBe(true);
    expect([...last.ids.subarray(2 * 24)].every((id) => id === 7n)).toBe(true);
    const empty = { ...five, weights: new Float32Array(five.B * five.T) };
    expect(splitByLength(empty, { parts: 2, padTo: 8, padId: 0 })).toEqual([{ batch: empty, share: 1 }]);
  });

  it('a step over the parts weighted by their shares is the step over the whole batch', async () => {
    const cfg = llamaConfig({ vocabSize: 23, dModel: 16, nLayers: 2, nHeads: 4, dFF: 24, maxSeqLen: 24 });
    const make = () => new Trainer(LlamaModel.init(cfg, { seed: 5, runtime: new Runtime({ threads: 1 }) }), trainConfig({ lr: 1e-2, totalSteps: 4, gradClip: 0 }));
    const whole = make();
    const split = make();
    const parts = splitByLength(one, { parts: 2, padTo: 8, padId: 0 });
    for (let k = 0; k < 2; k++) {
      const a = await whole.step([one]);
      const b = await split.step(parts.map((p) => p.batch), parts.map((p) => p.share));
      expect(b['train/loss']).toBeCloseTo(a['train/loss'], 5);
      expect(b['train/grad_norm']).toBeCloseTo(a['train/grad_norm'], 5);
    }
    const pa = whole.model.params.flat, pb = split.model.params.flat;
    let moved = 0, diff = 0;
    const init = make().model.params.flat;
    for (let i = 0; i < pa.length; i++) {
      moved = Math.max(moved, Math.abs(pa[i] - init[i]));
      diff = Math.max(diff, Math.abs(pa[i] - pb[i]));
    }
    expect(moved).toBeGreaterThan(1e-3); // two steps at lr 1e-2 move the parameters ...
    expect(diff).toBeLessThan(1e-5); // ... and both ways to the same place
    await whole.model.runtime.release();
    await split.model.runtime.release();
  });

  it('Trainer.step refuses shares that do not match the micro-batches or do not sum to 1', async () => {
    const t = new Trainer(LlamaModel.init(llamaConfig({ vocabSize: 23, dModel: 16, nLayers: 1, nHeads: 4, dFF: 24, maxSeqLen: 24 }), { seed: 1, runtime: new Runtime({ threads: 1 }) }), trainConfig({ lr: 1e-3, totalSteps: 2 }));
    await expect(t.step([one], [0.5])).rejects.toThrow(/shares must be 1 non-negative numbers summing to 1, got \[0.5\]/);
    await expect(t.step([one, one], [1])).rejects.toThrow(/shares must be 2/);
    await expect(t.step([one, one], [1.5, -0.5])).rejects.toThrow(/got \[1.5, -0.5\]/);
    expect(t.stepCount).toBe(0);
  });
});

