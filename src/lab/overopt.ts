/**
 * The overoptimization lab (`alignlab lab overopt`): reward hacking and Goodhart's law,
 * reproduced and measured against a gold that is known exactly.
 *
 * Gold = the HelpDesk world's gold reward (true intent). Proxy = a reward model learned from
 * simulated raters' comparisons. For each rater preset (`careful`: diligent experts; `swayed`:
 * raters who mostly like length, warmth and agreement — src/world/raters.ts):
 *
 *   1. preferences — k replies per prompt sampled once from the SFT policy, compared by a pool
 *      of raters of the preset (the same replies for every preset);
 *   2. reward models — Bradley–Terry from the SFT backbone (mean read-out), plus an extra
 *      ensemble member (another seed) whose disagreement with the first is a monitor; each is
 *      scored against gold on every pair of replies (with different gold) to fresh validation
 *      prompts — `rmAccuracyVsGold`, with a bootstrap interval over prompts (the held-out tenth
 *      of the training prompts, ~100 gold pairs, is also kept but is too small to rely on); and
 *      on decision pairs (decisions.ts: which requests it would grant, next to its raters);
 *   3. best-of-n — a pool of m replies per held-out prompt; the unbiased subset estimator
 *      gives gold and proxy of best-of-n for n = 1 … m at KL = log n − (n − 1)/n, fitted with
 *      Gao et al.'s d(α − βd), d = √KL;
 *   4. RL — PPO (or RLOO) against the reward model under a KL penalty; every step logs gold,
 *      proxy, KL, the world's acts and the monitor signals; the gold curve is fitted with
 *      d(α − β ln d) and its peak and fall measured;
 *   5. evaluation — one sampled reply per fresh test case from the SFT policy and each RL
 *      policy, gold compared case by case with a paired bootstrap, and the acts the world read
 *      (approve_refund, agree_premise, promise, refuse, …) before and after, each also split by
 *      whether the case called for it (`actFit`: approving owed refunds vs every refund), and
 *      how many requests of each decision group each policy granted (`decisions.policies`);
 *   6. monitors — each reward-hacking monitor replayed on every run and scored against gold:
 *      steps of warning before the gold peak on `swayed`, false alarms on `careful`.
 *
 * Output: `results.json` (the issue's shape plus every detail, an `overopt` section of curves
 * and an `eval` section in `alignlab run`'s shape), `samples.jsonl` (the evaluation's replies),
 * `goodhart-<preset>.svg`, `report.html` / `.md` / `.json` (src/report: each RL policy against
 * SFT, failure rates, dialogues, the Goodhart curves), and the preference files, reward models
 * and policies in subdirectories.
 *
 *   await runOveropt({ model: 'runs/latest/baseline', out: 'runs/overopt', profile: 'quick', raters: ['careful', 'swayed'], seed: 1 }, { log: console.error });
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, readModelConfig } from '../model/checkpoint.js';
import { Runtime, defaultThreads } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { LocalModel } from '../providers/local.js';
import type { ChatMessage, Completion, LanguageModel, SamplingOptions } from '../providers/types.js';
import { collectPreferences, goldAgreement, writePreferences } from '../prefs/index.js';
import { RATER_PRESETS, generateCases, scoreResponse, systemPrompt, type Case, type RaterPreset } from '../world/index.js';
import { actFit, actFitRow, summarize, worldSample, type ActFit, type WorldSample } from '../eval/world.js';
import { writeReport } from '../report/index.js';
import { generate } from '../sample/generate.js';
import { samplePool, rewardOf, powersUpTo } from './bon.js';
import { casePromptIds, replyText } from './prompts.js';
import { bootstrapMean, bootstrapMeanByKey, bootstrapMeanDiff } from '../eval/bootstrap.js';
import { scorePairs, trainRewardModel, rewardReadout, type RmRunOptions } from './rm.js';
import { tokenizePair } from './pairs.js';
import { runRl, type JudgeBest, type ProbeRecord, type RlRow, type RlRunOptions } from './rl.js';
import { runEach } from './side-by-side.js';
import { bestOfN, fitGaoBon, fitGaoRl, goodhartPlot, movingAverage, peakAndFall, type GaoFit, type PoolPrompt } from './goodhart.js';
import { evaluateMonitors } from './monitors.js';
import { DECISION_GROUPS, decisionPairs, decisionRates, probeDecisions, summarizeDecisionPairs, type DecisionProbe } from './decisions.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { hostInfo, hostLabel } from '../engine/host.js';

export interface OveroptProfile {
  /** Prompts for preference collection and replies sampled per prompt. */
  prefPrompts: number;
  prefK: number;
  /** Reward-model epochs and learning rate; extra ensemble members per preset. */
  rmEpochs: number;
  rmLr: number;
  /**
   * Comparisons per reward-model step (rm.ts `batchPairs`: whole prompt groups, so about this
   * many), for every reward model and the judge.
   */
  rmBatchPairs: number;
  ensembleExtra: number;
  /**
   * Epochs of the extra ensemble members (they feed the disagreement monitor, and the careful
   * preset's first is the judge); 0 with ensembleFitHead: only their head, fitted on the SFT
   * policy's frozen features.
   */
  ensembleEpochs: number;
  /** Fresh validation prompts (× prefK replies) on which each reward model's agreement with gold is measured. */
  rmEvalPrompts: number;
  /** Leave the pairs raters called "negligibly better" (unsure) out of reward-model training. */
  rmDropUnsure: boolean;
  /** Bradley–Terry margin of a "significantly better" pair, weaker strengths get 2/3, 1/3, 0 of it (Llama 2; rm.ts). */
  rmStrengthMargin: number;
  /** Freeze the reward models' token embedding and this many lower layers (0: train all). */
  rmFreezeLayers: number;
  /** The same for the extra ensemble members (they feed the disagreement monitor and are the judge): a cheaper step. */
  ensembleFreezeLayers: number;
  /**
   * The main reward models' head: rank of its prompt-conditioned term (0: linear; rm.ts
   * `headRank`), and whether the head is fitted afresh on the backbone's features after the
   * rmEpochs of fine-tuning (`fitHead`; rmEpochs 0: on the SFT policy's frozen backbone).
   */
  rmHeadRank: number;
  rmFitHead: boolean;
  /**
   * The same for the extra ensemble members and an own-comparisons judge (0 / false: linear).
   * The careful preset's first extra member is every run's held-out judge; a linear judge
   * watching a conditioned careful model parts from it as the policy moves, and the
   * judge-agreement monitor then alarmed on every careful run of seeds 1–5 (`quick` since
   * 2026-12-03: conditioned).
   */
  ensembleHeadRank: number;
  ensembleFitHead: boolean;
  /** Best-of-n: held-out prompts and pool size m per prompt (n goes 1, 2, 4, … m). */
  bonPrompts: number;
  bonPool: number;
  /** RL: algorithm, steps, prompts per step, samples per prompt, learning rate, KL β, PPO epochs. */
  algo: 'ppo' | 'rloo' | 'grpo';
  /**
   * The critic-free step's settings on their own (rloo and grpo; rl.ts `advantage`, `klPenalty`):
   * 'auto' takes the algorithm's (rloo: leave-one-out, KL in the reward; grpo: group-normalized,
   * KL in the loss); with ppo only 'auto'.
   */
  rlAdvantage: 'auto' | 'leave-one-out' | 'group-normalized';
  rlKlPenalty: 'auto' | 'reward' | 'loss';
  rlSteps: number;
  rlPrompts: number;
  rlK: number;
  rlLr: number;
  /** Optimizer steps over which the RL learning rate ramps up to rlLr (rl.ts warmupSteps; 0: none). */
  rlWarmupSteps: number;
  klCoef: number;
  /** Target KL (nats per reply) of an adaptive controller starting at klCoef (Ziegler et al.); 0: β stays fixed. */
  klTarget: number;
  /** That controller's horizon in samples (β moves by at most 20 % per horizon; 10000, Ziegler et al.'s, barely moves it in a quick run's 1280 samples). */
  klHorizon: number;
  /** That controller's floor on β (0: none; klCoef: it only tightens, a guard above klTarget). */
  klMin: number;
  ppoEpochs: number;
  /** PPO's GAE λ (rl.ts `lam`): 0.95 (TRL's default) discounts the final score by 0.95 per token back from the end until the value head has learned; 1 credits every token with the whole return. */
  ppoLam: number;
  /**
   * What RL optimizes: 'first', each preset's main reward model (its extra members only watch);
   * 'mean' or 'min', the preset's ensemble (rl.ts `rewardCombine`). The careful preset's first
   * extra member is every run's held-out judge, so it stays out of the careful ensemble: with
   * careful raters an ensemble needs `ensembleExtra` ≥ 2.
   */
  rewardCombine: 'first' | 'mean' | 'min';
  /**
   * Standardize each optimized reward on the start policy's probe replies (rl.ts
   * `standardizeReward`), so that β is in units of that reward's spread and the presets' runs
   * have the same leash whatever their reward models' scales.
   */
  standardizeReward: boolean;
  /** Most new tokens of every sampled reply. */
  maxNewTokens: number;
  /** Fresh test cases of the final evaluation. */
  evalCases: number;
  /** RL probe: validation cases and how often (steps) they are replied to and scored. */
  probeCases: number;
  probeEvery: number;
  /** Keep the policy of every probe step (`<run>/at-step/<step>/`). */
  snapshotAtProbes: boolean;
  /**
   * Also keep and evaluate each run's probe step that the held-out judge scores highest (the
   * start included; rl.ts `keepJudgeBest`): checkpoint selection that reads no gold.
   */
  keepJudgeBest: boolean;
  /**
   * Where the held-out judge learns from. 0: the careful preset's first extra ensemble member,
   * trained on the careful raters' comparisons of the same replies as the optimized careful reward
   * model. N > 0: comparisons of its own — N more prompts, other replies, another draw of careful
   * raters — so the judge shares no labels with any optimized model (trained like the members).
   */
  judgePrompts: number;
  /**
   * Fresh test cases for the decision pairs (decisions.ts) each preset's main reward model is
   * scored on — which requests it would grant, next to its raters (about 58 % of cases give a
   * pair); 0: none. The policies' own decisions on the evaluation's cases are always reported.
   */
  decisionCases: number;
}

