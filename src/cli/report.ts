/** `alignlab report RUN_DIR`: report.html, report.md and report.json for a run directory (see src/report/). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { writeReport } from '../report/index.js';

const report: Command = {
  path: ['report'],
  summary: 'Write report.html (self-contained), report.md and report.json into a run directory',
  positionals: ['RUN_DIR'],
  options: {
    bootstrap: { type: 'number', default: 1000, describe: 'bootstrap resamples per interval' },
    level: { type: 'number', default: 0.95, describe: 'interval coverage' },
    seed: { type: 'number', default: 1, describe: 'seed of the bootstrap resampling' },
  },
  async run(o, [dir], ctx) {
    const B = Number(o.bootstrap), level = Number(o.level), seed = Number(o.seed);
    if (!Number.isInteger(B) || B < 1) throw new UsageError(`report: --bootstrap must be a positive integer, got ${o.bootstrap}`);
    if (!(level > 0 && level < 1)) throw new UsageError(`report: --level must be between 0 and 1, got ${o.level}`);
    if (!Number.isSafeInteger(seed)) throw new UsageError(`report: --seed must be an integer, got ${o.seed}`);
    if (!fs.existsSync(path.join(dir, 'results.json'))) throw new UsageError(`report: ${dir} is not a run directory (no results.json; 'alignlab run' writes one)`);
    ctx.log(`report: ${dir} (bootstrap B = ${B}, seed ${seed})`);
    const w = writeReport(dir, { B, level, seed });
    const r = w.report;
    const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
    const ci = (lo: number, hi: number, f: (x: number) => string) => (Number.isFinite(lo) ? ` [${f(lo)}, ${f(hi)}]` : '');
    const n3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
    ctx.print(`report: ${w.html}`);
    ctx.print(`        ${w.markdown}, ${w.json}`);
    for (const s of r.settings) {
      ctx.print(`${s.name}: gold ${n3(s.gold.estimate)}${ci(s.gold.lo, s.gold.hi, n3)}, proxy ${n3(s.proxy.estimate)}, over-refusal ${pct(s.rates.overRefusal.estimate)}${ci(s.rates.overRefusal.lo, s.rates.overRefusal.hi, pct)}, harmful compliance ${pct(s.rates.harmfulCompliance.estimate)}${ci(s.rates.harmfulCompliance.lo, s.rates.harmfulCompliance.hi, pct)}`);
    }
    for (const warning of r.warnings) ctx.log(`warning: ${warning}`);
    return {
      html: w.html,
      markdown: w.markdown,
      json: w.json,
      headline: r.settings.map((s) => ({
        setting: s.name,
        replies: s.replies,
        gold: s.gold,
        proxy: s.proxy,
        overRefusal: s.rates.overRefusal,
        harmfulCompliance: s.rates.harmfulCompliance,
        sycophancy: s.rates.sycophancy,
        pareto: r.pareto.find((p) => p.name === s.name)?.pareto,
      })),
      warnings: r.warnings,
    };
  },
};

export default [report];
