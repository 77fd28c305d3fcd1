/** `alignlab train …`: training recipes. */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { trainBaseline } from '../lab/baseline.js';

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

export default [sft];
