/**
 * Percentile-bootstrap confidence intervals for the numbers an evaluation reports: a mean
 * (gold, proxy), a rate (hits / of over per-reply booleans: over-refusal, harmful compliance, …)
 * and the difference of two means (run A − run B), paired by case where both runs evaluated
 * the same cases.
 *
 * The percentile bootstrap (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13):
 * draw B resamples of the data with replacement, each the size of the data, compute the
 * statistic θ*_b on each, and report the α/2 and 1 − α/2 quantiles of {θ*_b} as the interval:
 *
 *     lo = Q(θ*, α/2),   hi = Q(θ*, 1 − α/2),   α = 1 − level  (level 0.95 → 2.5 % and 97.5 %)
 *
 * Q is the linearly interpolated sample quantile (type 7 of Hyndman & Fan, numpy's default).
 * For a Bernoulli rate p̂ over n replies the interval approaches the Wald interval
 * p̂ ± 1.96·√(p̂(1 − p̂)/n) as n grows; unlike it, it never leaves [0, 1] and has zero width when
 * every reply agrees (0 of n or n of n — read such an interval as "no variation seen", not
 * as certainty).
 *
 * Differences: when both runs carry the same set of case keys, the resampling unit is the
 * case — each resample draws cases with replacement and takes all of both runs' replies for
 * those cases (a paired, cluster bootstrap; it keeps the correlation between the two runs on
 * the same case, which usually narrows the interval a lot, and it handles dialogues with a
 * different number of turns in the two runs). Otherwise the two samples are resampled
 * independently (unpaired).
 *
 * Simplified: the single-sample intervals treat replies as independent, although the turns of
 * one dialogue (at most three) are correlated, so they can be somewhat narrower than a
 * resample-by-case interval. Every random draw comes from an `Rng` (src/util/rng.ts), so a
 * seed gives bit-identical intervals.
 *
 * @example
 * ```ts
 * bootstrapMean([0.9, 1, 0.7, 1], { seed: 1 });               // { estimate: 0.9, lo, hi, n: 4, B: 1000, level: 0.95 }
 * bootstrapRate([true, false, undefined, false], { seed: 1 }); // over the 3 defined flags: hits 1, of 3
 * bootstrapMeanDiff(
 *   [{ key: 'case-1', value: 1 }, { key: 'case-2', value: 0.5 }],
 *   [{ key: 'case-1', value: 0.8 }, { key: 'case-2', value: 0.5 }],
 * );                                                           // paired: true, estimate 0.1
 * ```
 */
import { Rng } from '../util/rng.js';

export interface BootstrapOptions {
  /** Number of bootstrap resamples B. Default 1000. */
  B?: number;
  /** Coverage of the interval. Default 0.95. */
  level?: number;
  /** Seed of the resampling stream (ignored when `rng` is given). Default 0. */
  seed?: number;
  /** Draw from this generator instead (advanced by the call). */
  rng?: Rng;
}

/** A point estimate with its percentile-bootstrap interval. NaN everywhere for an empty sample. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  /** Number of observations the estimate is over. */
  n: number;
  B: number;
  level: number;
}

/** A rate's interval, with its counts (hits of `of`; `n` equals `of`). */
export interface RateInterval extends Interval {
  hits: number;
  of: number;
}

/** One observation that belongs to a case (the pairing key). */
export interface KeyedValue {
  key: string;
  value: number;
}

/** Interval of mean(A) − mean(B). */
export interface DiffInterval extends Interval {
  /** True when resampled by case (both runs evaluated the same cases). */
  paired: boolean;
  nA: number;
  nB: number;
  /** Number of distinct cases resampled (paired only). */
  cases?: number;
}

interface Resolved {
  B: number;
  level: number;
  rng: Rng;
}

function resolve(o: BootstrapOptions): Resolved {
  const B = o.B ?? 1000;
  const level = o.level ?? 0.95;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`bootstrap: B must be a positive integer, got ${B}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`);
  return { B, level, rng: o.rng ?? new Rng(o.seed ?? 0) };
}

/** The p-quantile of an ascending array, linearly interpolated (Hyndman & Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const i = Math.floor(h);
  const j = Math.min(i + 1, n - 1);
  return sorted[i]! + (h - i) * (sorted[j]! - sorted[i]!);
}

/** The percentile interval of B bootstrap statistics. */
function percentile(stats: Float64Array, estimate: number, n: number, r: Resolved): Interval {
  stats.sort();
  const a = (1 - r.level) / 2;
  return { estimate, lo: quantileSorted(stats, a), hi: quantileSorted(stats, 1 - a), n, B: r.B, level: r.level };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function empty(n: number, r: Resolved): Interval {
  return { estimate: NaN, lo: NaN, hi: NaN, n, B: r.B, level: r.level };
}

/** B means of resamples of `xs` (with replacement, size n). */
function resampleMeans(xs: readonly number[], r: Resolved): Float64Array {
  const n = xs.length;
  const stats = new Float64Array(r.B);
  for (let b = 0; b < r.B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[r.rng.int(n)]!;
    stats[b] = s / n;
  }
  return stats;
}

/** Percentile-bootstrap interval of the mean of `xs` (NaN for an empty sample). */
export function bootstrapMean(xs: readonly number[], opts: BootstrapOptions = {}): Interval {
  const r = resolve(opts);
  if (xs.length === 0) return empty(0, r);
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`bootstrapMean: every value must be finite, got ${x}`);
  return percentile(resampleMeans(xs, r), mean(xs), xs.length, r);
}

