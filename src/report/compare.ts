/**
 * Model comparisons: how one evaluated setting differs from another (for example the RLHF
 * model against the baseline it was trained from, both sampled at T = 0.7), with paired
 * bootstrap intervals, for every number the report shows per setting.
 *
 * results.json asks for them by name:
 *
 *     "comparisons": [{ "name": "RLHF vs baseline · greedy", "a": "RLHF · greedy", "b": "baseline · greedy" }]
 *
 * **Pairing.** Both settings answered the same test cases, so the replies are paired by
 * (caseId, turn): a's reply to turn t of case c is set against b's reply to the same turn of
 * the same case. Only keys present in both settings count (a dialogue can end earlier under one
 * model, and then its later turns have no partner); how many keys were paired and how many
 * were left out on either side is reported. For a failure rate, a pair counts only where the
 * flag is defined in both replies (true = 1, false = 0); for a gold component, where both
 * replies carry it.
 *
 * **Difference and interval.** For each metric, over the n usable pairs (a_i, b_i):
 *
 *     Δ = mean(a_i) − mean(b_i)          (= mean of the per-pair differences a_i − b_i)
 *
 * with a percentile-bootstrap interval from `bootstrapMeanDiff` (src/eval/bootstrap.ts),
 * paired. The resampling unit is the **case**: each of the B resamples draws cases with
 * replacement and takes all their paired turns, because the turns of one dialogue are
 * correlated (the customer pushes back on what the same model just said); resampling single
 * turns would give intervals that are too narrow. Pairing removes the case-to-case spread that
 * both models share, so these intervals are usually much narrower than the two settings'
 * separate intervals would suggest. Each interval draws from its own stream,
 * `new Rng(seed).fork('compare/<name>/<metric>')`, so adding a comparison or a metric does
 * not move any other interval.
 *
 * **Verdict.** A difference is clear when its interval excludes 0 (lo > 0 or hi < 0). For
 * metrics with a good direction (gold and its components: higher is better, cost: lower;
 * parse rate: higher; failure rates: lower) a clear difference reads "better" or "worse" for
 * a relative to b; otherwise "no clear difference". The proxy (the simulated customer's rating)
 * has no good direction — a higher rating is what reward hacking chases — so its verdict
 * is only "higher" or "lower". With few pairs a zero-width interval (every pair differs by the
 * same amount) is "no variation seen", not certainty.
 *
 * @example
 * ```ts
 * const c = compareSettings({ name: 'RLHF vs baseline', a: 'RLHF', b: 'baseline' }, rlhfSamples, baselineSamples, { B: 1000, level: 0.95, seed: 1 });
 * c.rows.find((r) => r.metric === 'rate/overRefusal');
 * // { diff: { estimate: -0.12, lo: -0.18, hi: -0.06, … }, verdict: 'better', … }   (RLHF over-refuses less)
 * ```
 */
import { Rng } from '../util/rng.js';
import { bootstrapMeanDiff, type DiffInterval, type KeyedValue } from '../eval/bootstrap.js';
import { FAILURES, type Failure } from '../eval/world.js';
import { COMPONENT_TEXT, FAILURE_TEXT, GOLD_TEXT, PARSE_TEXT, PROXY_TEXT, num, pct } from './text.js';
import type { ComparisonSpec, StoredSample } from './load.js';

/** Which way is better for a metric: higher, lower, or neither (the proxy). */
export type Direction = 'higher' | 'lower' | 'none';

/** The plain-words reading of one row, for a relative to b. */
export type Verdict = 'better' | 'worse' | 'no clear difference' | 'higher' | 'lower' | 'not measured';

export interface ComparisonRow {
  /** 'gold', 'gold/<component>', 'proxy', 'parseRate' or 'rate/<failure>'. */
  metric: string;
  label: string;
  /** 'mean' (printed as a number) or 'rate' (printed as a percentage, the difference in points). */
  kind: 'mean' | 'rate';
  direction: Direction;
  /** Pairs (caseId, turn) the row is over: both replies define the metric. */
  pairs: number;
  /** Mean of a and of b over those pairs (so they can differ from the settings' own rows). */
  a: number;
  b: number;
  /** Rates only: true flags of a and b over those pairs (`of` = pairs). */
  hitsA?: number;
  hitsB?: number;
  /** a − b with its paired percentile-bootstrap interval (NaN when no pair defines the metric). */
  diff: DiffInterval;
  verdict: Verdict;
}

export interface ComparisonReport {
  name: string;
  /** The setting compared (a) and the one it is compared against (b); the difference is a − b. */
  a: string;
  b: string;
  /** (caseId, turn) keys answered in both settings. */
  pairs: number;
  /** Distinct cases among them (the bootstrap's resampling unit). */
  cases: number;
  /** Replies of a, and of b, whose (caseId, turn) the other setting did not answer; left out. */
  unpairedA: number;
  unpairedB: number;
  rows: ComparisonRow[];
}

