/**
 * Policy-gradient objectives on sampled responses: the clipped surrogate of PPO (Schulman et
 * al. 2017) over per-token advantages, which with one update per rollout and sequence-level
 * leave-one-out advantages is RLOO (Ahmadian et al. 2024).
 *
 * A rollout batch is B right-padded rows of prompt + response; `mask` marks response tokens
 * as prediction targets (position t predicts token t+1, as in SFT batches). For each response
 * token with log-probability logπ under the current policy, logπ_old at sampling time and
 * advantage A:
 *
 *   ratio = exp(logπ − logπ_old)
 *   loss  = −Σ mask · min(ratio · A, clip(ratio, 1 − ε, 1 + ε) · A) / Σ mask
 *
 * Metrics (TRL names): `policy/clipfrac_avg` (fraction of tokens where clipping binds),
 * `policy/approxkl_avg` (mean ½(logπ − logπ_old)²), `loss/policy_avg`.
 */
import * as ops from '../engine/ops.js';
import type { LlamaModel } from '../model/model.js';
import { llamaForward } from '../model/llama.js';
import type { Objective } from './trainer.js';

export interface RolloutBatch {
  B: number;
  T: number;
  /** Inputs (B·T). */
  ids: BigInt64Array;
  /** Next-token targets (B·T). */
  targets: BigInt64Array;
  /** 1 where the target is a response token (B·T). */
  mask: Float32Array;
  /** log π_old of each target at sampling time (B·T; 0 where mask is 0). */
  oldLogprobs: Float32Array;
  /** Advantage of each target (B·T; a sequence's advantage repeated over its tokens for RLOO). */
  advantages: Float32Array;
}

export interface PolicyObjectiveOptions {
  /** Clip range ε (default 0.2). */
  clip?: number;
}

export function policyObjective(o: PolicyObjectiveOptions = {}): Objective<RolloutBatch> {
  const eps = o.clip ?? 0.2;
  return async (model: LlamaModel, b: RolloutBatch) => {
    model.validateIds(b.ids);
    const { B, T } = b;
    const N = B * T;
    const r = await model.objective(
      `ppo:${eps}`,
      {
        ids: { shape: [B, T], dtype: 'int64' },
        targets: { shape: [N], dtype: 'int64' },
        mask: { shape: [N] },
        oldLogprobs: { shape: [N] },
        advantages: { shape: [N] },
      },
      ({ g, P, inp, cfg }) => {
        const { logits } = llamaForward(cfg, P, { ids: inp.ids });
        const logp = ops.neg(ops.softmaxCrossEntropy(logits, inp.targets).loss); // (N)
        const diff = ops.mul(ops.sub(logp, inp.oldLogprobs), inp.mask);
        const ratio = ops.exp(diff);
        const clipped = ops.max(ops.neg(ops.max(ops.neg(ratio), g.scalar(-(1 + eps)))), g.scalar(1 - eps)); // clip(ratio, 1−ε, 1+ε)
        const a = inp.advantages;
        // min(x, y) = −max(−x, −y)
        const surrogate = ops.neg(ops.max(ops.neg(ops.mul(ratio, a)), ops.neg(ops.mul(clipped, a))));
        const count = ops.max(ops.reduceSum(inp.mask, [0]), g.scalar(1));
        const loss = ops.neg(ops.div(ops.reduceSum(ops.mul(surrogate, inp.mask), [0]), count));
        return { loss, extras: { diff, ratio } };
      },
      { ids: b.ids, targets: b.targets, mask: b.mask, oldLogprobs: b.oldLogprobs, advantages: b.advantages },
    );
    const diff = r.extras.diff as Float32Array;
    const ratio = r.extras.ratio as Float32Array;
    let n = 0;
    let clipped = 0;
    let approxkl = 0;
    for (let i = 0; i < N; i++) {
      if (b.mask[i] === 0) continue;
      n++;
      approxkl += 0.5 * diff[i] * diff[i];
      const a = b.advantages[i];
      if ((a > 0 && ratio[i] > 1 + eps) || (a < 0 && ratio[i] < 1 - eps)) clipped++;
    }
    return {
      loss: r.loss,
      flat: r.flat,
      metrics: { 'policy/clipfrac_avg': n ? clipped / n : 0, 'policy/approxkl_avg': n ? approxkl / n : 0, 'loss/policy_avg': r.loss },
    };
  };
}

/**
 * RLOO advantages: for k samples of one prompt with total rewards R₁…R_k,
 * A_i = R_i − mean_{j≠i} R_j (the leave-one-out baseline). `rewards` is grouped by prompt.
 */
export function rlooAdvantages(rewards: number[], k: number): number[] {
  if (k < 2 || rewards.length % k !== 0) throw new Error(`rlooAdvantages: need k ≥ 2 samples per prompt and a multiple of k rewards (k = ${k}, ${rewards.length} rewards)`);
  const out: number[] = [];
  for (let p = 0; p < rewards.length; p += k) {
    const group = rewards.slice(p, p + k);
    const sum = group.reduce((a, x) => a + x, 0);
    for (const r of group) out.push(r - (sum - r) / (k - 1));
  }
  return out;
}
