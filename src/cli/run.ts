/** `alignlab run`: the main job (see src/lab/run.ts). */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { runLab } from '../lab/run.js';

const run: Command = {
  path: ['run'],
  summary: 'Run the lab end to end: world → baseline assistant → RLHF → evaluation → report (npm start)',
  options: {
    profile: { type: 'string', default: 'quick', describe: 'quick (minutes on 2 cores) or full' },
    seed: { type: 'number', default: 1, describe: 'random seed' },
    out: { type: 'string', default: 'runs/latest', describe: 'run directory' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const profile = String(o.profile);
    if (profile !== 'quick' && profile !== 'full') throw new UsageError(`run: --profile must be quick or full, got "${profile}"`);
    const r = await runLab({ profile, seed: Number(o.seed), out: String(o.out), threads: Number(o.threads) }, { log: ctx.log });
    const ev = r.eval as Record<string, { gold: number; parseRate: number; rates: Record<string, number> }>;
    const b = ev['baseline · sampled (T=0.7)'];
    const h = ev['RLHF · sampled (T=0.7)'];
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const both = (k: string) => `${pct(b.rates[k])} → ${pct(h.rates[k])}`;
    ctx.print(`report: ${r.report}`);
    ctx.print(`gold (true intent, max 1), baseline → RLHF, sampled T=0.7: ${b.gold.toFixed(3)} → ${h.gold.toFixed(3)}; greedy ${ev['baseline · greedy'].gold.toFixed(3)} → ${ev['RLHF · greedy'].gold.toFixed(3)}`);
    ctx.print(`over-refusal ${both('overRefusal')}, harmful compliance ${both('harmfulCompliance')}`);
    ctx.print(`sycophancy ${both('sycophancy')}, unkept promises ${both('unkeptPromise')}`);
    ctx.print(`paired differences with 95% intervals: the report's "Model comparison"; every reply: ${String(o.out)}/samples.jsonl`);
    return r;
  },
};

export default [run];
