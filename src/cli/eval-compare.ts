/**
 * `alignlab eval compare DIR1 DIR2 …`: places every (run, setting) on the two Pareto planes —
 * over-refusal vs harmful compliance (both minimized) and helpfulness vs harmlessness (both
 * maximized) — marks the frontiers, and prints a table with bootstrap intervals and each
 * point's gold difference from the first point (paired by case where both evaluated the same
 * cases). Each argument is a run directory (results.json + samples.jsonl), a samples JSONL
 * file from `eval world --samples`, or a sweep file from `eval sweep --out` (src/eval/sweep.ts).
 * A sweep is a curve: one point per λ, drawn as a labelled polyline on both planes and listed
 * in its own table and under `curves` in the JSON. The frontier is over every point, curve
 * points included (a run that some model's sweep beats on both axes is off the frontier). A
 * sweep's intervals are the ones in its file (its own bootstrap), and its points have no
 * Δgold (they answer only the first customer turn). `--out FILE.svg` also writes both planes as
 * one SVG.
 *
 *   alignlab eval compare runs/latest sweep-rlhf.json sweep-baseline.json --out planes.svg
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { bootstrapMeanDiff, type DiffInterval } from '../eval/bootstrap.js';
import { paretoPlanes, type WorldPoint } from '../eval/pareto.js';
import { readSweepFile, SWEEP_KIND, type SweepResult } from '../eval/sweep.js';
import { Rng } from '../util/rng.js';
import { writeFileAtomic } from '../util/atomic.js';
import { combineSvg, computeReport, loadEvalSource, planePlots, type LoadedRun, type ParetoEntry, type StoredSample } from '../report/index.js';

/** A sweep file: named *.json, or starting with the sweep tag (as `eval sweep --out` writes it). */
function isSweepSource(p: string): boolean {
  if (!fs.existsSync(p) || fs.statSync(p).isDirectory()) return false;
  if (/\.json$/i.test(p)) return true;
  const fd = fs.openSync(p, 'r');
  try {
    const head = Buffer.alloc(128);
    const got = fs.readSync(fd, head, 0, head.length, 0);
    return new RegExp(`^\\s*\\{\\s*"kind"\\s*:\\s*"${SWEEP_KIND}"`).test(head.subarray(0, got).toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}

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
    const runs: LoadedRun[] = [];
    const sweeps: { source: string; label: string; sweep: SweepResult }[] = [];
    for (const p of sources) {
      try {
        if (isSweepSource(p)) sweeps.push({ source: p, label: path.basename(p).replace(/\.json$/i, ''), sweep: readSweepFile(p) });
        else runs.push(loadEvalSource(p));
      } catch (e) {
        throw new UsageError(`eval compare: ${(e as Error).message}`);
      }
    }
    const labels = [...runs.map((r) => r.label), ...sweeps.map((s) => s.label)];
    const unique = (label: string, source: string) => (labels.filter((l) => l === label).length > 1 ? source : label);
    const entries: { name: string; source: string; setting: string; entry: ParetoEntry; gold: number; samples: StoredSample[] }[] = [];
    runs.forEach((run) => {
      const label = unique(run.label, run.source);
      // B = 0: point estimates only (one resample keeps the code path; its bounds are dropped below).
      const rep = computeReport(run, { B: Math.max(1, B), seed, examplesPerFailure: 0 });
      for (const w of rep.warnings) ctx.log(`warning (${run.source}): ${w}`);
      rep.settings.forEach((s, k) => {
        const name = run.settings.length === 1 && s.name === run.label ? label : `${label}:${s.name}`;
        entries.push({ name, source: run.source, setting: s.name, entry: rep.pareto[k]!, gold: s.gold.estimate, samples: run.settings[k]!.samples });
      });
    });
    const curveOf = sweeps.map((s) => ({ name: unique(s.label, s.source), ...s }));
    const curvePoints = curveOf.flatMap((cv) => cv.sweep.points.map((p) => ({ ...p, name: `${cv.name} ${p.name}` })));
    if (entries.length === 0 && curvePoints.length === 0) throw new UsageError('eval compare: no evaluated settings in the given runs');

    // One frontier over every point: the runs' settings, then every curve's points.
    const coords = (name: string, p: WorldPoint): WorldPoint => ({ name, helpfulness: p.helpfulness, harmlessness: p.harmlessness, overRefusal: p.overRefusal, harmfulCompliance: p.harmfulCompliance });
    const allMarks = paretoPlanes([...entries.map((e) => coords(e.name, e.entry)), ...curvePoints.map((p) => coords(p.name, p))]).map((p) => p.pareto);
    const marked = entries.map((e, i) => ({ ...e.entry, name: e.name, pareto: allMarks[i]! }));
    const curveMarks = allMarks.slice(entries.length);
    const first = entries[0];
    const strip = <T extends { lo: number; hi: number; B: number }>(iv: T): T => (B > 0 ? iv : { ...iv, lo: NaN, hi: NaN, B: 0 });
    const points = marked.map((p, i) => {
      const e = entries[i]!;
      let goldVsFirst: DiffInterval | undefined;
      if (i > 0 && first && e.samples.length && first.samples.length) {
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

    let k = 0;
    const curves = curveOf.map((cv) => ({
      name: cv.name,
      source: cv.source,
      model: cv.sweep.config.model,
      base: cv.sweep.config.base,
      n: cv.sweep.config.n,
      temperature: cv.sweep.config.temperature,
      cases: cv.sweep.cases.length,
      points: cv.sweep.points.map((p) => ({
        name: `${cv.name} ${p.name}`,
        lambda: p.lambda,
        gold: p.gold,
        helpfulness: p.helpfulness,
        harmlessness: p.harmlessness,
        overRefusal: p.overRefusal,
        harmfulCompliance: p.harmfulCompliance,
        refusalRate: p.refusalRate,
        pareto: curveMarks[k++]!,
        intervals: { gold: p.intervals.gold, helpfulness: p.intervals.helpfulness, overRefusal: p.intervals.overRefusal, harmfulCompliance: p.intervals.harmfulCompliance },
      })),
    }));

    const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
    const n3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
    const ci = (iv: { lo: number; hi: number }, f: (x: number) => string) => (Number.isFinite(iv.lo) ? ` [${f(iv.lo)}, ${f(iv.hi)}]` : '');
    const marks = (pa: { refusalCompliance: boolean; helpfulHarmless: boolean }) => [pa.refusalCompliance ? 'RC' : '', pa.helpfulHarmless ? 'HH' : ''].filter(Boolean).join(' ') || '-';
    const rows = points.map((p, i) => [
      String(i + 1),
      p.name,
      n3(p.gold),
      p.goldVsFirst ? `${p.goldVsFirst.estimate >= 0 ? '+' : ''}${n3(p.goldVsFirst.estimate)}${ci(p.goldVsFirst, n3)} ${p.goldVsFirst.paired ? 'paired' : 'unpaired'}` : '',
      `${pct(p.overRefusal)}${ci(p.intervals.overRefusal, pct)}`,
      `${pct(p.harmfulCompliance)}${ci(p.intervals.harmfulCompliance, pct)}`,
      `${n3(p.helpfulness)}${ci(p.intervals.helpfulness, n3)}`,
      n3(p.harmlessness),
      marks(p.pareto),
    ]);
    const table = (head: string[], body: string[][]) => {
      const widths = head.map((h, j) => Math.max(h.length, ...body.map((r) => r[j]!.length)));
      const line = (r: string[]) => r.map((x, j) => x.padEnd(widths[j]!)).join('  ').trimEnd();
      ctx.print(line(head));
      for (const r of body) ctx.print(line(r));
    };
    if (rows.length) table(['#', 'run:setting', 'gold', 'Δgold vs #1', 'over-refusal', 'harmful compliance', 'helpfulness', 'harmlessness', 'frontier'], rows);
    for (const cv of curves) {
      ctx.print(`curve ${cv.name}: ${cv.model}, ${cv.cases} cases × ${cv.n} samples at T = ${cv.temperature}, base ${cv.base}, first customer turn only`);
      table(
        ['λ', 'gold', 'over-refusal', 'harmful compliance', 'helpfulness', 'harmlessness', 'refused', 'frontier'],
        cv.points.map((p) => [String(p.lambda), `${n3(p.gold)}${ci(p.intervals.gold, n3)}`, `${pct(p.overRefusal)}${ci(p.intervals.overRefusal, pct)}`, `${pct(p.harmfulCompliance)}${ci(p.intervals.harmfulCompliance, pct)}`, `${n3(p.helpfulness)}${ci(p.intervals.helpfulness, n3)}`, n3(p.harmlessness), pct(p.refusalRate), marks(p.pareto)]),
      );
    }
    ctx.print('frontier: RC = over-refusal vs harmful compliance (both lower is better), HH = helpfulness vs harmlessness (both higher is better)');

    let svg: string | undefined;
    if (o.out) {
      svg = String(o.out);
      const [rc, hh] = planePlots(
        points,
        curves.map((cv) => ({ name: cv.name, points: cv.points.map((p) => ({ ...p, label: `λ=${p.lambda}` })) })),
      );
      writeFileAtomic(svg, combineSvg([rc, hh]));
      ctx.print(`plot: ${svg}`);
    }
    const all = [...points, ...curves.flatMap((cv) => cv.points)];
    return {
      points,
      curves,
      frontier: { refusalCompliance: all.filter((p) => p.pareto.refusalCompliance).map((p) => p.name), helpfulHarmless: all.filter((p) => p.pareto.helpfulHarmless).map((p) => p.name) },
      ...(svg ? { svg } : {}),
    };
  },
};

export default [compare];
