/**
 * PPO for language models (Schulman et al. 2017, as applied to RLHF by Ziegler et al. 2019 and
 * Ouyang et al. 2022; the loop follows TRL's PPOTrainer): a value head estimates how much
 * reward is still to come at every response token, GAE turns per-token rewards and values into
 * advantages, and several epochs of clipped updates reuse each rollout.
 *
 * One call of `ppoStep` = one rollout and `ppoEpochs × numMiniBatches` optimizer steps:
 *
 *   1. sample k responses per prompt from the policy (log π_old of each token comes with them);
 *      score each with the reward function
 *   2. two forward passes over the rollout: log π_ref from the frozen reference, and the old
 *      values V_old from the policy's value head (no vocabulary projection)
 *   3. per-token rewards  r_t = −β · kl_t  (+ score on the response's last token), kl_t the
 *      chosen estimator (kl.ts) and β the KL controller's value
 *   4. GAE (Schulman et al. 2016, "High-Dimensional Continuous Control Using Generalized
 *      Advantage Estimation"):  δ_t = r_t + γ V_{t+1} − V_t,  A_t = Σ_l (γλ)^l δ_{t+l}
 *      (V after the last token is 0),  returns R_t = A_t + V_t;  advantages whitened over the
 *      batch's response tokens
 *   5. for each epoch, shuffle the rows (seeded) into minibatches; each minibatch is one
 *      trainer step on the clipped surrogate + vfCoef · clipped value loss − entCoef · entropy
 *      (policy.ts, `ppoObjective`), in micro-batches of `microRows` rows
 *   6. update the KL controller with the rollout's mean per-sequence KL
 *
 * Simplified against TRL: the value head shares the policy's backbone (TRL's default keeps a
 * separate value model); log π_old is taken from sampling, which computes the model's exact
 * temperature-1 distribution (so ratios start at 1 at temperature 1).
 *
 * Metrics use TRL's names: `objective/kl`, `objective/entropy`, `objective/non_score_reward`,
 * `objective/rlhf_reward`, `objective/scores`, `objective/kl_coef`, `policy/approxkl_avg`,
 * `policy/clipfrac_avg`, `loss/policy_avg`, `loss/value_avg`, `val/clipfrac_avg`,
 * `policy/entropy_avg`, `val/ratio`, `val/num_eos_tokens` (averaged over all updates of the
 * step where they come from the updates), plus the trainer's `train/*`.
 *
 *   const cfg = ppoConfig({ maxNewTokens: 32, numMiniBatches: 2, stopTokenIds: [eos] });
 *   const policy = loadModel(dir, { heads: ['value'] });
 *   const reference = loadModel(dir);
 *   const trainer = new Trainer(policy, trainConfig({ lr: 1e-5, totalSteps: steps * ppoUpdates(cfg), gradAccum: ppoGradAccum(cfg, rows) }), ppoObjective(cfg));
 *   const kl = new AdaptiveKlController({ init: 0.2, target: 6, horizon: 10000 });
 *   for (let s = 0; s < steps; s++) await ppoStep({ policy, reference, trainer, prompts, reward, cfg, klController: kl, seed: s });
 */
import { z } from 'zod';
import type { LlamaModel } from '../model/model.js';
import { generate } from '../sample/generate.js';
import { Rng } from '../util/rng.js';
import type { Objective, Trainer } from './trainer.js';
import { objectiveMetrics, policyObjective, rlooAdvantages, rolloutLogprobs, rolloutRows, rolloutValues, selectRows, type RolloutBatch } from './policy.js';
import { KL_ESTIMATORS, sequenceKl, type KlController } from './kl.js';
import { checkScores, type RewardFn } from './rloo.js';

