/** Pareto frontiers on hand-made point sets, and against a brute-force O(n²) reference. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dominates, paretoFront, paretoMask, worldPoint, worldPoints, type Directions, type Point } from './pareto.js';

const names = (ps: Point[]) => ps.map((p) => p.name).sort();

describe('paretoFront', () => {
  it('minimize/minimize: hand-made set', () => {
    const pts = [
      { name: 'a', x: 0.1, y: 0.5 },
      { name: 'b', x: 0.2, y: 0.2 },
      { name: 'c', x: 0.3, y: 0.3 }, // dominated by b
      { name: 'd', x: 0.6, y: 0.0 },
      { name: 'e', x: 0.6, y: 0.1 }, // same x as d, worse y
      { name: 'f', x: 0.1, y: 0.6 }, // same x as a, worse y
    ];
    expect(names(paretoFront(pts, { x: 'minimize', y: 'minimize' }))).toEqual(['a', 'b', 'd']);
  });

  it('the direction of each axis matters', () => {
    const pts = [
      { name: 'lowlow', x: 0, y: 0 },
      { name: 'highhigh', x: 1, y: 1 },
      { name: 'lowhigh', x: 0, y: 1 },
      { name: 'mid', x: 0.5, y: 0.5 },
    ];
    expect(names(paretoFront(pts, { x: 'maximize', y: 'maximize' }))).toEqual(['highhigh']);
    expect(names(paretoFront(pts, { x: 'minimize', y: 'minimize' }))).toEqual(['lowlow']);
    expect(names(paretoFront(pts, { x: 'minimize', y: 'maximize' }))).toEqual(['lowhigh']);
  });

  it('duplicates both stay; NaN points are never optimal; empty input', () => {
    const pts = [{ name: 'a', x: 1, y: 1 }, { name: 'b', x: 1, y: 1 }, { name: 'n', x: NaN, y: 0 }];
    expect(paretoMask(pts, { x: 'minimize', y: 'minimize' })).toEqual([true, true, false]);
    expect(paretoFront([], { x: 'minimize', y: 'minimize' })).toEqual([]);
  });

  it('agrees with the brute-force definition on random sets (with ties)', () => {
    const dirs = fc.constantFrom<Directions>(
      { x: 'minimize', y: 'minimize' }, { x: 'maximize', y: 'maximize' }, { x: 'minimize', y: 'maximize' }, { x: 'maximize', y: 'minimize' },
    );
    const pts = fc.array(fc.record({ x: fc.integer({ min: 0, max: 6 }), y: fc.integer({ min: 0, max: 6 }) }), { maxLength: 30 });
    fc.assert(
      fc.property(pts, dirs, (raw, d) => {
        const ps = raw.map((p, i) => ({ name: `p${i}`, ...p }));
        const brute = ps.map((p) => !ps.some((q) => dominates(q, p, d)));
        expect(paretoMask(ps, d)).toEqual(brute);
      }),
      { numRuns: 300, seed: 1 },
    );
  });
});

describe('world planes', () => {
  // Gold components and rates as an always-refusing, an always-complying and two in-between models would score.
  const refuser = { gold: 0.5, goldComponents: { helpfulness: 0.1 }, rates: { overRefusal: 1, harmfulCompliance: 0 } };
  const complier = { gold: 0.6, goldComponents: { helpfulness: 0.9 }, rates: { overRefusal: 0, harmfulCompliance: 1 } };
  const balanced = { gold: 0.8, goldComponents: { helpfulness: 0.7 }, rates: { overRefusal: 0.1, harmfulCompliance: 0.2 } };
  const worse = { gold: 0.55, goldComponents: { helpfulness: 0.5 }, rates: { overRefusal: 0.3, harmfulCompliance: 0.4 } };
  const pts = worldPoints([
    { name: 'always refuses', summary: refuser },
    { name: 'always complies', summary: complier },
    { name: 'balanced', summary: balanced },
    { name: 'worse', summary: worse },
  ]);
  const byName = Object.fromEntries(pts.map((p) => [p.name, p]));

  it('always refusing and always complying are the two extreme corners of the refusal/compliance frontier', () => {
    const front = pts.filter((p) => p.pareto.refusalCompliance);
    expect(front.map((p) => p.name).sort()).toEqual(['always complies', 'always refuses', 'balanced']);
    const r = byName['always refuses']!, c = byName['always complies']!;
    expect([r.overRefusal, r.harmfulCompliance]).toEqual([1, 0]);
    expect([c.overRefusal, c.harmfulCompliance]).toEqual([0, 1]);
    // The corners: the frontier's extremes on each axis.
    expect(Math.max(...front.map((p) => p.overRefusal))).toBe(r.overRefusal);
    expect(Math.min(...front.map((p) => p.harmfulCompliance))).toBe(r.harmfulCompliance);
    expect(Math.max(...front.map((p) => p.harmfulCompliance))).toBe(c.harmfulCompliance);
    expect(Math.min(...front.map((p) => p.overRefusal))).toBe(c.overRefusal);
  });

  it('helpfulness vs harmlessness: the refuser is most harmless, the complier most helpful, both optimal', () => {
    expect(byName['always refuses']!.harmlessness).toBe(1);
    expect(byName['always complies']!.harmlessness).toBe(0);
    expect(pts.filter((p) => p.pareto.helpfulHarmless).map((p) => p.name).sort()).toEqual(['always complies', 'always refuses', 'balanced']);
    expect(byName['worse']!.pareto).toEqual({ helpfulHarmless: false, refusalCompliance: false });
  });

  it('helpfulness falls back to gold without a helpfulness component', () => {
    expect(worldPoint('g', { gold: 0.42, rates: { overRefusal: 0, harmfulCompliance: 0.25 } })).toEqual({ name: 'g', helpfulness: 0.42, harmlessness: 0.75, overRefusal: 0, harmfulCompliance: 0.25 });
  });
});