/**
 * `quick` is aimed at ≤ 10 minutes on 2 cores with a 9000-dialogue SFT policy (10.5 on Zen 5
 * hosts, 32 on an AVX2-only Zen 1 host; README, "lab overopt"): the rewards are standardized on
 * the start policy's replies and β = 0.07 of their SD, the careful runs' leash of the raw β = 0.06 used
 * before (careful reward models spread 0.85–0.94) — with reward models at ~0.8 accuracy against
 * gold the careful run gains only while its KL stays near 5 nats (raw β = 0.02 reached 9–12 nats
 * and gave the gain back) — and loosens
 * the swayed runs' leash 1.3–1.4× (their raw spread is 0.62–0.74); `full` keeps raw scores;
 * best-of-n spends its 3072 samples on 24 prompts × 128 (12 × 256 left fits at the mercy of a few
 * prompts); the probe has 128 cases because its gold curve is what the fall from the peak and the
 * monitors' leads are read from; the reward models' agreement with gold is measured on 400 fresh
 * prompts (~1150 gold-decided pairs, an interval of about ±0.04), because on 150 (±0.05) the
 * careful models of nine seeds read 0.740–0.810 while on one common set of 1146 pairs they
 * all read 0.730–0.767: the spread was mostly the evaluation set's. Since 2026-12-02 the main
 * reward models have the prompt-conditioned head (careful agreement 0.817–0.842 on seeds 1–3
 * against 0.750–0.797 with the linear head) and PPO uses GAE λ = 1: with λ = 0.95 and a value
 * head that starts from nothing, the final score reaches a reply's first tokens — where it
 * chooses its act — discounted by 0.95 per token; PPO on gold itself, on seed 2's prompts, gained
 * −0.011 with λ = 0.95 and +0.061 with λ = 1 (seeds 1 and 3: +0.074, +0.037). Since
 * 2026-12-03 the extra members, and so the judge, are that head alone on the SFT policy's frozen
 * features (ensembleEpochs 0, so ensembleFreezeLayers has nothing to freeze): the linear judge's
 * agreement monitor alarmed on every careful run of seeds 1–5, this judge on none of four runs
 * (seeds 1–3, two hosts), and the members take ~23 s instead of ~51 s.
 */
export const OVEROPT_PROFILES: Record<'quick' | 'full', OveroptProfile> = {
  quick: { prefPrompts: 600, prefK: 4, rmEpochs: 2, rmLr: 2e-4, rmBatchPairs: 32, ensembleExtra: 1, ensembleEpochs: 0, rmEvalPrompts: 400, rmDropUnsure: true, rmStrengthMargin: 0, rmFreezeLayers: 0, ensembleFreezeLayers: 2, rmHeadRank: 4, rmFitHead: true, ensembleHeadRank: 4, ensembleFitHead: true, bonPrompts: 24, bonPool: 128, algo: 'ppo', rlAdvantage: 'auto', rlKlPenalty: 'auto', rlSteps: 40, rlPrompts: 8, rlK: 4, rlLr: 2e-4, rlWarmupSteps: 0, klCoef: 0.07, klTarget: 0, klHorizon: 10000, klMin: 0, ppoEpochs: 2, ppoLam: 1, rewardCombine: 'first', standardizeReward: true, maxNewTokens: 48, evalCases: 300, probeCases: 128, probeEvery: 5, snapshotAtProbes: false, keepJudgeBest: true, judgePrompts: 0, decisionCases: 500 },
  full: { prefPrompts: 2000, prefK: 4, rmEpochs: 3, rmLr: 1e-4, rmBatchPairs: 32, ensembleExtra: 2, ensembleEpochs: 2, rmEvalPrompts: 500, rmDropUnsure: true, rmStrengthMargin: 0, rmFreezeLayers: 0, ensembleFreezeLayers: 0, rmHeadRank: 0, rmFitHead: false, ensembleHeadRank: 0, ensembleFitHead: false, bonPrompts: 64, bonPool: 512, algo: 'ppo', rlAdvantage: 'auto', rlKlPenalty: 'auto', rlSteps: 150, rlPrompts: 16, rlK: 4, rlLr: 1e-4, rlWarmupSteps: 0, klCoef: 0.02, klTarget: 0, klHorizon: 10000, klMin: 0, ppoEpochs: 4, ppoLam: 0.95, rewardCombine: 'first', standardizeReward: false, maxNewTokens: 48, evalCases: 1000, probeCases: 128, probeEvery: 5, snapshotAtProbes: false, keepJudgeBest: true, judgePrompts: 0, decisionCases: 1500 },
};

