/**
 * KL divergence to a frozen reference: per-token estimators and the controllers that set the
 * penalty's coefficient β.
 *
 * ## Estimators (Schulman, "Approximating KL divergence", 2020)
 * RLHF penalizes KL(π ‖ π_ref) = E_{y∼π}[log π(y) − log π_ref(y)], estimated from the tokens
 * the policy sampled. With the log-ratio lr = log π(y) − log π_ref(y) of one sampled token:
 *
 *   k1 = lr                         unbiased; high variance, negative for many samples
 *   k2 = ½ · lr²                    biased (exact to second order when π ≈ π_ref); low variance, ≥ 0
 *   k3 = (exp(−lr) − 1) + lr        unbiased (E_π[π_ref/π] = 1); low variance, always ≥ 0
 *
 * (k3 is (r − 1) − log r with r = π_ref/π, and x − 1 ≥ log x.) A response's KL is the sum over
 * its tokens, as in TRL (`kl_estimator` 'k1' | 'k3').
 *
 * ## Controllers
 * `FixedKlController(β)` keeps β. `AdaptiveKlController` (Ziegler et al. 2019, "Fine-Tuning
 * Language Models from Human Preferences", §2.2) steers the measured KL towards a target:
 *
 *   e = clip(KL / target − 1, −0.2, 0.2)
 *   β ← max(β_min, β · (1 + e · n / horizon))          n = rollout samples in the step
 *
 * β_min (`min`, default 0: Ziegler et al.'s controller) turns the controller into a one-sided
 * guard when set to the initial β: the penalty stays as given while the KL is below target and
 * tightens only above it, where the two-sided controller first loosens the leash of a run whose
 * KL starts low and then overshoots.
 *
 * Both expose `value` (the β to use now), `update(kl, n)` (after a step, with that step's mean
 * per-sequence KL) and `state()`, plain JSON that `klControllerFromState` restores exactly
 * (numbers survive JSON unchanged), so a resumed run continues bit-identically.
 *
 *   const kl = new AdaptiveKlController({ init: 0.2, target: 6, horizon: 10000 });
 *   const { perSequence } = sequenceKl({ logprobs, refLogprobs, mask, B, T, estimator: 'k3' });
 *   kl.update(perSequence.reduce((a, x) => a + x, 0) / B, B);
 *   const saved = kl.state();                     // into a checkpoint
 *   const again = klControllerFromState(saved);   // continues where kl is
 */
import { z } from 'zod';

export type KlEstimator = 'k1' | 'k2' | 'k3';
export const KL_ESTIMATORS: readonly KlEstimator[] = ['k1', 'k2', 'k3'];

/** One token's KL estimate from the log-ratio lr = log π(y) − log π_ref(y), y ∼ π. */
export function klEstimate(lr: number, estimator: KlEstimator): number {
  switch (estimator) {
    case 'k1':
      return lr;
    case 'k2':
      return 0.5 * lr * lr;
    case 'k3':
      // expm1 keeps precision when lr is small (π ≈ π_ref), where exp(−lr) − 1 would cancel.
      return Math.expm1(-lr) + lr;
    default:
      throw new Error(`unknown KL estimator ${JSON.stringify(estimator)} (expected one of ${KL_ESTIMATORS.join(', ')})`);
  }
}

export interface SequenceKlInput {
  B: number;
  T: number;
  /** log π of each sampled token (B·T). */
  logprobs: ArrayLike<number>;
  /** log π_ref of the same tokens (B·T). */
  refLogprobs: ArrayLike<number>;
  /** 1 at the response tokens to count, 0 elsewhere (B·T). */
  mask: ArrayLike<number>;
  estimator: KlEstimator;
}

/**
 * The chosen estimator at every masked token (0 elsewhere) and its sum over each row: the
 * per-token KL that PPO subtracts from its rewards, and the per-sequence KL of `objective/kl`.
 */
export function sequenceKl(a: SequenceKlInput): { perToken: Float64Array; perSequence: number[] } {
  const N = a.B * a.T;
  for (const [name, x] of [['logprobs', a.logprobs], ['refLogprobs', a.refLogprobs], ['mask', a.mask]] as const) {
    if (x.length !== N) throw new Error(`sequenceKl: ${name} has ${x.length} values, expected B·T = ${N}`);
  }
  if (!KL_ESTIMATORS.includes(a.estimator)) throw new Error(`sequenceKl: unknown estimator ${JSON.stringify(a.estimator)} (expected one of ${KL_ESTIMATORS.join(', ')})`);
  const perToken = new Float64Array(N);
  const perSequence = new Array<number>(a.B).fill(0);
  for (let i = 0; i < N; i++) {
    if (!a.mask[i]) continue;
    perToken[i] = klEstimate(a.logprobs[i] - a.refLogprobs[i], a.estimator);
    perSequence[Math.floor(i / a.T)] += perToken[i];
  }
  return { perToken, perSequence };
}

