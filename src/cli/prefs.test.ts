/**
 * `alignlab prefs sample` and `prefs import-labels` on a tiny real model (one layer, random
 * weights): the sampled tasks hold the replies `prefs collect` judges with the same seed; labels
 * filled in here come back as the pairs they pick; a file with a bad line is refused with
 * nothing written, or imported without it under `--on-error skip`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands from './prefs.js';
import { tinyWorldModel } from '../lab/test-fixtures.js';
import type { ComparisonTask } from '../prefs/labels.js';
import type { PreferencePair } from '../prefs/format.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-prefs-cli-'));
  model = path.join(dir, 'policy');
  await tinyWorldModel(model);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const logs: string[] = [];
const ctx = { json: true, log: (m: string) => logs.push(m), print: () => {} };
const cmd = (name: string) => commands.find((c) => c.path.join(' ') === `prefs ${name}`)!;
const common = { n: 3, k: 3, seed: 4, pairing: 'all', split: 'train', temperature: 1, 'max-tokens': 6, threads: 1 };
const readJsonl = <T>(file: string): T[] => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);
const text = (m: { content: string }[]) => m[0]!.content;
const unordered = (x: string, y: string) => (x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`);

describe('prefs sample → import-labels', () => {
  it('samples the replies prefs collect judges, and imports hand-filled labels as the pairs they pick', async () => {
    const tasksFile = path.join(dir, 'tasks.jsonl');
    const r = (await cmd('sample').run({ ...common, model, out: tasksFile, gold: true }, [], ctx)) as { tasks: number; identical: number };
    const tasks = readJsonl<ComparisonTask>(tasksFile);
    expect(tasks.length).toBe(r.tasks);
    expect(r.tasks + r.identical).toBe(3 * 3);
    expect(tasks.length).toBeGreaterThan(3);

    const collected = path.join(dir, 'collected.jsonl');
    await cmd('collect').run({ ...common, model, out: collected, raters: 'careful', pool: 3 }, [], ctx);
    const judged = readJsonl<PreferencePair & { caseId: string; chosen: { content: string }[]; rejected: { content: string }[] }>(collected);
    const key = (caseId: string, x: string, y: string) => `${caseId}\u0000${unordered(x, y)}`;
    expect(tasks.map((t) => key(t.caseId, text(t.response_a), text(t.response_b))).sort()).toEqual(judged.map((p) => key(p.caseId, text(p.chosen), text(p.rejected))).sort());

    // Label: the first task a tie, then b, a, b, a, …; odd lines name their own rater.
    const labeled = tasks.map((t, i) => ({ ...t, preference: i === 0 ? 'tie' : i % 2 === 1 ? 'b' : 'a', ...(i % 2 === 1 ? { rater: 'ann' } : {}), reason: `line ${i + 1}` }));
    const labeledFile = path.join(dir, 'labeled.jsonl');
    fs.writeFileSync(labeledFile, labeled.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out = path.join(dir, 'prefs.jsonl');
    const imp = (await cmd('import-labels').run({ input: labeledFile, out, rater: 'bob', 'on-error': 'throw' }, [], ctx)) as { pairs: number; ties: number; skipped: number };
    expect(imp).toMatchObject({ pairs: tasks.length - 1, ties: 1, skipped: 0 });
    const pairs = readJsonl<PreferencePair & { id: string; chosen: { content: string }[]; rejected: { content: string }[] }>(out);
    expect(pairs).toHaveLength(tasks.length - 1);
    pairs.forEach((p, m) => {
      const l = labeled[m + 1]!;
      expect(p.id).toBe(l.id);
      expect(text(p.chosen)).toBe(text(l.preference === 'a' ? l.response_a : l.response_b));
      expect(text(p.rejected)).toBe(text(l.preference === 'a' ? l.response_b : l.response_a));
      expect(p.rater).toBe(l.preference === 'b' ? 'ann' : 'bob');
      expect(p.reason).toBe(l.reason);
      expect(p.chosen_gold).toBe(l.preference === 'a' ? l.hidden!.a_gold : l.hidden!.b_gold);
    });
  }, 120_000);

  it('refuses a file with a bad line and writes nothing; --on-error skip imports the rest and counts it', async () => {
    const row = { id: 'c:0-1', prompt: [{ role: 'user', content: 'hi' }], response_a: [{ role: 'assistant', content: 'A' }], response_b: [{ role: 'assistant', content: 'B' }], preference: 'a' };
    const input = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(input, [JSON.stringify(row), JSON.stringify({ ...row, preference: 'c' }), JSON.stringify({ ...row, preference: 'b' })].join('\n') + '\n');
    const out = path.join(dir, 'bad-out.jsonl');
    const err = await cmd('import-labels').run({ input, out, rater: 'r', 'on-error': 'throw' }, [], ctx).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`prefs import-labels: 1 bad line, nothing written:\n${input}:2: field "preference": expected "a", "b" or "tie", got "c"`);
    expect(fs.existsSync(out)).toBe(false);

    logs.length = 0;
    const r = (await cmd('import-labels').run({ input, out, rater: 'r', 'on-error': 'skip' }, [], ctx)) as { pairs: number; skipped: number; errors: { line: number }[] };
    expect(r).toMatchObject({ pairs: 2, skipped: 1, errors: [{ line: 2 }] });
    expect(logs).toContain(`${input}:2: field "preference": expected "a", "b" or "tie", got "c"`);
    expect(readJsonl<{ chosen: { content: string }[] }>(out).map((p) => text(p.chosen))).toEqual(['A', 'B']);
  });
});