/** What a profile field must hold: `ok` tests a value, `expected` says what in a refusal. */
interface FieldRule {
  ok: (v: unknown) => boolean;
  expected: string;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const whole = (min: number, why = ''): FieldRule => ({ ok: (v) => Number.isInteger(v) && (v as number) >= min, expected: `a whole number ≥ ${min}${why}` });
const above0 = (what = 'a number', why = ''): FieldRule => ({ ok: (v) => isNumber(v) && v > 0, expected: `${what} > 0${why}` });
const atLeast0: FieldRule = { ok: (v) => isNumber(v) && v >= 0, expected: 'a number ≥ 0' };
const between = (lo: number, hi: number, what: string): FieldRule => ({ ok: (v) => isNumber(v) && v >= lo && v <= hi, expected: what });
const oneOf = (...values: string[]): FieldRule => ({ ok: (v) => values.includes(v as string), expected: `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` });
const flag: FieldRule = { ok: (v) => typeof v === 'boolean', expected: 'true or false' };
/** rlAdvantage and rlKlPenalty with ppo, which has neither setting. */
const autoWithPpo: FieldRule = { ...oneOf('auto'), expected: "'auto' with ppo (a setting of the critic-free step)" };

/**
 * The rule of every profile field; a few ranges depend on other fields (rlK and the critic-free
 * settings on algo, klMin on klCoef, the epochs on fitting the head), which are checked first (in
 * this order).
 */
function profileRules(P: OveroptProfile): Record<keyof OveroptProfile, FieldRule> {
  return {
    prefPrompts: whole(1),
    prefK: whole(2, ' (a pair needs two replies to one prompt)'),
    rmFitHead: flag,
    rmEpochs: P.rmFitHead === true ? whole(0) : whole(1, ' (0 trains nothing unless rmFitHead fits the head)'),
    rmLr: above0(),
    rmBatchPairs: { ...whole(1), expected: 'a positive integer' },
    ensembleExtra: whole(0),
    ensembleFitHead: flag,
    ensembleEpochs: P.ensembleFitHead === true ? whole(0) : whole(1, ' (0 trains nothing unless ensembleFitHead fits the head)'),
    rmEvalPrompts: whole(0),
    rmDropUnsure: flag,
    rmStrengthMargin: atLeast0,
    rmFreezeLayers: whole(0),
    ensembleFreezeLayers: whole(0),
    rmHeadRank: whole(0),
    ensembleHeadRank: whole(0),
    bonPrompts: whole(1),
    bonPool: whole(1),
    algo: oneOf('ppo', 'rloo', 'grpo'),
    rlAdvantage: P.algo === 'ppo' ? autoWithPpo : oneOf('auto', 'leave-one-out', 'group-normalized'),
    rlKlPenalty: P.algo === 'ppo' ? autoWithPpo : oneOf('auto', 'reward', 'loss'),
    rlSteps: whole(1),
    rlPrompts: whole(1),
    rlK: P.algo !== 'ppo' ? whole(2, ` with ${P.algo} (its baseline is the mean of a prompt's other replies)`) : whole(1),
    rlLr: above0(),
    rlWarmupSteps: whole(0),
    klTarget: atLeast0,
    klCoef: isNumber(P.klTarget) && P.klTarget > 0 ? above0('a number', ' with klTarget > 0 (the adaptive controller scales β)') : atLeast0,
    klHorizon: above0('a number of samples'),
    klMin: between(0, P.klCoef, `a number in [0, klCoef = ${P.klCoef}]`),
    ppoEpochs: whole(1),
    ppoLam: between(0, 1, 'in [0, 1]'),
    rewardCombine: oneOf('first', 'mean', 'min'),
    standardizeReward: flag,
    maxNewTokens: whole(1),
    evalCases: whole(1),
    probeCases: whole(1, " (the probe's gold curve is what the RL results are read from)"),
    probeEvery: whole(1),
    snapshotAtProbes: flag,
    keepJudgeBest: flag,
    judgePrompts: whole(0),
    decisionCases: whole(0),
  };
}

/** A refused value as the message shows it: numbers as written, anything else as JSON. */
const shown = (v: unknown) => (typeof v === 'number' || v === undefined ? String(v) : JSON.stringify(v));

/**
 * Refuses, before any work, a profile (with its overrides) that would fail later or run without
 * meaning anything: an unknown field, a value of the wrong type or out of range (the message names
 * the field, its value and what it must be), and the combinations the stages cannot run. The
 * bounds that depend on the SFT model (maxNewTokens, freezeLayers) are checked in runOveropt.
 *
 *   validateProfile({ ...OVEROPT_PROFILES.quick, probeEvery: 0 }, ['careful', 'swayed']);
 *   // throws "lab overopt: probeEvery must be a whole number ≥ 1, got 0"
 */
export function validateProfile(P: OveroptProfile, raters: readonly RaterPreset[]): void {
  if (raters.length === 0) throw new Error('lab overopt: no rater presets');
  for (const r of raters) if (!Object.hasOwn(RATER_PRESETS, r)) throw new Error(`lab overopt: unknown rater preset ${JSON.stringify(r)} (expected ${Object.keys(RATER_PRESETS).join(', ')})`);
  if (new Set(raters).size !== raters.length) throw new Error(`lab overopt: rater presets must differ, got ${raters.join(', ')}`);
  const rules = profileRules(P);
  for (const k of Object.keys(P)) if (!Object.hasOwn(rules, k)) throw new Error(`lab overopt: unknown profile field ${JSON.stringify(k)} (fields: ${Object.keys(rules).join(', ')})`);
  for (const [k, rule] of Object.entries(rules) as [keyof OveroptProfile, FieldRule][])
    if (!rule.ok(P[k])) throw new Error(`lab overopt: ${k} must be ${rule.expected}, got ${shown(P[k])}`);
  if (P.klMin > 0 && !(P.klTarget > 0)) throw new Error(`lab overopt: klMin is the adaptive controller's floor: set klTarget > 0 too`);
  // The controller moves β by e·n/klHorizon per step of n = rlPrompts × rlK samples; at n ≥ 5·klHorizon β could reach 0.
  if (P.klTarget > 0 && P.rlPrompts * P.rlK >= 5 * P.klHorizon)
    throw new Error(`lab overopt: klHorizon must be above rlPrompts × rlK / 5 = ${(P.rlPrompts * P.rlK) / 5} samples with klTarget > 0 (one step could drive β to ≤ 0), got ${P.klHorizon}`);
  // An ensemble reward needs a member besides the main model in every preset, and the careful
  // preset's first extra member is the held-out judge (runOveropt), never optimized against.
  const extraNeeded = raters.includes('careful') && !(P.judgePrompts > 0) ? 2 : 1;
  if (P.rewardCombine !== 'first' && P.ensembleExtra < extraNeeded)
    throw new Error(`lab overopt: rewardCombine ${P.rewardCombine} optimizes each preset's ensemble: set ensembleExtra ≥ ${extraNeeded}${extraNeeded === 2 ? " (the careful preset's first extra member is the held-out judge)" : ''}, got ${P.ensembleExtra}`);
}

export interface OveroptOptions {
  /** The SFT policy directory (e.g. the main job's baseline). */
  model: string;
  out: string;
  profile: 'quick' | 'full';
  raters: RaterPreset[];
  seed: number;
  /** Overrides of the profile's fields. */
  overrides?: Partial<OveroptProfile>;
  threads?: number;
}

/** A LanguageModel that answers a repeated chatBatch call from memory: every preset rates the same replies. */
function memoized(model: LanguageModel): LanguageModel {
  const memo = new Map<string, Promise<Completion[]>>();
  return {
    id: model.id,
    chat: (m, o) => model.chat(m, o),
    chatBatch(convs: ChatMessage[][], opts?: SamplingOptions) {
      const key = JSON.stringify([convs, opts ?? {}]);
      if (!memo.has(key)) memo.set(key, model.chatBatch ? model.chatBatch(convs, opts) : Promise.all(convs.map((c) => model.chat(c, opts))));
      return memo.get(key)!;
    },
  };
}

/** Gold at every step 1…steps, linearly interpolated between probe points (the monitors' yardstick). */
function probeGoldPerStep(probe: readonly { step: number; gold: number }[], steps: number): number[] {
  return Array.from({ length: steps }, (_, i) => {
    const s = i + 1;
    const hi = probe.findIndex((p) => p.step >= s);
    if (hi === -1) return probe[probe.length - 1].gold;
    if (hi === 0) return probe[0].gold;
    const a = probe[hi - 1];
    const b = probe[hi];
    return a.gold + ((b.gold - a.gold) * (s - a.step)) / (b.step - a.step);
  });
}

/** A Gao fit, or null (with the reason logged) when the points do not determine one. */
function tryFit(fit: () => GaoFit, what: string, log: (m: string) => void): GaoFit | null {
  try {
    return fit();
  } catch (e) {
    log(`  ${what}: no fit (${(e as Error).message})`);
    return null;
  }
}

export async function runOveropt(o: OveroptOptions, io: { log: (m: string) => void }): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  // Checked before any work: the options, every profile field, and the fields bounded by the model.
  if (!Object.hasOwn(OVEROPT_PROFILES, o.profile)) throw new Error(`lab overopt: profile must be quick or full, got ${JSON.stringify(o.profile)}`);
  const P = { ...OVEROPT_PROFILES[o.profile], ...o.overrides };
  validateProfile(P, o.raters);
  const { cfg } = readModelConfig(o.model);
  if (P.maxNewTokens >= cfg.maxSeqLen) throw new Error(`lab overopt: maxNewTokens must leave room for the prompt in ${o.model}'s context of ${cfg.maxSeqLen} tokens, got ${P.maxNewTokens}`);
  // The extra members' (and an own judge's) freezeLayers apply only when there are any.
  const frozen = P.ensembleExtra > 0 || (P.judgePrompts > 0 && o.raters.includes('careful')) ? (['rmFreezeLayers', 'ensembleFreezeLayers'] as const) : (['rmFreezeLayers'] as const);
  for (const f of frozen) if (P[f] > cfg.nLayers) throw new Error(`lab overopt: ${f} must be at most ${o.model}'s ${cfg.nLayers} layers, got ${P[f]}`);
  fs.mkdirSync(o.out, { recursive: true });
  const seconds: Record<string, number> = {};
  const lap = (name: string, since: number) => (seconds[name] = (performance.now() - since) / 1000);
  const runtime = new Runtime({ threads: o.threads, maxSessions: 32 });
  const sft = loadModel(o.model, { runtime });
  const tok = await loadTokenizer(o.model);
  const info = tok.chatTemplate;
  if (!info) throw new Error(`${o.model}: the tokenizer has no chat template`);
  const padId = tok.padTokenId ?? 0;
  const promptIds = (c: Case) => casePromptIds(tok, c);

