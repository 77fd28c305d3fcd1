/**
 * RLOO (REINFORCE leave-one-out; Ahmadian et al. 2024): for each prompt, sample k responses
 * from the policy, score them, subtract a KL penalty to a frozen reference (a per-token
 * estimator from kl.ts — k1 = log π_old − log π_ref by default — summed over the response),
 * and push up each response's log-probability by its advantage over the mean of the other
 * k − 1 samples, with PPO's clipped ratio (policy.ts). No value network.
 *
 *   R_i = score_i − β · Σ_t kl_t          A_i = R_i − mean_{j≠i} R_j
 *
 * β is `cfg.klCoef`, or the `klController`'s value when one is passed (kl.ts: fixed or
 * adaptive); the controller is updated after the step with the mean per-sequence KL.
 *
 * GRPO (Shao et al. 2024) is the same step with two settings: `advantage: 'group-normalized'`
 * (A_i = (R_i − mean R) / SD R over the prompt's k samples) and `klPenalty: 'loss'` (the
 * reward is the score alone, and β · k3 per token under the current policy is added to the
 * loss, policy.ts, so the leash acts per token through a gradient of its own instead of
 * through the sequence's advantage — the gradient of the estimator, not of the KL itself). Its
 * loss averages over all response tokens of the batch (TRL's token-level aggregation, DAPO's),
 * not over each sequence first as the paper wrote it.
 *
 * One call of `rlooStep` = one rollout + one optimizer step. Metrics use TRL's names:
 * `objective/scores`, `objective/kl` (mean per-sequence KL), `objective/non_score_reward`
 * (−β · that), `objective/rlhf_reward`, `objective/entropy` (mean over responses of
 * Σ −log π_old of the sampled tokens), `objective/kl_coef`, `objective/reward_std` (mean over
 * prompts of the k scores' SD) and `objective/frac_reward_zero_std` (share of prompts whose k
 * scores are all equal: no signal for either advantage), plus the trainer's and the policy
 * objective's.
 *
 *   const m = await rlooStep({ policy, reference, trainer, prompts, reward, cfg, seed });
 */
import type { LlamaModel } from '../model/model.js';
import { generate } from '../sample/generate.js';
import type { Trainer } from './trainer.js';
import { groupNormalizedAdvantages, objectiveMetrics, rewardGroups, rlooAdvantages, rolloutLogprobs, rolloutRows, selectRows, type RolloutBatch } from './policy.js';
import { sequenceKl, type KlController, type KlEstimator } from './kl.js';

export interface RlooConfig {
  /** Samples per prompt (default 4; at least 2). */
  k: number;
  /** β of the KL penalty to the reference (default 0.05); a `klController` overrides it. */
  klCoef: number;
  /** Per-token KL estimator (kl.ts; default 'k1') of the reward's penalty and of `objective/kl`. */
  klEstimator?: KlEstimator;
  /** 'leave-one-out' (RLOO, default) or 'group-normalized' (GRPO): see the file header. */
  advantage?: 'leave-one-out' | 'group-normalized';
  /** Where the KL leash acts: 'reward' (default: score − β·Σ kl_t) or 'loss' (GRPO: β · k3 in the loss). */
  klPenalty?: 'reward' | 'loss';
  /** Most new tokens per response (default 48). */
  maxNewTokens: number;
  /** Sampling temperature (default 1: on-policy). */
  temperature: number;
  /** Token ids that end a response. */
  stopTokenIds: number[];
  /** Padding id for rollout rows. */
  padId: number;
  /**
   * Rows per micro-batch of the update (default: all rows in one). Smaller micro-batches bound
   * the memory of the compiled training graph; the trainer's gradAccum must equal
   * rows / microRows.
   */
  microRows?: number;
}

export const RLOO_DEFAULTS: Omit<RlooConfig, 'stopTokenIds' | 'padId'> = { k: 4, klCoef: 0.05, klEstimator: 'k1', maxNewTokens: 48, temperature: 1 };

/** Scores complete responses: one number per (prompt, response) pair. */
export type RewardFn = (prompts: number[][], responses: number[][], promptIndex: number[]) => Promise<number[]>;

