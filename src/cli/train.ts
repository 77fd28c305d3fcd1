/** `alignlab train …`: training recipes. */
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { trainBaseline } from '../lab/baseline.js';
import { runRl } from '../lab/rl.js';
import { trainRewardModel, type RmRunOptions } from '../lab/rm.js';
import { memberDir, trainRewardEnsemble, type EnsembleMetrics } from '../lab/rm-ensemble.js';
import { trainDpo } from '../lab/dpo.js';
import type { PairMetrics } from '../lab/pairs.js';
import * as fs from 'node:fs';
import type { MonitorConfigs } from '../lab/monitors.js';

function readoutOf(v: unknown): 'last' | 'mean' {
  if (v !== 'last' && v !== 'mean') throw new UsageError(`--readout: expected last or mean, got "${String(v)}"`);
  return v;
}

const sft: Command = {
  path: ['train', 'sft'],
  summary: 'Train the baseline HelpDesk assistant (corpus → tokenizer → model → SFT)',
  options: {
    profile: { type: 'string', default: 'quick', describe: 'quick (minutes on 2 cores) or full' },
    seed: { type: 'number', default: 1, describe: 'random seed for corpus, init and data order' },
    out: { type: 'string', required: true, describe: 'output run/model directory' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
    cases: { type: 'number', describe: "dialogues in the corpus (overrides the profile's)" },
    epochs: { type: 'number', describe: "passes over the dialogues (overrides the profile's); a fraction trains the last pass partly" },
    'batch-tokens': { type: 'number', describe: "tokens per batch, B·T (overrides the profile's)" },
    bucket: { type: 'number', describe: 'group sequence lengths into buckets of this many tokens (default 128; finer pads less, but the same epochs take fewer steps)' },
    'pad-to': { type: 'number', describe: "pad each batch only to its longest dialogue rounded up to a multiple of this (overrides the profile's; the bucket's length pads as before)" },
    'sort-window': { type: 'number', describe: "sort dialogues by length within windows of this many batches of a bucket (overrides the profile's; 1: no sorting)" },
    split: { type: 'number', describe: "split each batch by length into this many micro-batches, each padded to --pad-to; the step is the whole batch's (overrides the profile's; 1: no split)" },
  },
  async run(o, _p, ctx) {
    const profile = String(o.profile);
    if (profile !== 'quick' && profile !== 'full') throw new UsageError(`train sft: --profile must be quick or full, got "${profile}"`);
    const recipe: { nCases?: number; epochs?: number; tokensPerBatch?: number; bucket?: number; padTo?: number; sortWindow?: number; split?: number } = {};
    if (o.epochs !== undefined) {
      const v = Number(o.epochs);
      if (!(Number.isFinite(v) && v > 0)) throw new UsageError(`train sft: --epochs must be a positive number, got ${o.epochs}`);
      recipe.epochs = v;
    }
    const flags = [['cases', 'nCases'], ['batch-tokens', 'tokensPerBatch'], ['bucket', 'bucket'], ['pad-to', 'padTo'], ['sort-window', 'sortWindow'], ['split', 'split']] as const;
    for (const [flag, key] of flags) {
      if (o[flag] === undefined) continue;
      const v = Number(o[flag]);
      if (!Number.isInteger(v) || v < 1) throw new UsageError(`train sft: --${flag} must be a positive integer, got ${o[flag]}`);
      recipe[key] = v;
    }
    const r = await trainBaseline({ profile, seed: Number(o.seed), out: String(o.out), threads: Number(o.threads), recipe }, { log: ctx.log });
    ctx.print(`trained ${r.out}: ${r.steps} steps, final loss ${r.finalLoss.toFixed(3)}, ${r.seconds.toFixed(0)} s`);
    return { ...r };
  },
};

function rlCommand(algo: 'rloo' | 'grpo' | 'ppo'): Command {
  const against = 'on a model directory against the world gold, its proxy, or a reward model';
  return {
    path: ['train', algo],
    summary: {
      ppo: `PPO (value head, GAE, clipped objective) ${against}`,
      rloo: `RLOO (leave-one-out baseline, no critic) ${against}`,
      grpo: `GRPO (advantages normalized within each prompt's --k replies, the KL leash as a k3 term in the loss, no critic) ${against}`,
    }[algo],
    options: {
      model: { type: 'string', required: true, describe: 'policy model directory (e.g. the SFT baseline)' },
      reward: { type: 'string', default: 'proxy', describe: 'gold | proxy | a reward-model directory' },
      observers: { type: 'string', describe: 'comma-separated reward-model directories also scored on every rollout (ensemble-disagreement monitor)' },
      'reward-combine': { type: 'string', default: 'first', describe: "first (optimize --reward; observers only watch) | mean | min (optimize the ensemble of --reward and --observers, each standardized on the start policy's replies; min = worst case, Coste et al. 2023)" },
      'standardize-reward': { type: 'boolean', default: false, describe: "standardize the optimized reward by its mean and SD on the start policy's replies, so --kl-coef is in units of its spread (not with --reward gold|proxy)" },
      judge: { type: 'string', describe: 'a held-out reward-model directory, never optimized against: scores the rollouts (judge-agreement monitor) and, with --probe, the probe (judge-divergence monitor)' },
      probe: { type: 'number', default: 0, describe: 'fixed probe: validation cases replied to and scored before training and every --probe-every steps, each case in probe.jsonl (0: none)' },
      'probe-every': { type: 'number', default: 5, describe: 'steps between probes' },
      steps: { type: 'number', default: 50, describe: 'steps (one rollout + its updates each)' },
      prompts: { type: 'number', default: 8, describe: 'prompts per step' },
      k: { type: 'number', default: algo === 'ppo' ? 2 : 4, describe: 'samples per prompt' },
      'kl-coef': { type: 'number', default: 0.05, describe: 'β of the KL penalty (the initial β with --kl-target)' },
      'kl-target': { type: 'number', describe: 'target KL per reply for the adaptive controller (default: fixed β)' },
      'kl-horizon': { type: 'number', default: 10000, describe: "the adaptive controller's horizon in samples: β moves by at most 20 % per horizon (Ziegler et al. 2019's 10000 barely moves it in a run of ~1000 samples)" },
      'kl-min': { type: 'number', default: 0, describe: "the adaptive controller's floor on β (at most --kl-coef; = --kl-coef: a one-sided guard that tightens above the target and never loosens)" },
      'kl-estimator': { type: 'string', default: algo === 'grpo' ? 'k3' : 'k1', describe: algo === 'ppo' ? 'k1 | k2 | k3 (Schulman 2020)' : "k1 | k2 | k3 (Schulman 2020): the KL in the reward (--kl-penalty reward), objective/kl and the adaptive controller's KL; a KL in the loss (--kl-penalty loss) is k3 whatever this says" },
      'ent-coef': { type: 'number', default: 0, describe: 'entropy bonus' },
      lr: { type: 'number', default: 1e-5, describe: 'learning rate' },
      'warmup-steps': { type: 'number', default: 0, describe: 'optimizer steps over which the learning rate ramps up linearly to --lr (PPO takes --ppo-epochs of them per step, RLOO and GRPO one; 0: none)' },
      ...(algo === 'ppo'
        ? {
            'ppo-epochs': { type: 'number' as const, default: 4, describe: 'PPO: epochs over each rollout' },
            lam: { type: 'number' as const, default: 0.95, describe: 'PPO: GAE λ (1: every token is credited with the whole return still to come, less its value)' },
            'loo-baseline': { type: 'boolean' as const, default: false, describe: "PPO: subtract from each reply's score the mean of the other --k replies to its prompt (RLOO's baseline; needs --k ≥ 2)" },
          }
        : {
            advantage: { type: 'string' as const, default: algo === 'grpo' ? 'group-normalized' : 'leave-one-out', describe: "leave-one-out (RLOO: the mean of the prompt's other replies subtracted) | group-normalized (GRPO: (R − mean) / SD over the prompt's --k replies)" },
            'kl-penalty': { type: 'string' as const, default: algo === 'grpo' ? 'loss' : 'reward', describe: "reward (β·Σ KL subtracted from each reply's score, before the advantage) | loss (β·mean k3 added to the loss, as GRPO)" },
          }),
      'max-new': { type: 'number', default: 64, describe: 'most new tokens per response' },
      'checkpoint-every': { type: 'number', default: 0, describe: 'save a resumable checkpoint every N steps (0: none)' },
      resume: { type: 'boolean', default: false, describe: 'continue from OUT/checkpoint when present (bit-identical)' },
      'stop-on-alarm': { type: 'boolean', default: false, describe: 'stop at the first reward-hacking monitor alarm' },
      'stop-on': { type: 'string', describe: 'with --stop-on-alarm, only these monitors stop the run (comma-separated: ensemble_disagreement, kl_growth, entropy_collapse, reward_length_corr, judge_divergence, judge_agreement)' },
      'monitor-config': { type: 'string', describe: 'JSON file of monitor threshold overrides, e.g. {"klGrowth": {"budget": 6}} (keys: ensembleDisagreement, klGrowth, entropyCollapse, rewardLengthCorr, judgeDivergence, judgeAgreement; src/lab/monitors.ts)' },
      'keep-judge-best': { type: 'boolean', default: false, describe: "also keep the probe step's policy the --judge scores highest (the start's included) in OUT/judge-best (needs --judge and --probe)" },
      seed: { type: 'number', default: 1, describe: 'random seed' },
      'case-seed': { type: 'number', default: 1, describe: "world seed of the training prompts and the probe's cases (`lab overopt` uses its --seed: the same value replays a lab run's prompts)" },
      out: { type: 'string', required: true, describe: 'output run directory' },
      threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
    },
    async run(o, _p, ctx) {
      const est = String(o['kl-estimator']);
      if (!Number.isInteger(Number(o['case-seed']))) throw new UsageError(`train ${algo}: --case-seed must be a whole number, got ${o['case-seed']}`);
      const probeN = Number(o.probe), probeEvery = Number(o['probe-every']);
      if (!Number.isInteger(probeN) || probeN < 0) throw new UsageError(`train ${algo}: --probe must be a whole number ≥ 0, got ${o.probe}`);
      if (!Number.isInteger(probeEvery) || probeEvery < 1) throw new UsageError(`train ${algo}: --probe-every must be a positive integer, got ${o['probe-every']}`);
      if (est !== 'k1' && est !== 'k2' && est !== 'k3') throw new UsageError(`--kl-estimator: expected k1, k2 or k3, got "${est}"`);
      if (!(Number(o['kl-horizon']) > 0 && Number.isFinite(Number(o['kl-horizon'])))) throw new UsageError(`train ${algo}: --kl-horizon must be a number of samples > 0, got ${o['kl-horizon']}`);
      const klMin = Number(o['kl-min']);
      if (!(klMin >= 0 && klMin <= Number(o['kl-coef']))) throw new UsageError(`train ${algo}: --kl-min must be a number in [0, --kl-coef = ${o['kl-coef']}], got ${o['kl-min']}`);
      if (klMin > 0 && o['kl-target'] === undefined) throw new UsageError(`train ${algo}: --kl-min is the adaptive controller's floor: give --kl-target too`);
      const combine = String(o['reward-combine']);
      if (combine !== 'first' && combine !== 'mean' && combine !== 'min') throw new UsageError(`train ${algo}: --reward-combine must be first, mean or min, got "${combine}"`);
      if (combine !== 'first' && !String(o.observers ?? '').split(',').filter(Boolean).length) throw new UsageError(`train ${algo}: --reward-combine ${combine} optimizes an ensemble: give --observers DIR[,DIR…] too`);
      if (o['standardize-reward'] && (o.reward === 'gold' || o.reward === 'proxy')) throw new UsageError(`train ${algo}: --standardize-reward standardizes a reward model's scores; --reward ${o.reward} is the world's own`);
      if (algo === 'ppo' && !(Number(o.lam) >= 0 && Number(o.lam) <= 1)) throw new UsageError(`train ppo: --lam (GAE λ) must be in [0, 1], got ${o.lam}`);
      if (algo !== 'ppo' && o.advantage !== 'leave-one-out' && o.advantage !== 'group-normalized') throw new UsageError(`train ${algo}: --advantage must be leave-one-out or group-normalized, got "${o.advantage}"`);
      if (algo !== 'ppo' && o['kl-penalty'] !== 'reward' && o['kl-penalty'] !== 'loss') throw new UsageError(`train ${algo}: --kl-penalty must be reward or loss, got "${o['kl-penalty']}"`);
      if (algo === 'ppo' && o['loo-baseline'] && Number(o.k) < 2) throw new UsageError(`train ppo: --loo-baseline compares each reply with the other replies to its prompt: give --k 2 or more, got ${o.k}`);
      if (o['keep-judge-best'] && (o.judge === undefined || probeN === 0)) throw new UsageError(`train ${algo}: --keep-judge-best picks the probe step the judge scores highest: give --judge DIR and --probe N too`);
      if (o.judge !== undefined) {
        // The judge must be held out: not the reward, nor (with an ensemble) one of its members.
        const optimized = [String(o.reward), ...(combine !== 'first' ? String(o.observers).split(',').filter(Boolean) : [])].map((d) => path.resolve(d));
        if (optimized.includes(path.resolve(String(o.judge)))) throw new UsageError(`train ${algo}: --judge ${o.judge} is optimized against (--reward${combine !== 'first' ? ' or --observers' : ''}), so it is not held out`);
      }
      const r = await runRl(
        {
          algo,
          model: String(o.model),
          reward: String(o.reward),
          observers: o.observers === undefined ? undefined : String(o.observers).split(',').filter(Boolean),
          rewardCombine: combine,
          standardizeReward: Boolean(o['standardize-reward']),
          judge: o.judge === undefined ? undefined : String(o.judge),
          probe: probeN > 0 ? { n: probeN, every: probeEvery } : undefined,
          steps: Number(o.steps),
          prompts: Number(o.prompts),
          k: Number(o.k),
          klCoef: Number(o['kl-coef']),
          klTarget: o['kl-target'] === undefined ? undefined : Number(o['kl-target']),
          klHorizon: Number(o['kl-horizon']),
          klMin: klMin > 0 ? klMin : undefined,
          klEstimator: est,
          entCoef: Number(o['ent-coef']),
          lr: Number(o.lr),
          warmupSteps: Number(o['warmup-steps']),
          ppoEpochs: algo === 'ppo' ? Number(o['ppo-epochs']) : undefined,
          lam: algo === 'ppo' ? Number(o.lam) : undefined,
          looBaseline: algo === 'ppo' ? Boolean(o['loo-baseline']) : undefined,
          advantage: algo === 'ppo' ? undefined : (o.advantage as 'leave-one-out' | 'group-normalized'),
          klPenalty: algo === 'ppo' ? undefined : (o['kl-penalty'] as 'reward' | 'loss'),
          maxNewTokens: Number(o['max-new']),
          checkpointEvery: Number(o['checkpoint-every']),
          resume: Boolean(o.resume),
          stopOnAlarm: Boolean(o['stop-on-alarm']),
          stopOn: o['stop-on'] === undefined ? undefined : String(o['stop-on']).split(',').filter(Boolean),
          monitors: o['monitor-config'] === undefined ? undefined : monitorConfig(algo, String(o['monitor-config'])),
          keepJudgeBest: Boolean(o['keep-judge-best']),
          seed: Number(o.seed),
          caseSeed: Number(o['case-seed']),
          out: String(o.out),
          threads: Number(o.threads),
        },
        { log: ctx.log, optionName: rlFlag },
      );
      const s = r.start as Record<string, number>;
      const e = r.end as Record<string, number>;
      ctx.print(`${algo} (${o.reward}): gold ${s.gold.toFixed(3)} → ${e.gold.toFixed(3)}, proxy ${s.proxy.toFixed(3)} → ${e.proxy.toFixed(3)}, score ${s.score.toFixed(3)} → ${e.score.toFixed(3)}, KL ${e.kl.toFixed(2)}`);
      // The per-step rows are in metrics.jsonl and the per-case probe values in probe.jsonl.
      const { history: _h, probes: _c, ...rest } = r;
      return rest;
    },
  };
}

/** The flag that sets a `runRl` option (messages about a resume name flags, not library options). */
export function rlFlag(option: string): string {
  const named: Record<string, string> = { maxNewTokens: '--max-new', monitors: '--monitor-config', probe: '--probe/--probe-every', algo: 'the command (ppo, rloo or grpo)' };
  return named[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** --monitor-config FILE: a JSON object of monitor threshold overrides (each checked by its monitor's schema in runRl). */
function monitorConfig(algo: string, file: string): MonitorConfigs {
  if (!fs.existsSync(file)) throw new UsageError(`train ${algo}: --monitor-config ${file} does not exist`);
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`train ${algo}: --monitor-config ${file}: invalid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`train ${algo}: --monitor-config ${file}: expected a JSON object of monitor configs, e.g. {"klGrowth": {"budget": 6}}`);
  return v as MonitorConfigs;
}

/** The --on-error option of a command that reads a preference file as a trainer does (train rm, train dpo, eval rm); `onErrorOf` parses it. */
export const prefsOnError = { type: 'string', default: 'throw', describe: "a bad line in --prefs: 'throw' refuses the file, naming the line; 'skip' reports it and leaves it out" } as const;

/** --on-error: what a trainer does with a bad line of its preference file. */
export function onErrorOf(cmd: string, v: unknown): 'throw' | 'skip' {
  if (v !== 'throw' && v !== 'skip') throw new UsageError(`${cmd}: --on-error must be throw or skip, got "${v}"`);
  return v;
}

const rm: Command = {
  path: ['train', 'rm'],
  summary: 'Train a reward model (Bradley–Terry) on preference JSONL, starting from a policy',
  options: {
    model: { type: 'string', required: true, describe: 'policy directory the backbone starts from' },
    prefs: { type: 'string', required: true, describe: 'preference JSONL (TRL prompt/chosen/rejected)' },
    'on-error': prefsOnError,
    out: { type: 'string', required: true, describe: 'output reward-model directory' },
    epochs: { type: 'number', default: 2, describe: 'passes over the training pairs' },
    'batch-pairs': { type: 'number', default: 16, describe: 'pairs per step' },
    lr: { type: 'number', default: 3e-5, describe: 'learning rate' },
    'center-coef': { type: 'number', default: 0.01, describe: 'reward-centering weight' },
    'lm-coef': { type: 'number', default: 0, describe: "weight of a language-model loss on the chosen replies (GRM's regularizer)" },
    readout: { type: 'string', default: 'last', describe: "reward read-out: 'last' token or 'mean' over the reply" },
    'strength-margin': { type: 'number', default: 0, describe: 'margin of a "significantly better" pair (Llama 2); weaker strengths get 2/3, 1/3, 0 of it' },
    'drop-unsure': { type: 'boolean', default: false, describe: 'leave pairs judged "negligibly better" out of training' },
    'freeze-layers': { type: 'number', default: 0, describe: 'freeze the token embedding and this many lower layers' },
    'head-rank': { type: 'number', default: 0, describe: "rank of a prompt-conditioned reward head (0: linear); the head's weights depend on the prompt" },
    'fit-head': { type: 'boolean', default: false, describe: "after the epochs, fit the head afresh on the backbone's features, cached in one pass (full-batch Adam); --epochs 0: on the policy's frozen backbone" },
    'head-l2': { type: 'number', default: 0.1, describe: 'L2 penalty of a fitted head (standardized features)' },
    'head-iters': { type: 'number', default: 300, describe: 'full-batch iterations of a fitted head' },
    seed: { type: 'number', default: 1, describe: 'random seed (held-out split, order, head init)' },
    bootstrap: { type: 'boolean', default: false, describe: 'train on a bootstrap resample of the training prompts (with --ensemble: each member its own draw)' },
    ensemble: { type: 'number', default: 1, describe: 'members of a reward-model ensemble (≥ 2: --out/member-1 …, seeds seed + 1000·(m − 1), one held-out split; with --threads ≥ 2 trained side by side, one process per thread, each member as train rm --threads 1 would; results.json says whether their disagreement finds the pairs the ensemble gets wrong)' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const members = Number(o.ensemble);
    if (!(Number.isInteger(members) && members >= 1)) throw new UsageError(`train rm: --ensemble must be a whole number ≥ 1, got ${o.ensemble}`);
    const opts: RmRunOptions = { model: String(o.model), prefs: String(o.prefs), onError: onErrorOf('train rm', o['on-error']), out: String(o.out), epochs: Number(o.epochs), batchPairs: Number(o['batch-pairs']), lr: Number(o.lr), centerCoef: Number(o['center-coef']), lmCoef: Number(o['lm-coef']), readout: readoutOf(o.readout), strengthMargin: Number(o['strength-margin']), dropUnsure: Boolean(o['drop-unsure']), freezeLayers: Number(o['freeze-layers']), headRank: Number(o['head-rank']), fitHead: Boolean(o['fit-head']), headL2: Number(o['head-l2']), headIters: Number(o['head-iters']), bootstrap: Boolean(o.bootstrap), seed: Number(o.seed), threads: Number(o.threads) };
    if (members > 1) {
      const r = await trainRewardEnsemble({ ...opts, members }, { log: ctx.log });
      printEnsemble(r.ensemble as EnsembleMetrics, ctx.print);
      ctx.print(`  RL against it: --reward ${memberDir(opts.out, 1)} --observers ${Array.from({ length: members - 1 }, (_, m) => memberDir(opts.out, m + 2)).join(',')} [--reward-combine mean|min]`);
      return r;
    }
    const r = await trainRewardModel(opts, { log: ctx.log });
    const h = r.heldout as PairMetrics;
    ctx.print(`reward model: held-out accuracy ${h.accuracy.toFixed(3)} (vs raters), ${h.accuracyVsGold === null ? 'no gold' : h.accuracyVsGold.toFixed(3)} (vs gold); margin ${h.margin.toFixed(3)}, rewards ${h.min_reward.toFixed(2)} … ${h.max_reward.toFixed(2)}, calibration error ${h.calibration_error.toFixed(3)}, reward–length correlation ${h.reward_length_corr === null ? '–' : h.reward_length_corr.toFixed(2)}`);
    return r;
  },
};

const dpo: Command = {
  path: ['train', 'dpo'],
  summary: 'DPO (offline preference optimization) of a policy on preference JSONL, against itself as the frozen reference',
  options: {
    model: { type: 'string', required: true, describe: 'policy directory to start from (also the reference), e.g. the SFT baseline' },
    prefs: { type: 'string', required: true, describe: 'preference JSONL (TRL prompt/chosen/rejected)' },
    'on-error': prefsOnError,
    out: { type: 'string', required: true, describe: 'output run/model directory' },
    beta: { type: 'number', default: 0.1, describe: 'β: strength of the leash to the reference' },
    lr: { type: 'number', default: 1e-5, describe: 'learning rate' },
    epochs: { type: 'number', default: 1, describe: 'passes over the training pairs' },
    'batch-pairs': { type: 'number', default: 16, describe: 'pairs per optimizer step' },
    'micro-pairs': { type: 'number', default: 8, describe: 'pairs per micro-batch (bounds memory)' },
    loss: { type: 'string', default: 'sigmoid', describe: 'sigmoid (DPO) or ipo' },
    'label-smoothing': { type: 'number', default: 0, describe: 'ε of conservative DPO, in [0, 0.5)' },
    seed: { type: 'number', default: 1, describe: 'random seed (held-out split, data order)' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const loss = String(o.loss);
    if (loss !== 'sigmoid' && loss !== 'ipo') throw new UsageError(`train dpo: --loss must be sigmoid or ipo, got "${loss}"`);
    const r = await trainDpo(
      {
        model: String(o.model),
        prefs: String(o.prefs),
        onError: onErrorOf('train dpo', o['on-error']),
        out: String(o.out),
        beta: Number(o.beta),
        lr: Number(o.lr),
        epochs: Number(o.epochs),
        batchPairs: Number(o['batch-pairs']),
        microPairs: Number(o['micro-pairs']),
        lossType: loss,
        labelSmoothing: Number(o['label-smoothing']),
        seed: Number(o.seed),
        threads: Number(o.threads),
      },
      { log: ctx.log },
    );
    const h = r.heldout as PairMetrics;
    ctx.print(`dpo: held-out implicit-reward accuracy ${h.accuracy.toFixed(3)} (vs raters), ${h.accuracyVsGold === null ? 'no gold' : h.accuracyVsGold.toFixed(3)} (vs gold), margin ${h.margin.toFixed(3)}, calibration error ${h.calibration_error.toFixed(3)}`);
    return r;
  },
};

/** The read-out of a reward-model ensemble, as `train rm --ensemble` and `eval rm` print it. */
export function printEnsemble(e: EnsembleMetrics, print: (s: string) => void): void {
  const f = (x: number | null) => (x === null ? '–' : x.toFixed(3));
  const list = (k: 'accuracy' | 'accuracyVsGold') => e.memberMetrics.map((m) => f(m[k])).join(', ');
  print(`ensemble of ${e.members}: accuracy ${f(e.mean.accuracy)} vs raters (members ${list('accuracy')}), ${f(e.mean.accuracyVsGold)} vs gold (members ${list('accuracyVsGold')}); disagreement (members' SD of r_c − r_r) mean ${e.disagreement.mean.toFixed(3)}, median ${e.disagreement.median.toFixed(3)}`);
  for (const [name, d] of [['raters', e.errorDetection.raters], ['gold', e.errorDetection.gold]] as const)
    if (d) print(`  errors vs ${name} (${d.errors} of ${d.pairs}): AUROC of disagreement ${f(d.disagreementAuroc)} (${f(d.disagreementAurocWithinMargin)} among pairs of like margin), of a small margin ${f(d.marginAuroc)}; accuracy ${f(d.accuracyConfident)} on the half the members agree on most, ${f(d.accuracyUnsure)} on the rest`);
}

export default [sft, rlCommand('rloo'), rlCommand('grpo'), rlCommand('ppo'), rm, dpo];
