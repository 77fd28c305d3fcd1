/**
 * `alignlab eval compare` on samples files from scripted models run through the real world
 * evaluation: one that always refuses, one that always complies (does whatever is asked,
 * harmful requests included) and the correct agent. The first two land on the two extreme
 * corners of the over-refusal/harmful-compliance plane; the correct agent dominates both.
 * A refusal-bias sweep (src/eval/sweep.ts) of a model whose samples are, in order, the correct
 * reply, the complier's and the refuser's is a curve: its points are the sweep file's, its
 * λ = 0 point is the correct agent's first turn, and it takes the frontier from both corners.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands from './eval-compare.js';
import { evalWorld, summarize } from '../eval/world.js';
import { sweepRefusalBias } from '../eval/sweep.js';
import { generateCases, referenceResponse, renderActs, systemPrompt, type Case } from '../world/index.js';
import type { ChatMessage, LanguageModel } from '../providers/types.js';
import { Rng } from '../util/rng.js';

const N = 80;
const cmd = commands.find((c) => c.path.join(' ') === 'eval compare')!;
type Point = { name: string; helpfulness: number; harmlessness: number; overRefusal: number; harmfulCompliance: number; pareto: { helpfulHarmless: boolean; refusalCompliance: boolean }; goldVsFirst?: { paired: boolean; estimate: number } };
type Curve = { name: string; model: string; points: (Point & { lambda: number; gold: number; intervals: Record<string, { lo: number; hi: number }> })[] };
const run = async (args: string[], o: Record<string, string | number> = {}) =>
  (await cmd.run({ bootstrap: 200, seed: 1, ...o }, args, { json: true, log: () => {}, print: () => {} })) as { points: Point[]; curves: Curve[]; frontier: Record<string, string[]>; svg?: string };

/** A scripted model keyed by the case its conversation belongs to. */
function scripted(reply: (c: Case, turn: number) => string): LanguageModel {
  const byStart = new Map<string, Case>();
  for (const c of generateCases({ seed: 1, n: N, split: 'test' })) byStart.set(systemPrompt(c) + '\u0000' + c.turns[0]!.customer, c);
  const answer = (m: ChatMessage[]) => {
    const c = byStart.get(m[0]!.content + '\u0000' + m[1]!.content)!;
    return { text: reply(c, m.filter((x) => x.role === 'user').length - 1), finishReason: 'stop' as const };
  };
  return { id: 'scripted', chat: async (m) => answer(m), chatBatch: async (ms) => ms.map(answer) };
}

const refuser = scripted(() => "I'm sorry, but I can't help with that request.");
const correct = scripted((c, t) => referenceResponse(c, new Rng(1), t));
/** Does what is asked: the correct reply, except that every request it should refuse is carried out. */
const complier = scripted((c, t) =>
  c.turns[t]!.expected.some((e) => e.type === 'refuse') ? renderActs(c, [{ type: c.family === 'harmful' ? 'comply_harmful' : 'disclose_private_info' }], new Rng(1), t) : referenceResponse(c, new Rng(1), t),
);

/** Its k-th sample of a conversation is the correct agent's, the complier's, the refuser's reply in turn. */
function sampler(): LanguageModel {
  const seen = new Map<string, number>();
  const models = [correct, complier, refuser];
  const answer = (m: ChatMessage[]) => {
    const key = m[0]!.content + '\u0000' + m[1]!.content;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    return models[k % 3]!.chat(m);
  };
  return { id: 'sampler', chat: async (m) => answer(m), chatBatch: async (ms) => Promise.all(ms.map(answer)) };
}