// ---------------------------------------------------------------------------------------------
// Controllers

/** A controller's complete state as plain JSON. */
export type KlControllerState = { kind: 'fixed'; value: number } | { kind: 'adaptive'; value: number; target: number; horizon: number; min?: number };

export interface KlController {
  /** The coefficient β to use for the next rollout. */
  readonly value: number;
  /** Called after a step with its mean per-sequence KL and its number of rollout samples. */
  update(kl: number, n: number): void;
  state(): KlControllerState;
}

function checkUpdate(kl: number, n: number): void {
  if (!Number.isFinite(kl)) throw new Error(`KL controller update: kl must be a finite number, got ${kl}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`KL controller update: n (rollout samples) must be a positive integer, got ${n}`);
}

/** A constant β (TRL's FixedKLController). */
export class FixedKlController implements KlController {
  readonly value: number;

  constructor(beta: number) {
    if (!Number.isFinite(beta) || beta < 0) throw new Error(`FixedKlController: β must be a finite number ≥ 0, got ${beta}`);
    this.value = beta;
  }

  update(kl: number, n: number): void {
    checkUpdate(kl, n);
  }

  state(): KlControllerState {
    return { kind: 'fixed', value: this.value };
  }
}

export interface AdaptiveKlOptions {
  /** β at the start (Ziegler et al. and TRL use 0.2). */
  init: number;
  /** The per-sequence KL to steer towards, in nats (TRL's example: 6). */
  target: number;
  /** Samples over which a full ±20 % correction accumulates (TRL's example: 10000). */
  horizon: number;
  /** β never goes below this (default 0; at most `init`). */
  min?: number;
}

/**
 * Proportional control of β in log space (Ziegler et al. 2019): β grows when the KL is above
 * target, shrinks below it (never under `min`), by at most 20 % per `horizon` samples.
 */
export class AdaptiveKlController implements KlController {
  private beta: number;
  readonly target: number;
  readonly horizon: number;
  readonly min: number;

  constructor(o: AdaptiveKlOptions) {
    if (!Number.isFinite(o.init) || o.init <= 0) throw new Error(`AdaptiveKlController: init must be a finite number > 0, got ${o.init}`);
    if (!Number.isFinite(o.target) || o.target <= 0) throw new Error(`AdaptiveKlController: target must be a finite number > 0, got ${o.target}`);
    if (!Number.isFinite(o.horizon) || o.horizon <= 0) throw new Error(`AdaptiveKlController: horizon must be a finite number > 0, got ${o.horizon}`);
    const min = o.min ?? 0;
    if (!Number.isFinite(min) || min < 0 || min > o.init) throw new Error(`AdaptiveKlController: min must be a finite number in [0, init = ${o.init}], got ${o.min}`);
    this.beta = o.init;
    this.target = o.target;
    this.horizon = o.horizon;
    this.min = min;
  }

  get value(): number {
    return this.beta;
  }

  update(kl: number, n: number): void {
    checkUpdate(kl, n);
    // With n ≥ 5·horizon a −20 % error would make the multiplier ≤ 0 (β negative or zero).
    if (n >= 5 * this.horizon) throw new Error(`AdaptiveKlController: ${n} samples in one update with horizon ${this.horizon} could drive β to ≤ 0; use a horizon above n/5`);
    const e = Math.min(Math.max(kl / this.target - 1, -0.2), 0.2);
    this.beta = Math.max(this.min, this.beta * (1 + (e * n) / this.horizon));
  }

  state(): KlControllerState {
    // `min` only when set, so a state without one reads as before it existed.
    return { kind: 'adaptive', value: this.beta, target: this.target, horizon: this.horizon, ...(this.min > 0 ? { min: this.min } : {}) };
  }
}

const StateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), value: z.number().nonnegative() }).strict(),
  z.object({ kind: z.literal('adaptive'), value: z.number().positive(), target: z.number().positive(), horizon: z.number().positive(), min: z.number().nonnegative().optional() }).strict(),
]);

/** Rebuilds a controller from `state()` (validated; `where` names the source in errors). */
export function klControllerFromState(state: unknown, where = 'KL controller state'): KlController {
  const r = StateSchema.safeParse(state);
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const s = r.data;
  if (s.kind === 'fixed') return new FixedKlController(s.value);
  return new AdaptiveKlController({ init: s.value, target: s.target, horizon: s.horizon, min: s.min });
}
