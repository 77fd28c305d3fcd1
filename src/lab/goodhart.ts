/**
 * The math of the overoptimization (Goodhart) lab: best-of-n gold and proxy curves estimated
 * from a pool of samples, the KL of best-of-n, the scaling-law fits of Gao, Schulman & Hilton
 * (2022, "Scaling Laws for Reward Model Overoptimization"), the observed peak and fall of gold
 * along an RL run, and the Goodhart plot. Pure arithmetic; no model code.
 *
 * ## Best-of-n from a pool (Gao et al. 2022, appendix: the unbiased estimator)
 * Draw m ≥ n samples for a prompt, each scored by the proxy p_i (the selection score) and the
 * gold g_i. Best-of-n picks, among n samples, the one with the highest proxy. Averaging that
 * choice over all C(m, n) subsets of the pool (sampling n of the m without replacement) gives,
 * with the samples sorted by proxy ascending and i the 1-based rank,
 *
 *     w_i = C(i − 1, n − 1) / C(m, n)          (sample i is the subset's maximum: the other
 *     E[gold of best-of-n] = Σ_i w_i · g_i      n − 1 members come from the i − 1 below it)
 *
 * and the same with p_i for the proxy. Each subset of n distinct samples is a draw of n i.i.d.
 * samples from the base policy, so this is an unbiased estimate of the best-of-n expectation,
 * with far less variance than drawing fresh groups of n. The weights are computed in log
 * space from w_m = n/m and the ratio w_{i−1}/w_i = (i − n)/(i − 1), so m = 512 (where
 * C(512, 256) ≈ 10^152) is no problem.
 *
 * Ties in proxy: the weights of a tied group are averaged over the group. That is exactly the
 * selection probability when the subset's maximum is chosen uniformly at random among tied
 * members (by the hockey-stick identity the group's total weight is the probability that the
 * subset's maximum lies in the group, and the members are exchangeable), so proxy ties never
 * let the sample order leak into the estimate.
 *
 * ## KL of best-of-n
 * The analytic form KL_bon(n) = log n − (n − 1)/n (Stiennon et al. 2020, appendix; Gao et al.
 * 2022, §2) is the KL of best-of-n from the base policy when all rewards are distinct;
 * Beirami et al. (2024, "Theoretical guarantees on the best-of-n alignment policy") show it
 * is an upper bound in general. The pool estimate is
 *
 *     KL̂ = Σ_i w_i · log(w_i · m)
 *
 * the KL from the uniform distribution over the m pool samples (the base policy's empirical
 * distribution) to the best-of-n-from-the-pool selection distribution w. With tied proxies
 * the averaged weights make it the KL over proxy values (tied samples merged into one
 * outcome), so ties lower it, as they lower the true KL. For distinct proxies it tends to the
 * analytic form as m/n grows (Σ w log(wm) → ∫₀¹ n u^{n−1} log(n u^{n−1}) du = log n − (n − 1)/n);
 * for n close to m it overshoots it (n = m gives log m, a point mass on the pool's argmax).
 * The x axis of the Goodhart plot is d = √KL.
 *
 * ## Gao et al.'s functional forms (their eq. 1–2)
 * Gold reward relative to the initial policy, as a function of d = √KL:
 *
 *     best-of-n   R_bon(d) = d · (α − β·d)         peak at d* = α / (2β),          R(d*) = α² / (4β)
 *     RL          R_rl(d)  = d · (α − β·ln d)      peak at d* = exp(α/β − 1),      R(d*) = β · d*
 *
 * (RL: dR/dd = α − β ln d − β = 0 ⇒ ln d* = α/β − 1; d²R/dd² = −β/d < 0 for β > 0, a maximum;
 * at d*, α − β ln d* = β.) Both are linear in (α, β), so least squares is a closed-form solve of
 * the normal equations. The forms have R(0) = 0 (d·ln d → 0), so the fit is on gold − baseline,
 * where the baseline is by default the mean gold at d = 0 (best-of-1, or step 0 of RL), a given
 * number, or fitted as a free intercept ('free'). R² = 1 − SS_res/SS_tot is computed on the
 * fitted quantity (gold − baseline); without a free intercept it can be negative.
 *
 * @example
 * ```ts
 * const pool = prompts.map((p) => ({ proxy: p.samples.map((s) => s.proxy), gold: p.samples.map((s) => s.gold) }));
 * const bon = bestOfN(pool, [1, 2, 4, 8, 16, 32, 64]);          // gold/proxy intervals per n, KL, d
 * const pts = bon.map((b) => ({ d: b.d, gold: b.gold.estimate, proxy: b.proxy.estimate }));
 * const fit = fitGaoBon(pts);                                   // { alpha, beta, r2, dStar, predictedPeak, ... }
 * fs.writeFileSync('goodhart.svg', goodhartPlot({ title: 'Goodhart', bon: pts, fits: { bon: fit } }));
 * ```
 */