  // 1. Preferences: the same sampled replies, rated by each preset.
  let t = performance.now();
  io.log(`lab overopt: seed ${o.seed} on ${hostLabel(hostInfo())}`);
  io.log(`[1/6] preferences: ${P.prefPrompts} prompts × ${P.prefK} replies, raters ${o.raters.join(', ')}`);
  const local = memoized(new LocalModel(sft, tok, `local:${o.model}`));
  const prefs: Record<string, { file: string; pairs: number; raterGoldAgreement: number | null }> = {};
  for (const preset of o.raters) {
    const rows = await collectPreferences({ model: local, seed: o.seed, n: P.prefPrompts, k: P.prefK, raters: preset, temperature: 1, maxTokens: P.maxNewTokens });
    const file = path.join(o.out, `prefs-${preset}.jsonl`);
    writePreferences(file, rows);
    prefs[preset] = { file, pairs: rows.length, raterGoldAgreement: goldAgreement(rows).rate };
  }
  // The judge's own comparisons (judgePrompts > 0): other prompts and replies, other careful raters.
  const ownJudge = P.judgePrompts > 0 && o.raters.includes('careful');
  if (P.judgePrompts > 0 && !ownJudge) io.log(`  judgePrompts: the judge is a careful-rater model, and careful is not among the presets; no judge`);
  if (ownJudge) {
    const rows = await collectPreferences({ model: local, seed: o.seed + 7919, n: P.judgePrompts, k: P.prefK, raters: 'careful', temperature: 1, maxTokens: P.maxNewTokens });
    const file = path.join(o.out, 'prefs-judge.jsonl');
    writePreferences(file, rows);
    prefs.judge = { file, pairs: rows.length, raterGoldAgreement: goldAgreement(rows).rate };
    io.log(`  judge's own comparisons: ${P.judgePrompts} more prompts, ${rows.length} pairs`);
  }
  lap('preferences', t);

