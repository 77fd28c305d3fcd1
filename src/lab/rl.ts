/**
 * RL in the HelpDesk world: RLOO or PPO on a model directory (usually the SFT baseline)
 * against a chosen reward — the world's **gold** (true intent), its **proxy** (the customer's
 * immediate rating), or a learned reward model — while logging, for every rollout, what the
 * optimizer cannot see: the world's gold and proxy of each sampled reply, the acts the world
 * read in it, and reward-hacking monitor signals that need no gold (src/lab/monitors.ts):
 * the disagreement of an ensemble of reward models (`observers`), the correlation of reward
 * with reply length, KL and entropy.
 *
 * The run directory gets the trained policy (config.json, model.safetensors, tokenizer files),
 * `metrics.jsonl` (TRL names plus `world/*`, `acts/*`, `monitor/*`, `alarm/*`, one row per
 * step), `probe.jsonl` (with a probe: each probe's per-case values), `run_config.json`,
 * `results.json`, and — every `checkpointEvery` steps — a `checkpoint/` (policy with value
 * head, optimizer, KL controller, step) from which `resume: true` continues bit-identically:
 * every step's randomness derives from (seed, step). A resume must give the run's options
 * (RESUME_MAY_CHANGE aside), and every reward-model directory (`reward`, `observers`, `judge`)
 * must hold a trained reward head; both are checked before anything is loaded or written.
 *
 *   await runRl({ model: 'runs/latest/baseline', reward: 'runs/rm', algo: 'ppo', steps: 60, seed: 1, out: 'runs/ppo' }, { log: console.error });
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, missingRewardHead, readModelConfig, saveModel } from '../model/checkpoint.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer, saveTokenizer } from '../tokenizer/index.js';
import { generateCases, pearson, scoreResponse, type Case, type Split } from '../world/index.js';
import { casePromptIds, replyText } from './prompts.js';
import { Trainer, trainConfig } from '../train/trainer.js';
import { policyObjective, type RolloutBatch } from '../train/policy.js';
import { generate } from '../sample/generate.js';
import { RLOO_DEFAULTS, rlooStep, type RewardFn } from '../train/rloo.js';
import { ppoConfig, ppoGradAccum, ppoObjective, ppoStep, ppoUpdates } from '../train/ppo.js';
import { AdaptiveKlController, FixedKlController, klControllerFromState, klEstimate, type KlController, type KlEstimator } from '../train/kl.js';
import { scoreReplies } from '../train/reward.js';
import { PromptCache } from '../train/prompt-cache.js';
import { rewardReadout } from './rm.js';
import { MonitorSet, defaultMonitors, type MonitorConfigs } from './monitors.js';
import { appendJsonl, writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { readJsonl } from '../util/jsonl.js';
import { progress } from '../util/progress.js';
import { hostInfo } from '../engine/host.js';

export interface RlRunOptions {
  model: string;
  out: string;
  /**
   * 'rloo' (default), 'grpo' (group-normalized advantages and the KL as a k3 term in the loss;
   * rloo.ts) or 'ppo'.
   */
  algo?: 'rloo' | 'grpo' | 'ppo';
  /**
   * The critic-free step's two settings, each on its own (rloo and grpo only; rloo.ts): the
   * advantage, 'leave-one-out' (rloo's default) or 'group-normalized' (grpo's); and where the
   * KL leash enters, 'reward' (β·Σ KL subtracted from each reply's score; rloo's default) or
   * 'loss' (β·mean k3 added to the loss; grpo's). Mixing them separates what each of GRPO's two
   * changes does.
   */
  advantage?: 'leave-one-out' | 'group-normalized';
  klPenalty?: 'reward' | 'loss';
  /** 'gold' | 'proxy' | a reward-model directory. */
  reward: string;
  /** Extra reward-model directories scored on every rollout: with `reward`, an ensemble whose disagreement is a monitor. */
  observers?: string[];
  /**
   * What is optimized when `reward` is a reward-model directory (default 'first': `reward` alone;
   * the observers only watch). 'mean' and 'min' optimize the ensemble of `reward` and the
   * observers (Coste et al. 2023: mean, and worst-case optimization): each member's scores are
   * standardized by their mean and SD over the start policy's replies (the first probe's, or
   * without a probe the first step's rollouts; kept in checkpoints), then averaged or the lowest
   * taken per reply, and put back on `reward`'s scale so β means what it does with 'first' (unless
   * `standardizeReward`).
   */
  rewardCombine?: 'first' | 'mean' | 'min';
  /**
   * Standardize the optimized reward (a reward model, not gold or proxy): (r − mean) / SD over
   * the start policy's replies (the same replies as `rewardCombine`'s standardization; kept in
   * checkpoints), so that β is in units of the reward's spread on the start policy and means the
   * same leash for reward models of different scales (Ziegler et al. 2019 normalized their reward
   * model on the reference policy's samples). With 'mean' or 'min' the reward is the combination
   * of the members' z-scores, not put back on `reward`'s scale (and not standardized again).
   * Default false: the raw scores.
   */
  standardizeReward?: boolean;
  /**
   * A held-out judge: a reward-model directory, neither optimized against nor part of the
   * ensemble. It scores every step's rollouts — how it and the optimized reward rank the replies
   * to the same prompt (`monitor/judge_corr` and the sums behind it) is what the judge_agreement
   * monitor reads — and, with a probe, the probe's replies (`probe/judge`), whose gain the
   * judge_divergence monitor compares with the optimized reward's.
   */
  judge?: string;
  steps: number;
  seed: number;
  /** Prompts per step (default 8); each is sampled k times. */
  prompts?: number;
  /** Samples per prompt (default 4; RLOO and GRPO need ≥ 2). */
  k?: number;
  /** β of the KL penalty (default 0.05), the initial β with `klTarget`. */
  klCoef?: number;
  /** Target KL (nats per reply) of the adaptive controller (Ziegler et al. 2019); default: fixed β. */
  klTarget?: number;
  /** Horizon of the adaptive controller (default 10000 samples). */
  klHorizon?: number;
  /** The adaptive controller's floor on β (default 0; `klCoef` makes it a one-sided guard that only tightens). */
  klMin?: number;
  /** KL estimator of the penalty and of `objective/kl` (default k1; GRPO's loss term is k3 whatever this says). */
  klEstimator?: KlEstimator;
  /** Entropy bonus (default 0). */
  entCoef?: number;
  /** Learning rate (default 1e-5), constant after the warm-up. */
  lr?: number;
  /**
   * Optimizer steps over which the learning rate ramps up linearly to `lr` (default 0: none).
   * Adam's first updates move every weight by about the learning rate whatever its gradient's
   * size, so a constant rate makes the first RL step the largest.
   */
  warmupSteps?: number;
  /** Most new tokens per reply (default 64). */
  maxNewTokens?: number;
  /** PPO: epochs over each rollout (default 4) and minibatches per epoch (default 1). */
  ppoEpochs?: number;
  numMiniBatches?: number;
  /** PPO: value-loss weight (default 0.1). */
  vfCoef?: number;
  /** PPO: GAE λ (default 0.95, TRL's `lam`; 1 gives every token the reply's whole return minus its value). */
  lam?: number;
  /** PPO: subtract the leave-one-out mean of the other replies' scores to the same prompt (ppo.ts `looBaseline`; default false). */
  looBaseline?: boolean;
  /** World split and seed of the training prompts (default train, 1). */
  split?: Split;
  caseSeed?: number;
  /** Save a checkpoint every this many steps (default 0: only at the end via the policy). */
  checkpointEvery?: number;
  /**
   * Continue from `out/checkpoint` when it exists, with the options of the run in `out` (its
   * run_config.json): a resume that changes any but RESUME_MAY_CHANGE is refused before any work.
   */
  resume?: boolean;
  /** Stop at the first monitor alarm (of the monitors in `stopOn`, when given). */
  stopOnAlarm?: boolean;
  /** The monitors whose alarm stops the run with `stopOnAlarm` (their names, e.g. 'kl_growth'; default: all six). */
  stopOn?: string[];
  /**
   * Threshold overrides of the reward-hacking monitors (monitors.ts `MonitorConfigs`, each field
   * checked by its monitor's schema), e.g. `{ klGrowth: { threshold: 2 } }`: tuned on careful runs,
   * as monitors.ts says its defaults should be.
   */
  monitors?: MonitorConfigs;
  /**
   * A fixed probe: before training and every `every` steps, one reply (same sampling seed each
   * time) to each of `n` validation cases, logged as `probe/gold`, `probe/proxy` (world),
   * `probe/score` (the optimized reward) and `probe/score_std` (its spread over the replies),
   * `probe/kl` (k1 KL to the reference, nats per reply), and with a judge `probe/judge` and
   * `probe/judge_std` (observers are not scored on the probe); from the second probe on, the mean
   * paired gain over the first probe, its standard error and the first probe's spread
   * (`probe/score_gain`, `_gain_se`, `_base_std`; the same for `probe/judge`) and the per-case
   * correlation of the two gains (`probe/gain_corr`), which the judge_divergence monitor reads.
   * Rollout gold mixes policy change with which prompts a step drew; the probe does not.
   * Each probe's per-case values go to `probe.jsonl` (`ProbeRecord`, one line per probe), so
   * later analysis can pair cases across probes.
   */
  probe?: { n: number; every: number };
  /**
   * Save the policy at every probe after the start to `out/at-step/<step>/` (config and weights;
   * the tokenizer is the start model's; with `keepJudgeBest` the start policy's too, as step 0),
   * so a step can be chosen afterwards and evaluated like the final policy.
   */
  snapshotAtProbes?: boolean;
  /**
   * Keep, besides the final policy, the probe step's policy the held-out judge scores highest:
   * the start policy (step 0) and every probe's are candidates, the highest mean `probe/judge`
   * wins (the earliest on a tie), and it is saved to `out/judge-best/` (config, weights and the
   * tokenizer, loadable like the final policy), with `judgeBest` in `results.json`. Checkpoint
   * selection by a held-out evaluator: it reads no gold. Needs a judge and a probe. A run stopped
   * by a monitor (`stopOnAlarm`) between probes picks among the steps probed before the stop.
   */
  keepJudgeBest?: boolean;
  threads?: number;
}

