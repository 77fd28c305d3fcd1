/**
 * The numbers of a run report, computed from a loaded run (src/report/load.ts): for every
 * evaluation setting, gold, proxy, gold's components, the parse rate and every failure rate
 * with percentile-bootstrap 95 % intervals over the replies in samples.jsonl; the same numbers
 * per request family and per distribution-shift preset (`byFamily`, `byShift`: gold, proxy and
 * every failure rate with intervals and counts, computed by the same function as the overall
 * numbers, over the group's replies); both Pareto planes with each setting as a point; the training curves; the
 * overoptimization (Goodhart) curves when results.json has an `overopt` section; the model
 * comparisons results.json asks for in `comparisons` (paired differences a − b with intervals,
 * src/report/compare.ts); and up to two example dialogues per failure type. This object is report.json; the HTML and Markdown
 * renderers only format it.
 *
 * Each interval draws from its own stream, `new Rng(seed).fork('<setting>/<metric>')` (a
 * group's metrics are `family/<family>/<metric>` and `shift/<preset>/<metric>`), so adding a
 * setting, a group or a metric does not move any other interval.
 *
 * Where a setting has no replies in samples.jsonl the point estimates come from results.json
 * and the interval bounds are null (a group's failure rates only where results.json recorded
 * the group's counts: results written before the breakdowns carried them, or before `byShift`
 * existed, show fewer numbers); where both exist they must agree (a mismatch is listed in
 * `warnings`: samples.jsonl and results.json come from different runs).
 *
 * `overopt` (written by the overoptimization lab) is read in any of these shapes, each point
 * carrying `gold` and `proxy` and one x coordinate — `sqrtKl`, `kl`, `n` (best-of-n),
 * `step` or `x`, the first present in that order:
 * `[point, …]`, `{ points: [point, …] }` or `{ curves: { <name>: [point, …] } }`.
 */
import { Rng } from '../util/rng.js';
import { bootstrapMean, bootstrapRate, type Interval, type RateInterval } from '../eval/bootstrap.js';
import { paretoPlanes, type WorldParetoPoint } from '../eval/pareto.js';
import { FAILURES, groupOrder, type Failure } from '../eval/world.js';
import { SHIFT_NAMES } from '../world/index.js';
import type { GroupSummary, LoadedRun, LoadedSetting, StoredSample } from './load.js';
import { computeComparisons, type ComparisonReport } from './compare.js';
import { hostLabel } from '../engine/host.js';

export interface ReportOptions {
  /** Bootstrap resamples per interval. Default 1000. */
  B?: number;
  /** Interval coverage. Default 0.95. */
  level?: number;
  /** Seed of the bootstrap streams. Default 1. */
  seed?: number;
  /** Example dialogues per failure type. Default 2. */
  examplesPerFailure?: number;
}

export interface SettingReport {
  name: string;
  /** Cases evaluated (results.json's n, else distinct case ids). */
  cases: number;
  replies: number;
  /** Whether the intervals come from replies (false: point estimates from results.json only). */
  fromSamples: boolean;
  gold: Interval;
  proxy: Interval;
  parseRate: RateInterval;
  goldComponents: Record<string, Interval>;
  rates: Record<Failure, RateInterval>;
  /** Per request family (sorted). */
  byFamily: Record<string, GroupReport>;
  /** Per distribution-shift preset the cases were drawn under (SHIFT_NAMES order); one entry for a single-preset setting. */
  byShift: Record<string, GroupReport>;
}

/** One group of a breakdown (a request family or a shift preset). */
export interface GroupReport {
  /** Distinct cases (absent when read from results.json without samples). */
  cases?: number;
  replies: number;
  gold: Interval;
  proxy: Interval;
  /** Every failure rate with its interval and {hits, of}; a failure is absent where results.json (read without samples) did not record the group's counts. */
  rates: Partial<Record<Failure, RateInterval>>;
}


export interface CurveReport {
  name: string;
  file: string;
  points: number;
  firstStep: number;
  lastStep: number;
  firstLoss: number;
  finalLoss: number;
  minLoss: number;
  /** (step, loss) pairs, thinned to at most 1000 evenly spaced points. */
  curve: [number, number][];
}

export interface OveroptCurve {
  name: string;
  /** (x, proxy, gold) triples in the order given. */
  points: [number, number, number][];
}

export interface OveroptReport {
  xKey: string;
  xLabel: string;
  curves: OveroptCurve[];
}

export interface ExampleDialogue {
  setting: string;
  caseId: string;
  family: string;
  subtype: string;
  shift: string;
  turn: number;
  messages: { role: string; content: string }[];
  response: string;
  acts: string[];
  parsed: boolean;
  gold: number;
  goldComponents: Record<string, number>;
  proxy: number;
  /** Every failure flagged on this reply. */
  failures: Failure[];
}