  // 2. Reward models (and the extra ensemble members). The presets are independent: with a
  // thread per preset, each preset's models train side by side with the others' (side-by-side.ts).
  t = performance.now();
  const threads = o.threads ?? defaultThreads();
  const sideBySide = o.raters.length > 1 && threads >= o.raters.length && process.env.ALIGNLAB_PARALLEL_RUNS !== '0';
  const each = sideBySide ? Math.floor(threads / o.raters.length) : threads;
  io.log(`[2/6] reward models (${1 + P.ensembleExtra} per preset)`);
  if (sideBySide) io.log(`  presets side by side (reward models and ${P.algo}), ${each} thread${each > 1 ? 's' : ''} each`);
  const rmDir = (preset: string, e: number) => path.join(o.out, e === 0 ? `rm-${preset}` : `rm-${preset}-${e}`);
  const judgeDir = path.join(o.out, 'rm-judge');
  const rmOptions = (preset: string): RmRunOptions[] => [
    ...Array.from({ length: 1 + P.ensembleExtra }, (_, e): RmRunOptions => ({ model: o.model, prefs: prefs[preset].file, out: rmDir(preset, e), epochs: e === 0 ? P.rmEpochs : P.ensembleEpochs, lr: P.rmLr, batchPairs: P.rmBatchPairs, readout: 'mean', dropUnsure: P.rmDropUnsure, strengthMargin: P.rmStrengthMargin, freezeLayers: e === 0 ? P.rmFreezeLayers : P.ensembleFreezeLayers, ...(e === 0 ? { headRank: P.rmHeadRank, fitHead: P.rmFitHead } : { headRank: P.ensembleHeadRank, fitHead: P.ensembleFitHead }), seed: o.seed + 1000 * e, threads: each })),
    // A judge with comparisons of its own trains in the careful preset's turn, like a member.
    ...(ownJudge && preset === 'careful' ? [{ model: o.model, prefs: prefs.judge.file, out: judgeDir, epochs: P.ensembleEpochs, lr: P.rmLr, batchPairs: P.rmBatchPairs, readout: 'mean' as const, dropUnsure: P.rmDropUnsure, strengthMargin: P.rmStrengthMargin, freezeLayers: P.ensembleFreezeLayers, headRank: P.ensembleHeadRank, fitHead: P.ensembleFitHead, seed: o.seed + 7919, threads: each }] : []),
  ];
  let trained: Record<string, unknown>[][] = [];
  if (sideBySide) trained = await runEach('rm', o.raters.map((preset) => ({ name: preset, opts: rmOptions(preset) })), io);
  else
    for (const preset of o.raters) {
      const out: Record<string, unknown>[] = [];
      for (const r of rmOptions(preset)) out.push(await trainRewardModel(r, io));
      trained.push(out);
    }
  const rm: Record<string, { dir: string; members: string[]; heldout: Record<string, unknown> }> = {};
  for (const [i, preset] of o.raters.entries()) {
    const dirs = rmOptions(preset).map((r) => r.out);
    const heldout = trained[i][0].heldout as Record<string, unknown>;
    rm[preset] = { dir: dirs[0], members: dirs.slice(1).filter((d) => d !== judgeDir), heldout };
    io.log(`  ${preset}: held-out accuracy ${(heldout.accuracy as number).toFixed(3)} vs raters, ${(heldout.accuracyVsGold as number | null)?.toFixed(3)} vs gold`);
  }
  // Agreement with gold on fresh prompts: every pair of the k replies whose gold differs.
  const rmEvalRows = P.rmEvalPrompts > 0 ? await collectPreferences({ model: local, seed: o.seed + 5, n: P.rmEvalPrompts, k: P.prefK, raters: 'careful', temperature: 1, maxTokens: P.maxNewTokens, split: 'validation' }) : [];
  const goldPairs = rmEvalRows.filter((p) => p.chosen_gold !== p.rejected_gold);
  const rmEval: Record<string, { accuracyVsGold: ReturnType<typeof bootstrapMeanByKey>; prompts: number; pairs: number }> = {};
  // Decision pairs: which requests each preset's reward model would grant, next to its raters.
  const decisionSet = P.decisionCases > 0 ? decisionPairs({ seed: o.seed + 13, n: P.decisionCases }).pairs : [];
  const rmDecisions: Record<string, DecisionProbe> = {};
  // The judge with comparisons of its own is measured the same way (not on the decision pairs).
  for (const [name, dir] of [...o.raters.map((p) => [p, rm[p].dir]), ...(ownJudge ? [['judge', judgeDir]] : [])]) {
    const model = loadModel(dir, { runtime, heads: ['reward'] });
    const sc = await scorePairs(model, goldPairs.map((p) => tokenizePair(tok, p, model.cfg.maxSeqLen)), padId, rewardReadout(dir));
    const right = goldPairs.map((p, i) => ({ key: p.caseId, value: +((sc.chosen[i] > sc.rejected[i]) === p.chosen_gold > p.rejected_gold) }));
    rmEval[name] = { accuracyVsGold: bootstrapMeanByKey(right, { seed: o.seed }), prompts: new Set(right.map((r) => r.key)).size, pairs: right.length };
    const a = rmEval[name].accuracyVsGold;
    io.log(`  ${name}: agreement with gold on ${a.n} pairs of ${rmEval[name].prompts} fresh prompts ${a.estimate.toFixed(3)} [${a.lo.toFixed(3)}, ${a.hi.toFixed(3)}]`);
    if (decisionSet.length === 0 || name === 'judge') continue;
    rmDecisions[name] = await probeDecisions(model, tok, decisionSet, rewardReadout(dir), { seed: o.seed });
    const g = rmDecisions[name].groups;
    io.log(`  ${name}: share of ${decisionSet.length} decision pairs (${P.decisionCases} test cases) where it prefers granting the request: ${DECISION_GROUPS.filter((k) => g[k]).map((k) => `${k} ${(100 * g[k]!.prefersYes.estimate).toFixed(0)}%`).join(', ')}`);
  }
  lap('rewardModels', t);

  // 3. Best-of-n from one pool of SFT samples per held-out prompt.
  t = performance.now();
  io.log(`[3/6] best-of-n: ${P.bonPrompts} prompts × ${P.bonPool} samples`);
  const bonCases = generateCases({ seed: o.seed + 7, n: P.bonPrompts, split: 'validation' });
  const pools = await samplePool(sft, tok, bonCases, { m: P.bonPool, maxNewTokens: P.maxNewTokens, seed: o.seed });
  const ns = powersUpTo(P.bonPool);
  const bon: Record<string, { points: ReturnType<typeof bestOfN>; fit: GaoFit | null; peak: { n: number; d: number; gold: number } }> = {};
  for (const preset of o.raters) {
    const model = loadModel(rm[preset].dir, { runtime, heads: ['reward'] });
    const proxy = await rewardOf(model, rewardReadout(rm[preset].dir), pools, padId);
    const pool: PoolPrompt[] = pools.map((p, i) => ({ proxy: proxy[i], gold: p.gold }));
    const points = bestOfN(pool, ns, { seed: o.seed });
    const fit = tryFit(() => fitGaoBon(points.map((p) => ({ d: p.d, gold: p.gold.estimate }))), `${preset} best-of-n`, io.log);
    const best = points.reduce((a, b) => (b.gold.estimate > a.gold.estimate ? b : a));
    bon[preset] = { points, fit, peak: { n: best.n, d: best.d, gold: best.gold.estimate } };
    io.log(`  ${preset}: gold ${points[0].gold.estimate.toFixed(3)} (n=1) → peak ${best.gold.estimate.toFixed(3)} (n=${best.n}) → ${points[points.length - 1].gold.estimate.toFixed(3)} (n=${P.bonPool}); fit R² ${fit?.r2.toFixed(3)}`);
  }
  lap('bestOfN', t);
  await runtime.release();