/** The probe step the held-out judge scored highest (`RlRunOptions.keepJudgeBest`). */
export interface JudgeBest {
  step: number;
  /** The judge's mean score on that step's probe replies, and its paired gain over step 0's. */
  judge: number;
  judgeGain: number;
  judgeGainSe: number;
  /** The probe's KL to the reference at that step (nats per reply). */
  kl: number;
  dir: string;
}

/**
 * The step whose judge score is highest, the earliest on a tie; `null` when no entry has one.
 *
 *   judgeBestStep([{ step: 0, judge: 0.1 }, { step: 5, judge: 0.4 }, { step: 10, judge: 0.4 }]) // → 5
 */
export function judgeBestStep(probes: readonly { step: number; judge?: number }[]): number | null {
  let best: { step: number; judge: number } | null = null;
  for (const p of probes) if (p.judge !== undefined && Number.isFinite(p.judge) && (best === null || p.judge > best.judge)) best = { step: p.step, judge: p.judge };
  return best?.step ?? null;
}

/** One step's row: TRL metrics plus world, act, monitor and alarm columns. */
export type RlRow = Record<string, number>;

/** One probe's per-case values, in the probe's case order: a line of `probe.jsonl`. */
export interface ProbeRecord {
  /** Steps done when the probe ran (0: the start policy). */
  step: number;
  gold: number[];
  proxy: number[];
  /** The optimized reward of each reply (`probe/score` is their mean). */
  score: number[];
  /** Each reply's KL to the reference (k1, nats; `probe/kl` is their mean). */
  kl: number[];
  judge?: number[];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
/** Population standard deviation (0 for fewer than two values). */
function sd(xs: number[]): number {
  const m = mean(xs);
  return xs.length < 2 ? 0 : Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

/** Standard deviation across ensemble members of each reply's score, averaged over replies. */
function ensembleStd(scores: number[][]): number {
  return mean(scores[0].map((_, i) => sd(scores.map((s) => s[i]))));
}

/**
 * Within-prompt co-movement of two scores of the same replies: each reply's scores minus their
 * means over the replies to its prompt (`group[i]`), then the sums of products Σx̃ỹ, Σx̃², Σỹ²
 * and the degrees of freedom left (replies − prompts). Sums from several steps add up.
 */
export interface WithinPrompt {
  sxy: number;
  sxx: number;
  syy: number;
  df: number;
}

/**
 *   withinPrompt([1, 3, 10, 14], [2, 2, 5, 9], [0, 0, 1, 1]) // → { sxy: 8, sxx: 10, syy: 8, df: 2 }
 */
export function withinPrompt(x: readonly number[], y: readonly number[], group: readonly number[]): WithinPrompt {
  if (x.length !== y.length || x.length !== group.length) throw new RangeError(`withinPrompt: ${x.length} and ${y.length} scores for ${group.length} group labels (need as many)`);
  const sums = new Map<number, { n: number; x: number; y: number }>();
  group.forEach((g, i) => {
    const s = sums.get(g) ?? { n: 0, x: 0, y: 0 };
    s.n++;
    s.x += x[i];
    s.y += y[i];
    sums.set(g, s);
  });
  const w = { sxy: 0, sxx: 0, syy: 0, df: x.length - sums.size };
  group.forEach((g, i) => {
    const s = sums.get(g)!;
    const dx = x[i] - s.x / s.n, dy = y[i] - s.y / s.n;
    w.sxy += dx * dy;
    w.sxx += dx * dx;
    w.syy += dy * dy;
  });
  return w;
}

/** How one ensemble member's scores are standardized: (score − mean) / sd. */
export interface RewardNorm {
  mean: number;
  sd: number;
}

/**
 * The ensemble reward of each reply from its members' scores (`scores[m][i]`: member m, reply i):
 * every member standardized by its own `norm`, then their mean or their minimum per reply, put
 * back on the first member's scale (× its sd + its mean).
 *
 *   combineScores([[1, 3], [10, 30]], [{ mean: 2, sd: 1 }, { mean: 20, sd: 10 }], 'min') // → [1, 3]
 *   combineScores([[1, 3], [30, 10]], [{ mean: 2, sd: 1 }, { mean: 20, sd: 10 }], 'min') // → [1, 1]
 */
export function combineScores(scores: readonly (readonly number[])[], norm: readonly RewardNorm[], mode: 'mean' | 'min'): number[] {
  if (scores.length === 0 || scores.length !== norm.length) throw new RangeError(`combineScores: ${scores.length} members' scores but ${norm.length} norms (need as many, at least one)`);
  const n = scores[0].length;
  scores.forEach((s, m) => {
    if (s.length !== n) throw new RangeError(`combineScores: member ${m} scored ${s.length} replies, member 0 ${n}`);
  });
  return Array.from({ length: n }, (_, i) => {
    const z = scores.map((s, m) => (s[i] - norm[m].mean) / norm[m].sd);
    const c = mode === 'min' ? Math.min(...z) : mean(z);
    return norm[0].mean + norm[0].sd * c;
  });
}

/** The ensemble's standardization restored from a checkpoint, checked against the run's members. */
function rewardNormFromState(state: unknown, members: number, file: string): RewardNorm[] {
  const ok = Array.isArray(state) && state.length === members && state.every((x) => x && Number.isFinite(x.mean) && Number.isFinite(x.sd) && x.sd > 0);
  if (!ok) throw new Error(`${file}: rewardNorm must list {mean, sd > 0} for each of the ${members} optimized reward models (rewardCombine mean/min or standardizeReward), got ${JSON.stringify(state)}; was the checkpoint's run started with the same options?`);
  return (state as RewardNorm[]).map((x) => ({ mean: x.mean, sd: x.sd }));
}

/**
 * The paired gain of `now` over `base` (the same cases, in order): the mean per-case difference,
 * its standard error (sample SD / √n; 0 for one case) and the per-case differences themselves.
 *
 *   pairedGain([2, 3, 5, 6], [1, 1, 2, 2]) // → gain 2.5, se √(5/3)/2 ≈ 0.645
 */
export function pairedGain(now: readonly number[], base: readonly number[]): { gain: number; se: number; diffs: number[] } {
  if (now.length !== base.length || now.length === 0) throw new RangeError(`pairedGain: ${now.length} values against ${base.length} (need as many, at least one)`);
  const d = now.map((x, i) => x - base[i]);
  return { gain: mean(d), se: sd(d) / Math.sqrt(Math.max(1, d.length - 1)), diffs: d };
}

/**
 * The options a resumed run may change: where the run is (`out`), `resume` itself, how long it
 * goes on (`steps`: the prompts of step s do not depend on it, nor does the learning rate after
 * the warm-up, so a run resumed with more steps ends as one started with them — as long as it goes
 * past its checkpoint), when it saves checkpoints (`checkpointEvery`), and `threads` (with a
 * warning: a run is bit-identical to an uninterrupted one only at the same thread count). Every
 * other option defines what the run computes, and a resume that changed one would silently keep
 * the checkpoint's value for some (the learning rate, β, the reward's standardization) and use the
 * new one for others.
 */
export const RESUME_MAY_CHANGE: readonly string[] = ['out', 'resume', 'steps', 'checkpointEvery', 'threads'];
/** What run_config.json holds besides the options: derived, not given. */
const RUN_CONFIG_DERIVED = ['kind', 'rloo', 'ppo', 'train'];

/** A value as JSON, object keys sorted (`undefined`: "unset"), to compare and to print. */
function canonical(v: unknown): string {
  if (v === undefined) return 'unset';
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

/**
 * The options that differ between a run's stored run_config.json and the options of a resume,
 * leaving out RESUME_MAY_CHANGE; values compared as given (an option left unset differs from one
 * given at its default), each as canonical JSON.
 *
 *   differingOptions({ kind: 'rloo', lr: 1e-5, steps: 10, seed: 1 }, { lr: 0.5, steps: 20, seed: 1 })
 *   // → [{ option: 'lr', stored: '0.00001', given: '0.5' }]
 */
export function differingOptions(stored: Record<string, unknown>, given: Record<string, unknown>): { option: string; stored: string; given: string }[] {
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(given)])].filter((key) => !RESUME_MAY_CHANGE.includes(key) && !RUN_CONFIG_DERIVED.includes(key));
  return keys.map((option) => ({ option, stored: canonical(stored[option]), given: canonical(given[option]) })).filter((d) => d.stored !== d.given);
}