export const PpoConfigSchema = z
  .object({
    /** Responses sampled per prompt (default 1). */
    k: z.number().int().positive().default(1),
    /** Passes over each rollout (default 4; TRL `num_ppo_epochs`). */
    ppoEpochs: z.number().int().positive().default(4),
    /** Minibatches per epoch, each one optimizer step (default 1; TRL `num_mini_batches`). */
    numMiniBatches: z.number().int().positive().default(1),
    /** Clip range ε of the probability ratio (default 0.2; TRL `cliprange`). */
    clip: z.number().nonnegative().default(0.2),
    /** Clip range of the value prediction around V_old (default 0.2; TRL `cliprange_value`). */
    cliprangeValue: z.number().nonnegative().default(0.2),
    /** Weight of the value loss (default 0.1; TRL `vf_coef`). */
    vfCoef: z.number().nonnegative().default(0.1),
    /** Discount γ (default 1; TRL `gamma`). */
    gamma: z.number().min(0).max(1).default(1),
    /** GAE λ (default 0.95; TRL `lam`). */
    lam: z.number().min(0).max(1).default(0.95),
    /** Weight of the entropy bonus on the full next-token distribution (default 0). */
    entCoef: z.number().nonnegative().default(0),
    /** Per-token KL estimator of the reward penalty, kl.ts (default 'k1'; TRL `kl_estimator`). */
    klEstimator: z.enum(KL_ESTIMATORS as ['k1', 'k2', 'k3']).default('k1'),
    /** Whiten advantages over the batch's response tokens (default true). */
    whitenAdvantages: z.boolean().default(true),
    /** Scale per-token rewards to unit variance before GAE (default false; TRL `whiten_rewards`). */
    whitenRewards: z.boolean().default(false),
    /**
     * Subtract from each response's score the mean score of the other k − 1 responses to its
     * prompt before GAE (RLOO's leave-one-out baseline inside PPO; needs k ≥ 2; default false).
     * It removes how hard the prompt was from the score, which the value head must otherwise
     * learn; it does not depend on the response's own score, so the policy gradient stays unbiased.
     */
    looBaseline: z.boolean().default(false),
    /** Subtracted from the score of a response that ended without a stop token (default: none; TRL `missing_eos_penalty`). */
    missingEosPenalty: z.number().optional(),
    /** Most new tokens per response (default 48; TRL `response_length`). */
    maxNewTokens: z.number().int().positive().default(48),
    /** Sampling temperature (default 1: on-policy, as the ratios assume). */
    temperature: z.number().positive().default(1),
    /** Token ids that end a response (default none). */
    stopTokenIds: z.array(z.number().int().nonnegative()).default([]),
    /** Padding id for rollout rows (default 0; padded positions are never trained on). */
    padId: z.number().int().nonnegative().default(0),
    /**
     * Rows per micro-batch of an update (default: the whole minibatch). Smaller micro-batches
     * bound the training graph's memory; the trainer's gradAccum must be minibatch rows / microRows
     * (`ppoGradAccum`).
     */
    microRows: z.number().int().positive().optional(),
  })
  .strict();

export type PpoConfig = z.output<typeof PpoConfigSchema>;

