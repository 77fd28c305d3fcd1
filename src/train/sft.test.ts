import { describe, expect, it } from 'vitest';
import { sftBatches, type SftExample } from './sft.js';
import { Rng } from '../util/rng.js';

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
});