/**
 * Before a resume does anything: its options must be those of the run in `o.out`
 * (run_config.json; RESUME_MAY_CHANGE aside), and `steps` must go past the checkpoint's step.
 * Throws one message listing every differing option with its stored and given value.
 */
function checkResumeOptions(o: RlRunOptions, ckptDir: string, log: (m: string) => void, nameOf: (option: string) => string = (x) => x): void {
  const file = path.join(o.out, 'run_config.json');
  const readJson = (f: string): Record<string, unknown> => {
    try {
      return JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch (e) {
      throw new Error(`${f}: invalid JSON (${(e as Error).message})`);
    }
  };
  if (!fs.existsSync(file)) {
    log(`runRl: ${file} is missing, so the options of the run being resumed cannot be compared with these; resuming with these`);
  } else {
    const stored = readJson(file);
    const diffs = differingOptions(stored, o as unknown as Record<string, unknown>);
    if (diffs.length) throw new Error(`runRl: resume with options that differ from the run in ${o.out}: ${diffs.map((d) => `${nameOf(d.option)} ${d.stored} (stored) vs ${d.given} (given)`).join(', ')} — resume with the stored options (${file}), or start a new run in another directory`);
    if (canonical(stored.threads) !== canonical(o.threads)) log(`runRl: resuming ${o.out} with threads ${canonical(o.threads)} where the run used ${canonical(stored.threads)}: the results will not be bit-identical to an uninterrupted run's`);
  }
  const stateFile = path.join(ckptDir, 'trainer_state.json');
  const step = (readJson(stateFile).extra as { step?: unknown } | undefined)?.step;
  if (typeof step === 'number' && o.steps <= step) throw new Error(`runRl: steps ${o.steps}, but the checkpoint in ${ckptDir} is at step ${step} already: give more steps to continue the run`);
}

export async function runRl(o: RlRunOptions, io: { log: (m: string) => void; onStep?: (row: RlRow, step: number) => void; /** How messages name an option (the CLI: its flag); default the option's own name. */ optionName?: (option: string) => string }): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const algo = o.algo ?? 'rloo';
  if (algo !== 'rloo' && algo !== 'grpo' && algo !== 'ppo') throw new Error(`runRl: algo must be rloo, grpo or ppo, got ${JSON.stringify(o.algo)}`);
  if (algo === 'ppo' && (o.advantage !== undefined || o.klPenalty !== undefined)) throw new Error(`runRl: advantage and klPenalty are settings of the critic-free step (rloo, grpo); ppo has its own (GAE, the KL in the reward)`);
  if (o.advantage !== undefined && o.advantage !== 'leave-one-out' && o.advantage !== 'group-normalized') throw new Error(`runRl: advantage must be 'leave-one-out' or 'group-normalized', got ${JSON.stringify(o.advantage)}`);
  if (o.klPenalty !== undefined && o.klPenalty !== 'reward' && o.klPenalty !== 'loss') throw new Error(`runRl: klPenalty must be 'reward' or 'loss', got ${JSON.stringify(o.klPenalty)}`);
  if (algo !== 'ppo' && o.k !== undefined && !(Number.isInteger(o.k) && o.k >= 2)) throw new Error(`runRl: ${algo} compares each reply with the other replies to its prompt: k must be a whole number ≥ 2, got ${o.k}`);
  // Checked before anything is loaded.
  const combineMode = o.rewardCombine ?? 'first';
  if (combineMode !== 'first' && combineMode !== 'mean' && combineMode !== 'min') throw new Error(`runRl: rewardCombine must be first, mean or min, got ${JSON.stringify(o.rewardCombine)}`);
  if (combineMode !== 'first' && (o.reward === 'gold' || o.reward === 'proxy' || !o.observers?.length))
    throw new Error(`runRl: rewardCombine '${combineMode}' optimizes an ensemble: give a reward-model directory as reward and at least one observer (got reward ${o.reward}, ${o.observers?.length ?? 0} observers)`);
  // An ensemble optimizes its observers too: a judge among them would not be held out.
  if (combineMode !== 'first' && o.judge && [o.reward, ...(o.observers ?? [])].some((d) => path.resolve(d) === path.resolve(o.judge!)))
    throw new Error(`runRl: the judge ${o.judge} is a member of the optimized ensemble (rewardCombine '${combineMode}'), so it is not held out`);
  if (o.klMin !== undefined && o.klMin > 0 && o.klTarget === undefined) throw new Error(`runRl: klMin ${o.klMin} is the adaptive controller's floor on β, and without klTarget β is fixed: give klTarget too`);
  if (o.standardizeReward && (o.reward === 'gold' || o.reward === 'proxy')) throw new Error(`runRl: standardizeReward standardizes a reward model's scores; the reward is the world's ${o.reward}`);
  if (o.keepJudgeBest && (!o.judge || !o.probe || o.probe.n < 1)) throw new Error(`runRl: keepJudgeBest picks the probe step the judge scores highest: it needs a judge and a probe of at least one case (got ${o.judge ? 'a judge' : 'no judge'}, ${o.probe ? `a probe of ${o.probe.n} cases` : 'no probe'})`);
  // The model directories: a directory given as a reward model must hold a trained reward head,
  // or loadModel would give it a fresh random one and the run would optimize (or watch) noise.
  // (The policy's config first, so a missing policy is the error named.)
  readModelConfig(o.model);
  const rewardDirs = [...(o.reward !== 'gold' && o.reward !== 'proxy' ? [{ role: 'reward', dir: o.reward }] : []), ...(o.observers ?? []).map((dir) => ({ role: 'observer', dir })), ...(o.judge ? [{ role: 'judge', dir: o.judge }] : [])];
  for (const { role, dir } of rewardDirs) {
    const problem = missingRewardHead(dir, `runRl: ${role}`);
    if (problem) throw new Error(problem);
  }
  // The monitors (their configs checked by each monitor's schema) and the names that may stop the run.
  const MONITOR_CONFIG_KEYS = ['ensembleDisagreement', 'klGrowth', 'entropyCollapse', 'rewardLengthCorr', 'judgeDivergence', 'judgeAgreement'];
  for (const k of Object.keys(o.monitors ?? {})) if (!MONITOR_CONFIG_KEYS.includes(k)) throw new Error(`runRl: monitors: unknown monitor config ${JSON.stringify(k)} (expected ${MONITOR_CONFIG_KEYS.join(', ')})`);
  const monitorNames = defaultMonitors(o.monitors).map((m) => m.name);
  for (const n of o.stopOn ?? []) if (!monitorNames.includes(n)) throw new Error(`runRl: stopOn: unknown monitor ${JSON.stringify(n)} (monitors: ${monitorNames.join(', ')})`);
  if (o.stopOn?.length && !o.stopOnAlarm) throw new Error('runRl: stopOn names the monitors whose alarm stops the run: set stopOnAlarm too');
  const ckptDir = path.join(o.out, 'checkpoint');
  const resuming = !!o.resume && fs.existsSync(path.join(ckptDir, 'trainer_state.json'));
  if (resuming) checkResumeOptions(o, ckptDir, io.log, io.optionName);
  // Rollouts, probes, reward models and updates compile a few dozen graph shapes; keep them all.
  const runtime = new Runtime({ threads: o.threads, maxSessions: 48 });
  const start = loadModel(o.model, { runtime, heads: algo === 'ppo' ? ['value'] : [], seed: o.seed });
  const reference = new LlamaModel(start.cfg, start.params.clone(), runtime, start.heads);
  const tok = await loadTokenizer(o.model);
  const info = tok.chatTemplate;
  if (!info) throw new Error(`${o.model}: the tokenizer has no chat template`);
  const padId = tok.padTokenId ?? 0;
  fs.mkdirSync(o.out, { recursive: true });
  const metricsFile = path.join(o.out, 'metrics.jsonl');
  const probeFile = path.join(o.out, 'probe.jsonl');

  const perStep = o.prompts ?? 8;
  const k = o.k ?? RLOO_DEFAULTS.k;
  const cases = generateCases({ seed: o.caseSeed ?? 1, n: perStep * o.steps, split: o.split ?? 'train' });
  const promptIds = (c: Case) => casePromptIds(tok, c);

  // Reward models: the optimized one (when `reward` is a directory) and the observers.
  const rmDirs = [...(o.reward !== 'gold' && o.reward !== 'proxy' ? [o.reward] : []), ...(o.observers ?? [])];
  const rms = rmDirs.map((d) => ({ dir: d, model: loadModel(d, { runtime, heads: ['reward'] }), readout: rewardReadout(d) }));
  const optimizedRms = combineMode === 'first' ? rms.slice(0, rmDirs.length - (o.observers?.length ?? 0)) : rms;
  const judge = o.judge ? { model: loadModel(o.judge, { runtime, heads: ['reward'] }), readout: rewardReadout(o.judge) } : undefined;
  const judgeAsObserver = o.judge ? rmDirs.map((d) => path.resolve(d)).indexOf(path.resolve(o.judge)) : -1;
  if (judge && k < 2) io.log(`runRl: with one reply per prompt (k = 1) the judge cannot rank replies to the same prompt; the judge_agreement monitor stays inert`);

  let stepCases: Case[] = [];
  // Rollouts are scored by the optimized reward model, the observers (their disagreement is a
  // rollout-level monitor) and the judge; probes (below) by the optimized reward model(s) and the judge.
  let observed: { gold: number[]; proxy: number[]; rm: number[][]; acts: Record<string, number>; lengths: number[]; judge?: WithinPrompt } = { gold: [], proxy: [], rm: [], acts: {}, lengths: [] };
  // The optimized reward from the optimized models' scores of the same replies (one row per model).
  // With standardizeReward or an ensemble, the start policy's replies (the first call) fix each
  // member's mean and SD.
  const standardize = !!o.standardizeReward;
  const needsNorm = combineMode !== 'first' || standardize;
  let norm: RewardNorm[] | undefined;
  const combine = (scores: number[][]): number[] => {
    if (!needsNorm) return scores[0];
    norm ??= scores.map((s) => ({ mean: mean(s), sd: sd(s) || 1 }));
    const n0 = norm[0];
    const c = combineMode === 'first' ? scores[0] : combineScores(scores, norm, combineMode);
    return standardize ? c.map((x) => (x - n0.mean) / n0.sd) : c;
  };
  const reward: RewardFn = async (prompts, responses, idx) => {
    const scored = responses.map((r, j) => scoreResponse(stepCases[idx[j]], replyText(tok, r)));
    const acts: Record<string, number> = {};
    for (const s of scored) for (const t of new Set(s.acts.map((a) => a.type))) acts[t] = (acts[t] ?? 0) + 1 / scored.length;
    // Each reward model scores the step's replies grouped by prompt (prompts run once).
    const groups = new Map<number, { prompt: number[]; replies: number[][]; at: number[] }>();
    responses.forEach((r, j) => {
      const g = groups.get(idx[j]) ?? { prompt: prompts[j], replies: [], at: [] };
      g.replies.push(r);
      g.at.push(j);
      groups.set(idx[j], g);
    });
    const scoreWith = async (m: { model: LlamaModel; readout: ReturnType<typeof rewardReadout> }) => {
      const s = await scoreReplies(m.model, [...groups.values()], { padId, readout: m.readout });
      const flat = new Array<number>(responses.length);
      [...groups.values()].forEach((g, gi) => g.at.forEach((j, r) => (flat[j] = s[gi][r])));
      return flat;
    };
    const rmScores: number[][] = [];
    for (const m of rms) rmScores.push(await scoreWith(m));
    observed = { gold: scored.map((x) => x.gold.total), proxy: scored.map((x) => x.proxy), rm: rmScores, acts, lengths: responses.map((r) => r.length) };
    const optimized = o.reward === 'gold' ? observed.gold : o.reward === 'proxy' ? observed.proxy : combine(rmScores.slice(0, optimizedRms.length));
    // The judge scores the rollouts too: how it and the optimized reward rank the replies to the
    // same prompt says which way this step's update moves the judge (judge_agreement monitor).
    // (A judge that is also an observer — the lab's careful runs — was scored above already.)
    if (judge) observed.judge = withinPrompt(optimized, judgeAsObserver >= 0 ? rmScores[judgeAsObserver] : await scoreWith(judge), idx);
    return optimized;
  };

  // Policy, trainer and KL controller: fresh, or restored from the checkpoint.
  const klInit = o.klCoef ?? RLOO_DEFAULTS.klCoef;
  let kl: KlController = o.klTarget !== undefined ? new AdaptiveKlController({ init: klInit, target: o.klTarget, horizon: o.klHorizon ?? 10000, min: o.klMin }) : new FixedKlController(klInit);
  const rows = perStep * k;
  const lr = o.lr ?? 1e-5;
  const ppo =
    algo === 'ppo'
      ? ppoConfig(
          { k, ppoEpochs: o.ppoEpochs ?? 4, numMiniBatches: o.numMiniBatches ?? 1, vfCoef: o.vfCoef ?? 0.1, lam: o.lam ?? 0.95, entCoef: o.entCoef ?? 0, klEstimator: o.klEstimator ?? 'k1', looBaseline: o.looBaseline ?? false, maxNewTokens: o.maxNewTokens ?? 64, stopTokenIds: info.stopTokenIds, padId },
          'ppo config',
        )
      : undefined;
  const rloo = {
    ...RLOO_DEFAULTS,
    k,
    klCoef: klInit,
    klEstimator: o.klEstimator ?? 'k1',
    advantage: o.advantage ?? (algo === 'grpo' ? 'group-normalized' : 'leave-one-out'),
    klPenalty: o.klPenalty ?? (algo === 'grpo' ? 'loss' : 'reward'),
    maxNewTokens: o.maxNewTokens ?? 64,
    stopTokenIds: info.stopTokenIds,
    padId,
  };
  const objective = ppo ? ppoObjective(ppo) : policyObjective({ entCoef: o.entCoef ?? 0 });
  const updatesPerStep = ppo ? ppoUpdates(ppo) : 1;
  const tc = trainConfig({ lr, totalSteps: o.steps * updatesPerStep, warmupSteps: o.warmupSteps ?? 0, weightDecay: 0, minLrRatio: 1, gradAccum: ppo ? ppoGradAccum(ppo, rows) : 1 });
  let trainer = new Trainer<RolloutBatch>(start, tc, objective);
  let first = 0;
  const history: RlRow[] = [];
  if (resuming) {
    const r = Trainer.resume<RolloutBatch>(ckptDir, runtime, objective);
    trainer = r.trainer;
    const extra = r.extra as { step: number; kl: unknown; rewardNorm?: unknown };
    first = extra.step;
    kl = klControllerFromState(extra.kl, `${ckptDir}/trainer_state.json`);
    // A run's reward scale cannot change on resume: raw scores after a standardized start (or the reverse) would be another objective.
    if (!needsNorm && extra.rewardNorm !== undefined) throw new Error(`${ckptDir}/trainer_state.json: the checkpoint's run standardized its reward (rewardCombine mean/min or standardizeReward), this one does not; resume it with the same options`);
    if (needsNorm) norm = rewardNormFromState(extra.rewardNorm, optimizedRms.length, `${ckptDir}/trainer_state.json`);
    // Keep the metrics of the steps the checkpoint covers; later rows are recomputed.
    const kept = fs.existsSync(metricsFile)
      ? fs
          .readFileSync(metricsFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as RlRow)
          .slice(0, first)
      : [];
    if (kept.length !== first) throw new Error(`${metricsFile}: ${kept.length} rows but the checkpoint is at step ${first}; cannot resume`);
    history.push(...kept);
    fs.writeFileSync(metricsFile, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    io.log(`resuming ${o.out} at step ${first}`);
  } else {
    fs.rmSync(metricsFile, { force: true });
    fs.rmSync(probeFile, { force: true });
    // An earlier run's snapshots and pick in the same directory would pass for this run's.
    for (const d of ['at-step', 'judge-best', 'judge-best.tmp']) fs.rmSync(path.join(o.out, d), { recursive: true, force: true });
  }
  const policy = trainer.model;
  // Snapshots of the probe steps' policies (kept with snapshotAtProbes; with keepJudgeBest the
  // start policy's too, as a candidate). A resumed run needs those its checkpoint covers; the
  // start policy's is rewritten from the reference, which holds exactly its parameters.
  const snapshots = o.snapshotAtProbes || o.keepJudgeBest;
  const snapshotDir = (step: number) => path.join(o.out, 'at-step', String(step));
  if (o.keepJudgeBest) {
    saveModel(snapshotDir(0), first === 0 ? policy : reference);
    const missing = history.filter((r) => r['probe/judge'] !== undefined && !fs.existsSync(path.join(snapshotDir(r.step), 'model.safetensors'))).map((r) => r.step);
    if (missing.length) throw new Error(`${o.out}: keepJudgeBest on resume needs the policy of every probe step the checkpoint covers, but at-step/ lacks steps [${missing.join(', ')}] (the run was started without keepJudgeBest, or it finished, which removes at-step/ unless snapshotAtProbes is set)`);
  }
  // The trainer's config is the one in use: on resume, the checkpoint's.
  writeJsonAtomic(path.join(o.out, 'run_config.json'), { kind: algo, ...o, rloo: ppo ? undefined : rloo, ppo, train: trainer.cfg });
  io.log(`${algo}: ${o.steps} steps × ${perStep} prompts × k=${k}, reward ${o.reward}, β=${klInit}${kl instanceof AdaptiveKlController ? ` (adaptive, target ${kl.target}, horizon ${kl.horizon}${kl.min > 0 ? `, floor ${kl.min}` : ''})` : ''}`);

  // The probe: fixed cases, fixed sampling seed.
  const probeCases = o.probe ? generateCases({ seed: (o.caseSeed ?? 1) + 101, n: o.probe.n, split: 'validation' }) : [];
  // The frozen models that score the probe (reference, optimized reward models, judge) see the
  // same prompts every time: their prompt states are computed once (PromptCache) and each probe
  // runs only the replies over them (a tenth of the tokens: prompts ~300, replies ~35).
  let probeCaches: { ref: PromptCache; rms: PromptCache[]; judge?: PromptCache } | undefined;
  // Per-case records of the probes so far (probe.jsonl); a resumed run keeps those its checkpoint covers.
  const probeRecords: ProbeRecord[] = [];
  let probeRecordsComplete = true;
  if (resuming && o.probe) {
    // A line cut short by a crash is skipped; the step check below then sees the gap.
    const kept = fs.existsSync(probeFile) ? (readJsonl(probeFile, { onError: 'skip' }).rows as ProbeRecord[]).filter((r) => r.step >= 1 && r.step <= first) : [];
    const want = history.filter((r) => r['probe/gold'] !== undefined).map((r) => r.step);
    if (kept.map((r) => r.step).join() !== want.join()) {
      probeRecordsComplete = false;
      io.log(`${probeFile}: per-case records for steps [${kept.map((r) => r.step).join(', ')}], but the checkpoint's probes ran after steps [${want.join(', ')}]; the run goes on without complete per-case records`);
    }
    probeRecords.push(...kept);
  }
  const probeRow = async (model: LlamaModel, step: number): Promise<RlRow> => {
    const prompts = probeCases.map(promptIds);
    const gens = await generate(model, prompts, { maxNewTokens: o.maxNewTokens ?? 64, temperature: 1, stopTokenIds: info.stopTokenIds, seed: o.seed * 7 + 3 });
    const build = (m: LlamaModel) => PromptCache.build(m, prompts, { padId });
    if (!probeCaches) {
      const rmCaches: PromptCache[] = [];
      for (const m of optimizedRms) rmCaches.push(await build(m.model));
      probeCaches = { ref: await build(reference), rms: rmCaches, judge: judge ? await build(judge.model) : undefined };
    }
    const replies = gens.map((g) => g.tokens);
    const scored = replies.map((r, i) => scoreResponse(probeCases[i], replyText(tok, r)));
    const observed = { gold: scored.map((x) => x.gold.total), proxy: scored.map((x) => x.proxy), judge: probeCaches.judge ? await probeCaches.judge.rewards(replies, judge!.readout) : undefined };
    const rmScores: number[][] = [];
    for (const [i, c] of probeCaches.rms.entries()) rmScores.push(await c.rewards(replies, optimizedRms[i].readout));
    const score = o.reward === 'gold' ? observed.gold : o.reward === 'proxy' ? observed.proxy : combine(rmScores);
    // KL of each reply (sampling log-probs against the reference's), summed over its tokens.
    const ref = await probeCaches.ref.logprobs(replies);
    const perSequence = gens.map((g, i) => g.logprobs.reduce((a, lp, j) => a + klEstimate(lp - ref[i][j], 'k1'), 0));
    const record: ProbeRecord = { step, gold: observed.gold, proxy: observed.proxy, score, kl: perSequence, ...(observed.judge ? { judge: observed.judge } : {}) };
    if (step === 0) {
      // The start policy's record comes first; a resumed run re-derives it (see below).
      probeRecords.unshift(record);
      writeFileAtomic(probeFile, probeRecords.map((r) => JSON.stringify(r) + '\n').join(''));
    } else {
      probeRecords.push(record);
      appendJsonl(probeFile, record);
    }
    const out: RlRow = { 'probe/gold': mean(observed.gold), 'probe/proxy': mean(observed.proxy), 'probe/score': mean(score), 'probe/score_std': sd(score), 'probe/kl': mean(perSequence), 'probe/response_length': mean(gens.map((g) => g.tokens.length)) };
    if (observed.judge) Object.assign(out, { 'probe/judge': mean(observed.judge), 'probe/judge_std': sd(observed.judge) });
    if (step > 0) {
      // Paired against the start policy's replies (its record comes first; same cases, same
      // sampling seed), so prompt difficulty cancels.
      const probeBase = probeRecords[0];
      const g = pairedGain(score, probeBase.score);
      Object.assign(out, { 'probe/score_gain': g.gain, 'probe/score_gain_se': g.se, 'probe/score_base_std': sd(probeBase.score) });
      if (observed.judge && probeBase.judge) {
        const j = pairedGain(observed.judge, probeBase.judge);
        // The two gains are measured on the same replies: their per-case correlation enters the
        // standard error of any contrast between them (the monitor's shortfall).
        Object.assign(out, { 'probe/judge_gain': j.gain, 'probe/judge_gain_se': j.se, 'probe/judge_base_std': sd(probeBase.judge), 'probe/gain_corr': pearson(g.diffs, j.diffs) });
      }
    }
    return out;
  };
  let probeBefore: RlRow | undefined;
  // The start policy is the reference, so a resumed run re-derives the same first probe from it
  // (the same parameters, cases and sampling seed).
  if (o.probe) probeBefore = await probeRow(first === 0 ? policy : reference, 0);
  io.log(`${algo}: setup and first probe ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const monitors = new MonitorSet(defaultMonitors(o.monitors));
  // Monitors count steps as the rows do (1-based `step`), so an alarm's step is its row's.
  for (const row of history) monitors.update(row, row.step);
  const bar = progress(algo, o.steps - first);
  let stoppedAt: number | null = null;
  for (let s = first; s < o.steps; s++) {
    stepCases = cases.slice(s * perStep, (s + 1) * perStep);
    const prompts = stepCases.map(promptIds);
    const seed = o.seed * 100003 + s;
    const tStep = performance.now();
    const r = ppo
      ? await ppoStep({ policy, reference, trainer, prompts, reward, cfg: ppo, klController: kl, seed })
      : await rlooStep({ policy, reference, trainer, prompts, reward, cfg: rloo, klController: kl, seed });
    const row: RlRow = {
      step: s + 1,
      ...r.metrics,
      'world/gold': mean(observed.gold),
      'world/proxy': mean(observed.proxy),
      ...Object.fromEntries(Object.entries(observed.acts).map(([a, x]) => [`acts/${a}`, x])),
      'monitor/reward_length_corr': pearson(r.scores, observed.lengths),
      'time/step_seconds': (performance.now() - tStep) / 1000,
    };
    if (observed.rm.length >= 2) row['monitor/ensemble_std'] = ensembleStd(observed.rm);
    if (observed.judge) {
      const w = observed.judge;
      Object.assign(row, { 'monitor/judge_sxy': w.sxy, 'monitor/judge_sxx': w.sxx, 'monitor/judge_syy': w.syy, 'monitor/judge_df': w.df });
      if (w.sxx > 0 && w.syy > 0) row['monitor/judge_corr'] = w.sxy / Math.sqrt(w.sxx * w.syy);
    }
    rms.forEach((m, i) => (row[`rm/${i}`] = mean(observed.rm[i])));
    if (o.probe && ((s + 1) % o.probe.every === 0 || s + 1 === o.steps)) {
      const tProbe = performance.now();
      Object.assign(row, await probeRow(policy, s + 1));
      row['time/probe_seconds'] = (performance.now() - tProbe) / 1000;
      if (snapshots) saveModel(snapshotDir(s + 1), policy);
    }
    const alarms = monitors.update(row, s + 1);
    Object.assign(row, monitors.metrics());
    history.push(row);
    appendJsonl(metricsFile, row);
    io.onStep?.(row, s);
    bar.tick({ gold: row['world/gold'], score: row['objective/scores'], kl: row['objective/kl'] });
    if (o.checkpointEvery && (s + 1) % o.checkpointEvery === 0 && s + 1 < o.steps) trainer.saveCheckpoint(ckptDir, { step: s + 1, kl: kl.state(), ...(norm ? { rewardNorm: norm } : {}) });
    const stopping = alarms.alarms.filter((a) => !o.stopOn?.length || o.stopOn.includes(a.monitor));
    if (o.stopOnAlarm && stopping.length) {
      stoppedAt = s + 1;
      io.log(`stopping at step ${s + 1}: ${stopping.map((a) => a.monitor).join(', ')} alarmed`);
      break;
    }
  }
  bar.done();
  saveModel(o.out, policy);
  await saveTokenizer(tok, o.out);
  const done = history.length;
  let judgeBest: JudgeBest | undefined;
  if (o.keepJudgeBest) {
    const candidates = [{ row: probeBefore!, step: 0 }, ...history.map((row) => ({ row, step: row.step }))].filter((x) => x.row['probe/judge'] !== undefined);
    const step = judgeBestStep(candidates.map((x) => ({ step: x.step, judge: x.row['probe/judge'] })));
    if (step === null) throw new Error(`${o.out}: keepJudgeBest: no probe step has a finite probe/judge (steps [${candidates.map((x) => x.step).join(', ')}])`);
    const row = candidates.find((x) => x.step === step)!.row;
    // Written beside and then renamed, so a crash never leaves a half-written judge-best/.
    const dir = path.join(o.out, 'judge-best');
    const tmp = `${dir}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(snapshotDir(step), tmp, { recursive: true });
    await saveTokenizer(tok, tmp);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    judgeBest = { step, judge: row['probe/judge'], judgeGain: row['probe/judge_gain'] ?? 0, judgeGainSe: row['probe/judge_gain_se'] ?? 0, kl: row['probe/kl'], dir };
    io.log(`${algo}: the judge scores step ${step}'s probe replies highest (gain ${judgeBest.judgeGain.toFixed(3)} ± ${judgeBest.judgeGainSe.toFixed(3)} over step 0); policy kept in ${dir}`);
  }
  const window = (key: string, from: number, to: number) => mean(history.slice(from, to).map((h) => h[key] ?? 0));
  const w = Math.max(1, Math.floor(done / 5));
  const results = {
    out: o.out,
    algo,
    reward: o.reward,
    steps: done,
    stoppedAt,
    seconds: (performance.now() - t0) / 1000,
    host: hostInfo(),
    start: { gold: window('world/gold', 0, w), proxy: window('world/proxy', 0, w), score: window('objective/scores', 0, w), kl: window('objective/kl', 0, w) },
    end: { gold: window('world/gold', done - w, done), proxy: window('world/proxy', done - w, done), score: window('objective/scores', done - w, done), kl: window('objective/kl', done - w, done) },
    alarms: monitors.monitors.filter((m) => m.alarmStep !== null).map((m) => ({ name: m.name, step: m.alarmStep })),
    ...(judgeBest ? { judgeBest } : {}),
    ...(norm ? { rewardCombine: combineMode, rewardNorm: norm, standardizeReward: standardize } : {}),
    // Whether probe.jsonl has a record of every probe (false after a resume that found gaps).
    ...(o.probe ? { probeRecordsComplete } : {}),
  };
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  // The other snapshots go once the pick and the results are written.
  if (o.keepJudgeBest && !o.snapshotAtProbes) fs.rmSync(path.join(o.out, 'at-step'), { recursive: true, force: true });
  await runtime.release();
  // Per-case probe records, when every probe of the run has one.
  const probes = o.probe && probeRecordsComplete ? probeRecords : undefined;
  return { ...results, history, probeBefore, probes };
}
