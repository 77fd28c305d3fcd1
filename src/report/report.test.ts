/**
 * The report generator on a small synthetic run directory written here (results.json from the
 * world's own `summarize`, samples.jsonl, baseline/metrics.jsonl): the page is self-contained
 * (no script, no http reference, inline SVG), its numbers are the input's (checked against
 * means and counts computed in this file), replies are escaped, and the optional parts
 * (Goodhart plot, missing samples) behave; model comparisons pair replies by (caseId, turn) and
 * give the differences and intervals worked out by hand (or, for a varied metric,
 * `bootstrapMeanDiff` on pairs picked by hand here); the breakdowns by request family and by
 * shift preset equal filtering and counting the replies here, and a results.json written
 * before the breakdowns carried counts or `byShift` existed still renders.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURES, summarize, type WorldSample } from '../eval/world.js';
import { writeReport, type RunReport } from './index.js';
import reportCommands from '../cli/report.js';
import { bootstrapMean, bootstrapMeanDiff } from '../eval/bootstrap.js';
import { Rng } from '../util/rng.js';
import { verdictOf } from './compare.js';

const EVIL = '<script>alert("x")</script> <img src=x onerror=alert(1)> & fine';

/** One synthetic reply; `k` varies the numbers so every setting has spread. */
function sample(setting: string, k: number, over: Partial<WorldSample> = {}): WorldSample & { setting: string } {
  const family = ['refund', 'howto', 'harmful'][k % 3]!;
  const help = (k % 4) / 4;
  return {
    setting,
    caseId: `hd-test-${k % 6}`,
    family,
    subtype: `${family}_sub`,
    shift: 'none',
    turn: k >= 6 ? 1 : 0,
    messages: [
      { role: 'system', content: 'You are a support agent. Policy: 30-day returns.' },
      { role: 'user', content: `Customer message ${k} with a <tag>` },
    ],
    response: `Reply ${k}.`,
    acts: ['greeting'],
    parsed: k % 7 !== 3,
    gold: 0.2 + 0.1 * (k % 8),
    goldComponents: { helpfulness: help, harmlessness: 1, honesty: 1, cost: 0, longTerm: help },
    proxy: 0.05 * k,
    flags: {
      unkeptPromise: k % 5 === 0,
      inventedPolicy: false,
      lecture: k === 4,
      ...(family !== 'harmful' ? { overRefusal: k % 4 === 1 } : { harmfulCompliance: k % 2 === 0 }),
      ...(k >= 6 ? { sycophancy: k % 3 === 0 } : {}),
    },
    ...over,
  };
}

const SETTINGS = ['greedy', 'hot <T=0.7> & "shifted"'];
function buildSamples(): (WorldSample & { setting: string })[] {
  const out: (WorldSample & { setting: string })[] = [];
  for (let k = 0; k < 12; k++) out.push(sample(SETTINGS[0]!, k));
  for (let k = 0; k < 12; k++) {
    // The second setting's cases are spread over two shift presets (the first stays on 'none').
    const s = sample(SETTINGS[1]!, k + 3, { shift: ['policy_change', 'adversarial'][Math.floor(k / 2) % 2]! });
    // One harmful request complied with, in a reply full of markup.
    out.push(k === 2 ? { ...s, response: EVIL, acts: ['comply_harmful'], flags: { ...s.flags, harmfulCompliance: true } } : s);
  }
  return out;
}