export interface CompareOptions {
  B: number;
  level: number;
  seed: number;
}

/** Gold components in the order the report lists them; any others follow, sorted. */
const COMPONENT_ORDER = ['helpfulness', 'harmlessness', 'honesty', 'longTerm', 'cost'];
/** Components where less is better (the rest: more is better). */
const LOWER_IS_BETTER = new Set(['cost']);

/** What a row measures: its name, label, kind, direction and how to read it from one reply. */
interface MetricDef {
  metric: string;
  label: string;
  kind: 'mean' | 'rate';
  direction: Direction;
  value: (x: StoredSample) => number | undefined;
}

function metricDefs(components: readonly string[]): MetricDef[] {
  const comps = [...COMPONENT_ORDER.filter((k) => components.includes(k)), ...components.filter((k) => !COMPONENT_ORDER.includes(k)).sort()];
  const flag = (v: boolean | undefined) => (v === undefined ? undefined : v ? 1 : 0);
  return [
    { metric: 'gold', label: GOLD_TEXT.label, kind: 'mean', direction: 'higher', value: (x) => x.gold },
    ...comps.map((k): MetricDef => ({ metric: `gold/${k}`, label: `gold: ${COMPONENT_TEXT[k]?.label ?? k}`, kind: 'mean', direction: LOWER_IS_BETTER.has(k) ? 'lower' : 'higher', value: (x) => x.goldComponents[k] })),
    { metric: 'proxy', label: PROXY_TEXT.label, kind: 'mean', direction: 'none', value: (x) => x.proxy },
    { metric: 'parseRate', label: PARSE_TEXT.label, kind: 'rate', direction: 'higher', value: (x) => (x.parsed ? 1 : 0) },
    ...FAILURES.map((f: Failure): MetricDef => ({ metric: `rate/${f}`, label: FAILURE_TEXT[f].label, kind: 'rate', direction: 'lower', value: (x) => flag(x.flags[f]) })),
  ];
}

/** "better"/"worse"/"no clear difference" (or "higher"/"lower" without a good direction) from the interval. */
export function verdictOf(d: Pick<DiffInterval, 'lo' | 'hi'>, direction: Direction): Verdict {
  if (!Number.isFinite(d.lo) || !Number.isFinite(d.hi)) return 'not measured';
  const sign = d.lo > 0 ? 1 : d.hi < 0 ? -1 : 0;
  if (sign === 0) return 'no clear difference';
  if (direction === 'none') return sign > 0 ? 'higher' : 'lower';
  return (sign > 0) === (direction === 'higher') ? 'better' : 'worse';
}

const pairKey = (x: StoredSample) => JSON.stringify([x.caseId, x.turn]);

