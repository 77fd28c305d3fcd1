/**
 * Pareto frontiers for comparing assistants on two axes that pull against each other.
 *
 * A point a **dominates** b when a is at least as good as b on both axes and strictly better on
 * one ("good" is larger on a maximized axis, smaller on a minimized one). The Pareto-optimal
 * set (the frontier) is the points no other point dominates: for every point off it, some
 * other model is better on one axis at no cost on the other. Identical points do not dominate
 * each other, so both stay on the frontier; a point with a NaN coordinate is never on it and
 * dominates nothing.
 *
 * Two planes are standard here (Bai et al. 2022, "Training a Helpful and Harmless Assistant
 * with RLHF", plot helpfulness against harmlessness; XSTest, Röttger et al. 2024, puts
 * over-refusal against unsafe compliance):
 *
 * | plane              | x                                       | y                                 |
 * |--------------------|-----------------------------------------|-----------------------------------|
 * | helpfulHarmless    | helpfulness (gold's helpfulness component, or gold), maximize | harmlessness = 1 − harmful-compliance rate, maximize |
 * | refusalCompliance  | over-refusal rate, minimize             | harmful-compliance rate, minimize |
 *
 * On the second plane a model that always refuses sits at (1, 0) and one that always complies
 * at (0, 1): the two extreme corners of the frontier. The ideal assistant is at (0, 0).
 *
 * Computed by sorting on x (best first, ties broken by best y) and sweeping once, keeping each
 * point whose y beats every y seen so far: O(n log n).
 *
 * @example
 * ```ts
 * paretoFront([{ name: 'a', x: 0.1, y: 0.2 }, { name: 'b', x: 0.3, y: 0.3 }], { x: 'minimize', y: 'minimize' });
 * // → [{ name: 'a', … }]   (a is better on both axes)
 * const pts = worldPoints([{ name: 'greedy', summary: resultsJson.eval.greedy }]);
 * pts[0].pareto.refusalCompliance;   // true: alone, it is on the frontier
 * ```
 */

export type Direction = 'maximize' | 'minimize';

export interface Directions {
  x: Direction;
  y: Direction;
}

export interface Point {
  name: string;
  x: number;
  y: number;
}

/** Signed so that larger is better. */
function good(v: number, d: Direction): number {
  return d === 'maximize' ? v : -v;
}

/** True when `a` dominates `b` under `dirs`. */
export function dominates(a: Point, b: Point, dirs: Directions): boolean {
  const ax = good(a.x, dirs.x), ay = good(a.y, dirs.y), bx = good(b.x, dirs.x), by = good(b.y, dirs.y);
  return ax >= bx && ay >= by && (ax > bx || ay > by);
}

/** For each point (in input order), whether it is Pareto-optimal. */
export function paretoMask(points: readonly Point[], dirs: Directions): boolean[] {
  const mask = points.map(() => false);
  const order = points
    .map((p, i) => ({ i, gx: good(p.x, dirs.x), gy: good(p.y, dirs.y) }))
    .filter((p) => Number.isFinite(p.gx) && Number.isFinite(p.gy))
    .sort((a, b) => b.gx - a.gx || b.gy - a.gy);
  // Sweep from the best x: a point is optimal iff its y beats the best y of every point with a
  // strictly better x, and it equals the best of its own x group (ties in both stay optimal).
  let bestY = -Infinity;
  let k = 0;
  while (k < order.length) {
    let end = k;
    while (end < order.length && order[end]!.gx === order[k]!.gx) end++;
    const groupBest = order[k]!.gy; // sorted by y descending within the group
    if (groupBest > bestY) {
      for (let j = k; j < end && order[j]!.gy === groupBest; j++) mask[order[j]!.i] = true;
      bestY = groupBest;
    }
    k = end;
  }
  return mask;
}

/** The Pareto-optimal points, in input order. */
export function paretoFront<P extends Point>(points: readonly P[], dirs: Directions): P[] {
  const mask = paretoMask(points, dirs);
  return points.filter((_, i) => mask[i]);
}

/** The two planes' axis directions. */
export const HELPFUL_HARMLESS: Directions = { x: 'maximize', y: 'maximize' };
export const REFUSAL_COMPLIANCE: Directions = { x: 'minimize', y: 'minimize' };

/** What a world evaluation must provide to be placed on the planes (a `WorldEvalResult` does). */
export interface WorldSummaryLike {
  gold: number;
  goldComponents?: Record<string, number>;
  rates: { overRefusal: number; harmfulCompliance: number };
}

/** One evaluated model (or run × setting) on both planes. */
export interface WorldPoint {
  name: string;
  /** Gold's helpfulness component when present, else gold itself. */
  helpfulness: number;
  /** 1 − harmful-compliance rate. */
  harmlessness: number;
  overRefusal: number;
  harmfulCompliance: number;
}

export interface WorldParetoPoint extends WorldPoint {
  pareto: { helpfulHarmless: boolean; refusalCompliance: boolean };
}

/** A world evaluation's coordinates on both planes. */
export function worldPoint(name: string, s: WorldSummaryLike): WorldPoint {
  const help = s.goldComponents?.helpfulness;
  return {
    name,
    helpfulness: typeof help === 'number' ? help : s.gold,
    harmlessness: 1 - s.rates.harmfulCompliance,
    overRefusal: s.rates.overRefusal,
    harmfulCompliance: s.rates.harmfulCompliance,
  };
}

/** Marks each point's membership of both frontiers. */
export function paretoPlanes<P extends WorldPoint>(points: readonly P[]): (P & { pareto: WorldParetoPoint['pareto'] })[] {
  const hh = paretoMask(points.map((p) => ({ name: p.name, x: p.helpfulness, y: p.harmlessness })), HELPFUL_HARMLESS);
  const rc = paretoMask(points.map((p) => ({ name: p.name, x: p.overRefusal, y: p.harmfulCompliance })), REFUSAL_COMPLIANCE);
  return points.map((p, i) => ({ ...p, pareto: { helpfulHarmless: hh[i]!, refusalCompliance: rc[i]! } }));
}

/** `worldPoint` for each named summary, then `paretoPlanes`. */
export function worldPoints(items: readonly { name: string; summary: WorldSummaryLike }[]): WorldParetoPoint[] {
  return paretoPlanes(items.map((it) => worldPoint(it.name, it.summary)));
}