function writeRun(dir: string, opts: { overopt?: unknown; samples?: boolean; goldOverride?: number } = {}): (WorldSample & { setting: string })[] {
  fs.mkdirSync(path.join(dir, 'baseline'), { recursive: true });
  const samples = buildSamples();
  const evals: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const { samples: _omit, ...summary } = summarize(6, samples.filter((x) => x.setting === s));
    evals[s] = opts.goldOverride !== undefined && s === SETTINGS[0] ? { ...summary, gold: opts.goldOverride } : summary;
  }
  const results = { profile: 'quick', seed: 1, seconds: 12.5, host: { cpu: 'AMD EPYC', cpuFamily: 23, cpuModel: 1, isa: ['avx2', 'fma'], kernels: 'avx2', cpus: 2 }, baseline: { out: 'x/baseline', steps: 40, finalLoss: 0.5, parameters: 1234 }, eval: evals, ...(opts.overopt ? { overopt: opts.overopt } : {}) };
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2));
  if (opts.samples !== false) fs.writeFileSync(path.join(dir, 'samples.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const metrics = Array.from({ length: 40 }, (_, i) => JSON.stringify({ 'train/loss': 6 * Math.exp(-i / 8) + 0.5, 'train/grad_norm': 1, 'train/learning_rate': 1e-3, 'train/step': i + 1, 'train/epoch': i / 40 }));
  fs.writeFileSync(path.join(dir, 'baseline', 'metrics.jsonl'), metrics.join('\n') + '\n');
  return samples;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pctText = (hits: number, of: number) => `${((100 * hits) / of).toFixed(1)}%`;

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-report-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('writeReport', () => {
  let dir: string;
  let html: string;
  let md: string;
  let json: RunReport;
  let samples: (WorldSample & { setting: string })[];
  beforeAll(() => {
    dir = path.join(root, 'run');
    samples = writeRun(dir);
    const w = writeReport(dir);
    html = fs.readFileSync(w.html, 'utf8');
    md = fs.readFileSync(w.markdown, 'utf8');
    json = JSON.parse(fs.readFileSync(w.json, 'utf8'));
    expect([w.html, w.markdown, w.json]).toEqual(['report.html', 'report.md', 'report.json'].map((f) => path.join(dir, f)));
  });

  it('is one self-contained page: no script, no http reference, inline SVG, no temp files left', () => {
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html.toLowerCase()).not.toContain('http');
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b|@import|url\(/i);
    expect(html).toContain('<svg');
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(4); // training curve, failure rates, two Pareto planes
    expect(html).toContain('<style>');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('says where and how long the run ran, from results.json', () => {
    const where = 'on AMD EPYC (family 23, model 1), AVX2 kernels, 2 CPUs';
    expect(json.run.host).toBe(where.slice(3));
    expect(md.split('\n')[2]).toBe(`profile quick · seed 1 · 13 s · ${where}`);
    expect(html).toContain(where);
  });

  it('explains gold, proxy and every failure rate at the top', () => {
    const guide = html.slice(html.indexOf('id="guide"'), html.indexOf('id="headline"'));
    for (const word of ['gold', 'proxy', 'over-refusal rate', 'harmful compliance rate', 'sycophancy rate', 'unkept promise rate', 'invented policy rate', 'lecture rate']) expect(guide).toContain(word);
    expect(html.indexOf('id="guide"')).toBeLessThan(html.indexOf('id="metrics"'));
  });

  it('numbers match the input: means, counts and their formatted text in HTML and Markdown', () => {
    for (const name of SETTINGS) {
      const xs = samples.filter((s) => s.setting === name);
      const r = json.settings.find((s) => s.name === name)!;
      expect(r.replies).toBe(xs.length);
      expect(r.gold.estimate).toBeCloseTo(mean(xs.map((x) => x.gold)), 12);
      expect(r.proxy.estimate).toBeCloseTo(mean(xs.map((x) => x.proxy)), 12);
      expect(r.goldComponents.helpfulness!.estimate).toBeCloseTo(mean(xs.map((x) => x.goldComponents.helpfulness!)), 12);
      expect(r.gold.lo).toBeLessThanOrEqual(r.gold.estimate);
      expect(r.gold.hi).toBeGreaterThanOrEqual(r.gold.estimate);
      expect(r.gold.hi).toBeGreaterThan(r.gold.lo);
      const goldText = mean(xs.map((x) => x.gold)).toFixed(3);
      expect(html).toContain(`${goldText} [${r.gold.lo.toFixed(3)}, ${r.gold.hi.toFixed(3)}]`);
      expect(md).toContain(`${goldText} [${r.gold.lo.toFixed(3)}, ${r.gold.hi.toFixed(3)}]`);
      for (const f of FAILURES) {
        const defined = xs.filter((x) => x.flags[f] !== undefined);
        const hits = defined.filter((x) => x.flags[f]).length;
        expect([r.rates[f].hits, r.rates[f].of], `${name} ${f}`).toEqual([hits, defined.length]);
        if (defined.length) {
          expect(html).toContain(`${pctText(hits, defined.length)} [`);
          expect(html).toContain(`(${hits}/${defined.length})`);
        }
      }
      const fam = xs.filter((x) => x.family === 'howto');
      expect(r.byFamily.howto!.replies).toBe(fam.length);
      expect(r.byFamily.howto!.gold.estimate).toBeCloseTo(mean(fam.map((x) => x.gold)), 12);
    }
    expect(json.warnings).toEqual([]); // results.json (from summarize) and samples.jsonl agree
    expect(json.training[0]).toMatchObject({ name: 'baseline', points: 40, firstStep: 1, lastStep: 40 });
    expect(json.training[0]!.finalLoss).toBeCloseTo(6 * Math.exp(-39 / 8) + 0.5, 12);
  });

  it('places each setting on the Pareto planes with the frontier marked', () => {
    const byName = Object.fromEntries(json.pareto.map((p) => [p.name, p]));
    for (const name of SETTINGS) {
      const r = json.settings.find((s) => s.name === name)!;
      expect(byName[name]!.overRefusal).toBe(r.rates.overRefusal.estimate);
      expect(byName[name]!.harmlessness).toBeCloseTo(1 - r.rates.harmfulCompliance.estimate, 12);
    }
    const [a, b] = SETTINGS.map((n) => byName[n]!);
    const aDominates = a!.overRefusal <= b!.overRefusal && a!.harmfulCompliance <= b!.harmfulCompliance && (a!.overRefusal < b!.overRefusal || a!.harmfulCompliance < b!.harmfulCompliance);
    const bDominates = b!.overRefusal <= a!.overRefusal && b!.harmfulCompliance <= a!.harmfulCompliance && (b!.overRefusal < a!.overRefusal || b!.harmfulCompliance < a!.harmfulCompliance);
    expect(a!.pareto.refusalCompliance).toBe(!bDominates);
    expect(b!.pareto.refusalCompliance).toBe(!aDominates);
    expect(html).toContain('Pareto frontier');
  });

  it('escapes replies, messages and setting names', () => {
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &amp; fine');
    expect(html).not.toContain('<img');
    expect(html).toContain('hot &lt;T=0.7&gt; &amp; &quot;shifted&quot;');
    expect(html).not.toContain('<T=0.7>');
    expect(html).toContain('with a &lt;tag&gt;');
    // The harmful-compliance example is the escaped reply, with its acts and scores.
    const ex = json.examples.harmfulCompliance;
    expect(ex.length).toBe(2);
    expect(ex.some((e) => e.response === EVIL && e.acts.includes('comply_harmful'))).toBe(true);
    for (const f of FAILURES) expect(json.examples[f].length).toBeLessThanOrEqual(2);
  });

  it('has no Goodhart section without an overopt section; is deterministic', () => {
    expect(html).not.toContain('id="goodhart"');
    expect(json.overopt).toBeUndefined();
    const again = writeReport(dir);
    expect(JSON.stringify(again.report, null, 2) + '\n').toBe(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  });
});

describe('writeReport: breakdowns by request family and by distribution shift', () => {
  let dir: string;
  let samples: (WorldSample & { setting: string })[];
  let json: RunReport;
  let html: string;
  let md: string;
  beforeAll(() => {
    dir = path.join(root, 'groups');
    samples = writeRun(dir);
    const w = writeReport(dir, { B: 300, seed: 3 });
    json = w.report;
    html = fs.readFileSync(w.html, 'utf8');
    md = fs.readFileSync(w.markdown, 'utf8');
  });

  it('every group holds the replies, gold and failure counts that filtering and counting by hand give', () => {
    for (const name of SETTINGS) {
      const xs = samples.filter((s) => s.setting === name);
      const r = json.settings.find((s) => s.name === name)!;
      for (const [groups, key] of [[r.byFamily, 'family'], [r.byShift, 'shift']] as const) {
        const names = [...new Set(xs.map((x) => x[key]))];
        expect(Object.keys(groups).sort(), `${name} ${key}`).toEqual(names.sort());
        for (const g of names) {
          const gx = xs.filter((x) => x[key] === g);
          const v = groups[g]!;
          expect([v.replies, v.cases]).toEqual([gx.length, new Set(gx.map((x) => x.caseId)).size]);
          expect(v.gold.estimate).toBeCloseTo(mean(gx.map((x) => x.gold)), 12);
          expect(v.proxy.estimate).toBeCloseTo(mean(gx.map((x) => x.proxy)), 12);
          for (const f of FAILURES) {
            const of = gx.filter((x) => x.flags[f] !== undefined).length;
            const hits = gx.filter((x) => x.flags[f] === true).length;
            expect([v.rates[f]!.hits, v.rates[f]!.of], `${name} ${g} ${f}`).toEqual([hits, of]);
            if (of) {
              expect(v.rates[f]!.estimate).toBeCloseTo(hits / of, 12);
              expect(v.rates[f]!.lo).toBeLessThanOrEqual(v.rates[f]!.estimate);
              expect(v.rates[f]!.hi).toBeGreaterThanOrEqual(v.rates[f]!.estimate);
            }
          }
        }
      }
    }
    // The second setting is split over its two presets (SHIFT_NAMES order: adversarial before policy_change).
    const hot = json.settings[1]!;
    expect(Object.keys(hot.byShift)).toEqual(['adversarial', 'policy_change']);
    expect(Object.keys(json.settings[0]!.byShift)).toEqual(['none']);
    // Group counts add up to the setting's counts.
    for (const f of FAILURES) expect(Object.values(hot.byShift).reduce((a, v) => a + v.rates[f]!.of, 0)).toBe(hot.rates[f].of);
    // results.json's group counts (from summarize) agree with samples.jsonl's.
    expect(json.warnings).toEqual([]);
  });

  it("a group's interval is the overall mechanism: bootstrapMean on the group's replies from the stream '<setting>/shift/<preset>/gold'", () => {
    const name = SETTINGS[1]!;
    const gx = samples.filter((s) => s.setting === name && s.shift === 'adversarial');
    const ref = bootstrapMean(gx.map((x) => x.gold), { B: 300, level: 0.95, rng: new Rng(3).fork(`${name}/shift/adversarial/gold`) });
    expect(json.settings[1]!.byShift.adversarial!.gold).toEqual(ref);
    expect(ref.hi).toBeGreaterThan(ref.lo);
  });

  it('HTML and Markdown show a table per setting for families, and per-shift tables where a setting spans several presets', () => {
    const shifts = html.slice(html.indexOf('id="shifts"'), html.indexOf('id="pareto"'));
    expect(html.indexOf('id="families"')).toBeLessThan(html.indexOf('id="shifts"'));
    expect(shifts).toContain('By distribution shift');
    expect(shifts).toContain('hot &lt;T=0.7&gt; &amp; &quot;shifted&quot;');
    expect(shifts).toContain('<table class="groups">');
    expect(shifts).toMatch(/one distribution only.*greedy \(none\)/);
    const hot = samples.filter((s) => s.setting === SETTINGS[1] && s.shift === 'policy_change');
    const over = hot.filter((x) => x.flags.overRefusal !== undefined);
    const overHits = over.filter((x) => x.flags.overRefusal).length;
    expect(shifts).toContain(`${pctText(overHits, over.length)} (${overHits}/${over.length})`);
    const families = html.slice(html.indexOf('id="families"'), html.indexOf('id="shifts"'));
    expect(families.match(/<table class="groups">/g)!.length).toBe(SETTINGS.length);
    const mdShifts = md.slice(md.indexOf('## By distribution shift'), md.indexOf('## Pareto view'));
    const iv = json.settings[1]!.byShift.policy_change!.rates.overRefusal!;
    expect(mdShifts).toContain(`### ${SETTINGS[1]}`);
    expect(mdShifts).toContain(`${pctText(overHits, over.length)} [${(100 * iv.lo).toFixed(1)}%, ${(100 * iv.hi).toFixed(1)}%] (${overHits}/${over.length})`);
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html.toLowerCase()).not.toContain('http');
  });

  it('warns when results.json and samples.jsonl disagree on a group', () => {
    const d = path.join(root, 'groups-mismatch');
    writeRun(d);
    const f = path.join(d, 'results.json');
    const res = JSON.parse(fs.readFileSync(f, 'utf8'));
    res.eval[SETTINGS[1]!].byShift.adversarial.counts.unkeptPromise.hits += 1;
    fs.writeFileSync(f, JSON.stringify(res));
    expect(writeReport(d, { B: 50 }).report.warnings.join(' ')).toMatch(/byShift\.adversarial unkeptPromise \d+\/\d+ vs/);
  });
});

describe('writeReport: results.json from before the breakdowns', () => {
  /** results.json as older versions wrote it: byFamily with replies, gold and proxy only, and no byShift. */
  function writeOld(dir: string, withSamples: boolean): (WorldSample & { setting: string })[] {
    const samples = writeRun(dir, { samples: withSamples });
    const f = path.join(dir, 'results.json');
    const res = JSON.parse(fs.readFileSync(f, 'utf8'));
    for (const s of Object.values(res.eval) as Record<string, unknown>[]) {
      delete s.byShift;
      s.byFamily = Object.fromEntries(Object.entries(s.byFamily as Record<string, { replies: number; gold: number; proxy: number }>).map(([k, v]) => [k, { replies: v.replies, gold: v.gold, proxy: v.proxy }]));
    }
    fs.writeFileSync(f, JSON.stringify(res));
    return samples;
  }

  it('without samples.jsonl: families with gold and proxy, rates shown as unknown, shifts said to be missing', () => {
    const dir = path.join(root, 'old-nosamples');
    const samples = writeOld(dir, false);
    const w = writeReport(dir, { B: 50 });
    const g = w.report.settings[0]!;
    const howto = samples.filter((s) => s.setting === 'greedy' && s.family === 'howto');
    expect(g.byFamily.howto!.replies).toBe(howto.length);
    expect(g.byFamily.howto!.gold.estimate).toBeCloseTo(mean(howto.map((x) => x.gold)), 12);
    expect(g.byFamily.howto!.rates).toEqual({});
    expect(g.byShift).toEqual({});
    const html = fs.readFileSync(w.html, 'utf8');
    expect(html).toContain('id="shifts"');
    expect(html).toMatch(/No per-shift numbers[^<]*greedy/);
    expect(html).toContain('title="not recorded in results.json"');
    expect(fs.readFileSync(w.markdown, 'utf8')).toContain('## By distribution shift');
  });

  it('with samples.jsonl: the breakdowns come from the replies, without warnings', () => {
    const dir = path.join(root, 'old-samples');
    const samples = writeOld(dir, true);
    const w = writeReport(dir, { B: 50 });
    expect(w.report.warnings).toEqual([]);
    const hot = samples.filter((s) => s.setting === SETTINGS[1] && s.shift === 'adversarial');
    expect(w.report.settings[1]!.byShift.adversarial!.replies).toBe(hot.length);
  });

  it('the summary of a new run carries byShift with counts (what the loader reads)', () => {
    const { samples: _s, ...sum } = summarize(6, buildSamples().filter((x) => x.setting === SETTINGS[1]));
    expect(Object.keys(sum.byShift)).toEqual(['adversarial', 'policy_change']);
    expect(sum.byShift.adversarial!.counts.unkeptPromise.of).toBe(sum.byShift.adversarial!.replies);
  });
});

describe('writeReport: optional and broken inputs', () => {
  it('renders the Goodhart plot when results.json has an overopt section', () => {
    const dir = path.join(root, 'overopt');
    const pts = [0, 1, 2, 3, 4].map((k) => ({ kl: k * 2, proxy: 0.4 + 0.1 * k, gold: 0.6 + 0.1 * k - 0.04 * k * k }));
    writeRun(dir, { overopt: { curves: { 'ppo (β=0.05)': pts } } });
    const w = writeReport(dir);
    const html = fs.readFileSync(w.html, 'utf8');
    const goodhart = html.slice(html.indexOf('id="goodhart"'));
    expect(goodhart).toContain('<svg');
    expect(w.report.overopt).toEqual({ xKey: 'kl', xLabel: expect.any(String), curves: [{ name: 'ppo (β=0.05)', points: pts.map((p) => [p.kl, p.proxy, p.gold]) }] });
    expect(fs.readFileSync(w.markdown, 'utf8')).toContain('## Goodhart');
    expect(html.toLowerCase()).not.toContain('http');
  });

  it('without samples.jsonl: results.json numbers, null bounds, a warning', () => {
    const dir = path.join(root, 'nosamples');
    const samples = writeRun(dir, { samples: false });
    const w = writeReport(dir);
    const g = w.report.settings[0]!;
    expect(g.fromSamples).toBe(false);
    expect(g.gold.estimate).toBeCloseTo(mean(samples.filter((s) => s.setting === 'greedy').map((s) => s.gold)), 12);
    const j = JSON.parse(fs.readFileSync(w.json, 'utf8'));
    expect(j.settings[0].gold.lo).toBeNull();
    expect(w.report.warnings.join(' ')).toMatch(/samples\.jsonl not found/);
    expect(fs.readFileSync(w.html, 'utf8')).toContain('<svg');
  });

  it('warns when results.json and samples.jsonl disagree', () => {
    const dir = path.join(root, 'mismatch');
    writeRun(dir, { goldOverride: 0.123 });
    expect(writeReport(dir).report.warnings.join(' ')).toMatch(/greedy.*disagree.*gold 0\.123/);
  });

  it('a malformed sample names the file, line and field; nothing is written', () => {
    const dir = path.join(root, 'bad');
    writeRun(dir);
    const file = path.join(dir, 'samples.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[4] = JSON.stringify({ ...JSON.parse(lines[4]!), gold: 'high' });
    fs.writeFileSync(file, lines.join('\n'));
    expect(() => writeReport(dir)).toThrow(/samples\.jsonl:5: .*gold/);
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(false);
  });

  it('`alignlab report RUN_DIR` returns the paths and headline numbers', async () => {
    const dir = path.join(root, 'cli');
    const samples = writeRun(dir);
    const printed: string[] = [];
    const cmd = reportCommands.find((c) => c.path.join(' ') === 'report')!;
    const r = (await cmd.run({ bootstrap: 200, level: 0.95, seed: 1 }, [dir], { json: false, log: () => {}, print: (t) => printed.push(t) })) as { html: string; headline: { setting: string; gold: { estimate: number; B: number } }[] };
    expect(r.html).toBe(path.join(dir, 'report.html'));
    expect(r.headline.map((h) => h.setting)).toEqual(SETTINGS);
    expect(r.headline[0]!.gold.estimate).toBeCloseTo(mean(samples.filter((s) => s.setting === 'greedy').map((s) => s.gold)), 12);
    expect(r.headline[0]!.gold.B).toBe(200);
    expect(printed.join('\n')).toContain('greedy: gold');
    await expect(cmd.run({ bootstrap: 200, level: 0.95, seed: 1 }, [path.join(root, 'nope')], { json: true, log: () => {}, print: () => {} })).rejects.toThrow(/not a run directory/);
  });
});

describe('model comparisons (results.json "comparisons")', () => {
  const BASE = 'baseline · greedy';
  const RLHF = 'RLHF <β=0.1> · greedy';
  const COPY = 'baseline copy';
  /** Turns answered per case: the baseline holds the line into turn 1 on cases 0–2; RLHF ends case 0 after turn 0 and also answers case 6. */
  const BASE_KEYS: [number, number][] = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [4, 0], [5, 0]];
  const RLHF_KEYS: [number, number][] = [[0, 0], [1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [4, 0], [5, 0], [6, 0]];
  const COMMON = RLHF_KEYS.filter(([i, t]) => BASE_KEYS.some(([j, u]) => i === j && t === u));

  const reply = (setting: string, i: number, turn: number, x: Pick<WorldSample, 'gold' | 'proxy' | 'parsed' | 'goldComponents' | 'flags'>): WorldSample & { setting: string } => ({
    setting,
    caseId: `hd-cmp-${i}`,
    family: 'refund',
    subtype: 'refund_sub',
    shift: 'none',
    turn,
    messages: [{ role: 'user', content: `case ${i} turn ${turn}` }],
    response: `reply ${i}.${turn}`,
    acts: ['greeting'],
    ...x,
  });
  const base = (i: number, t: number) =>
    reply(BASE, i, t, {
      gold: 0.1 * i + 0.05 * t,
      proxy: 0.3 + 0.1 * ((3 * i + t) % 4),
      parsed: (i + t) % 3 !== 0,
      goldComponents: { helpfulness: 0.5, cost: 0 },
      flags: { overRefusal: true, harmfulCompliance: false, unkeptPromise: i % 2 === 0, inventedPolicy: false, ...(t === 1 ? { sycophancy: i % 2 === 0 } : {}) },
    });
  const rlhf = (i: number, t: number) =>
    reply(RLHF, i, t, {
      gold: i === 6 ? 5 : 0.1 * i + 0.05 * t + 0.1, // case 6 has no partner: its gold must not enter
      proxy: 0.9 - 0.1 * ((i + t) % 3),
      parsed: true,
      goldComponents: { helpfulness: 0.75, cost: 0.25 },
      flags: { overRefusal: false, harmfulCompliance: true, unkeptPromise: i % 3 === 0, inventedPolicy: false, ...(t === 1 ? { sycophancy: i === 1 } : i === 3 ? { sycophancy: true } : {}) },
    });

  const COMPARISONS = [
    { name: 'RLHF vs baseline', a: RLHF, b: BASE },
    { name: 'copy vs baseline', a: COPY, b: BASE },
    { name: 'ghost', a: RLHF, b: 'baseline · sampled (T=0.7)' },
  ];
  let dir: string;
  let rep: RunReport;
  let html: string;
  let md: string;
  let json: RunReport;
  beforeAll(() => {
    dir = path.join(root, 'compare');
    fs.mkdirSync(dir, { recursive: true });
    const samples = [...BASE_KEYS.map(([i, t]) => base(i, t)), ...RLHF_KEYS.map(([i, t]) => rlhf(i, t)), ...BASE_KEYS.map(([i, t]) => ({ ...base(i, t), setting: COPY }))];
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ profile: 'quick', seed: 1, eval: {}, comparisons: COMPARISONS }));
    fs.writeFileSync(path.join(dir, 'samples.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const w = writeReport(dir, { B: 1000, seed: 1 });
    rep = w.report;
    html = fs.readFileSync(w.html, 'utf8');
    md = fs.readFileSync(w.markdown, 'utf8');
    json = JSON.parse(fs.readFileSync(w.json, 'utf8'));
  });
  const row = (r: RunReport, name: string, metric: string) => r.comparisons.find((c) => c.name === name)!.rows.find((x) => x.metric === metric)!;

  it('pairs by (caseId, turn): only keys both settings answered, counted', () => {
    const c = rep.comparisons.find((x) => x.name === 'RLHF vs baseline')!;
    expect(COMMON.length).toBe(8);
    expect([c.a, c.b, c.pairs, c.cases, c.unpairedA, c.unpairedB]).toEqual([RLHF, BASE, 8, 6, 1, 1]);
    // Gold: every pair differs by exactly +0.1, so the interval collapses onto it; case 6's gold 5 is left out.
    const g = row(rep, 'RLHF vs baseline', 'gold');
    expect(g.pairs).toBe(8);
    expect(g.a).toBeCloseTo(COMMON.reduce((s, [i, t]) => s + 0.1 * i + 0.05 * t + 0.1, 0) / 8, 12);
    expect(g.diff.estimate).toBeCloseTo(0.1, 12);
    expect(g.diff.lo).toBeCloseTo(0.1, 12);
    expect(g.diff.hi).toBeCloseTo(0.1, 12);
    expect(g.diff).toMatchObject({ paired: true, cases: 6 }); // resampled by case, not by turn
    expect(g.verdict).toBe('better');
  });

  it('all flags true against all false: difference ±1 with interval [±1, ±1], verdict by direction', () => {
    const hc = row(rep, 'RLHF vs baseline', 'rate/harmfulCompliance');
    expect([hc.diff.estimate, hc.diff.lo, hc.diff.hi, hc.hitsA, hc.hitsB, hc.pairs, hc.verdict]).toEqual([1, 1, 1, 8, 0, 8, 'worse']);
    const or = row(rep, 'RLHF vs baseline', 'rate/overRefusal');
    expect([or.diff.estimate, or.diff.lo, or.diff.hi, or.verdict]).toEqual([-1, -1, -1, 'better']);
    // Gold components: helpfulness up is better, cost up is worse; proxy has no good direction.
    expect(row(rep, 'RLHF vs baseline', 'gold/helpfulness')).toMatchObject({ diff: { estimate: 0.25, lo: 0.25, hi: 0.25 }, verdict: 'better' });
    expect(row(rep, 'RLHF vs baseline', 'gold/cost')).toMatchObject({ diff: { estimate: 0.25, lo: 0.25, hi: 0.25 }, verdict: 'worse' });
    const px = row(rep, 'RLHF vs baseline', 'proxy');
    expect(px.verdict).toBe('higher'); // every pair: RLHF ≥ 0.7 > baseline ≤ 0.6
    expect(px.diff.lo).toBeGreaterThan(0);
  });

  it('a flag counts only where defined in both replies of a pair; undefined everywhere is "not measured"', () => {
    // Sycophancy is defined in both only at (1, 1): RLHF 1, baseline 0, and (2, 1): RLHF 0, baseline 1.
    // Resampling the two cases: both case 1 → +1, both case 2 → −1 (a quarter each), mixed → 0.
    const sy = row(rep, 'RLHF vs baseline', 'rate/sycophancy');
    expect([sy.pairs, sy.hitsA, sy.hitsB, sy.a, sy.b, sy.diff.estimate]).toEqual([2, 1, 1, 0.5, 0.5, 0]);
    expect([sy.diff.lo, sy.diff.hi, sy.verdict]).toEqual([-1, 1, 'no clear difference']);
    const lec = row(rep, 'RLHF vs baseline', 'rate/lecture');
    expect([lec.pairs, lec.verdict]).toEqual([0, 'not measured']);
    expect(Number.isNaN(lec.diff.estimate)).toBe(true);
    const jl = json.comparisons[0]!.rows.find((x) => x.metric === 'rate/lecture')!;
    expect([jl.diff.lo, jl.diff.hi]).toEqual([null, null]);
  });

  it('each interval is bootstrapMeanDiff over the hand-picked pairs, keyed by case, on its own stream', () => {
    const pick = (value: (x: WorldSample) => number) => ({
      a: COMMON.map(([i, t]) => ({ key: `hd-cmp-${i}`, value: value(rlhf(i, t)) })),
      b: COMMON.map(([i, t]) => ({ key: `hd-cmp-${i}`, value: value(base(i, t)) })),
    });
    const cases: [string, (x: WorldSample) => number, number][] = [
      ['rate/unkeptPromise', (x) => (x.flags.unkeptPromise ? 1 : 0), 2 / 8 - 4 / 8], // RLHF: cases 0, 3; baseline: (0,0), (2,0), (2,1), (4,0)
      ['parseRate', (x) => (x.parsed ? 1 : 0), 1 - 5 / 8], // baseline unparsed at (0,0), (2,1), (3,0)
      ['proxy', (x) => x.proxy, NaN],
    ];
    for (const [metric, value, byHand] of cases) {
      const { a, b } = pick(value);
      const ref = bootstrapMeanDiff(a, b, { B: 1000, level: 0.95, rng: new Rng(1).fork(`compare/RLHF vs baseline/${metric}`), paired: true });
      const r = row(rep, 'RLHF vs baseline', metric);
      if (!Number.isNaN(byHand)) expect(r.diff.estimate, metric).toBeCloseTo(byHand, 12);
      expect([r.diff.estimate, r.diff.lo, r.diff.hi, r.diff.cases], metric).toEqual([ref.estimate, ref.lo, ref.hi, 6]);
    }
    expect(row(rep, 'RLHF vs baseline', 'rate/unkeptPromise').verdict).toBe(verdictOf(row(rep, 'RLHF vs baseline', 'rate/unkeptPromise').diff, 'lower'));
  });

  it('identical replies: every difference is exactly 0 with interval [0, 0]', () => {
    const c = rep.comparisons.find((x) => x.name === 'copy vs baseline')!;
    expect([c.pairs, c.cases, c.unpairedA, c.unpairedB]).toEqual([9, 6, 0, 0]);
    for (const r of c.rows.filter((x) => x.pairs > 0)) {
      expect([r.diff.estimate, r.diff.lo, r.diff.hi, r.verdict], r.metric).toEqual([0, 0, 0, 'no clear difference']);
      expect(r.a).toBe(r.b);
    }
  });

  it('a comparison naming a setting without replies gives a warning and is skipped', () => {
    expect(rep.comparisons.map((c) => c.name)).toEqual(['RLHF vs baseline', 'copy vs baseline']);
    expect(rep.warnings.some((w) => /comparison "ghost".*"baseline · sampled \(T=0\.7\)".*no replies in samples\.jsonl.*skipped/.test(w))).toBe(true);
  });

  it('the section appears after the headline in HTML, with escaped names, and in Markdown; none without comparisons', () => {
    const at = (id: string) => html.indexOf(`id="${id}"`);
    expect(at('comparison')).toBeGreaterThan(at('headline'));
    expect(at('comparison')).toBeLessThan(at('training'));
    const sec = html.slice(at('comparison'), at('training'));
    expect(sec).toContain('Model comparison');
    expect(sec).toContain('RLHF &lt;β=0.1&gt; · greedy (a)');
    expect(sec).not.toContain('<β');
    expect(sec).toContain('+100.0 pp [+100.0, +100.0]</td><td class="worse">worse</td>');
    expect(sec).toContain('-100.0 pp [-100.0, -100.0]</td><td class="better">better</td>');
    expect(sec).toContain('+0.100 [+0.100, +0.100]');
    expect(sec).toContain('paired over 8 (case, turn) pairs from 6 cases');
    expect(html.toLowerCase()).not.toContain('<script');
    expect(md).toContain('## Model comparison');
    expect(md).toContain('### RLHF vs baseline');
    expect(md).toContain('| harmful compliance | 100.0% (8/8) | 0.0% (0/8) | +100.0 pp [+100.0, +100.0] | worse |');
    const baseGold = (BASE_KEYS.reduce((s, [i, t]) => s + 0.1 * i + 0.05 * t, 0) / 9).toFixed(3); // 1.95 / 9
    expect(md).toContain(`| gold | ${baseGold} | ${baseGold} | 0.000 [0.000, 0.000] | no clear difference |`);
    expect(md.indexOf('## Model comparison')).toBeLessThan(md.indexOf('## Training curve'));
    expect(json.comparisons.map((c) => c.name)).toEqual(['RLHF vs baseline', 'copy vs baseline']);
    // A run without comparisons has no such section.
    const plain = path.join(root, 'plain');
    writeRun(plain);
    const w = writeReport(plain, { B: 50 });
    expect(w.report.comparisons).toEqual([]);
    expect(fs.readFileSync(w.html, 'utf8')).not.toContain('id="comparison"');
  });

  it('a malformed comparison in results.json names the file and field', () => {
    const bad = path.join(root, 'badcmp');
    writeRun(bad);
    const f = path.join(bad, 'results.json');
    fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), comparisons: [{ name: 'x', a: 'greedy' }] }));
    expect(() => writeReport(bad)).toThrow(/results\.json: comparisons\.0\.b: /);
  });
});
