/**
 * `alignlab eval compare DIR1 DIR2 …`: places every (run, setting) on the two Pareto planes —
 * over-refusal vs harmful compliance (both minimized) and helpfulness vs harmlessness (both
 * maximized) — marks the frontiers, and prints a table with bootstrap intervals and each
 * point's gold difference from the first point (paired by case where both evaluated the same
 * cases). Each argument is a run directory (results.json + samples.jsonl) or a samples JSONL
 * file from `eval world --samples`. `--out FILE.svg` also writes both planes as one SVG.
 */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { bootstrapMeanDiff, type DiffInterval } from '../eval/bootstrap.js';
import { paretoPlanes } from '../eval/pareto.js';
import { Rng } from '../util/rng.js';
import { writeFileAtomic } from '../util/atomic.js';
import { combineSvg, computeReport, loadEvalSource, planePlots, type LoadedRun, type ParetoEntry, type StoredSample } from '../report/index.js';

const compare: Command = {
  path: ['eval', 'compare'],
  summary: 'Place runs and settings on the over-refusal/harmful-compliance and helpfulness/harmlessness planes, mark the Pareto frontier',
  positionals: ['RUN...'],
  options: {
    out: { type: 'string', describe: 'also write both planes as an SVG file' },
    bootstrap: { type: 'number', default: 1000, describe: 'bootstrap resamples per interval (0: none)' },
    seed: { type: 'number', default: 1, describe: 'seed of the bootstrap resampling' },
  },
  async run(o, sources, ctx) {
    const B = Number(o.bootstrap), seed = Number(o.seed);
    if (!Number.isInteger(B) || B < 0) throw new UsageError(`eval compare: --bootstrap must be a non-negative integer, got ${o.bootstrap}`);
    if (!Number.isSafeInteger(seed)) throw new UsageError(`eval compare: --seed must be an integer, got ${o.seed}`);
    const runs: LoadedRun[] = sources.map((p) => {
      try {
        return loadEvalSource(p);
      } catch (e) {
        throw new UsageError(`eval compare: ${(e as Error).message}`);
      }
    });
    const labels = runs.map((r) => r.label);
    const entries: { name: string; source: string; setting: string; entry: ParetoEntry; gold: number; samples: StoredSample[] }[] = [];
    runs.forEach((run, i) => {
      const label = labels.filter((l) => l === run.label).length > 1 ? run.source : run.label;
      // B = 0: point estimates only (one resample keeps the code path; its bounds are dropped below).
      const rep = computeReport(run, { B: Math.max(1, B), seed, examplesPerFailure: 0 });
      for (const w of rep.warnings) ctx.log(`warning (${sources[i]}): ${w}`);
      rep.settings.forEach((s, k) => {
        const name = run.settings.length === 1 && s.name === run.label ? label : `${label}:${s.name}`;
        entries.push({ name, source: run.source, setting: s.name, entry: rep.pareto[k]!, gold: s.gold.estimate, samples: run.settings[k]!.samples });
      });
    });
    if (entries.length === 0) throw new UsageError('eval compare: no evaluated settings in the given runs');

    const marked = paretoPlanes(entries.map((e) => ({ ...e.entry, name: e.name })));
    const first = entries[0]!;
    const strip = <T extends { lo: number; hi: number; B: number }>(iv: T): T => (B > 0 ? iv : { ...iv, lo: NaN, hi: NaN, B: 0 });
    const points = marked.map((p, i) => {
      const e = entries[i]!;
      let goldVsFirst: DiffInterval | undefined;
      if (i > 0 && e.samples.length && first.samples.length) {
        const keyed = (xs: StoredSample[]) => xs.map((x) => ({ key: x.caseId, value: x.gold }));
        goldVsFirst = bootstrapMeanDiff(keyed(e.samples), keyed(first.samples), { B: Math.max(1, B), rng: new Rng(seed).fork(`compare/${i}`) });
        goldVsFirst = strip(goldVsFirst);
      }
      return {
        name: p.name,
        source: e.source,
        setting: e.setting,
        gold: e.gold,
        helpfulness: p.helpfulness,
        harmlessness: p.harmlessness,
        overRefusal: p.overRefusal,
        harmfulCompliance: p.harmfulCompliance,
        pareto: p.pareto,
        intervals: { helpfulness: strip(p.intervals.helpfulness), overRefusal: strip(p.intervals.overRefusal), harmfulCompliance: strip(p.intervals.harmfulCompliance) },
        ...(goldVsFirst ? { goldVsFirst } : {}),
      };
    });

    const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
    const n3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
    const ci = (iv: { lo: number; hi: number }, f: (x: number) => string) => (Number.isFinite(iv.lo) ? ` [${f(iv.lo)}, ${f(iv.hi)}]` : '');
    const rows = points.map((p, i) => [
      String(i + 1),
      p.name,
      n3(p.gold),
      p.goldVsFirst ? `${p.goldVsFirst.estimate >= 0 ? '+' : ''}${n3(p.goldVsFirst.estimate)}${ci(p.goldVsFirst, n3)} ${p.goldVsFirst.paired ? 'paired' : 'unpaired'}` : '',
      `${pct(p.overRefusal)}${ci(p.intervals.overRefusal, pct)}`,
      `${pct(p.harmfulCompliance)}${ci(p.intervals.harmfulCompliance, pct)}`,
      `${n3(p.helpfulness)}${ci(p.intervals.helpfulness, n3)}`,
      n3(p.harmlessness),
      [p.pareto.refusalCompliance ? 'RC' : '', p.pareto.helpfulHarmless ? 'HH' : ''].filter(Boolean).join(' ') || '-',
    ]);
    const head = ['#', 'run:setting', 'gold', 'Δgold vs #1', 'over-refusal', 'harmful compliance', 'helpfulness', 'harmlessness', 'frontier'];
    const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
    const line = (r: string[]) => r.map((x, j) => x.padEnd(widths[j]!)).join('  ').trimEnd();
    ctx.print(line(head));
    for (const r of rows) ctx.print(line(r));
    ctx.print('frontier: RC = over-refusal vs harmful compliance (both lower is better), HH = helpfulness vs harmlessness (both higher is better)');

    let svg: string | undefined;
    if (o.out) {
      svg = String(o.out);
      const [rc, hh] = planePlots(points);
      writeFileAtomic(svg, combineSvg([rc, hh]));
      ctx.print(`plot: ${svg}`);
    }
    return {
      points,
      frontier: { refusalCompliance: points.filter((p) => p.pareto.refusalCompliance).map((p) => p.name), helpfulHarmless: points.filter((p) => p.pareto.helpfulHarmless).map((p) => p.name) },
      ...(svg ? { svg } : {}),
    };
  },
};

export default [compare];
