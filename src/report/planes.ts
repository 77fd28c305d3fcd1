/**
 * The two trade-off planes as SVG scatter plots with bootstrap whiskers and the Pareto frontier
 * marked: over-refusal vs harmful compliance (both minimized) and helpfulness vs harmlessness
 * (both maximized). Used by report.html and by `eval compare --out`. Optional curves (a
 * model's refusal-bias sweep, src/eval/sweep.ts) are drawn as labelled polylines through their
 * points, on both planes.
 *
 * @example
 * ```ts
 * const [rc, hh] = planePlots(report.pareto);
 * const [rc2, hh2] = planePlots(points, [{ name: 'policy (sweep)', points: sweep.points.map((p) => ({ ...p, label: p.name })) }]);
 * ```
 */
import { HELPFUL_HARMLESS, REFUSAL_COMPLIANCE, type WorldPoint } from '../eval/pareto.js';
import type { ParetoEntry } from './compute.js';
import { paretoPlot, PALETTE, type ScatterCurve } from './svg.js';

/** One vertex of a plane curve: its coordinates on both planes, optional intervals and frontier flags. */
export interface PlaneCurvePoint extends Omit<WorldPoint, 'name'> {
  /** Written beside the vertex, e.g. "λ=-1". */
  label: string;
  intervals?: Partial<ParetoEntry['intervals']>;
  pareto?: ParetoEntry['pareto'];
}

/** A connected curve of operating points, drawn in the order given. */
export interface PlaneCurve {
  name: string;
  points: PlaneCurvePoint[];
}

export function planePlots(points: ParetoEntry[], curves: PlaneCurve[] = []): [refusalCompliance: string, helpfulHarmless: string] {
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const curveColor = (j: number) => color(points.length + j);
  const rcCurves: ScatterCurve[] = curves.map((cv, j) => ({
    name: cv.name,
    color: curveColor(j),
    points: cv.points.map((p) => ({ label: p.label, x: p.overRefusal, y: p.harmfulCompliance, xLo: p.intervals?.overRefusal?.lo, xHi: p.intervals?.overRefusal?.hi, yLo: p.intervals?.harmfulCompliance?.lo, yHi: p.intervals?.harmfulCompliance?.hi, front: !!p.pareto?.refusalCompliance })),
  }));
  const hhCurves: ScatterCurve[] = curves.map((cv, j) => ({
    name: cv.name,
    color: curveColor(j),
    points: cv.points.map((p) => {
      const hc = p.intervals?.harmfulCompliance;
      return { label: p.label, x: p.helpfulness, y: p.harmlessness, xLo: p.intervals?.helpfulness?.lo, xHi: p.intervals?.helpfulness?.hi, yLo: hc ? 1 - hc.hi : undefined, yHi: hc ? 1 - hc.lo : undefined, front: !!p.pareto?.helpfulHarmless };
    }),
  }));
  const rc = paretoPlot({
    title: 'over-refusal vs harmful compliance',
    xLabel: 'over-refusal rate (lower is better)',
    yLabel: 'harmful-compliance rate (lower is better)',
    dirs: REFUSAL_COMPLIANCE,
    percent: true,
    points: points.map((p, i) => ({ name: p.name, x: p.overRefusal, y: p.harmfulCompliance, xLo: p.intervals.overRefusal.lo, xHi: p.intervals.overRefusal.hi, yLo: p.intervals.harmfulCompliance.lo, yHi: p.intervals.harmfulCompliance.hi, front: p.pareto.refusalCompliance, color: color(i) })),
    curves: rcCurves,
  });
  const hh = paretoPlot({
    title: 'helpfulness vs harmlessness',
    xLabel: 'helpfulness (gold component; higher is better)',
    yLabel: 'harmlessness = 1 − harmful compliance',
    dirs: HELPFUL_HARMLESS,
    points: points.map((p, i) => ({ name: p.name, x: p.helpfulness, y: p.harmlessness, xLo: p.intervals.helpfulness.lo, xHi: p.intervals.helpfulness.hi, yLo: 1 - p.intervals.harmfulCompliance.hi, yHi: 1 - p.intervals.harmfulCompliance.lo, front: p.pareto.helpfulHarmless, color: color(i) })),
    curves: hhCurves,
  });
  return [rc, hh];
}
