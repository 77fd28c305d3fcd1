/**
 * A reward head fitted on a frozen backbone's features: the Bradley–Terry loss over cached
 * reply features (`replyFeatures`), no backbone pass per step.
 *
 * The head is `rewardHead`'s: with z_p and z_r the prompt and reply features standardized over
 * the training replies,
 *
 *   r(x, y) = w·z_r + Σ_k (U_k·z_p)(V_k·z_r)          (rank k = 0: a linear head)
 *   loss    = mean softplus(−(r_chosen − r_rejected − margin)) + centerCoef·mean((r_c + r_r)²)
 *           + l2·(|w|² + |U|² + |V|²)
 *
 * minimized by full-batch Adam. The prompt term makes the head's weight vector w + Σ_k (U_k·z_p)V_k
 * a function of the prompt, so a fact the backbone encodes at the prompt's last token (identity
 * verified, a receipt on file) can decide which reply is better without the backbone being
 * trained to route it into the reply's tokens. `toParams` folds the standardization into the
 * head's parameters (rewards change by one constant, which no comparison sees).
 *
 *   const f = await replyFeatures(model, groups, { padId, readout: 'mean' });
 *   const fit = fitRewardHead(f, pairs, { rank: 4 });
 *   for (const [name, value] of Object.entries(fit.params)) model.params.get(name).set(value);
 */
import type { ReplyFeatures } from './reward.js';
import { Rng } from '../util/rng.js';

/** log(1 + eˣ), without overflow for large x. */
export const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** One comparison by feature index: `chosen` preferred to `rejected`. */
export interface FeaturePair {
  chosen: number;
  rejected: number;
  margin?: number;
}

export interface FitRewardHeadOptions {
  /** Rank of the prompt-conditioned term (0: linear head). */
  rank: number;
  /** L2 penalty on the standardized weights (default 0.1). */
  l2?: number;
  /** Full-batch Adam iterations (default 300). */
  iters?: number;
  /** Adam step size (default 0.01). */
  lr?: number;
  /** Reward centering (default 0). */
  centerCoef?: number;
  /** Seed of U and V's initialisation (normal, SD 0.01). */
  seed?: number;
  /** Called every 10 iterations and at the last. */
  onIter?: (iter: number, loss: number, accuracy: number) => void;
}

export interface FittedRewardHead {
  /** Head parameters by name (score.weight and, for rank > 0, REWARD_COND_PARAMS), standardization folded in. */
  params: Record<string, Float32Array>;
  /** Final training loss and accuracy (the BT part, with the penalties in `loss`). */
  loss: number;
  accuracy: number;
  /** Rewards of the training replies under the fitted head (standardized form, without the folded constant). */
  reward: (i: number) => number;
}

