/**
 * Loss functions built from graph operators (their gradients come from autodiff).
 */
import type { Tensor } from './ir.js';
import * as ops from './ops.js';

/**
 * Weighted token cross-entropy: Σᵢ wᵢ · (−log softmax(logitsᵢ)[targetᵢ]) / max(Σᵢ wᵢ, 1e-8).
 *
 * logits (N, V) float, targets (N) int64, weights (N) float — a weight of 0 masks a token out
 * (padding, prompt tokens in SFT), other weights scale it. The target's log-probability is picked
 * with a one-hot mask (Equal against 0…V−1), which keeps the backward pass to elementwise ops.
 * Returns the scalar loss and the per-token log-probabilities of the targets (N).
 */
export function tokenCrossEntropy(logits: Tensor, targets: Tensor, weights: Tensor): { loss: Tensor; targetLogprobs: Tensor } {
  const g = logits.graph;
  const [N, V] = logits.shape;
  if (targets.rank !== 1 || targets.shape[0] !== N) throw new Error(`tokenCrossEntropy: targets must be (${N}), got [${targets.shape}]`);
  if (weights.rank !== 1 || weights.shape[0] !== N) throw new Error(`tokenCrossEntropy: weights must be (${N}), got [${weights.shape}]`);
  const logp = ops.logSoftmax(logits, -1); // (N, V)
  const vocab = g.constant(Array.from({ length: V }, (_, i) => i), [V], 'int64');
  const onehot = ops.equal(ops.reshape(targets, [N, 1]), vocab); // (N, V) bool
  const picked = ops.where(onehot, logp, g.scalar(0)); // (N, V)
  const targetLogprobs = ops.reduceSum(picked, [1]); // (N)
  const total = ops.reduceSum(ops.mul(targetLogprobs, weights), [0]);
  const denom = ops.max(ops.reduceSum(weights, [0]), g.scalar(1e-8));
  return { loss: ops.neg(ops.div(total, denom)), targetLogprobs };
}
