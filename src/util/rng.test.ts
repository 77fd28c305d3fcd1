import { describe, expect, it } from 'vitest';
import { Rng, type RngState } from './rng.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextU32());
}

describe('Rng (xoshiro128**)', () => {
  it('matches the published known-answer sequence from state [1, 2, 3, 4]', () => {
    // Output of the reference C code (prng.di.unimi.it/xoshiro128starstar.c) from
    // s = {1, 2, 3, 4}, as used in the rand_xoshiro crate's tests. The first value
    // is checkable by hand: rotl(2 * 5, 7) * 9 = 1280 * 9 = 11520.
    const rng = Rng.fromState({ s: [1, 2, 3, 4], spare: null });
    expect(draws(rng, 10)).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('is deterministic per seed, and different seeds (also beyond 32 bits) give different streams', () => {
    expect(draws(new Rng(123), 50)).toEqual(draws(new Rng(123), 50));
    expect(draws(new Rng(123), 50)).not.toEqual(draws(new Rng(124), 50));
    expect(draws(new Rng(1), 50)).not.toEqual(draws(new Rng(2 ** 32 + 1), 50));
    expect(draws(new Rng(-1), 50)).not.toEqual(draws(new Rng(1), 50));
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Rng(1.5)).toThrow(/safe integer/);
    expect(() => new Rng(Number.NaN)).toThrow(/safe integer/);
    expect(() => new Rng(2 ** 60)).toThrow(/safe integer/);
  });

  it('saving and restoring the state (through JSON) continues identically, including the cached normal', () => {
    const a = new Rng(7);
    for (let i = 0; i < 13; i++) a.next();
    a.normal(); // leaves a spare deviate cached
    const saved: RngState = JSON.parse(JSON.stringify(a.getState()));
    expect(saved.spare).not.toBeNull();
    const b = Rng.fromState(saved);
    const c = new Rng(999);
    c.setState(saved);
    const seqA = [a.normal(), a.normal(), a.next(), a.int(1000), ...draws(a, 20)];
    const seqB = [b.normal(), b.normal(), b.next(), b.int(1000), ...draws(b, 20)];
    const seqC = [c.normal(), c.normal(), c.next(), c.int(1000), ...draws(c, 20)];
    expect(seqB).toEqual(seqA);
    expect(seqC).toEqual(seqA);
  });

  it('validates states', () => {
    expect(() => Rng.fromState({ s: [0, 0, 0, 0], spare: null })).toThrow(/all zero/);
    expect(() => Rng.fromState({ s: [1, 2, 3], spare: null } as never)).toThrow(/4 unsigned/);
    expect(() => Rng.fromState({ s: [1, 2, 3, 2 ** 32], spare: null })).toThrow(/s\[3\]/);
    expect(() => Rng.fromState({ s: [1, 2, 3, 4], spare: Number.NaN })).toThrow(/spare/);
  });

  it('next() is uniform on [0, 1): mean 1/2 and variance 1/12 within statistical bounds', () => {
    const rng = new Rng(2024);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      sum += x;
      sumSq += x * x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // Standard error of the mean is sqrt(1/12 / n) ≈ 6.5e-4; allow 5 sigma.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    // Var of (x - 1/2)^2 for U(0,1) is 1/180; standard error ≈ sqrt(1/180 / n) ≈ 1.7e-4.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  it('next() uses more than 32 bits: values are not all multiples of 2^-32', () => {
    const rng = new Rng(5);
    let fine = 0;
    for (let i = 0; i < 100; i++) if (!Number.isInteger(rng.next() * 2 ** 32)) fine++;
    expect(fine).toBeGreaterThan(90);
  });

  it('normal() has mean 0, variance 1, and normal tails within statistical bounds', () => {
    const rng = new Rng(31337);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) > 2) beyond2++;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    // Var(z^2) = 2 for a standard normal, so the standard error of the variance is sqrt(2/n).
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // P(|z| > 2) = 0.0455 for N(0, 1); binomial standard error.
    const p = 0.04550026;
    expect(Math.abs(beyond2 / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });

  it('fillNormal(out, std, mean) equals mean + std * normal() in order', () => {
    const out = new Rng(3).fillNormal(new Float32Array(101), 0.02, 1);
    const ref = new Rng(3);
    const expected = Float32Array.from({ length: 101 }, () => 1 + 0.02 * ref.normal());
    expect(out).toEqual(expected);
  });

  it('int(n) is uniform: chi-square test over 10 and 7 buckets, and covers edge sizes', () => {
    const rng = new Rng(11);
    for (const k of [10, 7]) {
      const n = 70_000;
      const counts = new Array<number>(k).fill(0);
      for (let i = 0; i < n; i++) counts[rng.int(k)]!++;
      const expected = n / k;
      const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
      // 99.9th percentile of chi-square: 27.9 for 9 dof, 22.5 for 6 dof.
      expect(chi2).toBeLessThan(k === 10 ? 27.9 : 22.5);
    }
    for (let i = 0; i < 100; i++) expect(rng.int(1)).toBe(0);
    const big = rng.int(2 ** 32);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(big).toBeLessThan(2 ** 32);
    // n = 3·2^30: a modulo reduction would land in the bottom third twice as often.
    let low = 0;
    for (let i = 0; i < 30_000; i++) if (rng.int(3 * 2 ** 30) < 2 ** 30) low++;
    expect(Math.abs(low / 30_000 - 1 / 3)).toBeLessThan(5 * Math.sqrt(2 / 9 / 30_000));
    expect(() => rng.int(0)).toThrow(/\[1, 2\^32\]/);
    expect(() => rng.int(2.5)).toThrow(/integer/);
  });

  it('shuffle is an in-place permutation, uniform over the 6 orders of 3 items', () => {
    const rng = new Rng(99);
    const arr = Array.from({ length: 50 }, (_, i) => i);
    const same = rng.shuffle(arr);
    expect(same).toBe(arr);
    expect([...arr].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const key = rng.shuffle(['a', 'b', 'c']).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    const chi2 = [...counts.values()].reduce((acc, c) => acc + (c - n / 6) ** 2 / (n / 6), 0);
    expect(chi2).toBeLessThan(20.5); // 99.9th percentile, 5 dof
  });

  it('choice picks every element and rejects an empty array', () => {
    const rng = new Rng(4);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(rng.choice(['x', 'y', 'z']));
    expect(seen).toEqual(new Set(['x', 'y', 'z']));
    expect(() => rng.choice([])).toThrow(/empty/);
  });

  it('fork gives reproducible, label-dependent, independent streams without advancing the parent', () => {
    const parent = new Rng(42);
    const before = parent.getState();
    const a1 = draws(parent.fork('init'), 20);
    const a2 = draws(parent.fork('init'), 20);
    const b = draws(parent.fork('data'), 20);
    expect(parent.getState()).toEqual(before);
    expect(a1).toEqual(a2);
    expect(a1).not.toEqual(b);
    expect(a1).not.toEqual(draws(new Rng(42), 20));
    // Forks of a parent that has advanced differ from the earlier forks.
    parent.nextU32();
    expect(draws(parent.fork('init'), 20)).not.toEqual(a1);
    // Labels that differ by one character, or are prefixes, still give distinct streams.
    const labels = ['', 'a', 'b', 'ab', 'ba', 'layer.0', 'layer.1', 'layer.10', 'é', 'e\u0301'];
    const firsts = new Set(labels.map((l) => draws(new Rng(1).fork(l), 2).join(',')));
    expect(firsts.size).toBe(labels.length);
  });

  it('forked streams are uncorrelated with each other and with the parent', () => {
    const parent = new Rng(8);
    const x = parent.fork('x');
    const y = parent.fork('y');
    const n = 50_000;
    let sxy = 0;
    let sxp = 0;
    for (let i = 0; i < n; i++) {
      const u = x.next() - 0.5;
      const v = y.next() - 0.5;
      const w = parent.next() - 0.5;
      sxy += u * v;
      sxp += u * w;
    }
    // Correlation estimates have standard error about 1/sqrt(n).
    expect(Math.abs((sxy / n) * 12)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs((sxp / n) * 12)).toBeLessThan(5 / Math.sqrt(n));
  });
});