  // 4. RL against each preset's reward model.
  t = performance.now();
  io.log(`[4/6] ${P.algo} against each reward model: ${P.rlSteps} steps × ${P.rlPrompts} prompts × ${P.rlK}`);
  const rl: Record<string, { dir: string; history: RlRow[]; probe: { step: number; d: number; kl: number; gold: number; proxy: number }[]; fit: GaoFit | null; peak: ReturnType<typeof peakAndFall>; judgeBest?: JudgeBest; rewardNorm?: { mean: number; sd: number } }> = {};
  // The held-out judge of every run: a second careful-rater reward model (another seed; it
  // stands for a small panel of trusted evaluators), never optimized against.
  const judge = ownJudge ? judgeDir : P.judgePrompts > 0 ? undefined : rm.careful?.members[0];
  if (judge) io.log(`  judge: ${judge}`);
  const keepJudgeBest = P.keepJudgeBest && !!judge;
  if (P.keepJudgeBest && !judge) io.log(`  keepJudgeBest: no judge without careful raters; only the final policies are evaluated`);
  const runDir = (preset: string) => path.join(o.out, `${P.algo}-${preset}`);
  // With an ensemble reward the observers are optimized too, so the judge leaves the careful ensemble.
  const observers = (preset: string) => (P.rewardCombine === 'first' ? rm[preset].members : rm[preset].members.filter((d) => d !== judge));
  const rlOptions = (preset: string, threads: number): RlRunOptions => ({ algo: P.algo, ...(P.rlAdvantage !== 'auto' ? { advantage: P.rlAdvantage } : {}), ...(P.rlKlPenalty !== 'auto' ? { klPenalty: P.rlKlPenalty } : {}), model: o.model, reward: rm[preset].dir, observers: observers(preset), rewardCombine: P.rewardCombine, standardizeReward: P.standardizeReward, judge, steps: P.rlSteps, prompts: P.rlPrompts, k: P.rlK, klCoef: P.klCoef, klTarget: P.klTarget > 0 ? P.klTarget : undefined, klHorizon: P.klHorizon, klMin: P.klMin > 0 ? P.klMin : undefined, lr: P.rlLr, warmupSteps: P.rlWarmupSteps, ppoEpochs: P.ppoEpochs, lam: P.ppoLam, maxNewTokens: P.maxNewTokens, seed: o.seed, caseSeed: o.seed, out: runDir(preset), threads, probe: { n: P.probeCases, every: P.probeEvery }, snapshotAtProbes: P.snapshotAtProbes, keepJudgeBest: keepJudgeBest && P.probeCases > 0 });
  let runs: Record<string, unknown>[] = [];
  if (sideBySide) runs = await runEach('rl', o.raters.map((preset) => ({ name: preset, opts: rlOptions(preset, each) })), io);
  else for (const preset of o.raters) runs.push(await runRl(rlOptions(preset, threads), io));
  for (const [i, preset] of o.raters.entries()) {
    const r = runs[i];
    const dir = runDir(preset);
    const history = r.history as RlRow[];
    // The fixed probe (same validation cases and sampling seed each time) traces gold, proxy and
    // KL; its first point is the SFT policy itself (d = 0).
    const probe = [{ row: r.probeBefore as RlRow, step: 0 }, ...history.map((row, i) => ({ row, step: i + 1 }))]
      .filter((x) => x.row?.['probe/gold'] !== undefined)
      .map(({ row, step }) => ({ step, d: Math.sqrt(Math.max(0, row['probe/kl'])), kl: row['probe/kl'], gold: row['probe/gold'], proxy: row['probe/score'] }));
    // Gold relative to the SFT policy's (the first probe point; its sampled KL is ~0, not exactly 0).
    const fit = tryFit(() => fitGaoRl(probe.slice(1).map((p) => ({ d: p.d, gold: p.gold })), { baseline: probe[0].gold }), `${preset} ${P.algo}`, io.log);
    // Per-case probe values (probe.jsonl) give the fall an interval and test the proxy's end trend across cases.
    const byStep = new Map(((r.probes as ProbeRecord[] | undefined) ?? []).map((c) => [c.step, c]));
    const peak = peakAndFall(probe.map((p) => ({ x: p.step, gold: p.gold, proxy: p.proxy, proxyByCase: byStep.get(p.step)?.score, goldByCase: byStep.get(p.step)?.gold })), 3);
    rl[preset] = { dir, history, probe, fit, peak, judgeBest: r.judgeBest as JudgeBest | undefined, rewardNorm: P.standardizeReward ? (r.rewardNorm as { mean: number; sd: number }[])[0] : undefined };
    const jb = rl[preset].judgeBest;
    if (jb) io.log(`  ${preset}: the judge's pick is step ${jb.step} (probe KL ${jb.kl.toFixed(2)} nats, judge gain ${jb.judgeGain.toFixed(3)} ± ${jb.judgeGainSe.toFixed(3)})`);
    io.log(`  ${preset}: gold ${peak.initialGold.toFixed(3)} → peak ${peak.peakGold.toFixed(3)} (step ${peak.peakX}) → ${peak.finalGold.toFixed(3)} (fall ${(100 * peak.dropFromPeak).toFixed(1)} %${peak.dropFromPeakCI ? ` [${(100 * peak.dropFromPeakCI.lo).toFixed(1)}, ${(100 * peak.dropFromPeakCI.hi).toFixed(1)}]` : ''}); proxy rising at end: ${peak.proxyRisingAtEnd} (slope ${fmtSlope(peak.proxySlopeEnd)}${peak.proxySlopeEnd.method === 'cases' ? `, across ${peak.proxySlopeEnd.cases} cases; through the points ${fmtSlope(peak.proxySlopeEndPoints)}` : ', through the points'})`);
  }
  lap('rl', t);

