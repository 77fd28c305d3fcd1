/** `alignlab train …`: training recipes. */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { trainBaseline } from '../lab/baseline.js';
import { runRl } from '../lab/rl.js';
import { trainRewardModel } from '../lab/rm.js';

const sft: Command = {
  path: ['train', 'sft'],
  summary: 'Train the baseline HelpDesk assistant (corpus → tokenizer → model → SFT)',
  options: {
    profile: { type: 'string', default: 'quick', describe: 'quick (minutes on 2 cores) or full' },
    seed: { type: 'number', default: 1, describe: 'random seed for corpus, init and data order' },
    out: { type: 'string', required: true, describe: 'output run/model directory' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const profile = String(o.profile);
    if (profile !== 'quick' && profile !== 'full') throw new UsageError(`train sft: --profile must be quick or full, got "${profile}"`);
    const r = await trainBaseline({ profile, seed: Number(o.seed), out: String(o.out), threads: Number(o.threads) }, { log: ctx.log });
    ctx.print(`trained ${r.out}: ${r.steps} steps, final loss ${r.finalLoss.toFixed(3)}, ${r.seconds.toFixed(0)} s`);
    return { ...r };
  },
};

const rloo: Command = {
  path: ['train', 'rloo'],
  summary: 'RLOO on a model directory against the world gold, the world proxy, or a reward model',
  options: {
    model: { type: 'string', required: true, describe: 'policy model directory (e.g. the SFT baseline)' },
    reward: { type: 'string', default: 'proxy', describe: 'gold | proxy | a reward-model directory' },
    steps: { type: 'number', default: 50, describe: 'RLOO steps (one rollout + one update each)' },
    prompts: { type: 'number', default: 8, describe: 'prompts per step' },
    k: { type: 'number', default: 4, describe: 'samples per prompt' },
    'kl-coef': { type: 'number', default: 0.05, describe: 'β of the KL penalty to the reference' },
    lr: { type: 'number', default: 1e-5, describe: 'learning rate' },
    'max-new': { type: 'number', default: 64, describe: 'most new tokens per response' },
    seed: { type: 'number', default: 1, describe: 'random seed' },
    out: { type: 'string', required: true, describe: 'output run directory' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const r = await runRl(
      {
        model: String(o.model),
        reward: String(o.reward),
        steps: Number(o.steps),
        prompts: Number(o.prompts),
        k: Number(o.k),
        klCoef: Number(o['kl-coef']),
        lr: Number(o.lr),
        maxNewTokens: Number(o['max-new']),
        seed: Number(o.seed),
        out: String(o.out),
        threads: Number(o.threads),
      },
      { log: ctx.log },
    );
    const s = r.start as Record<string, number>;
    const e = r.end as Record<string, number>;
    ctx.print(`rloo (${o.reward}): gold ${s.gold.toFixed(3)} → ${e.gold.toFixed(3)}, proxy ${s.proxy.toFixed(3)} → ${e.proxy.toFixed(3)}, KL ${e.kl.toFixed(2)}`);
    return r;
  },
};

const rm: Command = {
  path: ['train', 'rm'],
  summary: 'Train a reward model (Bradley–Terry) on preference JSONL, starting from a policy',
  options: {
    model: { type: 'string', required: true, describe: 'policy directory the backbone starts from' },
    prefs: { type: 'string', required: true, describe: 'preference JSONL (TRL prompt/chosen/rejected)' },
    out: { type: 'string', required: true, describe: 'output reward-model directory' },
    epochs: { type: 'number', default: 2, describe: 'passes over the training pairs' },
    'batch-pairs': { type: 'number', default: 16, describe: 'pairs per step' },
    lr: { type: 'number', default: 3e-5, describe: 'learning rate' },
    'center-coef': { type: 'number', default: 0.01, describe: 'reward-centering weight' },
    seed: { type: 'number', default: 1, describe: 'random seed (held-out split, order, head init)' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const r = await trainRewardModel(
      { model: String(o.model), prefs: String(o.prefs), out: String(o.out), epochs: Number(o.epochs), batchPairs: Number(o['batch-pairs']), lr: Number(o.lr), centerCoef: Number(o['center-coef']), seed: Number(o.seed), threads: Number(o.threads) },
      { log: ctx.log },
    );
    const h = r.heldout as { accuracy: number; accuracyVsGold: number | null };
    ctx.print(`reward model: held-out accuracy ${h.accuracy.toFixed(3)} (vs raters), ${h.accuracyVsGold === null ? 'no gold' : h.accuracyVsGold.toFixed(3)} (vs gold)`);
    return r;
  },
};

export default [sft, rloo, rm];