/**
 * Percentile-bootstrap interval of a rate: the share of `true` among the defined flags
 * (`undefined` = not applicable to that reply, left out of the denominator, as in
 * `summarize` of src/eval/world.ts). NaN when no flag is defined.
 */
export function bootstrapRate(flags: readonly (boolean | undefined)[], opts: BootstrapOptions = {}): RateInterval {
  const xs: number[] = [];
  for (const f of flags) if (f !== undefined) xs.push(f ? 1 : 0);
  const hits = xs.reduce((a, b) => a + b, 0);
  return { ...bootstrapMean(xs, opts), hits, of: xs.length };
}

/**
 * Percentile-bootstrap interval of mean(a) − mean(b). Paired by case (see the file header)
 * when `paired` is true, or when it is 'auto' (the default) and both sides are keyed with the
 * same set of keys; unpaired otherwise. Plain numbers carry no key and are always unpaired.
 */
export function bootstrapMeanDiff(
  a: readonly (number | KeyedValue)[],
  b: readonly (number | KeyedValue)[],
  opts: BootstrapOptions & { paired?: boolean | 'auto' } = {},
): DiffInterval {
  const r = resolve(opts);
  const va = a.map((x) => (typeof x === 'number' ? x : x.value));
  const vb = b.map((x) => (typeof x === 'number' ? x : x.value));
  for (const x of [...va, ...vb]) if (!Number.isFinite(x)) throw new RangeError(`bootstrapMeanDiff: every value must be finite, got ${x}`);
  const base = { paired: false, nA: va.length, nB: vb.length };
  if (va.length === 0 || vb.length === 0) return { ...empty(va.length + vb.length, r), ...base };
  const estimate = mean(va) - mean(vb);

  const keysOf = (xs: readonly (number | KeyedValue)[]) => (xs.every((x) => typeof x !== 'number') ? new Set((xs as KeyedValue[]).map((x) => x.key)) : undefined);
  const ka = keysOf(a);
  const kb = keysOf(b);
  const sameKeys = ka !== undefined && kb !== undefined && ka.size === kb.size && [...ka].every((k) => kb.has(k));
  const paired = opts.paired === undefined || opts.paired === 'auto' ? sameKeys : opts.paired;
  if (paired && !sameKeys) throw new RangeError('bootstrapMeanDiff: paired needs both samples keyed by the same set of cases');

  if (!paired) {
    const ma = resampleMeans(va, r);
    const mb = resampleMeans(vb, r);
    const stats = new Float64Array(r.B);
    for (let i = 0; i < r.B; i++) stats[i] = ma[i]! - mb[i]!;
    return { ...percentile(stats, estimate, va.length + vb.length, r), ...base };
  }

  // Per case: sum and count of each run's values, cases in sorted key order (input order does not matter).
  const keys = [...ka!].sort();
  const index = new Map(keys.map((k, i) => [k, i]));
  const K = keys.length;
  const sumA = new Float64Array(K), cntA = new Float64Array(K), sumB = new Float64Array(K), cntB = new Float64Array(K);
  for (const x of a as KeyedValue[]) {
    const i = index.get(x.key)!;
    sumA[i] += x.value;
    cntA[i]++;
  }
  for (const x of b as KeyedValue[]) {
    const i = index.get(x.key)!;
    sumB[i] += x.value;
    cntB[i]++;
  }
  const stats = new Float64Array(r.B);
  for (let s = 0; s < r.B; s++) {
    let sa = 0, ca = 0, sb = 0, cb = 0;
    for (let i = 0; i < K; i++) {
      const k = r.rng.int(K);
      sa += sumA[k]!;
      ca += cntA[k]!;
      sb += sumB[k]!;
      cb += cntB[k]!;
    }
    stats[s] = sa / ca - sb / cb;
  }
  return { ...percentile(stats, estimate, va.length + vb.length, r), ...base, paired: true, cases: K };
}

/**
 * Percentile-bootstrap interval of the mean of keyed values, resampling whole keys (a cluster
 * bootstrap): use it when values under one key are correlated — e.g. the comparisons of replies
 * to one prompt, which share replies — so that the interval reflects the number of keys, not of
 * values. Each resample draws K keys with replacement and takes the pooled mean of their values.
 */
export function bootstrapMeanByKey(xs: readonly KeyedValue[], opts: BootstrapOptions = {}): Interval & { cases: number } {
  const r = resolve(opts);
  if (xs.length === 0) return { ...empty(0, r), cases: 0 };
  const keys = [...new Set(xs.map((x) => x.key))].sort();
  const index = new Map(keys.map((k, i) => [k, i]));
  const K = keys.length;
  const sum = new Float64Array(K), cnt = new Float64Array(K);
  for (const x of xs) {
    if (!Number.isFinite(x.value)) throw new RangeError(`bootstrapMeanByKey: every value must be finite, got ${x.value} (key ${x.key})`);
    const i = index.get(x.key)!;
    sum[i] += x.value;
    cnt[i]++;
  }
  const stats = new Float64Array(r.B);
  for (let s = 0; s < r.B; s++) {
    let a = 0, c = 0;
    for (let i = 0; i < K; i++) {
      const k = r.rng.int(K);
      a += sum[k]!;
      c += cnt[k]!;
    }
    stats[s] = a / c;
  }
  return { ...percentile(stats, mean(xs.map((x) => x.value)), xs.length, r), cases: K };
}
