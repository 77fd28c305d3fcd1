/**
 * Loss functions built from graph operators (their gradients come from autodiff).
 */
import type { Tensor } from './ir.js';
import * as ops from './ops.js';

/**
 * Weighted token cross-entropy: Σᵢ wᵢ · (−log softmax(logitsᵢ)[targetᵢ]) / max(Σᵢ wᵢ, 1e-8).
 *
 * logits (N, V) float, targets (N) int64, weights (N) float — a weight of 0 masks a token out
 * (padding, prompt tokens in SFT), other weights scale it. Returns the scalar loss and the
 * per-token log-probabilities of the targets (N).
 */
export function tokenCrossEntropy(logits: Tensor, targets: Tensor, weights: Tensor): { loss: Tensor; targetLogprobs: Tensor } {
  const g = logits.graph;
  const N = logits.shape[0];
  if (weights.rank !== 1 || weights.shape[0] !== N) throw new Error(`tokenCrossEntropy: weights must be (${N}), got [${weights.shape}]`);
  const { loss: perToken } = ops.softmaxCrossEntropy(logits, targets); // (N)
  const total = ops.reduceSum(ops.mul(perToken, weights), [0]);
  const denom = ops.max(ops.reduceSum(weights, [0]), g.scalar(1e-8));
  return { loss: ops.div(total, denom), targetLogprobs: ops.neg(perToken) };
}