import { bootstrapMean, type BootstrapOptions, type Interval } from '../eval/bootstrap.js';
import { escapeHtml } from '../report/escape.js';
import { linePlot, PALETTE, type Series } from '../report/svg.js';

// ---------------------------------------------------------------------------------------------
// Best-of-n

/** One prompt's pool: the proxy (selection) score and the gold score of each of its m samples. */
export interface PoolPrompt {
  proxy: readonly number[];
  gold: readonly number[];
}

function checkN(n: number, m: number, where: string): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${where}: n must be a positive integer, got ${n}`);
  if (n > m) throw new RangeError(`${where}: n = ${n} is larger than the pool (m = ${m} samples)`);
}

/** log w of each sample (input order) and w itself: best-of-n selection probabilities, ties averaged. */
function selection(proxy: readonly number[], n: number, where: string): { w: Float64Array; logw: Float64Array } {
  const m = proxy.length;
  checkN(n, m, where);
  proxy.forEach((p, i) => {
    if (!Number.isFinite(p)) throw new RangeError(`${where}: proxy[${i}] must be finite, got ${p}`);
  });
  const order = [...proxy.keys()].sort((a, b) => proxy[a]! - proxy[b]! || a - b);
  // By 0-based sorted position k (rank k + 1): log C(k, n − 1) − log C(m, n); −∞ below n − 1.
  const byRank = new Float64Array(m).fill(-Infinity);
  byRank[m - 1] = Math.log(n) - Math.log(m);
  for (let k = m - 1; k > n - 1; k--) byRank[k - 1] = byRank[k]! + Math.log(k + 1 - n) - Math.log(k);
  const w = new Float64Array(m);
  const logw = new Float64Array(m);
  for (let a = 0; a < m; ) {
    let b = a + 1;
    while (b < m && proxy[order[b]!] === proxy[order[a]!]) b++;
    // Average over the tied group [a, b): log-sum-exp of its log-weights, minus log(size).
    let top = -Infinity;
    for (let k = a; k < b; k++) top = Math.max(top, byRank[k]!);
    let s = 0;
    if (top > -Infinity) for (let k = a; k < b; k++) s += Math.exp(byRank[k]! - top);
    const lg = top === -Infinity ? -Infinity : top + Math.log(s) - Math.log(b - a);
    for (let k = a; k < b; k++) {
      logw[order[k]!] = lg;
      w[order[k]!] = Math.exp(lg);
    }
    a = b;
  }
  return { w, logw };
}

/**
 * Best-of-n selection probability of each sample of one prompt's pool (input order; sums to
 * 1): w_i = C(rank_i − 1, n − 1) / C(m, n) with ranks by proxy ascending, averaged over proxy ties.
 */
export function bonWeights(proxy: readonly number[], n: number): Float64Array {
  return selection(proxy, n, 'bonWeights').w;
}

/** One prompt's best-of-n expectations: gold, proxy and the pool KL estimate Σ w log(w·m). */
export function bonExpectation(sample: PoolPrompt, n: number, where = 'bonExpectation'): { gold: number; proxy: number; klEstimate: number } {
  if (sample.gold.length !== sample.proxy.length) throw new RangeError(`${where}: proxy has ${sample.proxy.length} scores but gold has ${sample.gold.length}`);
  const { w, logw } = selection(sample.proxy, n, where);
  const m = w.length;
  let gold = 0, proxy = 0, kl = 0;
  for (let i = 0; i < m; i++) {
    const g = sample.gold[i]!;
    if (!Number.isFinite(g)) throw new RangeError(`${where}: gold[${i}] must be finite, got ${g}`);
    if (w[i] === 0) continue;
    gold += w[i]! * g;
    proxy += w[i]! * sample.proxy[i]!;
    kl += w[i]! * (logw[i]! + Math.log(m));
  }
  return { gold, proxy, klEstimate: Math.max(0, kl) };
}

/** KL(best-of-n ‖ base) = log n − (n − 1)/n for distinct rewards (an upper bound in general). */
export function klBestOfN(n: number): number {
  if (!(n >= 1)) throw new RangeError(`klBestOfN: n must be ≥ 1, got ${n}`);
  return Math.log(n) - (n - 1) / n;
}

/** Best-of-n at one n, averaged over prompts. */
export interface BonPoint {
  n: number;
  /** Mean over prompts of the expected gold of the best-of-n choice, with a bootstrap interval over prompts. */
  gold: Interval;
  /** The same for the proxy (the selection score). */
  proxy: Interval;
  /** Analytic KL, log n − (n − 1)/n. */
  kl: number;
  /** √kl: the x axis of Gao et al.'s plots. */
  d: number;
  /** Mean over prompts of the pool estimate Σ w log(w·m) (see the file header). */
  klEstimate: number;
  dEstimate: number;
}

/**
 * Best-of-n gold and proxy for each n from a pool of m ≥ n samples per prompt (the unbiased
 * subset estimator of the file header). The intervals are percentile bootstraps over prompts
 * (`bootstrapMean` of src/eval/bootstrap.ts on the per-prompt expectations; the same seed for
 * gold and proxy, so both resample the same prompts); they treat each prompt's pool as fixed,
 * so they leave out the sampling noise of the pool itself.
 */
export function bestOfN(pool: readonly PoolPrompt[], ns: readonly number[], opts: BootstrapOptions = {}): BonPoint[] {
  if (pool.length === 0) throw new RangeError('bestOfN: the pool has no prompts');
  return ns.map((n) => {
    const per = pool.map((s, j) => bonExpectation(s, n, `bestOfN: prompt ${j}`));
    const kl = klBestOfN(n);
    const klEstimate = per.reduce((a, x) => a + x.klEstimate, 0) / per.length;
    return {
      n,
      gold: bootstrapMean(per.map((x) => x.gold), { ...opts }),
      proxy: bootstrapMean(per.map((x) => x.proxy), { ...opts }),
      kl,
      d: Math.sqrt(kl),
      klEstimate,
      dEstimate: Math.sqrt(klEstimate),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Gao et al. fits

/** R_bon(d) = d·(α − β·d). */
export function gaoBon(d: number, alpha: number, beta: number): number {
  return d * (alpha - beta * d);
}

/** R_rl(d) = d·(α − β·ln d), with R_rl(0) = 0 (the limit). */
export function gaoRl(d: number, alpha: number, beta: number): number {
  return d === 0 ? 0 : d * (alpha - beta * Math.log(d));
}

/** A point of a Goodhart curve: d = √KL and the gold reward there. */
export interface GaoPoint {
  d: number;
  gold: number;
}

export interface GaoFitOptions {
  /**
   * What gold is measured relative to: 'd0' (default) the mean gold of the points at d = 0,
   * a number, or 'free' (a fitted intercept γ: gold ≈ γ + R(d)).
   */
  baseline?: 'd0' | 'free' | number;
}

export interface GaoFit {
  form: 'bon' | 'rl';
  alpha: number;
  beta: number;
  /** The gold level R is measured from (given, the d = 0 mean, or the fitted intercept). */
  baseline: number;
  /** 1 − SS_res/SS_tot of gold − baseline over the fitted points. */
  r2: number;
  /** The d = √KL of the predicted peak: Infinity when the fitted curve never turns down (β ≤ 0), 0 when it only falls. */
  dStar: number;
  /** R(d*), the predicted gain at the peak over the baseline (Infinity when unbounded). */
  predictedPeak: number;
  /** baseline + R(d*): the predicted peak gold. */
  predictedPeakGold: number;
  /** Number of points fitted. */
  points: number;
}

/** Solve the square system A x = b (row-major, k ≤ 3) by Gaussian elimination with partial pivoting; null when singular. */
function solve(A: number[][], b: number[]): number[] | null {
  const k = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  const scale = Math.max(...A.map((r) => Math.max(...r.map(Math.abs))), 1e-300);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (Math.abs(M[p]![c]!) <= 1e-12 * scale) return null;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < k; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let j = c; j <= k; j++) M[r]![j]! -= f * M[c]![j]!;
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let s = M[r]![k]!;
    for (let j = r + 1; j < k; j++) s -= M[r]![j]! * x[j]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

function fitGao(form: 'bon' | 'rl', points: readonly GaoPoint[], opts: GaoFitOptions): GaoFit {
  const where = form === 'bon' ? 'fitGaoBon' : 'fitGaoRl';
  points.forEach((p, i) => {
    if (!(Number.isFinite(p.d) && p.d >= 0)) throw new RangeError(`${where}: points[${i}].d must be a finite number ≥ 0 (d = √KL), got ${p.d}`);
    if (!Number.isFinite(p.gold)) throw new RangeError(`${where}: points[${i}].gold must be finite, got ${p.gold}`);
  });
  const mode = opts.baseline ?? 'd0';
  const free = mode === 'free';
  let base = 0;
  if (mode === 'd0') {
    const at0 = points.filter((p) => p.d === 0);
    if (at0.length === 0) throw new RangeError(`${where}: no point at d = 0 to measure gold from; pass baseline: <gold of the initial policy> or 'free'`);
    base = at0.reduce((a, p) => a + p.gold, 0) / at0.length;
  } else if (typeof mode === 'number') {
    if (!Number.isFinite(mode)) throw new RangeError(`${where}: baseline must be finite, got ${mode}`);
    base = mode;
  } else if (mode !== 'free') throw new RangeError(`${where}: baseline must be 'd0', 'free' or a number, got ${JSON.stringify(mode)}`);
  const positive = points.filter((p) => p.d > 0).length;
  if (positive < 2 || (free && points.length < 3)) throw new RangeError(`${where}: need at least 2 points with d > 0${free ? ' and 3 in all (free intercept)' : ''}, got ${positive} of ${points.length}`);
  // Features: R = α·f1 − β·f2 with f1 = d, f2 = d² (bon) or d·ln d (rl); plus 1 for a free intercept.
  const feats = (d: number) => {
    const f2 = form === 'bon' ? d * d : d === 0 ? 0 : d * Math.log(d);
    return free ? [d, -f2, 1] : [d, -f2];
  };
  const X = points.map((p) => feats(p.d));
  const y = points.map((p) => p.gold - base);
  const k = X[0]!.length;
  const A = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => X.reduce((s, r) => s + r[a]! * r[b]!, 0)));
  const rhs = Array.from({ length: k }, (_, a) => X.reduce((s, r, i) => s + r[a]! * y[i]!, 0));
  const theta = solve(A, rhs);
  if (!theta) throw new RangeError(`${where}: the points do not determine α and β (too few distinct d values)`);
  const [alpha, beta] = theta as [number, number];
  if (free) base = theta[2]!;
  // R² on gold − baseline (identical to R² on gold when the intercept is fitted).
  const yy = points.map((p) => p.gold - base);
  const curve = form === 'bon' ? gaoBon : gaoRl;
  const mean = yy.reduce((a, v) => a + v, 0) / yy.length;
  let ssRes = 0, ssTot = 0;
  points.forEach((p, i) => {
    ssRes += (yy[i]! - curve(p.d, alpha, beta)) ** 2;
    ssTot += (yy[i]! - mean) ** 2;
  });
  const r2 = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : -Infinity;
  let dStar: number;
  if (beta > 0) dStar = form === 'bon' ? Math.max(0, alpha / (2 * beta)) : Math.exp(alpha / beta - 1);
  else dStar = beta < 0 || alpha > 0 ? Infinity : 0;
  const predictedPeak = dStar === Infinity ? Infinity : curve(dStar, alpha, beta);
  return { form, alpha, beta, baseline: base, r2, dStar, predictedPeak, predictedPeakGold: base + predictedPeak, points: points.length };
}

/** Least-squares fit of gold − baseline = d·(α − β·d) (best-of-n); see the file header. */
export function fitGaoBon(points: readonly GaoPoint[], opts: GaoFitOptions = {}): GaoFit {
  return fitGao('bon', points, opts);
}

/** Least-squares fit of gold − baseline = d·(α − β·ln d) (RL); see the file header. */
export function fitGaoRl(points: readonly GaoPoint[], opts: GaoFitOptions = {}): GaoFit {
  return fitGao('rl', points, opts);
}

/** The fitted curve's gold at d: baseline + R(d). */
export function gaoPredict(fit: GaoFit, d: number): number {
  return fit.baseline + (fit.form === 'bon' ? gaoBon(d, fit.alpha, fit.beta) : gaoRl(d, fit.alpha, fit.beta));
}

// ---------------------------------------------------------------------------------------------
// Trends and the observed peak

/** Two-sided 95 % Student-t quantiles t_{0.975, df}, df = 1..30. */
const T975 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423];

/**
 * t_{0.975, df}, the multiplier of a two-sided 95 % interval: a table up to df = 30, beyond it
 * the Cornish–Fisher expansion in 1/df around z = 1.959964 (error < 1e-4 there).
 */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`tQuantile975: df must be a positive integer, got ${df}`);
  if (df <= 30) return T975[df - 1]!;
  const z = 1.959964;
  const z3 = z ** 3, z5 = z ** 5, z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/** An ordinary least-squares line y ≈ intercept + slope·x, with the slope's standard error. */
export interface LinearTrend {
  slope: number;
  intercept: number;
  /** Standard error of the slope, √(SS_res/(n − 2) / Σ(x − x̄)²); NaN for n < 3. */
  se: number;
  n: number;
}

/** The least-squares line through (xs, ys) (at least 2 points with distinct x). */
export function linearTrend(xs: readonly number[], ys: readonly number[]): LinearTrend {
  const n = xs.length;
  if (ys.length !== n) throw new RangeError(`linearTrend: ${n} x values but ${ys.length} y values`);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (!(sxx > 0)) return { slope: NaN, intercept: NaN, se: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  return { slope, intercept, se: n > 2 ? Math.sqrt(ss / (n - 2) / sxx) : NaN, n };
}

/**
 * Centered moving average with an odd window w: each value is the mean of the up to w values
 * within ±(w − 1)/2 of it (truncated at the ends, so the ends average fewer values).
 */
export function movingAverage(ys: readonly number[], w: number): number[] {
  if (!Number.isInteger(w) || w < 1 || w % 2 === 0) throw new RangeError(`movingAverage: the window must be an odd positive integer, got ${w}`);
  const h = (w - 1) / 2;
  return ys.map((_, i) => {
    let s = 0, c = 0;
    for (let j = Math.max(0, i - h); j <= Math.min(ys.length - 1, i + h); j++) {
      s += ys[j]!;
      c++;
    }
    return s / c;
  });
}

/** One step of a run: its x (step or √KL), gold and proxy. */
export interface RunPoint {
  x: number;
  gold: number;
  proxy: number;
  /**
   * The proxy of each case where the run is measured on fixed cases (a probe; the same cases in
   * the same order at every point), `proxy` being their mean. With it, the proxy's end trend
   * is tested across cases (see `peakAndFall`).
   */
  proxyByCase?: readonly number[];
  /** The gold of each case, likewise (`gold` being their mean): gives the fall an interval. */
  goldByCase?: readonly number[];
}

export interface PeakAndFall {
  /** Highest smoothed gold, the index and x where it is reached (the first, if repeated). */
  peakGold: number;
  peakIndex: number;
  peakX: number;
  /** Smoothed gold at the first and the last point. */
  initialGold: number;
  finalGold: number;
  /** (peak − final) / |peak|: the fall as a fraction of the peak's size (NaN when the peak is 0). */
  dropFromPeak: number;
  /**
   * (peak − final) / (peak − initial): the share of the gain that optimization gave back
   * (1 = all of it, > 1 = below where it started; NaN when gold never rose above its start).
   * Independent of where gold's zero is, so usually the more meaningful of the two.
   */
  dropRelToGain: number;
  /**
   * With per-case gold at every point (`goldByCase`, the same cases at each): the 95 % t
   * interval of `dropFromPeak` across cases — each case's smoothed gold at the peak's step minus
   * at the end, over the mean smoothed gold there, the ratio's error by the delta method —
   * centered on the kept cases' ratio (which is `dropFromPeak` when no case has a non-finite
   * value). The peak's step is taken as given: the same data chose it as the highest, so the
   * fall is biased upward (the winner's curse) and the interval does not count that.
   */
  dropFromPeakCI?: { lo: number; hi: number; cases: number };
  /**
   * The least-squares slope of the proxy over the last third of the run (at least 3 points),
   * with its 95 % interval: across cases when every point of the tail has `proxyByCase`
   * (`method: 'cases'`), else from the residuals of the line through the points (`'points'`).
   * `n` is the number of points, `df` the interval's degrees of freedom.
   */
  proxySlopeEnd: TailSlope;
  /** The points-only interval, for comparison (the same as `proxySlopeEnd` without per-case values). */
  proxySlopeEndPoints: TailSlope;
  /** True when `proxySlopeEnd`'s 95 % interval lies above 0. */
  proxyRisingAtEnd: boolean;
}

export interface TailSlope {
  slope: number;
  lo: number;
  hi: number;
  n: number;
  method: 'cases' | 'points';
  df: number;
  /** Cases the interval is over (method 'cases'). */
  cases?: number;
}

/**
 * The slope of y over x across cases: each case's own least-squares slope over the points (all
 * cases share the x values), their mean (the slope of the mean curve when no case is dropped)
 * and its standard error from their spread, for a t interval with cases − 1 degrees of
 * freedom. Cases with a non-finite value anywhere are left out; with fewer than two x values
 * (no spread in x) there is no slope (NaN, 0 cases). The cases are the independent units; the
 * run's policies are held fixed, so this asks whether those policies' proxy rises, not whether
 * another run's would.
 */
export function caseSlope(xs: readonly number[], byCase: readonly (readonly number[])[]): { slope: number; se: number; cases: number } {
  if (byCase.length !== xs.length) throw new RangeError(`caseSlope: ${xs.length} x values but ${byCase.length} points of per-case values`);
  const n = byCase[0]?.length ?? 0;
  byCase.forEach((c, j) => {
    if (c.length !== n) throw new RangeError(`caseSlope: point ${j} has ${c.length} cases, point 0 has ${n}`);
  });
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  if (!(sxx > 0)) return { slope: NaN, se: NaN, cases: 0 };
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    const ys = byCase.map((c) => c[i]!);
    if (!ys.every(Number.isFinite)) continue;
    const my = ys.reduce((a, y) => a + y, 0) / ys.length;
    slopes.push(xs.reduce((a, x, j) => a + (x - mx) * (ys[j]! - my), 0) / sxx);
  }
  const m = slopes.length;
  if (m === 0) return { slope: NaN, se: NaN, cases: 0 };
  const slope = slopes.reduce((a, s) => a + s, 0) / m;
  const se = m > 1 ? Math.sqrt(slopes.reduce((a, s) => a + (s - slope) ** 2, 0) / (m - 1) / m) : NaN;
  return { slope, se, cases: m };
}

/**
 * Where gold peaks along a run and how far it falls afterwards, and whether the proxy is
 * still rising at the end: the signature of overoptimization (proxy up, gold down).
 *
 * Gold is smoothed by a centered moving average of `smoothWindow` points (odd; 1 = raw)
 * before the peak, initial and final values are read. The proxy's end trend is the least-squares
 * slope over the last ⌈n/3⌉ points (at least 3; the raw proxy, non-finite values left out).
 * With per-case values at every tail point (a probe: fixed cases, replies sampled with the
 * same seed), its t interval is across cases (`caseSlope`): case difficulty cancels and the
 * interval has cases − 1 degrees of freedom. Without them it comes from the residuals of the
 * line through the points: n − 2 degrees of freedom, 1 for a 3-point tail (t = 12.7), an
 * interval that needs the three points almost exactly on a line.
 */
export function peakAndFall(series: readonly RunPoint[], smoothWindow = 1): PeakAndFall {
  if (series.length === 0) throw new RangeError('peakAndFall: the series is empty');
  series.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.gold)) throw new RangeError(`peakAndFall: series[${i}] needs finite x and gold, got x = ${p.x}, gold = ${p.gold}`);
  });
  const g = movingAverage(series.map((p) => p.gold), smoothWindow);
  let peakIndex = 0;
  for (let i = 1; i < g.length; i++) if (g[i]! > g[peakIndex]!) peakIndex = i;
  const peakGold = g[peakIndex]!, initialGold = g[0]!, finalGold = g[g.length - 1]!;
  const fall = peakGold - finalGold;
  const gain = peakGold - initialGold;
  const tail = series.slice(series.length - Math.max(3, Math.ceil(series.length / 3))).filter((p) => Number.isFinite(p.proxy));
  const t = tail.length >= 3 ? linearTrend(tail.map((p) => p.x), tail.map((p) => p.proxy)) : undefined;
  const interval = (slope: number, se: number, df: number) => {
    const half = Number.isFinite(se) && df >= 1 ? tQuantile975(df) * se : NaN;
    return { slope, lo: slope - half, hi: slope + half };
  };
  const proxySlopeEndPoints: TailSlope = { ...interval(t?.slope ?? NaN, t?.se ?? NaN, tail.length - 2), n: tail.length, method: 'points', df: Math.max(0, tail.length - 2) };
  let proxySlopeEnd = proxySlopeEndPoints;
  const sameCases = (cs: (readonly number[] | undefined)[]) => cs.every((c) => c !== undefined && c.length === cs[0]!.length);
  if (tail.length >= 3 && sameCases(tail.map((p) => p.proxyByCase))) {
    const c = caseSlope(tail.map((p) => p.x), tail.map((p) => p.proxyByCase!));
    if (c.cases >= 2) proxySlopeEnd = { ...interval(c.slope, c.se, c.cases - 1), n: tail.length, method: 'cases', df: c.cases - 1, cases: c.cases };
  }
  // The fall's interval across cases. The relative fall is a ratio of two means over the same
  // cases, D = F / |P| (F the mean fall, P the mean gold at the peak's step); to first order its
  // error is the mean of z_i = (f_i − D·sign(P)·p_i) / |P| (the delta method), whose spread
  // gives the standard error.
  let dropFromPeakCI: PeakAndFall['dropFromPeakCI'];
  const byCase = series.map((p) => p.goldByCase);
  if (sameCases(byCase) && byCase[0]!.length >= 2) {
    const f: number[] = [], pk: number[] = [];
    for (let i = 0; i < byCase[0]!.length; i++) {
      const own = byCase.map((c) => c![i]!);
      if (!own.every(Number.isFinite)) continue;
      const sm = movingAverage(own, smoothWindow);
      f.push(sm[peakIndex]! - sm[sm.length - 1]!);
      pk.push(sm[peakIndex]!);
    }
    const n = f.length;
    const F = f.reduce((a, x) => a + x, 0) / n, P = pk.reduce((a, x) => a + x, 0) / n;
    if (n >= 2 && P !== 0) {
      const D = F / Math.abs(P);
      const z = f.map((fi, i) => (fi - D * Math.sign(P) * pk[i]!) / Math.abs(P));
      const zm = z.reduce((a, x) => a + x, 0) / n;
      const half = tQuantile975(n - 1) * Math.sqrt(z.reduce((a, x) => a + (x - zm) ** 2, 0) / (n - 1) / n);
      dropFromPeakCI = { lo: D - half, hi: D + half, cases: n };
    }
  }
  return {
    peakGold,
    peakIndex,
    peakX: series[peakIndex]!.x,
    initialGold,
    finalGold,
    dropFromPeak: peakGold !== 0 ? fall / Math.abs(peakGold) : NaN,
    dropRelToGain: gain > 0 ? fall / gain : NaN,
    ...(dropFromPeakCI ? { dropFromPeakCI } : {}),
    proxySlopeEnd,
    proxySlopeEndPoints,
    proxyRisingAtEnd: proxySlopeEnd.lo > 0,
  };
}

// ---------------------------------------------------------------------------------------------
// The Goodhart plot

/** A point of a Goodhart curve with both rewards. */
export interface GoodhartPoint {
  d: number;
  gold: number;
  proxy: number;
}

export interface GoodhartPlotOptions {
  title: string;
  /** Best-of-n points (e.g. from `bestOfN`), in order of n. */
  bon?: readonly GoodhartPoint[];
  /** RL points, in order of training step. */
  rl?: readonly GoodhartPoint[];
  /** Fitted gold curves, drawn dashed over the gold panel. */
  fits?: { bon?: GaoFit; rl?: GaoFit };
  /** Width of each panel (default 480) and height of the panels (default 320). */
  panelWidth?: number;
  height?: number;
}

const fmt = (v: number) => (Number.isFinite(v) ? String(+v.toPrecision(3)) : v > 0 ? '∞' : String(v));

/** Points of a fitted curve on [0, dMax], 60 segments. */
function curvePoints(fit: GaoFit, dMax: number): [number, number][] {
  return Array.from({ length: 61 }, (_, i) => {
    const d = (dMax * i) / 60;
    return [d, gaoPredict(fit, d)] as [number, number];
  });
}

/**
 * A standalone SVG of the Goodhart curves: two panels side by side, gold (left) and proxy
 * (right) against d = √KL, because the two rewards live on different scales and normalising
 * would hide how far each moved. Observed points are thin lines with dots (best-of-n blue, RL
 * vermillion); the fitted Gao curves are dashed in the same colors on the gold panel, over the
 * observed range of d, and a caption lists α, β, R², d* and the predicted peak. No script,
 * no external font: it opens in any browser offline.
 */
export function goodhartPlot(o: GoodhartPlotOptions): string {
  const W = o.panelWidth ?? 480, H = o.height ?? 320;
  const blue = PALETTE[0]!, red = PALETTE[1]!;
  const gold: Series[] = [], proxy: Series[] = [];
  const dMax = (pts?: readonly GoodhartPoint[]) => Math.max(0, ...(pts ?? []).map((p) => p.d).filter(Number.isFinite));
  for (const [name, pts, color] of [['best-of-n', o.bon, blue], ['RL', o.rl, red]] as const) {
    if (!pts?.length) continue;
    gold.push({ name, points: pts.map((p) => [p.d, p.gold]), color, width: 1.2, opacity: 0.8 });
    proxy.push({ name, points: pts.map((p) => [p.d, p.proxy]), color, width: 1.2, opacity: 0.8 });
  }
  const captions: string[] = [];
  for (const [name, fit, pts, color] of [['best-of-n', o.fits?.bon, o.bon, blue], ['RL', o.fits?.rl, o.rl, red]] as const) {
    if (!fit) continue;
    const top = dMax(pts) || (Number.isFinite(fit.dStar) ? 1.5 * fit.dStar : 1) || 1;
    gold.push({ name: `${name} fit`, points: curvePoints(fit, top), color, width: 2.2, dash: '6 4' });
    const formula = fit.form === 'bon' ? 'd(α − βd)' : 'd(α − β ln d)';
    captions.push(`${name} fit: gold = ${fmt(fit.baseline)} + ${formula} with α = ${fmt(fit.alpha)}, β = ${fmt(fit.beta)}; R² = ${fmt(fit.r2)}; peak at d* = ${fmt(fit.dStar)}, gold ${fmt(fit.predictedPeakGold)}`);
  }
  const left = linePlot({ xLabel: 'd = √KL (KL in nats)', yLabel: 'gold reward', series: gold, width: W, height: H });
  const right = linePlot({ xLabel: 'd = √KL (KL in nats)', yLabel: 'proxy reward', series: proxy, width: W, height: H });
  const top = 30, capH = 18 * captions.length + (captions.length ? 10 : 0);
  const width = 2 * W, height = top + H + capH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(o.title)}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">${escapeHtml(o.title)}</text>`,
    `<g transform="translate(0 ${top})">${left}</g>`,
    `<g transform="translate(${W} ${top})">${right}</g>`,
    ...captions.map((c, i) => `<text x="64" y="${top + H + 16 + 18 * i}" fill="#222">${escapeHtml(c)}</text>`),
    '</svg>\n',
  ];
  return parts.join('');
}