export interface RlooStepArgs {
  policy: LlamaModel;
  reference: LlamaModel;
  trainer: Trainer<RolloutBatch>;
  prompts: number[][];
  reward: RewardFn;
  cfg: RlooConfig;
  /** Sets β instead of cfg.klCoef, and is updated after the step. */
  klController?: KlController;
  seed: number;
}

/** Checks a reward function's answer: one finite number per response. */
export function checkScores(scores: number[], n: number, where: string): void {
  if (!Array.isArray(scores) || scores.length !== n) throw new Error(`${where}: the reward function returned ${Array.isArray(scores) ? scores.length : typeof scores} scores for ${n} responses`);
  scores.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new Error(`${where}: the reward function returned ${s} for response ${i}`);
  });
}

export async function rlooStep(a: RlooStepArgs): Promise<{ metrics: Record<string, number>; responses: number[][]; scores: number[] }> {
  const { cfg } = a;
  const advantage = cfg.advantage ?? 'leave-one-out';
  const klPenalty = cfg.klPenalty ?? 'reward';
  if (advantage !== 'leave-one-out' && advantage !== 'group-normalized') throw new Error(`rlooStep: advantage must be 'leave-one-out' or 'group-normalized', got ${JSON.stringify(cfg.advantage)}`);
  if (klPenalty !== 'reward' && klPenalty !== 'loss') throw new Error(`rlooStep: klPenalty must be 'reward' or 'loss', got ${JSON.stringify(cfg.klPenalty)}`);
  const rep = a.prompts.flatMap((p, i) => Array.from({ length: cfg.k }, () => ({ p, i })));
  const gens = await generate(a.policy, rep.map((r) => r.p), { maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, stopTokenIds: cfg.stopTokenIds, seed: a.seed });
  const responses = gens.map((g) => g.tokens);
  const scores = await a.reward(rep.map((r) => r.p), responses, rep.map((r) => r.i));
  checkScores(scores, responses.length, 'rlooStep');

  const rows = rolloutRows(rep.map((r) => r.p), gens, { padId: cfg.padId, maxSeqLen: a.policy.cfg.maxSeqLen });
  const { B, T, ids, targets, mask, oldLogprobs } = rows;
  const refLogprobs = await rolloutLogprobs(a.reference, rows);

  // Sequence reward = score − β · Σ_t kl_t (or the score alone, the KL in the loss); advantages per sequence.
  const beta = a.klController ? a.klController.value : cfg.klCoef;
  const { perSequence: kl } = sequenceKl({ B, T, logprobs: oldLogprobs, refLogprobs, mask, estimator: cfg.klEstimator ?? 'k1' });
  const total = klPenalty === 'reward' ? scores.map((s, b) => s - beta * kl[b]) : scores;
  const adv = advantage === 'leave-one-out' ? rlooAdvantages(total, cfg.k) : groupNormalizedAdvantages(total, cfg.k);
  const advantages = new Float32Array(B * T);
  for (let i = 0; i < B * T; i++) if (mask[i]) advantages[i] = adv[Math.floor(i / T)];
  const batch: RolloutBatch = { B, T, ids, targets, mask, oldLogprobs, advantages, prefix: rows.prefix, ...(klPenalty === 'loss' ? { klLoss: { refLogprobs, coef: beta } } : {}) };

  const micro = cfg.microRows && B % cfg.microRows === 0 ? cfg.microRows : B;
  const batches: RolloutBatch[] = [];
  for (let r = 0; r < B; r += micro) batches.push(selectRows(batch, Array.from({ length: micro }, (_, j) => r + j)));
  const stepMetrics = await a.trainer.step(batches);

  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const meanKl = mean(kl);
  a.klController?.update(meanKl, B);
  const groups = rewardGroups(scores, cfg.k);
  return {
    metrics: {
      ...stepMetrics,
      ...objectiveMetrics(scores, kl, beta, gens),
      'objective/reward_std': mean(groups.map((g) => g.sd)),
      'objective/frac_reward_zero_std': mean(groups.map((g) => +g.group.every((x) => x === g.group[0]))),
    },
    responses,
    scores,
  };
}
