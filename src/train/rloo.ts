/**
 * RLOO (REINFORCE leave-one-out; Ahmadian et al. 2024): for each prompt, sample k responses
 * from the policy, score them, subtract a per-token KL penalty to a frozen reference
 * (k1 estimator: log π_old − log π_ref, summed over the response), and push up each
 * response's log-probability by its advantage over the mean of the other k − 1 samples,
 * with PPO's clipped ratio (policy.ts). No value network.
 *
 * One call of `rlooStep` = one rollout + one optimizer step. Metrics use TRL's names:
 * `objective/scores`, `objective/kl`, `objective/rlhf_reward`, `objective/entropy` (mean
 * −log π_old of the sampled tokens), plus the trainer's and policy objective's.
 *
 *   const m = await rlooStep({ policy, reference, trainer, prompts, reward, cfg, seed });
 */
import type { LlamaModel } from '../model/model.js';
import { generate } from '../sample/generate.js';
import type { Trainer } from './trainer.js';
import { rlooAdvantages, type RolloutBatch } from './policy.js';

export interface RlooConfig {
  /** Samples per prompt (default 4; at least 2). */
  k: number;
  /** β of the KL penalty to the reference (default 0.05). */
  klCoef: number;
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

export const RLOO_DEFAULTS: Omit<RlooConfig, 'stopTokenIds' | 'padId'> = { k: 4, klCoef: 0.05, maxNewTokens: 48, temperature: 1 };

/** Scores complete responses: one number per (prompt, response) pair. */
export type RewardFn = (prompts: number[][], responses: number[][], promptIndex: number[]) => Promise<number[]>;

export interface RlooStepArgs {
  policy: LlamaModel;
  reference: LlamaModel;
  trainer: Trainer<RolloutBatch>;
  prompts: number[][];
  reward: RewardFn;
  cfg: RlooConfig;
  seed: number;
}

export async function rlooStep(a: RlooStepArgs): Promise<{ metrics: Record<string, number>; responses: number[][]; scores: number[] }> {
  const { cfg } = a;
  const rep = a.prompts.flatMap((p, i) => Array.from({ length: cfg.k }, () => ({ p, i })));
  const gens = await generate(a.policy, rep.map((r) => r.p), { maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, stopTokenIds: cfg.stopTokenIds, seed: a.seed });
  const responses = gens.map((g) => g.tokens);
  const scores = await a.reward(rep.map((r) => r.p), responses, rep.map((r) => r.i));

  // Rollout rows: prompt + response, right-padded; targets are the next tokens.
  const B = rep.length;
  const longest = Math.max(...rep.map((r, j) => r.p.length + responses[j].length));
  // Coarse buckets keep the number of compiled graph shapes small across steps.
  const T = Math.ceil((longest - 1) / 64) * 64;
  const ids = new BigInt64Array(B * T).fill(BigInt(cfg.padId));
  const targets = new BigInt64Array(B * T).fill(BigInt(cfg.padId));
  const mask = new Float32Array(B * T);
  const oldLogprobs = new Float32Array(B * T);
  rep.forEach((r, b) => {
    const seq = [...r.p, ...responses[b]];
    for (let t = 0; t < seq.length - 1; t++) {
      ids[b * T + t] = BigInt(seq[t]);
      targets[b * T + t] = BigInt(seq[t + 1]);
    }
    responses[b].forEach((_, j) => {
      const pos = b * T + r.p.length - 1 + j;
      mask[pos] = 1;
      oldLogprobs[pos] = gens[b].logprobs[j];
    });
  });
  const refLogprobs = await a.reference.tokenLogprobs({ B, T, ids, targets });

  // Sequence reward = score − β · Σ (log π_old − log π_ref); RLOO advantages per sequence.
  const kl = new Array<number>(B).fill(0);
  let entropy = 0;
  let tokens = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (!mask[i]) continue;
      kl[b] += oldLogprobs[i] - refLogprobs[i];
      entropy -= oldLogprobs[i];
      tokens++;
    }
  }
  const total = scores.map((s, b) => s - cfg.klCoef * kl[b]);
  const adv = rlooAdvantages(total, cfg.k);
  const advantages = new Float32Array(B * T);
  for (let i = 0; i < B * T; i++) if (mask[i]) advantages[i] = adv[Math.floor(i / T)];

  const micro = cfg.microRows && B % cfg.microRows === 0 ? cfg.microRows : B;
  const batches: RolloutBatch[] = [];
  for (let r = 0; r < B; r += micro) {
    const sl = <A extends Float32Array | BigInt64Array>(x: A) => x.slice(r * T, (r + micro) * T) as A;
    batches.push({ B: micro, T, ids: sl(ids), targets: sl(targets), mask: sl(mask), oldLogprobs: sl(oldLogprobs), advantages: sl(advantages) });
  }
  const stepMetrics = await a.trainer.step(batches);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    metrics: {
      ...stepMetrics,
      'objective/scores': mean(scores),
      'objective/kl': mean(kl),
      'objective/rlhf_reward': mean(total),
      'objective/entropy': tokens ? entropy / tokens : 0,
      'objective/response_length': mean(responses.map((r) => r.length)),
    },
    responses,
    scores,
  };
}
