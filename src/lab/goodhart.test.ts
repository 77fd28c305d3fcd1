/**
 * Goodhart-lab math against independent references: best-of-n weights and expectations
 * against brute-force enumeration of every n-subset (ties included) and exact BigInt binomials
 * at m = 512; the pool KL against the analytic limit; Gao fits against known α, β, against
 * an independent Cramer's-rule solve, and their d* against a numeric argmax; the t quantile
 * against numerical integration of the t density; peak-and-fall on hand-computed series.
 */
import { describe, expect, it } from 'vitest';
import {
  bestOfN, bonExpectation, bonWeights, fitGaoBon, fitGaoRl, gaoBon, gaoPredict, gaoRl, goodhartPlot,
  caseSlope, klBestOfN, linearTrend, movingAverage, peakAndFall, tQuantile975,
} from './goodhart.js';
import { Rng } from '../util/rng.js';

/** All k-subsets of {0..m−1}. */
function subsets(m: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push([...acc]);
    for (let i = start; i < m; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

/** Selection probabilities by enumeration: each subset's proxy maximum, split evenly among tied maxima. */
function bruteWeights(proxy: number[], n: number): number[] {
  const w = new Array<number>(proxy.length).fill(0);
  const all = subsets(proxy.length, n);
  for (const s of all) {
    const top = Math.max(...s.map((i) => proxy[i]!));
    const winners = s.filter((i) => proxy[i] === top);
    for (const i of winners) w[i]! += 1 / winners.length / all.length;
  }
  return w;
}

describe('best-of-n from a pool', () => {
  it('matches enumeration of all C(7, n) subsets, with proxy ties', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 20; trial++) {
      // Proxies on a coarse grid so ties are common; gold continuous.
      const proxy = Array.from({ length: 7 }, () => rng.int(4) / 2);
      const gold = Array.from({ length: 7 }, () => rng.normal());
      for (let n = 1; n <= 7; n++) {
        const ref = bruteWeights(proxy, n);
        const w = bonWeights(proxy, n);
        for (let i = 0; i < 7; i++) expect(w[i]).toBeCloseTo(ref[i]!, 12);
        const e = bonExpectation({ proxy, gold }, n);
        expect(e.gold).toBeCloseTo(ref.reduce((a, wi, i) => a + wi * gold[i]!, 0), 12);
        expect(e.proxy).toBeCloseTo(ref.reduce((a, wi, i) => a + wi * proxy[i]!, 0), 12);
        const kl = ref.reduce((a, wi) => a + (wi > 0 ? wi * Math.log(wi * 7) : 0), 0);
        expect(e.klEstimate).toBeCloseTo(kl, 12);
      }
    }
  });

  it('n = 1 is the plain mean; n = m is the gold of the proxy argmax (tied maxima averaged)', () => {
    const proxy = [0.3, -1, 2, 0.5, 1.1];
    const gold = [1, 2, 3, 4, 5];
    const one = bonExpectation({ proxy, gold }, 1);
    expect(one.gold).toBeCloseTo(3, 14);
    expect(one.proxy).toBeCloseTo(proxy.reduce((a, b) => a + b) / 5, 14);
    expect(one.klEstimate).toBeCloseTo(0, 14);
    expect(bonExpectation({ proxy, gold }, 5).gold).toBeCloseTo(3, 14);
    expect(bonExpectation({ proxy: [2, 0, 2, 1], gold: [10, 0, 20, 0] }, 4).gold).toBeCloseTo(15, 14);
  });

  it('matches exact BigInt binomials at m = 512 (log-space weights do not overflow)', () => {
    const m = 512;
    const binom = (a: number, b: number): bigint => {
      if (b < 0 || b > a) return 0n;
      let r = 1n;
      for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
      return r;
    };
    // ln of a positive BigInt from its leading 17 digits and its length.
    const logBig = (x: bigint) => {
      const s = x.toString();
      const lead = s.slice(0, 17);
      return Math.log(Number(lead)) + (s.length - lead.length) * Math.LN10;
    };
    const proxy = Array.from({ length: m }, (_, i) => (i * 7919) % m); // a permutation of 0..511: rank = value + 1
    for (const n of [1, 2, 16, 256, 511, 512]) {
      const w = bonWeights(proxy, n);
      let sum = 0;
      const denom = logBig(binom(m, n));
      for (let i = 0; i < m; i++) {
        sum += w[i]!;
        const num = binom(proxy[i]!, n - 1);
        if (num === 0n) expect(w[i]).toBe(0);
        else if (Math.log(w[i]!) > -700) expect(Math.log(w[i]!)).toBeCloseTo(logBig(num) - denom, 9);
      }
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it('the pool KL tends to log n − (n − 1)/n for distinct proxies and m ≫ n; all ties give 0', () => {
    const m = 4096;
    const proxy = Array.from({ length: m }, (_, i) => i);
    const gold = new Array<number>(m).fill(0);
    for (const n of [2, 4, 8]) {
      const est = bonExpectation({ proxy, gold }, n).klEstimate;
      expect(Math.abs(est - klBestOfN(n))).toBeLessThan(0.01);
    }
    expect(bonExpectation({ proxy: new Array(50).fill(1), gold: new Array(50).fill(0) }, 10).klEstimate).toBeCloseTo(0, 14);
    // n = m: a point mass on the argmax, KL = log m.
    expect(bonExpectation({ proxy: [1, 2, 3, 4], gold: [0, 0, 0, 0] }, 4).klEstimate).toBeCloseTo(Math.log(4), 12);
    expect(klBestOfN(1)).toBe(0);
    expect(klBestOfN(4)).toBeCloseTo(Math.log(4) - 0.75, 15);
  });

  it('bestOfN averages prompts, bootstraps over them, and names bad input', () => {
    const rng = new Rng(5);
    const pool = Array.from({ length: 30 }, () => {
      const proxy = Array.from({ length: 16 }, () => rng.normal());
      return { proxy, gold: proxy.map((p) => p + rng.normal()) };
    });
    const res = bestOfN(pool, [1, 4, 16], { seed: 3, B: 200 });
    for (const r of res) {
      const ref = pool.reduce((a, s) => a + bonExpectation(s, r.n).gold, 0) / pool.length;
      expect(r.gold.estimate).toBeCloseTo(ref, 12);
      expect(r.gold.lo).toBeLessThan(r.gold.estimate);
      expect(r.gold.hi).toBeGreaterThan(r.gold.estimate);
      expect(r.d).toBeCloseTo(Math.sqrt(klBestOfN(r.n)), 15);
    }
    // Gold correlated with proxy: best-of-n raises both.
    expect(res[2]!.gold.estimate).toBeGreaterThan(res[0]!.gold.estimate);
    expect(() => bestOfN([{ proxy: [1, 2], gold: [1, 2] }, { proxy: [1], gold: [1] }], [2])).toThrow(/prompt 1: n = 2 is larger than the pool \(m = 1/);
    expect(() => bestOfN([{ proxy: [1, 2], gold: [1] }], [1])).toThrow(/prompt 0: proxy has 2 scores but gold has 1/);
    expect(() => bonWeights([1, NaN], 1)).toThrow(/proxy\[1\] must be finite/);
  });
});

describe('Gao et al. fits', () => {
  const ds = [0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4];

  it('recover α and β exactly from noiseless points, with R² = 1', () => {
    const bon = fitGaoBon(ds.map((d) => ({ d, gold: 0.7 + gaoBon(d, 1.3, 0.4) })));
    expect(bon.alpha).toBeCloseTo(1.3, 10);
    expect(bon.beta).toBeCloseTo(0.4, 10);
    expect(bon.baseline).toBeCloseTo(0.7, 14);
    expect(bon.r2).toBeCloseTo(1, 12);
    const rl = fitGaoRl(ds.map((d) => ({ d: 3 * d, gold: -0.2 + gaoRl(3 * d, 0.9, 0.5) })));
    expect(rl.alpha).toBeCloseTo(0.9, 10);
    expect(rl.beta).toBeCloseTo(0.5, 10);
    expect(rl.r2).toBeCloseTo(1, 12);
    const free = fitGaoRl(ds.slice(1).map((d) => ({ d, gold: 2 + gaoRl(d, 0.9, 0.5) })), { baseline: 'free' });
    expect([free.alpha, free.beta, free.baseline].map((v) => +v.toFixed(9))).toEqual([0.9, 0.5, 2]);
  });

  it('with noise: the least-squares solution of an independent Cramer\'s-rule solve, near the truth', () => {
    const rng = new Rng(9);
    const dense = Array.from({ length: 200 }, (_, i) => (i * 2.4) / 199);
    const pts = dense.map((d) => ({ d, gold: gaoBon(d, 1.3, 0.4) + 0.05 * rng.normal() }));
    const fit = fitGaoBon(pts, { baseline: 0 });
    // Normal equations of y = α·d − β·d², solved by Cramer's rule.
    let s11 = 0, s12 = 0, s22 = 0, t1 = 0, t2 = 0;
    for (const p of pts) {
      const f1 = p.d, f2 = -p.d * p.d;
      s11 += f1 * f1; s12 += f1 * f2; s22 += f2 * f2; t1 += f1 * p.gold; t2 += f2 * p.gold;
    }
    const det = s11 * s22 - s12 * s12;
    expect(fit.alpha).toBeCloseTo((t1 * s22 - s12 * t2) / det, 10);
    expect(fit.beta).toBeCloseTo((s11 * t2 - s12 * t1) / det, 10);
    expect(Math.abs(fit.alpha - 1.3)).toBeLessThan(0.05);
    expect(Math.abs(fit.beta - 0.4)).toBeLessThan(0.05);
    expect(fit.r2).toBeGreaterThan(0.9);
    expect(fit.r2).toBeLessThan(1);
    // R² by its definition, recomputed here.
    const yBar = pts.reduce((a, p) => a + p.gold, 0) / pts.length;
    const ssRes = pts.reduce((a, p) => a + (p.gold - gaoBon(p.d, fit.alpha, fit.beta)) ** 2, 0);
    const ssTot = pts.reduce((a, p) => a + (p.gold - yBar) ** 2, 0);
    expect(fit.r2).toBeCloseTo(1 - ssRes / ssTot, 12);
  });

  it('d* and the predicted peak match a numeric argmax of the fitted curve', () => {
    const argmax = (f: (d: number) => number, hi: number) => {
      let best = 0;
      for (let i = 0; i <= 200000; i++) if (f((hi * i) / 200000) > f(best)) best = (hi * i) / 200000;
      return best;
    };
    const bon = fitGaoBon(ds.map((d) => ({ d, gold: gaoBon(d, 1.3, 0.4) })));
    expect(bon.dStar).toBeCloseTo(argmax((d) => gaoBon(d, bon.alpha, bon.beta), 10), 4);
    expect(bon.predictedPeak).toBeCloseTo(1.3 ** 2 / (4 * 0.4), 8);
    const rl = fitGaoRl(ds.map((d) => ({ d: 4 * d, gold: gaoRl(4 * d, 0.9, 0.5) })));
    expect(rl.dStar).toBeCloseTo(argmax((d) => gaoRl(d, rl.alpha, rl.beta), 20), 4);
    expect(rl.predictedPeak).toBeCloseTo(gaoRl(rl.dStar, 0.9, 0.5), 8);
    expect(gaoPredict(rl, rl.dStar)).toBeCloseTo(rl.predictedPeakGold, 12);
    // A curve that never turns down has no finite peak.
    const up = fitGaoBon(ds.map((d) => ({ d, gold: d + 0.1 * d * d })));
    expect(up.dStar).toBe(Infinity);
  });

  it('name what is wrong with their input', () => {
    expect(() => fitGaoBon([{ d: 1, gold: 1 }, { d: 2, gold: 1 }])).toThrow(/no point at d = 0/);
    expect(() => fitGaoRl([{ d: 0, gold: 0 }, { d: 1, gold: 1 }])).toThrow(/at least 2 points with d > 0/);
    expect(() => fitGaoRl([{ d: 0, gold: 0 }, { d: NaN, gold: 1 }])).toThrow(/points\[1\]\.d/);
    expect(() => fitGaoBon([{ d: 0, gold: 0 }, { d: 1, gold: 1 }, { d: 1, gold: 2 }])).toThrow(/do not determine/);
  });
});

describe('trends and peaks', () => {
  it('t quantiles agree with numerical integration of the t density', () => {
    const cdf = (t: number, nu: number) => {
      // ∫_0^t of the Student-t density by Simpson's rule; density normalised by integrating it too.
      const f = (x: number) => (1 + (x * x) / nu) ** (-(nu + 1) / 2);
      const simpson = (a: number, b: number, k = 20000) => {
        const h = (b - a) / k;
        let s = f(a) + f(b);
        for (let i = 1; i < k; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
        return (s * h) / 3;
      };
      // Total mass by the substitution x = tan(θ) to reach ±∞.
      const g = (th: number) => f(Math.tan(th)) / Math.cos(th) ** 2;
      const k = 20000, hi = Math.PI / 2 - 1e-9, h = hi / k;
      let mass = g(0) + g(hi);
      for (let i = 1; i < k; i++) mass += (i % 2 ? 4 : 2) * g(i * h);
      mass = (2 * mass * h) / 3;
      return 0.5 + simpson(0, t) / mass;
    };
    for (const nu of [3, 8, 20, 30, 31, 45, 100]) expect(cdf(tQuantile975(nu), nu)).toBeCloseTo(0.975, 4);
  });

  it('linearTrend recovers a line; its standard error matches the textbook formula', () => {
    const xs = [0, 1, 2, 3, 4];
    const t = linearTrend(xs, xs.map((x) => 2 + 0.5 * x));
    expect([t.slope, t.intercept, t.se]).toEqual([0.5, 2, 0]);
    const ys = [1, 3, 2, 5, 4];
    const u = linearTrend(xs, ys);
    // slope = Sxy/Sxx = 8/10; residuals of 1.4 + 0.8x: -0.4, 0.8, -1, 1.2, -0.6 → SS 3.6.
    expect(u.slope).toBeCloseTo(0.8, 14);
    expect(u.intercept).toBeCloseTo(1.4, 14);
    expect(u.se).toBeCloseTo(Math.sqrt(3.6 / 3 / 10), 14);
  });

  it('movingAverage is centered and truncated at the ends', () => {
    expect(movingAverage([1, 2, 3, 10, 5], 3)).toEqual([1.5, 2, 5, 6, 7.5]);
    expect(movingAverage([1, 2], 1)).toEqual([1, 2]);
    expect(() => movingAverage([1], 2)).toThrow(/odd positive integer/);
  });

  it('peakAndFall finds the smoothed peak, both drop fractions and the proxy trend', () => {
    // Gold rises 0 → 1 by step 10 and falls to 0.6 by step 30; proxy rises throughout.
    const series = Array.from({ length: 31 }, (_, x) => ({ x, gold: x <= 10 ? x / 10 : 1 - (0.4 * (x - 10)) / 20, proxy: 0.1 * x }));
    const r = peakAndFall(series, 1);
    expect(r.peakIndex).toBe(10);
    expect(r.peakX).toBe(10);
    expect(r.peakGold).toBe(1);
    expect(r.finalGold).toBeCloseTo(0.6, 14);
    expect(r.dropFromPeak).toBeCloseTo(0.4, 14);
    expect(r.dropRelToGain).toBeCloseTo(0.4, 14);
    expect(r.proxySlopeEnd.slope).toBeCloseTo(0.1, 12);
    expect(r.proxyRisingAtEnd).toBe(true);
    // A window of 3 flattens the corner and moves the peak to the slow side: step 10 averages
    // (0.9 + 1 + 0.98)/3 = 0.96, step 11 averages (1 + 0.98 + 0.96)/3 = 0.98.
    const s = peakAndFall(series, 3);
    expect(s.peakIndex).toBe(11);
    expect(s.peakGold).toBeCloseTo(0.98, 14);
    expect(s.finalGold).toBeCloseTo((0.62 + 0.6) / 2, 14);
    // Gold measured from an offset: dropRelToGain is unchanged, dropFromPeak is not.
    const off = peakAndFall(series.map((p) => ({ ...p, gold: p.gold + 9 })), 1);
    expect(off.dropRelToGain).toBeCloseTo(0.4, 12);
    expect(off.dropFromPeak).toBeCloseTo(0.04, 12);
    // A flat, noisy proxy is not "rising".
    const rng = new Rng(2);
    const flat = peakAndFall(series.map((p) => ({ ...p, proxy: rng.normal() })), 1);
    expect(flat.proxySlopeEnd.lo).toBeLessThan(0);
    // A monotone gold never falls: drop 0.
    const mono = peakAndFall(series.map((p) => ({ ...p, gold: p.x })), 5);
    expect(mono.peakIndex).toBe(30);
    expect(mono.dropRelToGain).toBe(0);
  });
});

describe('the proxy trend across cases', () => {
  it('caseSlope is the slope of the mean curve, with the standard error of a per-case slope (analytic)', () => {
    // y_ij = a_i + b·x_j + ε_ij: case offsets a_i ~ N(0, 3²) cancel, each case's slope has
    // variance σ²/Sxx, so the mean slope's SE is σ/√(Sxx·m).
    const rng = new Rng(5);
    const xs = [30, 35, 40];
    const sxx = 50;
    const sigma = 0.4, m = 4000, b = 0.01;
    const byCase = xs.map(() => new Array<number>(m));
    for (let i = 0; i < m; i++) {
      const a = 3 * rng.normal();
      xs.forEach((x, j) => (byCase[j][i] = a + b * x + sigma * rng.normal()));
    }
    const c = caseSlope(xs, byCase);
    expect(c.cases).toBe(m);
    const means = byCase.map((ys) => ys.reduce((s, y) => s + y, 0) / m);
    expect(c.slope).toBeCloseTo(linearTrend(xs, means).slope, 12);
    expect(c.se / (sigma / Math.sqrt(sxx * m))).toBeGreaterThan(0.96);
    expect(c.se / (sigma / Math.sqrt(sxx * m))).toBeLessThan(1.04);
    // A case with a non-finite value is left out; mismatched shapes are refused.
    const withNaN = byCase.map((ys, j) => (j === 1 ? [NaN, ...ys.slice(1)] : ys));
    expect(caseSlope(xs, withNaN).cases).toBe(m - 1);
    expect(() => caseSlope(xs, byCase.slice(1))).toThrow(/3 x values but 2 points/);
    expect(() => caseSlope(xs, [byCase[0], byCase[1].slice(1), byCase[2]])).toThrow(/point 1 has 3999 cases, point 0 has 4000/);
  });

  it('with slopes that differ between cases, the SE counts their spread too (analytic)', () => {
    // b_i ~ N(b, τ²): each case's slope estimate has variance σ²/Sxx + τ², so SE = √((σ²/Sxx + τ²)/m).
    const rng = new Rng(6);
    const xs = [30, 35, 40];
    const sigma = 0.4, tau = 0.02, m = 8000;
    const byCase = xs.map(() => new Array<number>(m));
    for (let i = 0; i < m; i++) {
      const a = rng.normal(), b = 0.01 + tau * rng.normal();
      xs.forEach((x, j) => (byCase[j][i] = a + b * x + sigma * rng.normal()));
    }
    const c = caseSlope(xs, byCase);
    const se = Math.sqrt((sigma ** 2 / 50 + tau ** 2) / m);
    expect(c.se / se).toBeGreaterThan(0.97);
    expect(c.se / se).toBeLessThan(1.03);
    // x values without spread give no slope.
    expect(caseSlope([5, 5, 5], byCase)).toEqual({ slope: NaN, se: NaN, cases: 0 });
  });

  it('its 95 % interval covers the true slope about 95 % of the time (simulation)', () => {
    const rng = new Rng(9);
    const xs = [30, 35, 40];
    let covered = 0;
    const reps = 400;
    for (let r = 0; r < reps; r++) {
      const byCase = xs.map(() => new Array<number>(64));
      for (let i = 0; i < 64; i++) {
        const a = rng.normal();
        xs.forEach((x, j) => (byCase[j][i] = a + 0.02 * x + 0.5 * rng.normal()));
      }
      const series = xs.map((x, j) => ({ x, gold: 0, proxy: byCase[j].reduce((s, y) => s + y, 0) / 64, proxyByCase: byCase[j] }));
      const t = peakAndFall(series, 1).proxySlopeEnd;
      expect(t.method).toBe('cases');
      expect(t.df).toBe(63);
      if (t.lo <= 0.02 && 0.02 <= t.hi) covered++;
    }
    // Binomial(400, 0.95): SD 1.1 %.
    expect(covered / reps).toBeGreaterThan(0.915);
    expect(covered / reps).toBeLessThan(0.985);
  });

  it('peakAndFall tests the tail across cases when every tail point has them, else through the points', () => {
    // Three tail points off a line (1 residual df: not significant), from 128 cases whose
    // offsets differ widely but whose every reply rises: across cases, clearly rising.
    const rng = new Rng(3);
    const xs = [0, 5, 10, 15, 20, 25, 30, 35, 40];
    const steps = [0, 0, 0, 0, 0, 0, 0.563, 0.592, 0.671];
    const offsets = Array.from({ length: 128 }, () => 2 * rng.normal());
    const byCase = xs.map((_, j) => offsets.map((a) => a + steps[j]! + 0.1 * rng.normal()));
    const series = xs.map((x, j) => ({ x, gold: 1, proxy: byCase[j].reduce((s, y) => s + y, 0) / 128, proxyByCase: byCase[j] }));
    const r = peakAndFall(series, 3);
    expect(r.proxySlopeEnd.method).toBe('cases');
    expect(r.proxySlopeEnd.cases).toBe(128);
    expect(r.proxySlopeEnd.slope).toBeCloseTo(r.proxySlopeEndPoints.slope, 12);
    expect(r.proxyRisingAtEnd).toBe(true);
    expect(r.proxySlopeEndPoints.method).toBe('points');
    expect(r.proxySlopeEndPoints.df).toBe(1);
    expect(r.proxySlopeEndPoints.lo).toBeLessThan(0);
    // Without per-case values at one tail point, or with a different number of cases there, the
    // points decide: not rising.
    const partial = peakAndFall(series.map((p, j) => (j === 7 ? { ...p, proxyByCase: undefined } : p)), 3);
    expect(partial.proxySlopeEnd).toEqual(partial.proxySlopeEndPoints);
    expect(partial.proxyRisingAtEnd).toBe(false);
    const uneven = peakAndFall(series.map((p, j) => (j === 7 ? { ...p, proxyByCase: p.proxyByCase.slice(1) } : p)), 3);
    expect(uneven.proxySlopeEnd.method).toBe('points');
    // Per-case values that do not rise (each case flat, noisy): not rising either way.
    const flatCases = xs.map((_, j) => offsets.map((a) => a + 0.1 * rng.normal()));
    const flat = peakAndFall(xs.map((x, j) => ({ x, gold: 1, proxy: 0, proxyByCase: flatCases[j] })), 1);
    expect(flat.proxySlopeEnd.lo).toBeLessThan(0);
    expect(flat.proxySlopeEnd.hi).toBeGreaterThan(0);
  });
});

describe('the fall from the peak across cases', () => {
  it('dropFromPeakCI: centered on the fall; its SE is that of the delta method (analytic); it covers the true relative fall ~95 %', () => {
    // Gold per case: offset a_i ~ N(0, τ²) + the curve + noise N(0, σ²). With w = 3 the peak
    // (index 3, interior) averages 3 draws and the end 2, so a case's fall f_i has variance
    // σ²(1/3 + 1/2); its smoothed gold at the peak p_i has τ² + σ²/3; cov(f_i, p_i) = σ²/3. The
    // relative fall D = F/P has, by the delta method, var ≈ (var f + D² var p − 2D cov) / (m P²).
    const curve = [0.5, 0.6, 0.7, 0.8, 0.7, 0.6, 0.5];
    const sigma = 0.3;
    const rng = new Rng(11);
    const make = (m: number, tau: number) => {
      const offsets = Array.from({ length: m }, () => tau * rng.normal());
      const byCase = curve.map((g) => offsets.map((a) => a + g + sigma * rng.normal()));
      return curve.map((_, j) => ({ x: 5 * j, gold: byCase[j].reduce((s, y) => s + y, 0) / m, proxy: j, goldByCase: byCase[j] }));
    };
    const m = 20000, tau = 2;
    const big = peakAndFall(make(m, tau), 3);
    expect(big.peakIndex).toBe(3);
    const ci = big.dropFromPeakCI!;
    expect(ci.cases).toBe(m);
    // Centered on dropFromPeak (the mean of per-case falls is the fall of the mean curve).
    expect((ci.lo + ci.hi) / 2).toBeCloseTo(big.dropFromPeak, 12);
    const D = big.dropFromPeak, P = big.peakGold;
    const seAnalytic = Math.sqrt((sigma ** 2 * (1 / 3 + 1 / 2) + D * D * (tau ** 2 + sigma ** 2 / 3) - (2 * D * sigma ** 2) / 3) / m) / Math.abs(P);
    const seGot = (ci.hi - ci.lo) / 2 / tQuantile975(m - 1);
    expect(seGot / seAnalytic).toBeGreaterThan(0.97);
    expect(seGot / seAnalytic).toBeLessThan(1.03);
    // Coverage of the true relative fall: the curve's smoothed fall, (0.7 + 0.8 + 0.7)/3 at the
    // peak − (0.6 + 0.5)/2 at the end, over its smoothed peak (offsets average 0), with the
    // peak's step fixed at 3 (runs whose noise moves the peak are left out).
    const peakTrue = (0.7 + 0.8 + 0.7) / 3;
    const trueD = (peakTrue - (0.6 + 0.5) / 2) / peakTrue;
    let covered = 0, used = 0;
    for (let r = 0; r < 400; r++) {
      const pf = peakAndFall(make(64, 1), 3);
      if (pf.peakIndex !== 3) continue;
      used++;
      if (pf.dropFromPeakCI!.lo <= trueD && trueD <= pf.dropFromPeakCI!.hi) covered++;
    }
    // Binomial(~400, 0.95): SD 1.1 %.
    expect(used).toBeGreaterThan(300);
    expect(covered / used).toBeGreaterThan(0.915);
    expect(covered / used).toBeLessThan(0.985);
    // Without per-case gold at every point (or with different case counts) there is no interval.
    const pts = make(8, 1);
    expect(peakAndFall(pts.map((p, j) => (j === 2 ? { ...p, goldByCase: undefined } : p)), 3).dropFromPeakCI).toBeUndefined();
    expect(peakAndFall(pts.map((p, j) => (j === 2 ? { ...p, goldByCase: p.goldByCase.slice(1) } : p)), 3).dropFromPeakCI).toBeUndefined();
  });
});

describe('goodhartPlot', () => {
  it('draws both panels, points, dashed fits and an escaped title', () => {
    const bon = [1, 2, 4, 8, 16].map((n) => {
      const d = Math.sqrt(klBestOfN(n));
      return { d, gold: gaoBon(d, 1, 0.6), proxy: 1.5 * d };
    });
    const rl = Array.from({ length: 50 }, (_, i) => ({ d: i / 10, gold: gaoRl(i / 10, 0.8, 0.5), proxy: i / 20 }));
    const fits = { bon: fitGaoBon(bon), rl: fitGaoRl(rl) };
    const svg = goodhartPlot({ title: 'Goodhart <test> & co', bon, rl, fits });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Goodhart &lt;test&gt; &amp; co');
    expect(svg).not.toContain('<test>');
    expect(svg).toContain('gold reward');
    expect(svg).toContain('proxy reward');
    expect((svg.match(/stroke-dasharray="6 4"/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(svg).toContain('best-of-n fit');
    expect(svg).toContain('RL fit');
    expect(svg).not.toMatch(/NaN/);
    expect(svg).not.toContain('<script');
  });
});
