import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { AdaptiveKlController, FixedKlController, klControllerFromState, klEstimate, sequenceKl, type KlEstimator } from './kl.js';

/** KL(p ‖ q) of two categoricals, exactly. */
const exactKl = (p: number[], q: number[]) => p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]), 0);

function sampleCategorical(p: number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return p.length - 1;
}

/** Mean and standard error of an estimator over n samples y ∼ p. */
function monteCarlo(p: number[], q: number[], est: KlEstimator, n: number, seed: number): { mean: number; se: number } {
  const rng = new Rng(seed);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const y = sampleCategorical(p, rng);
    const k = klEstimate(Math.log(p[y]) - Math.log(q[y]), est);
    s += k;
    s2 += k * k;
  }
  const mean = s / n;
  return { mean, se: Math.sqrt((s2 / n - mean * mean) / n) };
}

const near = { p: [0.5, 0.3, 0.15, 0.05], q: [0.45, 0.32, 0.17, 0.06] };
const far = { p: [0.7, 0.2, 0.08, 0.02], q: [0.1, 0.3, 0.3, 0.3] };

describe('KL estimators', () => {
  it('k1 and k3 have expectation exactly KL(π ‖ π_ref) (sum over the categorical)', () => {
    for (const { p, q } of [near, far]) {
      const kl = exactKl(p, q);
      for (const est of ['k1', 'k3'] as const) {
        const expectation = p.reduce((s, pi, i) => s + pi * klEstimate(Math.log(pi) - Math.log(q[i]), est), 0);
        expect(expectation).toBeCloseTo(kl, 12);
      }
    }
  });

  it('sample means of k1 and k3 approach the exact KL; k2 is close only for nearby distributions', () => {
    const n = 200_000;
    for (const [name, { p, q }] of Object.entries({ near, far })) {
      const kl = exactKl(p, q);
      for (const est of ['k1', 'k3'] as const) {
        const { mean, se } = monteCarlo(p, q, est, n, 11);
        expect(Math.abs(mean - kl), `${name} ${est}: mean ${mean}, KL ${kl}, se ${se}`).toBeLessThan(4 * se);
      }
      const k2 = monteCarlo(p, q, 'k2', n, 11);
      if (name === 'near') expect(Math.abs(k2.mean - kl) / kl).toBeLessThan(0.05);
      // Far apart, k2's bias is many standard errors (it measures a different divergence).
      else expect(Math.abs(k2.mean - kl)).toBeGreaterThan(20 * k2.se);
    }
  });

  it('k3 has lower variance than k1 for nearby distributions', () => {
    const a = monteCarlo(near.p, near.q, 'k1', 50_000, 3);
    const b = monteCarlo(near.p, near.q, 'k3', 50_000, 3);
    expect(b.se).toBeLessThan(a.se / 3);
  });

  it('k3 ≥ 0 and k2 ≥ 0 for every log-ratio; all three vanish at lr = 0', () => {
    for (let i = -2000; i <= 2000; i++) {
      const lr = i < -1000 || i > 1000 ? Math.sign(i) * 10 ** ((Math.abs(i) - 1000) / 100) : i / 100; // ±[0, 10] and ±1…1e10
      if (lr < -600) continue; // exp(−lr) overflows to Infinity (still ≥ 0, but not a number to compare)
      expect(klEstimate(lr, 'k3')).toBeGreaterThanOrEqual(0);
      expect(klEstimate(lr, 'k2')).toBeGreaterThanOrEqual(0);
    }
    // Near 0, k3 = lr²/2 − lr³/6 + …: computed without cancellation (exp(−lr) − 1 would lose it all).
    for (const lr of [1e-9, -1e-9, 1e-6, -1e-4]) {
      const series = (lr * lr) / 2 - (lr * lr * lr) / 6;
      expect(Math.abs(klEstimate(lr, 'k3') - series) / series).toBeLessThan(1e-5);
    }
    for (const est of ['k1', 'k2', 'k3'] as const) expect(klEstimate(0, est)).toBe(0);
    expect(() => klEstimate(1, 'k4' as KlEstimator)).toThrow(/unknown KL estimator "k4"/);
  });

  it('sequenceKl sums the estimator over masked tokens of each row', () => {
    const B = 2;
    const T = 3;
    const logprobs = [-1, -2, -0.5, -1, -1, -3];
    const refLogprobs = [-1.5, -1, -0.5, -2, -0.2, -3];
    const mask = [0, 1, 1, 1, 1, 0];
    const { perToken, perSequence } = sequenceKl({ B, T, logprobs, refLogprobs, mask, estimator: 'k3' });
    const k3 = (lr: number) => Math.exp(-lr) - 1 + lr;
    expect(perToken[0]).toBe(0);
    expect(perToken[1]).toBeCloseTo(k3(-1), 12);
    expect(perSequence[0]).toBeCloseTo(k3(-1) + k3(0), 12);
    expect(perSequence[1]).toBeCloseTo(k3(1) + k3(-0.8), 12);
    expect(sequenceKl({ B, T, logprobs, refLogprobs, mask, estimator: 'k1' }).perSequence).toEqual([-1, 1 - 0.8]);
    expect(() => sequenceKl({ B, T, logprobs, refLogprobs: [0], mask, estimator: 'k1' })).toThrow(/refLogprobs has 1 values, expected B·T = 6/);
  });
});