export interface ParetoEntry extends WorldParetoPoint {
  intervals: { helpfulness: Interval; overRefusal: RateInterval; harmfulCompliance: RateInterval };
}

export interface RunReport {
  version: 1;
  run: { source: string; label: string; profile?: string; seed?: number; seconds?: number; host?: string; baseline?: Record<string, unknown> };
  bootstrap: { method: 'percentile'; unit: 'reply'; B: number; level: number; seed: number };
  training: CurveReport[];
  settings: SettingReport[];
  /** Paired differences between settings, as results.json's `comparisons` asks (empty when it asks none). */
  comparisons: ComparisonReport[];
  pareto: ParetoEntry[];
  overopt?: OveroptReport;
  examples: Record<Failure, ExampleDialogue[]>;
  /** Things a reader should know: missing files, disagreements between results.json and samples.jsonl. */
  warnings: string[];
}

const nullInterval = (estimate: number, n: number, B: number, level: number): Interval => ({ estimate, lo: NaN, hi: NaN, n, B, level });

/** A rate from stored counts, without interval (NaN where nothing was possible). */
function storedRate(c: { hits: number; of: number }, B: number, level: number): RateInterval {
  return { ...nullInterval(c.of ? c.hits / c.of : NaN, c.of, B, level), hits: c.hits, of: c.of };
}

type Stream = (metric: string) => { B: number; level: number; rng: Rng };

/**
 * Gold, proxy and every failure rate of some replies with their bootstrap intervals, each from
 * the stream `<prefix><metric>` (metric = 'gold', 'proxy', 'rate/<failure>'): the one
 * computation behind a setting's overall numbers (prefix '') and each group's.
 */
function replyIntervals(xs: readonly StoredSample[], stream: Stream, prefix: string): { gold: Interval; proxy: Interval; rates: Record<Failure, RateInterval> } {
  return {
    gold: bootstrapMean(xs.map((x) => x.gold), stream(`${prefix}gold`)),
    proxy: bootstrapMean(xs.map((x) => x.proxy), stream(`${prefix}proxy`)),
    rates: Object.fromEntries(FAILURES.map((f) => [f, bootstrapRate(xs.map((x) => x.flags[f]), stream(`${prefix}rate/${f}`))])) as Record<Failure, RateInterval>,
  };
}

/** The groups of replies by `key` ('family' or 'shift'), each with its intervals. */
function groupReports(xs: readonly StoredSample[], key: 'family' | 'shift', stream: Stream, order?: readonly string[]): Record<string, GroupReport> {
  return Object.fromEntries(
    groupOrder(xs.map((x) => x[key]), order).map((g) => {
      const gx = xs.filter((x) => x[key] === g);
      return [g, { cases: new Set(gx.map((x) => x.caseId)).size, replies: gx.length, ...replyIntervals(gx, stream, `${key}/${g}/`) }];
    }),
  );
}

/** Groups as results.json recorded them (no samples): point estimates, rates only where counts were stored. */
function storedGroups(groups: Record<string, GroupSummary>, B: number, level: number, order?: readonly string[]): Record<string, GroupReport> {
  const num = (v: number | null | undefined) => (typeof v === 'number' ? v : NaN);
  return Object.fromEntries(
    groupOrder(Object.keys(groups), order).map((g) => {
      const v = groups[g]!;
      const rates = Object.fromEntries(FAILURES.filter((f) => v.counts?.[f]).map((f) => [f, storedRate(v.counts![f]!, B, level)]));
      return [g, { replies: v.replies, gold: nullInterval(num(v.gold), v.replies, B, level), proxy: nullInterval(num(v.proxy), v.replies, B, level), rates }];
    }),
  );
}

