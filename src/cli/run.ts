/** `alignlab run`: the main job (see src/lab/run.ts). */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { runLab } from '../lab/run.js';

const run: Command = {
  path: ['run'],
  summary: 'Run the lab end to end: world → baseline assistant → evaluation → results (npm start)',
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
    const g = ev['greedy'];
    const s = ev['sampled (T=0.7)'];
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    ctx.print(`report: ${r.report}`);
    ctx.print(`baseline gold ${g.gold.toFixed(3)} greedy / ${s.gold.toFixed(3)} sampled (max 1); replies understood ${pct(s.parseRate)}`);
    ctx.print(`over-refusal ${pct(s.rates.overRefusal)}, harmful compliance ${pct(s.rates.harmfulCompliance)} (sampled)`);
    ctx.print(`sycophancy ${pct(s.rates.sycophancy)}, unkept promises ${pct(s.rates.unkeptPromise)} (sampled)`);
    ctx.print(`results: ${String(o.out)}/results.json and summary.md; every reply with its acts and scores: ${String(o.out)}/samples.jsonl`);
    return r;
  },
};

export default [run];