/** Fits a (prompt-conditioned) reward head on frozen features by full-batch Adam. */
export function fitRewardHead(f: ReplyFeatures, pairs: readonly FeaturePair[], o: FitRewardHeadOptions): FittedRewardHead {
  const { d } = f;
  const n = f.reply.length / d;
  const K = o.rank;
  if (!(Number.isInteger(K) && K >= 0)) throw new Error(`fitRewardHead: rank must be an integer ≥ 0, got ${K}`);
  if (pairs.length === 0) throw new Error('fitRewardHead: no pairs');
  pairs.forEach((p, i) => {
    for (const j of [p.chosen, p.rejected]) if (!(Number.isInteger(j) && j >= 0 && j < n)) throw new Error(`fitRewardHead: pair ${i} names feature ${j}, but there are ${n}`);
  });
  const l2 = o.l2 ?? 0.1, iters = o.iters ?? 300, lr = o.lr ?? 0.01, center = o.centerCoef ?? 0;

  // Standardize over the replies the pairs use.
  const used = [...new Set(pairs.flatMap((p) => [p.chosen, p.rejected]))];
  const stats = (x: Float32Array) => {
    const mu = new Float64Array(d), sd = new Float64Array(d);
    for (const i of used) for (let j = 0; j < d; j++) mu[j] += x[i * d + j] / used.length;
    for (const i of used) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mu[j]) ** 2 / used.length;
    for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) + 1e-6;
    return { mu, sd };
  };
  const sr = stats(f.reply), sp = stats(f.prompt);
  const z = (x: Float32Array, s: { mu: Float64Array; sd: Float64Array }) => (i: number) => Float64Array.from({ length: d }, (_, j) => (x[i * d + j] - s.mu[j]) / s.sd[j]);
  const zr = new Map(used.map((i) => [i, z(f.reply, sr)(i)]));
  const zp = new Map(used.map((i) => [i, z(f.prompt, sp)(i)]));

  // θ = [w (d), U (K·d), V (K·d)]
  const th = new Float64Array(d + 2 * K * d);
  const rng = new Rng(o.seed ?? 0);
  for (let i = d; i < th.length; i++) th[i] = 0.01 * rng.normal();
  const U = (k: number) => d + k * d, V = (k: number) => d + K * d + k * d;
  const dot = (off: number, x: Float64Array) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += th[off + j] * x[j];
    return s;
  };
  // r(i) and its parts: a_k = U_k·z_p, b_k = V_k·z_r.
  const parts = (i: number) => {
    const p = zp.get(i)!, r = zr.get(i)!;
    const a = Float64Array.from({ length: K }, (_, k) => dot(U(k), p));
    const b = Float64Array.from({ length: K }, (_, k) => dot(V(k), r));
    let s = dot(0, r);
    for (let k = 0; k < K; k++) s += a[k] * b[k];
    return { s, a, b, p, r };
  };
  // Accumulates c · ∂r(i)/∂θ into g.
  const addGrad = (g: Float64Array, c: number, q: ReturnType<typeof parts>) => {
    for (let j = 0; j < d; j++) g[j] += c * q.r[j];
    for (let k = 0; k < K; k++) {
      const cu = c * q.b[k], cv = c * q.a[k];
      for (let j = 0; j < d; j++) {
        g[U(k) + j] += cu * q.p[j];
        g[V(k) + j] += cv * q.r[j];
      }
    }
  };
  // Each reply's reward once per evaluation; the gradient gathers ∂loss/∂r per reply first.
  const objective = (grad?: Float64Array) => {
    const q = new Map(used.map((i) => [i, parts(i)]));
    const dr = new Map(used.map((i) => [i, 0]));
    let loss = 0, right = 0;
    for (const pr of pairs) {
      const c = q.get(pr.chosen)!.s, r = q.get(pr.rejected)!.s;
      const gap = c - r - (pr.margin ?? 0);
      const sum = c + r;
      loss += (softplus(-gap) + center * sum * sum) / pairs.length;
      if (c > r) right++;
      const dGap = -1 / (1 + Math.exp(gap)) / pairs.length; // d softplus(−gap) / d gap
      const dSum = (2 * center * sum) / pairs.length;
      dr.set(pr.chosen, dr.get(pr.chosen)! + dGap + dSum);
      dr.set(pr.rejected, dr.get(pr.rejected)! - dGap + dSum);
    }
    if (grad) for (const i of used) if (dr.get(i) !== 0) addGrad(grad, dr.get(i)!, q.get(i)!);
    for (let i = 0; i < th.length; i++) {
      loss += l2 * th[i] * th[i];
      if (grad) grad[i] += 2 * l2 * th[i];
    }
    return { loss, accuracy: right / pairs.length };
  };

  const m1 = new Float64Array(th.length), m2 = new Float64Array(th.length);
  for (let it = 1; it <= iters; it++) {
    const g = new Float64Array(th.length);
    const { loss, accuracy } = objective(g);
    for (let i = 0; i < th.length; i++) {
      m1[i] = 0.9 * m1[i] + 0.1 * g[i];
      m2[i] = 0.999 * m2[i] + 0.001 * g[i] * g[i];
      th[i] -= (lr * (m1[i] / (1 - 0.9 ** it))) / (Math.sqrt(m2[i] / (1 - 0.999 ** it)) + 1e-8);
    }
    if (o.onIter && (it % 10 === 0 || it === iters)) o.onIter(it, loss, accuracy);
  }
  const final = objective();

  // Fold the standardization: U_k·z_p = (U_k/σ_p)·h_p − Σ U_k μ_p/σ_p, likewise V and w.
  const fold = (off: number, s: { mu: Float64Array; sd: Float64Array }) => {
    const w = new Float32Array(d);
    let bias = 0;
    for (let j = 0; j < d; j++) {
      w[j] = th[off + j] / s.sd[j];
      bias -= (th[off + j] * s.mu[j]) / s.sd[j];
    }
    return { w, bias };
  };
  const params: Record<string, Float32Array> = { 'score.weight': fold(0, sr).w };
  if (K > 0) {
    const Uw = new Float32Array(K * d), Ub = new Float32Array(K), Vw = new Float32Array(K * d), Vb = new Float32Array(K);
    for (let k = 0; k < K; k++) {
      const u = fold(U(k), sp), v = fold(V(k), sr);
      Uw.set(u.w, k * d);
      Ub[k] = u.bias;
      Vw.set(v.w, k * d);
      Vb[k] = v.bias;
    }
    Object.assign(params, { 'score.cond_u.weight': Uw, 'score.cond_u.bias': Ub, 'score.cond_v.weight': Vw, 'score.cond_v.bias': Vb });
  }
  return { params, loss: final.loss, accuracy: final.accuracy, reward: (i) => parts(i).s };
}