function setting(s: LoadedSetting, o: Required<ReportOptions>, warnings: string[]): SettingReport {
  const stream: Stream = (metric) => ({ B: o.B, level: o.level, rng: new Rng(o.seed).fork(`${s.name}/${metric}`) });
  const xs = s.samples;
  const sum = s.summary;
  if (xs.length === 0) {
    // Point estimates from results.json only.
    const num = (v: number | null | undefined) => (typeof v === 'number' ? v : NaN);
    const n = sum?.replies ?? 0;
    const rate = (f: string): RateInterval => {
      const c = sum?.counts[f];
      return c ? storedRate(c, o.B, o.level) : { ...nullInterval(num(sum?.rates[f]), 0, o.B, o.level), hits: 0, of: 0 };
    };
    return {
      name: s.name,
      cases: sum?.n ?? 0,
      replies: n,
      fromSamples: false,
      gold: nullInterval(num(sum?.gold), n, o.B, o.level),
      proxy: nullInterval(num(sum?.proxy), n, o.B, o.level),
      parseRate: { ...nullInterval(num(sum?.parseRate), n, o.B, o.level), hits: Math.round(num(sum?.parseRate) * n), of: n },
      goldComponents: Object.fromEntries(Object.entries(sum?.goldComponents ?? {}).map(([k, v]) => [k, nullInterval(num(v), n, o.B, o.level)])),
      rates: Object.fromEntries(FAILURES.map((f) => [f, rate(f)])) as Record<Failure, RateInterval>,
      byFamily: storedGroups(sum?.byFamily ?? {}, o.B, o.level),
      byShift: storedGroups(sum?.byShift ?? {}, o.B, o.level, SHIFT_NAMES),
    };
  }

  const comps = [...new Set(xs.flatMap((x) => Object.keys(x.goldComponents)))];
  const r: SettingReport = {
    name: s.name,
    cases: sum?.n ?? new Set(xs.map((x) => x.caseId)).size,
    replies: xs.length,
    fromSamples: true,
    ...replyIntervals(xs, stream, ''),
    parseRate: bootstrapRate(xs.map((x) => x.parsed), stream('parseRate')),
    goldComponents: Object.fromEntries(comps.map((k) => [k, bootstrapMean(xs.filter((x) => k in x.goldComponents).map((x) => x.goldComponents[k]!), stream(`gold/${k}`))])),
    byFamily: groupReports(xs, 'family', stream),
    byShift: groupReports(xs, 'shift', stream, SHIFT_NAMES),
  };
  if (sum) crossCheck(r, sum, warnings);
  return r;
}

/** results.json and samples.jsonl must describe the same replies. */
function crossCheck(r: SettingReport, sum: NonNullable<LoadedSetting['summary']>, warnings: string[]): void {
  const close = (a: number | null | undefined, b: number) => a === null || a === undefined || (Number.isNaN(b) ? true : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));
  const bad: string[] = [];
  if (sum.replies !== r.replies) bad.push(`replies ${sum.replies} vs ${r.replies}`);
  if (!close(sum.gold, r.gold.estimate)) bad.push(`gold ${sum.gold} vs ${r.gold.estimate}`);
  if (!close(sum.proxy, r.proxy.estimate)) bad.push(`proxy ${sum.proxy} vs ${r.proxy.estimate}`);
  for (const f of FAILURES) {
    const c = sum.counts[f];
    if (c && (c.hits !== r.rates[f].hits || c.of !== r.rates[f].of)) bad.push(`${f} ${c.hits}/${c.of} vs ${r.rates[f].hits}/${r.rates[f].of}`);
  }
  for (const [label, stored, computed] of [['byFamily', sum.byFamily, r.byFamily], ['byShift', sum.byShift, r.byShift]] as const) {
    for (const [g, v] of Object.entries(stored)) {
      const c = computed[g];
      if (!c) {
        bad.push(`${label}.${g} has no replies`);
        continue;
      }
      if (v.replies !== c.replies) bad.push(`${label}.${g} replies ${v.replies} vs ${c.replies}`);
      for (const f of FAILURES) {
        const k = v.counts?.[f];
        const m = c.rates[f];
        if (k && m && (k.hits !== m.hits || k.of !== m.of)) bad.push(`${label}.${g} ${f} ${k.hits}/${k.of} vs ${m.hits}/${m.of}`);
      }
    }
  }
  if (bad.length) warnings.push(`setting "${r.name}": results.json and samples.jsonl disagree (${bad.join(', ')}); the report uses samples.jsonl`);
}

function thin(steps: number[], loss: number[], max: number): [number, number][] {
  const n = steps.length;
  if (n <= max) return steps.map((s, i) => [s, loss[i]!]);
  const out: [number, number][] = [];
  for (let k = 0; k < max; k++) {
    const i = Math.round((k * (n - 1)) / (max - 1));
    out.push([steps[i]!, loss[i]!]);
  }
  return out;
}

const X_KEYS: [string, string][] = [
  ['sqrtKl', '√KL(π ‖ π_ref) (nats^½)'],
  ['kl', 'KL(π ‖ π_ref) (nats)'],
  ['n', 'best-of-n: n'],
  ['step', 'optimization step'],
  ['x', 'optimization'],
];