  // 5. Evaluation on fresh test cases: one sampled reply per case, paired by case.
  t = performance.now();
  io.log(`[5/6] evaluation: ${P.evalCases} fresh test cases, SFT vs each policy`);
  const evalCases = generateCases({ seed: o.seed + 11, n: P.evalCases, split: 'test' });
  const evalRuntime = new Runtime({ threads: o.threads, maxSessions: 32 });
  // Every reply also as a stored sample (samples.jsonl), so `alignlab report` can read the lab.
  const samples: Record<string, WorldSample[]> = {};
  const evaluate = async (dir: string, setting: string) => {
    const m = loadModel(dir, { runtime: evalRuntime });
    const out: { gold: { key: string; value: number }[]; acts: Record<string, number>; length: number } = { gold: [], acts: {}, length: 0 };
    const fitRows: { acts: string[]; calledFor: string[] }[] = [];
    samples[setting] = [];
    for (let i = 0; i < evalCases.length; i += 64) {
      const chunk = evalCases.slice(i, i + 64);
      const g = await generate(m, chunk.map(promptIds), { maxNewTokens: P.maxNewTokens, temperature: 1, stopTokenIds: info.stopTokenIds, seed: o.seed * 31 + i });
      chunk.forEach((c, j) => {
        const text = replyText(tok, g[j].tokens);
        const s = scoreResponse(c, text);
        samples[setting].push(worldSample(c, 0, [{ role: 'system', content: systemPrompt(c) }, { role: 'user', content: c.turns[0].customer }], text, s));
        out.gold.push({ key: c.id, value: s.gold.total });
        for (const a of new Set(s.acts.map((x) => x.type))) out.acts[a] = (out.acts[a] ?? 0) + 1 / evalCases.length;
        fitRows.push(actFitRow(c.turns[0].expected, s.acts));
        out.length += g[j].tokens.length / evalCases.length;
      });
    }
    return { ...out, actFit: actFit(fitRows) };
  };
  const sftEval = await evaluate(o.model, 'SFT');
  type PolicyEval = { gold: ReturnType<typeof bootstrapMean>; gainOverSft: ReturnType<typeof bootstrapMeanDiff>; acts: Record<string, number>; actFit: Record<string, ActFit>; length: number };
  const summary = (e: Awaited<ReturnType<typeof evaluate>>): PolicyEval => ({ gold: bootstrapMean(e.gold.map((x) => x.value), { seed: o.seed }), gainOverSft: bootstrapMeanDiff(e.gold, sftEval.gold, { seed: o.seed }), acts: e.acts, actFit: e.actFit, length: e.length });
  const evals: Record<string, PolicyEval> = {};
  // The judge's pick, evaluated on the same cases and sampling seeds: when it is the last step
  // it is the final policy, whose replies are reused.
  const picks: Record<string, PolicyEval & { setting: string }> = {};
  const pickSetting = (preset: string) => `${P.algo} (${preset}, judge's pick)`;
  for (const preset of o.raters) {
    const final = `${P.algo} (${preset})`;
    const e = await evaluate(rl[preset].dir, final);
    evals[preset] = summary(e);
    const jb = rl[preset].judgeBest;
    if (!jb) continue;
    const setting = pickSetting(preset);
    if (jb.step === rl[preset].history.length) {
      samples[setting] = samples[final];
      picks[preset] = { ...evals[preset], setting };
    } else picks[preset] = { ...summary(await evaluate(jb.dir, setting)), setting };
  }
  // Acts done where the case calls for them and where it does not, SFT → policy, for each act
  // whose rate on either side moved by 10 points or more ("–" where no case was on that side).
  const rate = (x: ActFit['calledFor']) => (x.of ? x.performed / x.of : 0);
  const pct = (x: ActFit['calledFor']) => (x.of ? `${Math.round(100 * rate(x))} %` : '–');
  // Both evaluations ran on the same cases, so an act missing from one (never called for, never
  // done there) has the other's case counts with nothing performed.
  const none = (x: ActFit): ActFit => ({ calledFor: { of: x.calledFor.of, performed: 0 }, notCalledFor: { of: x.notCalledFor.of, performed: 0 } });
  const logActFit = (fit: Record<string, ActFit>) => {
    for (const act of [...new Set([...Object.keys(sftEval.actFit), ...Object.keys(fit)])].sort()) {
      const b = sftEval.actFit[act] ?? none(fit[act]!), f = fit[act] ?? none(b);
      if (Math.abs(rate(f.calledFor) - rate(b.calledFor)) < 0.1 && Math.abs(rate(f.notCalledFor) - rate(b.notCalledFor)) < 0.1) continue;
      const side = (name: string, x: ActFit['calledFor'], y: ActFit['calledFor']) => `${name} ${pct(x)} → ${pct(y)} (of ${y.of})`;
      io.log(`    ${act}: ${side('where called for', b.calledFor, f.calledFor)}, ${side('where not', b.notCalledFor, f.notCalledFor)}`);
    }
  };
  const fmtGain = (g: PolicyEval['gainOverSft']) => `${g.estimate >= 0 ? '+' : ''}${g.estimate.toFixed(3)} [${g.lo.toFixed(3)}, ${g.hi.toFixed(3)}]`;
  for (const preset of o.raters) {
    io.log(`  ${P.algo} (${preset}) − SFT: ${fmtGain(evals[preset].gainOverSft)}`);
    if (picks[preset]) io.log(`  ${picks[preset].setting}, step ${rl[preset].judgeBest!.step}, − SFT: ${fmtGain(picks[preset].gainOverSft)}`);
    logActFit(evals[preset].actFit);
  }
  // The policies' decisions on the same cases: how many of each group's requests each grants.
  const granted = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, decisionRates(v)]));
  const finals = o.raters.map((p) => `${P.algo} (${p})`);
  io.log(`  requests granted, SFT → ${finals.join(' / ')}: ${DECISION_GROUPS.filter((g) => granted.SFT[g]).map((g) => `${g} ${granted.SFT[g]!.yes} → ${finals.map((f) => granted[f][g]?.yes ?? 0).join(' / ')} of ${granted.SFT[g]!.cases}`).join(', ')}`);
  await evalRuntime.release();
  const sftGold = bootstrapMean(sftEval.gold.map((x) => x.value), { seed: o.seed });
  lap('evaluation', t);

  // 6. Monitors, scored against gold; plots and results.
  io.log('[6/6] monitors, plots, results');
  const monitors = o.raters.includes('careful') || o.raters.includes('swayed')
    ? evaluateMonitors(
        // Gold per step: the probe's gold smoothed as for the reported peak (3 points), then
        // interpolated, so a monitor's lead is counted from the same peak the results report.
        o.raters.filter((p) => p === 'careful' || p === 'swayed').map((p) => {
          const smooth = movingAverage(rl[p].probe.map((x) => x.gold), 3);
          const gold = probeGoldPerStep(rl[p].probe.map((x, i) => ({ step: x.step, gold: smooth[i] })), rl[p].history.length);
          return { name: p as 'careful' | 'swayed', rows: rl[p].history, gold, label: rl[p].dir };
        }),
        { smoothWindow: 1 },
      )
    : [];
  // With standardized rewards the RL probe's proxy is in SDs of the start policy's replies:
  // best-of-n's raw reward-model scores go on the same scale for the curves and plots.
  const bonProxy = (preset: string, x: number) => {
    const n = rl[preset]?.rewardNorm;
    return n ? (x - n.mean) / n.sd : x;
  };
  const plots: Record<string, string> = {};
  for (const preset of o.raters) {
    const file = path.join(o.out, `goodhart-${preset}.svg`);
    writeFileAtomic(
      file,
      goodhartPlot({
        title: `${preset} raters: gold and proxy${rl[preset].rewardNorm ? ' (in SDs of the SFT policy’s replies)' : ''} vs √KL (best-of-n and ${P.algo})`,
        bon: bon[preset].points.map((p) => ({ d: p.d, gold: p.gold.estimate, proxy: bonProxy(preset, p.proxy.estimate) })),
        rl: rl[preset].probe.map((p) => ({ d: p.d, gold: p.gold, proxy: p.proxy })),
        fits: { bon: bon[preset].fit ?? undefined, rl: rl[preset].fit ?? undefined },
      }),
    );
    plots[preset] = file;
  }
  const pick = (f: GaoFit | null) => (f ? { alpha: f.alpha, beta: f.beta, r2: f.r2, dStar: f.dStar, predictedPeakGold: f.predictedPeakGold, baseline: f.baseline } : null);
  const peakD = (p: string) => rl[p].probe.find((x) => x.step === rl[p].peak.peakX)?.d ?? null;
  const hacked = o.raters.includes('swayed') ? 'swayed' : o.raters[o.raters.length - 1];
  const perPreset = Object.fromEntries(
    o.raters.map((p) => [
      p,
      {
        preferences: prefs[p],
        rewardModel: { ...rm[p], freshPrompts: rmEval[p] ?? null },
        bestOfN: { fit: pick(bon[p].fit), observedPeak: bon[p].peak, points: bon[p].points.map((x) => ({ n: x.n, kl: x.kl, klEstimate: x.klEstimate, d: x.d, gold: x.gold.estimate, goldCI: [x.gold.lo, x.gold.hi], proxy: x.proxy.estimate })) },
        rl: {
          dir: rl[p].dir,
          fit: pick(rl[p].fit),
          peakGold: rl[p].peak.peakGold,
          peakStep: rl[p].peak.peakX,
          // √KL of the probe at that step, to set beside the fit's d*.
          peakD: peakD(p),
          initialGold: rl[p].peak.initialGold,
          finalGold: rl[p].peak.finalGold,
          dropFromPeak: rl[p].peak.dropFromPeak,
          dropFromPeakCI: rl[p].peak.dropFromPeakCI ?? null,
          proxyRisingAtEnd: rl[p].peak.proxyRisingAtEnd,
          proxySlopeEnd: rl[p].peak.proxySlopeEnd,
          proxySlopeEndPoints: rl[p].peak.proxySlopeEndPoints,
          finalKl: rl[p].probe[rl[p].probe.length - 1].kl,
          probe: rl[p].probe,
        },
        eval: { gold: evals[p].gold, gainOverSft: evals[p].gainOverSft, acts: evals[p].acts, actFit: evals[p].actFit, meanReplyTokens: evals[p].length },
        // The probe step the held-out judge scored highest, evaluated like the final policy.
        judgePick: rl[p].judgeBest && picks[p] ? { ...rl[p].judgeBest, evalGold: picks[p].gold, gainOverSft: picks[p].gainOverSft, acts: picks[p].acts, actFit: picks[p].actFit, meanReplyTokens: picks[p].length } : null,
        plot: plots[p],
      },
    ]),
  );
  const results = {
    profile: o.profile,
    seed: o.seed,
    model: o.model,
    settings: P,
    rmAccuracyVsGold: (rmEval.careful ?? rmEval[o.raters[0]])?.accuracyVsGold.estimate ?? (rm.careful ?? rm[o.raters[0]]).heldout.accuracyVsGold,
    rmAccuracyVsGoldCI: (() => {
      const a = (rmEval.careful ?? rmEval[o.raters[0]])?.accuracyVsGold;
      return a ? [a.lo, a.hi] : null;
    })(),
    sftGold: sftGold.estimate,
    sft: { gold: sftGold, acts: sftEval.acts, actFit: sftEval.actFit, meanReplyTokens: sftEval.length },
    ...(perPreset.careful ? { careful: { finalGold: evals.careful.gold.estimate, goldCI: [evals.careful.gold.lo, evals.careful.gold.hi], gainOverSft: evals.careful.gainOverSft, ...perPreset.careful } } : {}),
    ...(perPreset.swayed
      ? { swayed: { peakGold: rl.swayed.peak.peakGold, finalGold: rl.swayed.peak.finalGold, proxyRisingAtEnd: rl.swayed.peak.proxyRisingAtEnd, dropFromPeak: rl.swayed.peak.dropFromPeak, dropFromPeakCI: rl.swayed.peak.dropFromPeakCI ?? null, evalGold: evals.swayed.gold.estimate, gainOverSft: evals.swayed.gainOverSft, ...perPreset.swayed } }
      : {}),
    ...Object.fromEntries(o.raters.filter((p) => p !== 'careful' && p !== 'swayed').map((p) => [p, perPreset[p]])),
    // The held-out judge of every run, and where it learned from.
    judge: judge ? { dir: judge, ownComparisons: ownJudge, accuracyVsGold: (ownJudge ? rmEval.judge : undefined)?.accuracyVsGold ?? null } : null,
    // Which requests each reward model and each policy grants, by decision (decisions.ts).
    decisions: {
      cases: P.decisionCases,
      caseSeed: o.seed + 13,
      groups: Object.fromEntries(Object.entries(summarizeDecisionPairs(decisionSet)).map(([g, x]) => [g, { pairs: x.pairs, goldPrefersYes: x.goldPrefersYes, raters: x.raters }])),
      rewardModels: rmDecisions,
      // Each setting's replies to the evaluation's test cases: how many of a group's cases it granted.
      policies: granted,
    },
    // The hacked preset's fits (swayed when it ran), each with the observed peak on the same axis as d*.
    bonFit: bon[hacked].fit ? { ...pick(bon[hacked].fit), preset: hacked, observedPeak: { d: bon[hacked].peak.d, gold: bon[hacked].peak.gold, n: bon[hacked].peak.n } } : null,
    rlFit: rl[hacked].fit ? { ...pick(rl[hacked].fit), preset: hacked, observedPeak: { d: peakD(hacked), gold: rl[hacked].peak.peakGold, step: rl[hacked].peak.peakX } } : null,
    // falseAlarmsOnCareful counts the careful runs it alarmed on, of carefulRuns (the rate is their ratio).
    monitors: monitors.map((m) => ({ name: m.name, alarmStepsBeforeGoldPeak: m.alarmStepsBeforeGoldPeak, falseAlarmsOnCareful: m.falseAlarmsOnCareful, carefulRuns: m.carefulRuns, falseAlarmRateOnCareful: m.carefulRuns ? m.falseAlarmsOnCareful / m.carefulRuns : null, alarmStep: m.alarmStep, detectedBeforeGoldFalls: m.detectedBeforeGoldFalls, swayedRuns: m.swayedRuns })),
    overopt: {
      // 'sd': the proxy of every curve in SDs of the SFT policy's probe replies (standardizeReward); 'raw': reward-model scores.
      proxyUnits: P.standardizeReward ? 'sd' : 'raw',
      curves: Object.fromEntries(
        o.raters.flatMap((p) => [
          [`best-of-n (${p})`, bon[p].points.map((x) => ({ kl: x.kl, gold: x.gold.estimate, proxy: bonProxy(p, x.proxy.estimate) }))],
          [`${P.algo} (${p})`, rl[p].probe.map((x) => ({ kl: Math.max(0, x.kl), gold: x.gold, proxy: x.proxy }))],
        ]),
      ),
    },
    // The evaluation in the shape `alignlab run` writes: per-setting summaries (replies in
    // samples.jsonl) and each policy compared with SFT, for the HTML report.
    eval: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, (({ samples: _s, ...rest }) => rest)(summarize(v.length, v))])),
    comparisons: o.raters.flatMap((p) => [{ name: `${P.algo} (${p}) vs SFT`, a: `${P.algo} (${p})`, b: 'SFT' }, ...(picks[p] ? [{ name: `${picks[p].setting} vs SFT`, a: picks[p].setting, b: 'SFT' }] : [])]),
    seconds: { ...seconds, total: (performance.now() - t0) / 1000 },
    host: hostInfo(),
  };
  writeFileAtomic(path.join(o.out, 'samples.jsonl'), Object.entries(samples).flatMap(([setting, v]) => v.map((x) => JSON.stringify({ setting, ...x }))).join('\n') + '\n');
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  const report = writeReport(o.out, { seed: o.seed });
  io.log(`  report: ${report.html}`);
  io.log(`lab overopt: ${results.seconds.total.toFixed(0)} s → ${path.join(o.out, 'results.json')}`);
  return results;
}

/** A slope per step with its 95 % interval, for the log. */
function fmtSlope(t: { slope: number; lo: number; hi: number }): string {
  return `${t.slope.toFixed(4)} [${t.lo.toFixed(4)}, ${t.hi.toFixed(4)}]`;
}
