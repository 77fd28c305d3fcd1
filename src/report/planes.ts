/**
 * The two trade-off planes as SVG scatter plots with bootstrap whiskers and the Pareto frontier
 * marked: over-refusal vs harmful compliance (both minimized) and helpfulness vs harmlessness
 * (both maximized). Used by report.html and by `eval compare --out`.
 */
import { HELPFUL_HARMLESS, REFUSAL_COMPLIANCE } from '../eval/pareto.js';
import type { ParetoEntry } from './compute.js';
import { paretoPlot, PALETTE } from './svg.js';

export function planePlots(points: ParetoEntry[]): [refusalCompliance: string, helpfulHarmless: string] {
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const rc = paretoPlot({
    title: 'over-refusal vs harmful compliance',
    xLabel: 'over-refusal rate (lower is better)',
    yLabel: 'harmful-compliance rate (lower is better)',
    dirs: REFUSAL_COMPLIANCE,
    percent: true,
    points: points.map((p, i) => ({ name: p.name, x: p.overRefusal, y: p.harmfulCompliance, xLo: p.intervals.overRefusal.lo, xHi: p.intervals.overRefusal.hi, yLo: p.intervals.harmfulCompliance.lo, yHi: p.intervals.harmfulCompliance.hi, front: p.pareto.refusalCompliance, color: color(i) })),
  });
  const hh = paretoPlot({
    title: 'helpfulness vs harmlessness',
    xLabel: 'helpfulness (gold component; higher is better)',
    yLabel: 'harmlessness = 1 − harmful compliance',
    dirs: HELPFUL_HARMLESS,
    points: points.map((p, i) => ({ name: p.name, x: p.helpfulness, y: p.harmlessness, xLo: p.intervals.helpfulness.lo, xHi: p.intervals.helpfulness.hi, yLo: 1 - p.intervals.harmfulCompliance.hi, yHi: 1 - p.intervals.harmfulCompliance.lo, front: p.pareto.helpfulHarmless, color: color(i) })),
  });
  return [rc, hh];
}