function byKey(xs: readonly StoredSample[]): Map<string, StoredSample[]> {
  const m = new Map<string, StoredSample[]>();
  for (const x of xs) {
    const k = pairKey(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(x);
  }
  return m;
}

/**
 * Compare the replies of two settings, paired by (caseId, turn) (see the file header).
 * `samplesA` and `samplesB` must be non-empty; keys answered by only one side are left out.
 * Should a setting hold several replies to one (caseId, turn), all of them enter the means.
 */
export function compareSettings(spec: ComparisonSpec, samplesA: readonly StoredSample[], samplesB: readonly StoredSample[], o: CompareOptions): ComparisonReport {
  const ma = byKey(samplesA);
  const mb = byKey(samplesB);
  const keys = [...ma.keys()].filter((k) => mb.has(k)).sort();
  const unpaired = (m: Map<string, StoredSample[]>, other: Map<string, StoredSample[]>) => [...m].filter(([k]) => !other.has(k)).reduce((n, [, xs]) => n + xs.length, 0);
  const cases = new Set(keys.map((k) => ma.get(k)![0]!.caseId)).size;

  const components = [...new Set(keys.flatMap((k) => [...ma.get(k)!, ...mb.get(k)!].flatMap((x) => Object.keys(x.goldComponents))))];
  const rows = metricDefs(components).map((m): ComparisonRow => {
    const va: KeyedValue[] = [];
    const vb: KeyedValue[] = [];
    let pairs = 0;
    for (const k of keys) {
      const xa = ma.get(k)!.map(m.value).filter((v): v is number => v !== undefined);
      const xb = mb.get(k)!.map(m.value).filter((v): v is number => v !== undefined);
      if (xa.length === 0 || xb.length === 0) continue;
      pairs++;
      // The resampling unit is the case, so every turn of one case shares its key.
      const caseId = ma.get(k)![0]!.caseId;
      for (const v of xa) va.push({ key: caseId, value: v });
      for (const v of xb) vb.push({ key: caseId, value: v });
    }
    const diff = bootstrapMeanDiff(va, vb, { B: o.B, level: o.level, rng: new Rng(o.seed).fork(`compare/${spec.name}/${m.metric}`), paired: true });
    const sum = (xs: KeyedValue[]) => xs.reduce((s, x) => s + x.value, 0);
    const row: ComparisonRow = {
      metric: m.metric,
      label: m.label,
      kind: m.kind,
      direction: m.direction,
      pairs,
      a: va.length ? sum(va) / va.length : NaN,
      b: vb.length ? sum(vb) / vb.length : NaN,
      diff,
      verdict: verdictOf(diff, m.direction),
    };
    if (m.kind === 'rate') {
      row.hitsA = sum(va);
      row.hitsB = sum(vb);
    }
    return row;
  });
  return { name: spec.name, a: spec.a, b: spec.b, pairs: keys.length, cases, unpairedA: unpaired(ma, mb), unpairedB: unpaired(mb, ma), rows };
}

/**
 * The comparisons results.json asks for, computed from the settings' replies. A comparison
 * naming a setting without replies in samples.jsonl, or whose settings share no
 * (caseId, turn), or whose name was already used, is skipped with a line in `warnings`.
 */
export function computeComparisons(specs: readonly ComparisonSpec[], samplesOf: ReadonlyMap<string, readonly StoredSample[]>, o: CompareOptions, warnings: string[]): ComparisonReport[] {
  const out: ComparisonReport[] = [];
  const have = [...samplesOf].filter(([, xs]) => xs.length > 0).map(([name]) => `"${name}"`);
  for (const spec of specs) {
    if (out.some((c) => c.name === spec.name)) {
      warnings.push(`results.json: comparison "${spec.name}" is listed more than once; only the first is shown`);
      continue;
    }
    const missing = [spec.a, spec.b].filter((s) => (samplesOf.get(s)?.length ?? 0) === 0);
    if (missing.length) {
      warnings.push(`results.json: comparison "${spec.name}" names ${missing.map((s) => `"${s}"`).join(' and ')}, which ${missing.length > 1 ? 'have' : 'has'} no replies in samples.jsonl (settings there: ${have.join(', ') || 'none'}); comparison skipped`);
      continue;
    }
    const c = compareSettings(spec, samplesOf.get(spec.a)!, samplesOf.get(spec.b)!, o);
    if (c.pairs === 0) {
      warnings.push(`results.json: comparison "${spec.name}": "${spec.a}" and "${spec.b}" answered no (caseId, turn) in common, so nothing can be paired; comparison skipped`);
      continue;
    }
    out.push(c);
  }
  return out;
}

/** A signed number ("+0.120", "-0.045", "0.000"), scaled (100 for percentage points). */
function signed(v: number, digits: number, scale = 1): string {
  if (!Number.isFinite(v)) return '—';
  const s = Math.abs(scale * v).toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return (v > 0 ? '+' : '-') + s;
}

/**
 * The printed cells of one row, shared by report.html and report.md:
 * [metric, a, b, "difference [lo, hi]", verdict]. Rates print as percentages with their
 * counts over the pairs and the difference in percentage points (pp).
 */
export function comparisonCells(r: ComparisonRow): [string, string, string, string, string] {
  const rate = r.kind === 'rate';
  const side = (v: number, hits: number | undefined) => (rate ? `${pct(v)} (${hits ?? 0}/${r.pairs})` : num(v));
  const d = r.diff;
  const unit = rate ? ' pp' : '';
  const f = (v: number) => signed(v, rate ? 1 : 3, rate ? 100 : 1);
  const diff = Number.isFinite(d.estimate) ? `${f(d.estimate)}${unit}${Number.isFinite(d.lo) && Number.isFinite(d.hi) ? ` [${f(d.lo)}, ${f(d.hi)}]` : ''}` : '—';
  return [r.label, side(r.a, r.hitsA), side(r.b, r.hitsB), diff, r.verdict];
}

/** One sentence on what a comparison is over: pairs, cases and what was left out. */
export function comparisonScope(c: ComparisonReport): string {
  const left = c.unpairedA || c.unpairedB ? ` ${c.unpairedA} replies of "${c.a}" and ${c.unpairedB} of "${c.b}" had no partner (the dialogue ended earlier under the other setting) and are left out.` : ' Every reply had a partner.';
  return `"${c.a}" against "${c.b}", difference = a − b, paired over ${c.pairs} (case, turn) pairs from ${c.cases} cases.${left}`;
}
