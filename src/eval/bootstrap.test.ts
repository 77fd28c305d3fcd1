/**
 * Bootstrap intervals against analytic references: the normal-approximation (Wald) interval
 * of a Bernoulli rate and of a mean at large n, the variance of a difference (paired and
 * unpaired), zero width for constant samples, coverage near the nominal level, determinism.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapMean, bootstrapMeanByKey, bootstrapMeanDiff, bootstrapRate, quantileSorted } from './bootstrap.js';
import { Rng } from '../util/rng.js';

const Z = 1.959964;

describe('bootstrapRate', () => {
  it('approaches p ± 1.96·√(p(1−p)/n) for a large Bernoulli sample', () => {
    const n = 8000;
    const rng = new Rng(3);
    const flags = Array.from({ length: n }, () => rng.next() < 0.3);
    const r = bootstrapRate(flags, { seed: 7 });
    const p = r.hits / n;
    const half = Z * Math.sqrt((p * (1 - p)) / n);
    expect(r.estimate).toBe(p);
    expect(r.of).toBe(n);
    // Monte Carlo error of a 2.5 % quantile from B = 1000 draws is about 5 % of the half-width.
    expect(Math.abs(r.lo - (p - half))).toBeLessThan(0.15 * half);
    expect(Math.abs(r.hi - (p + half))).toBeLessThan(0.15 * half);
  });

  it('leaves undefined flags out of the denominator', () => {
    const r = bootstrapRate([true, undefined, false, false, undefined, true], { B: 50 });
    expect([r.hits, r.of, r.n, r.estimate]).toEqual([2, 4, 4, 0.5]);
  });

  it('0 of n and n of n give zero-width intervals; no defined flag gives NaN', () => {
    const none = bootstrapRate(Array(40).fill(false));
    expect([none.estimate, none.lo, none.hi]).toEqual([0, 0, 0]);
    const all = bootstrapRate(Array(40).fill(true));
    expect([all.estimate, all.lo, all.hi]).toEqual([1, 1, 1]);
    const empty = bootstrapRate([undefined, undefined]);
    expect(empty.of).toBe(0);
    expect(Number.isNaN(empty.estimate) && Number.isNaN(empty.lo)).toBe(true);
  });

  it('covers the true rate about 95 % of the time', () => {
    const rng = new Rng(11);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const flags = Array.from({ length: 150 }, () => rng.next() < 0.4);
      const r = bootstrapRate(flags, { B: 300, seed: t });
      if (r.lo <= 0.4 && 0.4 <= r.hi) covered++;
    }
    // Binomial(200, 0.95) has sd 3.1 %; the percentile interval runs slightly narrow at n = 150.
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.995);
  });
});

describe('bootstrapMean', () => {
  it('approaches mean ± 1.96·s/√n for a large normal sample', () => {
    const rng = new Rng(5);
    const xs = Array.from({ length: 5000 }, () => 2 + 0.5 * rng.normal());
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
    const half = (Z * s) / Math.sqrt(xs.length);
    const r = bootstrapMean(xs, { seed: 1 });
    expect(r.estimate).toBeCloseTo(m, 12);
    expect(Math.abs(r.lo - (m - half))).toBeLessThan(0.15 * half);
    expect(Math.abs(r.hi - (m + half))).toBeLessThan(0.15 * half);
  });

  it('a constant sample has a zero-width interval', () => {
    const r = bootstrapMean(Array(25).fill(0.75));
    expect([r.estimate, r.lo, r.hi]).toEqual([0.75, 0.75, 0.75]);
  });

  it('is deterministic from the seed, and the seed matters', () => {
    const xs = Array.from({ length: 60 }, (_, i) => Math.sin(i) ** 2);
    expect(bootstrapMean(xs, { seed: 4 })).toEqual(bootstrapMean(xs, { seed: 4 }));
    expect(bootstrapMean(xs, { seed: 4 }).lo).not.toBe(bootstrapMean(xs, { seed: 5 }).lo);
    expect(bootstrapMean(xs, { seed: 4, B: 200, level: 0.9 })).toMatchObject({ B: 200, level: 0.9, n: 60 });
  });

  it('rejects non-finite values and bad options', () => {
    expect(() => bootstrapMean([1, NaN])).toThrow(/finite/);
    expect(() => bootstrapMean([1], { B: 0 })).toThrow(/B must be/);
    expect(() => bootstrapMean([1], { level: 1 })).toThrow(/level/);
  });

  it('quantileSorted interpolates like numpy (type 7)', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantileSorted([1, 2, 3, 4], 0.975)).toBeCloseTo(3.925, 12);
    expect(quantileSorted([5], 0.5)).toBe(5);
  });
});

describe('bootstrapMeanDiff', () => {
  const rng = new Rng(9);
  const n = 3000;
  const base = Array.from({ length: n }, () => rng.normal());
  const noiseA = Array.from({ length: n }, () => 0.3 * rng.normal());
  const noiseB = Array.from({ length: n }, () => 0.3 * rng.normal());
  const a = base.map((v, i) => ({ key: `c${i}`, value: v + noiseA[i]! + 0.1 }));
  const b = base.map((v, i) => ({ key: `c${i}`, value: v + noiseB[i]! }));
  const meanOf = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const sdOf = (xs: number[]) => Math.sqrt(meanOf(xs.map((x) => (x - meanOf(xs)) ** 2)));

  it('pairs by case when both sides have the same cases: width from sd(a − b)', () => {
    const r = bootstrapMeanDiff([...a].reverse(), b, { seed: 2 });
    expect(r.paired).toBe(true);
    expect(r.cases).toBe(n);
    const d = a.map((x, i) => x.value - b[i]!.value);
    const half = (Z * sdOf(d)) / Math.sqrt(n);
    expect(r.estimate).toBeCloseTo(meanOf(d), 10);
    expect(Math.abs(r.lo - (r.estimate - half))).toBeLessThan(0.15 * half);
    expect(Math.abs(r.hi - (r.estimate + half))).toBeLessThan(0.15 * half);
  });

  it('is unpaired otherwise: width from √(s_a²/n_a + s_b²/n_b), much wider here', () => {
    const r = bootstrapMeanDiff(a.slice(1), b, { seed: 2 });
    expect(r.paired).toBe(false);
    const va = a.slice(1).map((x) => x.value), vb = b.map((x) => x.value);
    const half = Z * Math.sqrt(sdOf(va) ** 2 / va.length + sdOf(vb) ** 2 / vb.length);
    expect(Math.abs(r.hi - r.lo - 2 * half)).toBeLessThan(0.15 * 2 * half);
    const paired = bootstrapMeanDiff(a, b, { seed: 2 });
    expect(paired.hi - paired.lo).toBeLessThan(0.5 * (r.hi - r.lo));
    expect(bootstrapMeanDiff(a, b, { seed: 2, paired: false }).paired).toBe(false);
  });

  it('a constant per-case shift gives a zero-width paired interval, several replies per case included', () => {
    const xs = [{ key: 'x', value: 1 }, { key: 'x', value: 3 }, { key: 'y', value: 0.5 }, { key: 'z', value: 2 }];
    const shifted = xs.map((v) => ({ key: v.key, value: v.value - 0.25 }));
    const r = bootstrapMeanDiff(xs, shifted, { seed: 1 });
    expect(r.paired).toBe(true);
    expect(r.cases).toBe(3);
    expect(r.estimate).toBeCloseTo(0.25, 12);
    expect(r.lo).toBeCloseTo(0.25, 12);
    expect(r.hi).toBeCloseTo(0.25, 12);
  });

  it('deterministic; plain numbers are unpaired; paired: true without shared keys throws', () => {
    expect(bootstrapMeanDiff([1, 2, 3], [2, 2, 5], { seed: 3 })).toEqual(bootstrapMeanDiff([1, 2, 3], [2, 2, 5], { seed: 3 }));
    expect(bootstrapMeanDiff([1, 2, 3], [2, 2, 5]).paired).toBe(false);
    expect(() => bootstrapMeanDiff([1, 2], [1, 2], { paired: true })).toThrow(/paired/);
  });
});

describe('bootstrapMeanByKey', () => {
  it('with one value per key equals the plain bootstrap of the values in key order', () => {
    const rng = new Rng(3);
    const xs = Array.from({ length: 40 }, (_, i) => ({ key: `k${String(i).padStart(2, '0')}`, value: rng.next() }));
    const byKey = bootstrapMeanByKey(xs, { seed: 9 });
    const plain = bootstrapMean(xs.map((x) => x.value), { seed: 9 });
    expect(byKey.estimate).toBeCloseTo(plain.estimate, 12);
    expect(byKey.lo).toBeCloseTo(plain.lo, 12);
    expect(byKey.hi).toBeCloseTo(plain.hi, 12);
    expect(byKey.cases).toBe(40);
  });
  it('counts keys, not values: m identical copies per key give the one-copy interval, wider than treating copies as independent', () => {
    const base = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1].map((v, i) => ({ key: `c${i}`, value: v }));
    const copies = base.flatMap((x) => Array.from({ length: 8 }, () => x));
    const one = bootstrapMeanByKey(base, { seed: 2 });
    const many = bootstrapMeanByKey(copies, { seed: 2 });
    expect(many.lo).toBeCloseTo(one.lo, 12);
    expect(many.hi).toBeCloseTo(one.hi, 12);
    const naive = bootstrapMean(copies.map((x) => x.value), { seed: 2 });
    expect(many.hi - many.lo).toBeGreaterThan(1.8 * (naive.hi - naive.lo));
  });
});