/** Normalize the `overopt` section (see the file header); undefined when absent or unreadable. */
export function readOveropt(raw: unknown, warnings: string[]): OveroptReport | undefined {
  if (raw === undefined || raw === null) return undefined;
  let named: [string, unknown][];
  if (Array.isArray(raw)) named = [['policy', raw]];
  else if (typeof raw === 'object' && Array.isArray((raw as { points?: unknown }).points)) named = [['policy', (raw as { points: unknown[] }).points]];
  else if (typeof raw === 'object' && typeof (raw as { curves?: unknown }).curves === 'object' && (raw as { curves?: unknown }).curves !== null) named = Object.entries((raw as { curves: object }).curves);
  else {
    warnings.push('results.json: "overopt" is neither a list of points, {points}, nor {curves}; Goodhart plot skipped');
    return undefined;
  }
  const rows = named.flatMap(([, pts]) => (Array.isArray(pts) ? pts : [])) as Record<string, unknown>[];
  const xKey = X_KEYS.find(([k]) => rows.length > 0 && rows.every((p) => typeof p?.[k] === 'number'));
  if (!xKey || !rows.every((p) => typeof p.gold === 'number' && typeof p.proxy === 'number')) {
    warnings.push(`results.json: "overopt" points need numeric gold, proxy and one of ${X_KEYS.map(([k]) => k).join(', ')}; Goodhart plot skipped`);
    return undefined;
  }
  return {
    xKey: xKey[0],
    xLabel: xKey[1],
    curves: named.map(([name, pts]) => ({ name, points: (pts as Record<string, number>[]).map((p) => [p[xKey[0]]!, p.proxy!, p.gold!] as [number, number, number]) })),
  };
}

function pickExamples(settings: readonly LoadedSetting[], per: number): Record<Failure, ExampleDialogue[]> {
  const all = settings.flatMap((s) => s.samples.map((x) => ({ setting: s.name, x })));
  const out = {} as Record<Failure, ExampleDialogue[]>;
  for (const f of FAILURES) {
    const hits = all.filter(({ x }) => x.flags[f] === true);
    const chosen: typeof hits = [];
    const sameCase = (a: (typeof hits)[number], b: (typeof hits)[number]) => a.setting === b.setting && a.x.caseId === b.x.caseId;
    // First pass: prefer a new setting and a new family for variety; second: any new case.
    for (const pass of [0, 1]) {
      for (const h of hits) {
        if (chosen.length >= per) break;
        if (chosen.some((c) => sameCase(c, h))) continue;
        if (pass === 0 && chosen.some((c) => c.setting === h.setting || c.x.family === h.x.family)) continue;
        chosen.push(h);
      }
    }
    out[f] = chosen.map(({ setting, x }) => ({
      setting,
      caseId: x.caseId,
      family: x.family,
      subtype: x.subtype,
      shift: x.shift,
      turn: x.turn,
      messages: x.messages.map((m) => ({ role: m.role, content: m.content })),
      response: x.response,
      acts: x.acts,
      parsed: x.parsed,
      gold: x.gold,
      goldComponents: x.goldComponents,
      proxy: x.proxy,
      failures: FAILURES.filter((g) => x.flags[g] === true),
    }));
  }
  return out;
}

/** Everything report.json holds, computed from a loaded run. */
export function computeReport(run: LoadedRun, opts: ReportOptions = {}): RunReport {
  const o: Required<ReportOptions> = { B: opts.B ?? 1000, level: opts.level ?? 0.95, seed: opts.seed ?? 1, examplesPerFailure: opts.examplesPerFailure ?? 2 };
  const warnings = [...run.notes];
  const settings = run.settings.map((s) => setting(s, o, warnings));
  const planes = paretoPlanes(
    settings.map((s) => ({
      name: s.name,
      helpfulness: (s.goldComponents.helpfulness ?? s.gold).estimate,
      harmlessness: 1 - s.rates.harmfulCompliance.estimate,
      overRefusal: s.rates.overRefusal.estimate,
      harmfulCompliance: s.rates.harmfulCompliance.estimate,
    })),
  );
  const pareto: ParetoEntry[] = planes.map((p, i) => ({
    ...p,
    intervals: { helpfulness: settings[i]!.goldComponents.helpfulness ?? settings[i]!.gold, overRefusal: settings[i]!.rates.overRefusal, harmfulCompliance: settings[i]!.rates.harmfulCompliance },
  }));
  const res = run.results;
  const comparisons = computeComparisons(res?.comparisons ?? [], new Map(run.settings.map((s) => [s.name, s.samples])), o, warnings);
  return {
    version: 1,
    run: { source: run.source, label: run.label, profile: res?.profile, seed: res?.seed, seconds: res?.seconds, host: res?.host ? hostLabel(res.host) : undefined, baseline: res?.baseline },
    bootstrap: { method: 'percentile', unit: 'reply', B: o.B, level: o.level, seed: o.seed },
    training: run.curves.map((c) => ({
      name: c.name,
      file: c.file,
      points: c.loss.length,
      firstStep: c.steps[0]!,
      lastStep: c.steps[c.steps.length - 1]!,
      firstLoss: c.loss[0]!,
      finalLoss: c.loss[c.loss.length - 1]!,
      minLoss: Math.min(...c.loss),
      curve: thin(c.steps, c.loss, 1000),
    })),
    settings,
    comparisons,
    pareto,
    overopt: readOveropt(res?.overopt, warnings),
    examples: pickExamples(run.settings, o.examplesPerFailure),
    warnings,
  };
}