/** Validates a PPO config and fills defaults (unknown keys and bad values name the field). */
export function ppoConfig(input: unknown = {}, where = 'ppo config'): PpoConfig {
  const r = PpoConfigSchema.safeParse(input);
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The objective a PPO trainer needs: policy.ts's clipped surrogate with the value loss and entropy bonus of `cfg`. */
export function ppoObjective(cfg: Pick<PpoConfig, 'clip' | 'vfCoef' | 'cliprangeValue' | 'entCoef'>): Objective<RolloutBatch> {
  return policyObjective({ clip: cfg.clip, vfCoef: cfg.vfCoef, cliprangeValue: cfg.cliprangeValue, entCoef: cfg.entCoef });
}

/** Optimizer steps per `ppoStep` (for the trainer's totalSteps). */
export function ppoUpdates(cfg: Pick<PpoConfig, 'ppoEpochs' | 'numMiniBatches'>): number {
  return cfg.ppoEpochs * cfg.numMiniBatches;
}

/** The trainer's gradAccum for `rows` rollout rows per step (prompts × k), checking that the sizes divide. */
export function ppoGradAccum(cfg: Pick<PpoConfig, 'numMiniBatches' | 'microRows'>, rows: number): number {
  if (rows % cfg.numMiniBatches !== 0) throw new Error(`ppo: ${rows} rollout rows (prompts × k) do not split into numMiniBatches = ${cfg.numMiniBatches} equal minibatches`);
  const mb = rows / cfg.numMiniBatches;
  const micro = cfg.microRows ?? mb;
  if (mb % micro !== 0) throw new Error(`ppo: minibatches of ${mb} rows do not split into micro-batches of microRows = ${micro}`);
  return mb / micro;
}

export interface GaeInput {
  B: number;
  T: number;
  /** Per-token rewards (B·T). */
  rewards: ArrayLike<number>;
  /** Value estimates V_t (B·T). */
  values: ArrayLike<number>;
  /** 1 on the tokens of an episode (a response), 0 elsewhere (B·T). */
  mask: ArrayLike<number>;
  gamma: number;
  lam: number;
}

/**
 * Generalized advantage estimation over each row, right to left:
 *
 *   δ_t = r_t + γ V_{t+1} − V_t,   A_t = δ_t + γλ A_{t+1},   R_t = A_t + V_t
 *
 * A run of masked tokens is one episode: the value and advantage after its last token are 0
 * (the response ended). Unmasked positions get 0.
 */
export function gae(a: GaeInput): { advantages: Float32Array; returns: Float32Array } {
  const N = a.B * a.T;
  for (const [name, x] of [['rewards', a.rewards], ['values', a.values], ['mask', a.mask]] as const) {
    if (x.length !== N) throw new Error(`gae: ${name} has ${x.length} values, expected B·T = ${N}`);
  }
  const advantages = new Float32Array(N);
  const returns = new Float32Array(N);
  for (let b = 0; b < a.B; b++) {
    let lastAdv = 0;
    let nextValue = 0;
    for (let t = a.T - 1; t >= 0; t--) {
      const i = b * a.T + t;
      if (!a.mask[i]) {
        lastAdv = 0;
        nextValue = 0;
        continue;
      }
      const delta = a.rewards[i] + a.gamma * nextValue - a.values[i];
      lastAdv = delta + a.gamma * a.lam * lastAdv;
      advantages[i] = lastAdv;
      returns[i] = lastAdv + a.values[i];
      nextValue = a.values[i];
    }
  }
  return { advantages, returns };
}

/**
 * Whitening over the masked entries (TRL's masked_whiten): (x − mean) / √(var + 1e-8) with the
 * unbiased variance; `shiftMean` false adds the mean back (only the scale changes). Unmasked
 * entries become 0.
 */
export function whiten(x: ArrayLike<number>, mask: ArrayLike<number>, shiftMean = true): Float32Array {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    if (!mask[i]) continue;
    n++;
    sum += x[i];
  }
  const out = new Float32Array(x.length);
  if (n === 0) return out;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < x.length; i++) if (mask[i]) ss += (x[i] - mean) ** 2;
  const inv = 1 / Math.sqrt(ss / Math.max(n - 1, 1) + 1e-8);
  for (let i = 0; i < x.length; i++) if (mask[i]) out[i] = (x[i] - mean) * inv + (shiftMean ? 0 : mean);
  return out;
}

export interface PpoStepArgs {
  /** The policy, with a value head (`heads: ['value']`). */
  policy: LlamaModel;
  /** The frozen reference of the KL penalty. */
  reference: LlamaModel;
  /** A trainer of the policy built with `ppoObjective(cfg)` and gradAccum `ppoGradAccum(cfg, rows)`. */
  trainer: Trainer<RolloutBatch>;
  prompts: number[][];
  reward: RewardFn;
  cfg: PpoConfig;
  /** Sets β; updated after the step. */
  klController: KlController;
  /** Seeds sampling and the minibatch order. */
  seed: number;
}

