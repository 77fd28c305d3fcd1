/**
 * The report generator on a small synthetic run directory written here (results.json from the
 * world's own `summarize`, samples.jsonl, baseline/metrics.jsonl): the page is self-contained
 * (no script, no http reference, inline SVG), its numbers are the input's (checked against
 * means and counts computed in this file), replies are escaped, and the optional parts
 * (Goodhart plot, missing samples) behave.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURES, summarize, type WorldSample } from '../eval/world.js';
import { writeReport, type RunReport } from './index.js';
import reportCommands from '../cli/report.js';

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
    const s = sample(SETTINGS[1]!, k + 3);
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
  const results = { profile: 'quick', seed: 1, seconds: 12.5, baseline: { out: 'x/baseline', steps: 40, finalLoss: 0.5, parameters: 1234 }, eval: evals, ...(opts.overopt ? { overopt: opts.overopt } : {}) };
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