let dir: string;
const files: Record<string, string> = {};
let sweep: Awaited<ReturnType<typeof sweepRefusalBias>>;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-compare-'));
  for (const [name, model] of Object.entries({ refuser, complier, correct })) {
    const r = await evalWorld(model, { n: N, seed: 1 });
    files[name] = path.join(dir, `${name}.jsonl`);
    fs.writeFileSync(files[name]!, r.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  }
  sweep = await sweepRefusalBias(sampler(), { cases: N, n: 3, lambdas: [-1, 0, 1], B: 100 });
  files.sweep = path.join(dir, 'sweep.json');
  fs.writeFileSync(files.sweep, JSON.stringify(sweep));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('alignlab eval compare', () => {
  it('always refusing and always complying are the two extreme corners, both on the frontier', async () => {
    const r = await run([files.refuser!, files.complier!]);
    const [ref, com] = r.points;
    expect(ref).toMatchObject({ name: 'refuser', overRefusal: 1, harmfulCompliance: 0, harmlessness: 1 });
    expect(com).toMatchObject({ name: 'complier', overRefusal: 0, harmfulCompliance: 1, harmlessness: 0 });
    expect(ref!.pareto).toEqual({ helpfulHarmless: true, refusalCompliance: true });
    expect(com!.pareto).toEqual({ helpfulHarmless: true, refusalCompliance: true });
    expect(com!.helpfulness).toBeGreaterThan(ref!.helpfulness);
    // Same cases, replies differ: the gold difference is paired by case.
    expect(com!.goldVsFirst?.paired).toBe(true);
  });

  it('the correct agent dominates both on both planes; --out writes one standalone SVG', async () => {
    const out = path.join(dir, 'planes.svg');
    const r = await run([files.refuser!, files.complier!, files.correct!], { out });
    expect(r.frontier).toEqual({ refusalCompliance: ['correct'], helpfulHarmless: ['correct'] });
    expect(r.points[2]).toMatchObject({ overRefusal: 0, harmfulCompliance: 0, helpfulness: 1 });
    expect(r.svg).toBe(out);
    const svg = fs.readFileSync(out, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<svg/g)!.length).toBe(svg.match(/<\/svg>/g)!.length);
    for (const n of ['refuser', 'complier', 'correct (frontier)']) expect(svg).toContain(n);
  });

  it('reads run directories (one point per setting) next to samples files', async () => {
    const runDir = path.join(dir, 'myrun');
    fs.mkdirSync(runDir);
    const lines = fs.readFileSync(files.correct!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const half = lines.slice(0, 40).map((s) => ({ setting: 'a<b', ...s }));
    const rest = lines.slice(40).map((s) => ({ setting: 'other', ...s }));
    fs.writeFileSync(path.join(runDir, 'samples.jsonl'), [...half, ...rest].map((s) => JSON.stringify(s)).join('\n') + '\n');
    const { samples: _a, ...sa } = summarize(40, half);
    const { samples: _b, ...sb } = summarize(40, rest);
    fs.writeFileSync(path.join(runDir, 'results.json'), JSON.stringify({ eval: { 'a<b': sa, other: sb } }));
    const r = await run([runDir, files.refuser!], { bootstrap: 0 });
    expect(r.points.map((p) => p.name)).toEqual(['myrun:a<b', 'myrun:other', 'refuser']);
    expect(r.points[2]!.goldVsFirst?.paired).toBe(false); // different case sets
  });

  it('a sweep file is a curve: its points, the joint frontier, a labelled polyline on both planes', async () => {
    const out = path.join(dir, 'curve.svg');
    const r = await run([files.refuser!, files.complier!, files.sweep!], { out });
    expect(r.points.map((p) => p.name)).toEqual(['refuser', 'complier']);
    expect(r.curves).toHaveLength(1);
    const cv = r.curves[0]!;
    expect(cv).toMatchObject({ name: 'sweep', model: 'sampler' });
    expect(cv.points.map((p) => [p.name, p.lambda])).toEqual([['sweep λ=-1', -1], ['sweep λ=0', 0], ['sweep λ=1', 1]]);
    cv.points.forEach((p, k) => {
      const q = sweep.points[k]!;
      expect([p.overRefusal, p.harmfulCompliance, p.helpfulness, p.harmlessness, p.gold]).toEqual([q.overRefusal, q.harmfulCompliance, q.helpfulness, q.harmlessness, q.gold]);
      expect(p.intervals.overRefusal).toEqual(q.intervals.overRefusal);
    });
    // λ = 0 keeps the first sample: the correct agent, at the ideal corner of the first plane,
    // which puts both always-refuse and always-comply off the frontier.
    const first = await evalWorld(correct, { n: N, seed: 1, maxTurns: 1 });
    expect(cv.points[1]).toMatchObject({ overRefusal: first.rates.overRefusal, harmfulCompliance: first.rates.harmfulCompliance, gold: first.gold });
    expect(cv.points[1]).toMatchObject({ overRefusal: 0, harmfulCompliance: 0 });
    expect(r.frontier.refusalCompliance).toContain('sweep λ=0');
    expect(r.frontier.refusalCompliance).not.toContain('refuser');
    expect(r.frontier.refusalCompliance).not.toContain('complier');
    expect(r.points.every((p) => !p.pareto.refusalCompliance)).toBe(true);
    // λ = −1 prefers any sample the classifier does not call a refusal: more harmful compliance than λ = 0.
    expect(cv.points[0]!.harmfulCompliance).toBeGreaterThan(0);
    expect(cv.points[2]!.overRefusal).toBeGreaterThanOrEqual(cv.points[1]!.overRefusal);

    const svg = fs.readFileSync(out, 'utf8');
    const lines = [...svg.matchAll(/<polyline points="([^"]*)"[^>]*><title>sweep<\/title><\/polyline>/g)];
    expect(lines).toHaveLength(2); // one per plane
    for (const m of lines) expect(m[1]!.trim().split(/\s+/)).toHaveLength(3);
    for (const t of ['λ=-1', 'λ=0', 'λ=1', 'sweep (curve of 3']) expect(svg).toContain(t);
    expect(svg.match(/<svg/g)!.length).toBe(svg.match(/<\/svg>/g)!.length);
  });

  it('sweeps alone can be compared; a .json that is not a sweep is one clear message', async () => {
    const other = path.join(dir, 'sweep-b.out'); // recognized by its content, whatever its name
    fs.copyFileSync(files.sweep!, other);
    const r = await run([files.sweep!, other], { bootstrap: 0 });
    expect(r.points).toEqual([]);
    expect(r.curves.map((c) => c.name)).toEqual(['sweep', 'sweep-b.out']);
    const notSweep = path.join(dir, 'results-like.json');
    fs.writeFileSync(notSweep, '{"eval": {}}');
    await expect(run([notSweep])).rejects.toThrow(/results-like\.json: not a sweep file/);
  });

  it('bad input: a missing path and a non-run directory get one clear message', async () => {
    await expect(run([path.join(dir, 'nope.jsonl')])).rejects.toThrow(/nope\.jsonl: no such file/);
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    await expect(run([empty])).rejects.toThrow(/not a run directory/);
  });
});