export async function ppoStep(a: PpoStepArgs): Promise<{ metrics: Record<string, number>; responses: number[][]; scores: number[] }> {
  const { cfg, policy } = a;
  if (!policy.heads.includes('value')) throw new Error("ppoStep: the policy has no value head (load it with heads: ['value'])");
  if (a.trainer.model !== policy) throw new Error('ppoStep: the trainer trains a different model than the policy');
  if (a.prompts.length === 0) throw new Error('ppoStep: no prompts');
  if (cfg.looBaseline && cfg.k < 2) throw new Error(`ppoStep: looBaseline with k = ${cfg.k}: each prompt has one score; a leave-one-out baseline needs k ≥ 2`);
  const rowsPerStep = a.prompts.length * cfg.k;
  const accum = ppoGradAccum(cfg, rowsPerStep);
  if (a.trainer.cfg.gradAccum !== accum) throw new Error(`ppoStep: the trainer's gradAccum is ${a.trainer.cfg.gradAccum}; ${rowsPerStep} rows in ${cfg.numMiniBatches} minibatches of micro-batches of ${cfg.microRows ?? rowsPerStep / cfg.numMiniBatches} rows need ${accum}`);

  // 1. Rollout and scores.
  const rep = a.prompts.flatMap((p, i) => Array.from({ length: cfg.k }, () => ({ p, i })));
  const gens = await generate(policy, rep.map((r) => r.p), { maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, stopTokenIds: cfg.stopTokenIds, seed: a.seed });
  const responses = gens.map((g) => g.tokens);
  const raw = await a.reward(rep.map((r) => r.p), responses, rep.map((r) => r.i));
  checkScores(raw, responses.length, 'ppoStep');
  const scores = [...raw];
  const penalty = cfg.missingEosPenalty;
  if (penalty !== undefined) for (let b = 0; b < gens.length; b++) if (gens[b].finishReason !== 'stop') scores[b] -= penalty;
  // Rows come k per prompt, in prompt order: the grouping rlooAdvantages expects.
  const shaped = cfg.looBaseline ? rlooAdvantages(scores, cfg.k) : scores;

  // 2. Reference log-probs and old values: one forward pass each.
  const rows = rolloutRows(rep.map((r) => r.p), gens, { padId: cfg.padId, maxSeqLen: policy.cfg.maxSeqLen });
  const { B, T, ids, targets, mask, oldLogprobs, last } = rows;
  const N = B * T;
  const refLogprobs = await rolloutLogprobs(a.reference, rows);
  const v = await rolloutValues(policy, rows);
  const oldValues = Float32Array.from(v, (x, i) => (mask[i] ? x : 0));

  // 3. Per-token rewards: −β·kl_t, plus the score on the last response token.
  const beta = a.klController.value;
  const kl = sequenceKl({ B, T, logprobs: oldLogprobs, refLogprobs, mask, estimator: cfg.klEstimator });
  let rewards: Float32Array = new Float32Array(N);
  for (let i = 0; i < N; i++) if (mask[i]) rewards[i] = -beta * kl.perToken[i];
  last.forEach((i, b) => (rewards[i] += shaped[b]));
  if (cfg.whitenRewards) rewards = whiten(rewards, mask, false);

  // 4. GAE advantages and returns.
  const g = gae({ B, T, rewards, values: oldValues, mask, gamma: cfg.gamma, lam: cfg.lam });
  const advantages = cfg.whitenAdvantages ? whiten(g.advantages, mask) : g.advantages;
  const batch: RolloutBatch = { B, T, ids, targets, mask, oldLogprobs, advantages, oldValues, returns: g.returns, prefix: rows.prefix };

  // 5. Epochs of shuffled minibatches, one optimizer step each.
  const rng = new Rng(a.seed).fork('ppo-minibatches');
  const mbRows = B / cfg.numMiniBatches;
  const micro = cfg.microRows ?? mbRows;
  const sums: Record<string, number> = {};
  let lastStep: Record<string, number> = {};
  let updates = 0;
  for (let e = 0; e < cfg.ppoEpochs; e++) {
    const order = rng.shuffle(Array.from({ length: B }, (_, i) => i));
    for (let m = 0; m < cfg.numMiniBatches; m++) {
      const chunks: RolloutBatch[] = [];
      for (let s = m * mbRows; s < (m + 1) * mbRows; s += micro) chunks.push(selectRows(batch, order.slice(s, s + micro)));
      lastStep = await a.trainer.step(chunks);
      for (const [k, x] of Object.entries(lastStep)) sums[k] = (sums[k] ?? 0) + x;
      updates++;
    }
  }
  const stepMetrics: Record<string, number> = Object.fromEntries(Object.entries(sums).map(([k, x]) => [k, x / updates]));
  stepMetrics['train/step'] = lastStep['train/step'];
  stepMetrics['train/learning_rate'] = lastStep['train/learning_rate'];

  // 6. The KL controller sees this rollout's mean per-sequence KL.
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const meanKl = mean(kl.perSequence);
  a.klController.update(meanKl, B);
  const stops = new Set(cfg.stopTokenIds);
  return {
    metrics: {
      ...stepMetrics,
      ...objectiveMetrics(scores, kl.perSequence, beta, gens),
      'val/num_eos_tokens': responses.reduce((n, r) => n + r.filter((t) => stops.has(t)).length, 0),
    },
    responses,
    scores,
  };
}