describe('KL controllers', () => {
  it('fixed: β never changes', () => {
    const c = new FixedKlController(0.05);
    c.update(100, 64);
    expect(c.value).toBe(0.05);
    expect(() => new FixedKlController(-1)).toThrow(/β must be/);
  });

  it('adaptive: β ← β·(1 + clip(KL/target − 1, ±0.2)·n/horizon), computed by hand', () => {
    const c = new AdaptiveKlController({ init: 0.2, target: 6, horizon: 100 });
    c.update(9, 10); // e = 0.5 → clipped to 0.2; × (1 + 0.2·10/100) = 1.02
    expect(c.value).toBeCloseTo(0.204, 15);
    c.update(5.4, 20); // e = −0.1; × (1 − 0.1·0.2) = 0.98
    expect(c.value).toBeCloseTo(0.204 * 0.98, 15);
    c.update(0, 50); // e = −1 → −0.2; × (1 − 0.2·0.5) = 0.9
    expect(c.value).toBeCloseTo(0.204 * 0.98 * 0.9, 15);
    c.update(6, 50); // on target: unchanged
    expect(c.value).toBeCloseTo(0.204 * 0.98 * 0.9, 15);
    expect(() => c.update(NaN, 1)).toThrow(/kl must be a finite number/);
    expect(() => c.update(1, 0)).toThrow(/n \(rollout samples\)/);
    expect(() => c.update(1, 500)).toThrow(/horizon/);
  });

  it('adaptive with a floor: β never goes below min, and rises from it as without one', () => {
    const c = new AdaptiveKlController({ init: 0.1, target: 4, horizon: 32, min: 0.1 });
    c.update(1, 32); // e = −0.2: × 0.8 = 0.08, held at the floor
    expect(c.value).toBe(0.1);
    c.update(8, 16); // e = +0.2: × (1 + 0.2·16/32) = 1.1
    expect(c.value).toBeCloseTo(0.11, 15);
    c.update(3.8, 32); // e = −0.05: × 0.95 = 0.1045, above the floor
    expect(c.value).toBeCloseTo(0.1045, 15);
    c.update(0, 32); // × 0.8 = 0.0836 → 0.1
    expect(c.value).toBe(0.1);
    const free = new AdaptiveKlController({ init: 0.1, target: 4, horizon: 32 });
    free.update(1, 32);
    expect(free.value).toBeCloseTo(0.08, 15);
    expect(free.state()).toEqual({ kind: 'adaptive', value: free.value, target: 4, horizon: 32 });
    expect(() => new AdaptiveKlController({ init: 0.1, target: 4, horizon: 32, min: 0.2 })).toThrow(/min must be a finite number in \[0, init = 0.1\], got 0.2/);
    expect(() => new AdaptiveKlController({ init: 0.1, target: 4, horizon: 32, min: -1 })).toThrow(/min must be/);
  });

  it('state round-trips through JSON and the restored controller continues bit-identically', () => {
    const a = new AdaptiveKlController({ init: 0.1, target: 3, horizon: 37 });
    const rng = new Rng(5);
    for (let i = 0; i < 7; i++) a.update(6 * rng.next(), 8);
    const b = klControllerFromState(JSON.parse(JSON.stringify(a.state())));
    for (let i = 0; i < 7; i++) {
      const kl = 6 * rng.next();
      a.update(kl, 8);
      b.update(kl, 8);
      expect(b.value).toBe(a.value);
    }
    expect(klControllerFromState(new FixedKlController(0.3).state()).value).toBe(0.3);
    // The floor is part of the state: a restored guard still never loosens below it.
    const g = new AdaptiveKlController({ init: 0.1, target: 3, horizon: 32, min: 0.1 });
    g.update(6, 32);
    const h = klControllerFromState(JSON.parse(JSON.stringify(g.state())));
    expect(h.state()).toEqual({ kind: 'adaptive', value: 0.12, target: 3, horizon: 32, min: 0.1 });
    for (let i = 0; i < 3; i++) h.update(0, 32);
    expect(h.value).toBe(0.1);
    expect(() => klControllerFromState({ kind: 'adaptive', value: 0.1, target: 3 }, 'ckpt/trainer_state.json')).toThrow(/ckpt\/trainer_state.json: horizon/);
  });
});
