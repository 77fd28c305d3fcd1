/**
 * Human labels for sampled replies (src/prefs/labels.ts). The model is scripted: it answers
 * like one of the world's personas, drawn from the request's seed and the prompt, and logs
 * its batches, so the tests know reply j of each case without going through the code under
 * test. Labels are filled in here by hand-written rules, and the pairs are checked against
 * the texts those rules picked and against the world's own scores.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, Completion, LanguageModel, SamplingOptions } from '../providers/types.js';
import { JsonlError } from '../util/jsonl.js';
import { Rng } from '../util/rng.js';
import { findCasesById, generateCases, personaResponse, PERSONAS, scoreResponse, type Case } from '../world/index.js';
import { casePrompt, collectPreferences } from './collect.js';
import { readPreferences, writePreferences } from './format.js';
import { labelsToPairs, LabelsError, readLabels, sampleComparisons, validateLabel, writeComparisons, type ComparisonTask } from './labels.js';

/** Replies like a persona drawn from (seed, prompt); `batches[j]` is the j-th chatBatch call's texts, keyed by case id. */
class ScriptedModel implements LanguageModel {
  readonly id = 'test:scripted';
  readonly batches: Map<string, string>[] = [];
  private readonly byPrompt = new Map<string, Case>();

  constructor(cases: readonly Case[]) {
    for (const c of cases) this.byPrompt.set(ScriptedModel.key(casePrompt(c)), c);
  }

  static key(messages: ChatMessage[]): string {
    return messages.map((m) => `${m.role}:${m.content}`).join('\n');
  }

  async chat(messages: ChatMessage[], opts?: SamplingOptions): Promise<Completion> {
    return (await this.chatBatch([messages], opts))[0]!;
  }

  async chatBatch(conversations: ChatMessage[][], opts: SamplingOptions = {}): Promise<Completion[]> {
    const batch = new Map<string, string>();
    this.batches.push(batch);
    return conversations.map((m) => {
      const key = ScriptedModel.key(m);
      const c = this.byPrompt.get(key)!;
      const rng = new Rng(opts.seed ?? 0).fork(key);
      const text = personaResponse(rng.choice(PERSONAS), c, rng).text;
      batch.set(c.id, text);
      return { text, finishReason: 'stop' };
    });
  }
}

const SEED = 7;
const N = 30;
const K = 4;
const cases = generateCases({ seed: SEED, n: N, split: 'train' });
const byId = new Map(cases.map((c) => [c.id, c]));
const say = (content: string): ChatMessage[] => [{ role: 'assistant', content }];
const textOf = (m: ChatMessage[]) => m[0]!.content;

async function sample(extra: { seed?: number; pairing?: 'all' | 'random'; gold?: boolean } = {}) {
  const seed = extra.seed ?? SEED;
  const model = new ScriptedModel(generateCases({ seed, n: N, split: 'train' }));
  const tasks = await sampleComparisons({ model, seed, n: N, k: K, pairing: extra.pairing, gold: extra.gold });
  return { tasks, model };
}

/** Per case, the sorted list of unordered text pairs "x\0y" (x < y). */
function pairsByCase(rows: { caseId: string; x: string; y: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const key = r.x < r.y ? `${r.x}\u0000${r.y}` : `${r.y}\u0000${r.x}`;
    out.set(r.caseId, [...(out.get(r.caseId) ?? []), key].sort());
  }
  return out;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-labels-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write labeled rows (objects or raw line texts) as a JSONL file. */
function writeLines(name: string, lines: (object | string)[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

describe('sampleComparisons', () => {
  it.each(['all', 'random'] as const)("samples the same replies and pairs as collectPreferences with the same seed (pairing '%s')", async (pairing) => {
    const { tasks } = await sample({ pairing });
    const collected = await collectPreferences({ model: new ScriptedModel(cases), seed: SEED, n: N, k: K, pairing });
    expect(tasks.length).toBe(collected.length);
    const fromTasks = pairsByCase(tasks.map((t) => ({ caseId: t.caseId, x: textOf(t.response_a), y: textOf(t.response_b) })));
    const fromCollect = pairsByCase(collected.map((r) => ({ caseId: r.caseId, x: textOf(r.chosen), y: textOf(r.rejected) })));
    expect(fromTasks).toEqual(fromCollect);
    expect(fromTasks.size).toBe(N);
  });

  it('ids name the sample indices i < j; A is reply i exactly when the seeded coin is below ½; the world scores go under "hidden"', async () => {
    const { tasks, model } = await sample();
    expect(model.batches).toHaveLength(K);
    const draws = new Map<string, Rng>();
    let aFirst = 0;
    const skipped = new Set<string>();
    for (const c of cases) {
      const texts = model.batches.map((b) => b.get(c.id)!);
      for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) if (texts[i] === texts[j]) skipped.add(`${c.id}:${i}-${j}`);
    }
    expect(skipped.size).toBeGreaterThan(0); // the scripted personas repeat themselves sometimes
    expect(tasks.length).toBe(N * 6 - skipped.size);
    for (const t of tasks) {
      const c = byId.get(t.caseId)!;
      const [, i, j] = /^(?:.*):(\d+)-(\d+)$/.exec(t.id)!.map(Number) as [number, number, number];
      expect(t.id).toBe(`${c.id}:${i}-${j}`);
      expect(i).toBeLessThan(j);
      expect(skipped.has(t.id)).toBe(false);
      expect(t.prompt).toEqual(casePrompt(c));
      const coins = draws.get(c.id) ?? new Rng(SEED).fork('prefs/sample').fork(`order/${c.id}`);
      draws.set(c.id, coins);
      const iIsA = coins.next() < 0.5;
      aFirst += +iIsA;
      const [a, b] = iIsA ? [i, j] : [j, i];
      expect(textOf(t.response_a)).toBe(model.batches[a]!.get(c.id));
      expect(textOf(t.response_b)).toBe(model.batches[b]!.get(c.id));
      const sa = scoreResponse(c, textOf(t.response_a));
      const sb = scoreResponse(c, textOf(t.response_b));
      expect(t.hidden).toEqual({ a_gold: sa.gold.total, b_gold: sb.gold.total, a_proxy: sa.proxy, b_proxy: sb.proxy });
    }
    // Both orders occur, about equally often.
    expect(aFirst / tasks.length).toBeGreaterThan(0.35);
    expect(aFirst / tasks.length).toBeLessThan(0.65);
  });

  it('is deterministic for a seed; gold: false leaves "hidden" out and changes nothing else', async () => {
    const a = await sample();
    expect((await sample()).tasks).toEqual(a.tasks);
    const noGold = await sample({ gold: false });
    expect(noGold.tasks.every((t) => !('hidden' in t))).toBe(true);
    expect(noGold.tasks).toEqual(a.tasks.map(({ hidden: _, ...t }) => t));
  });

  it('rejects k < 2 and temperature 0', async () => {
    const model = new ScriptedModel(cases);
    await expect(sampleComparisons({ model, seed: 1, n: 2, k: 1 })).rejects.toThrow('sampleComparisons: k must be an integer ≥ 2, got 1');
    await expect(sampleComparisons({ model, seed: 1, n: 2, k: 2, temperature: 0 })).rejects.toThrow('temperature must be > 0');
  });
});

describe('the round trip: sample → label → import', () => {
  it('gives pairs whose chosen and rejected are the texts the labels picked; ties are counted and left out', async () => {
    const { tasks } = await sample();
    const tasksFile = path.join(dir, 'tasks.jsonl');
    writeComparisons(tasksFile, tasks);
    // What a labeling tool sends back: the task as written plus the answer. Rule: by position
    // in the file, a, b, tie, a, b, tie, …; every fourth line names its own rater.
    const written = fs.readFileSync(tasksFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ComparisonTask);
    expect(written).toEqual(tasks);
    const answers = ['a', 'b', 'tie'] as const;
    const labeled = written.map((t, n) => ({ ...t, preference: answers[n % 3], reason: `because ${n}`, ...(n % 4 === 0 ? { rater: 'ann' } : {}), ...(n % 5 === 0 ? { strength: 'slightly better' } : {}) }));
    const file = writeLines('labeled.jsonl', labeled);

    const read = await readLabels(file, { rater: 'team' });
    expect(read.errors).toEqual([]);
    expect(read.lines).toBe(tasks.length);
    const { pairs, ties } = labelsToPairs(read.labels);
    const expectedTies = labeled.filter((l) => l.preference === 'tie').length;
    expect(ties).toBe(expectedTies);
    expect(pairs).toHaveLength(tasks.length - expectedTies);

    const decided = labeled.filter((l) => l.preference !== 'tie');
    pairs.forEach((p, m) => {
      const l = decided[m]!;
      const [win, lose] = l.preference === 'a' ? [l.response_a, l.response_b] : [l.response_b, l.response_a];
      expect(p.chosen).toEqual(win);
      expect(p.rejected).toEqual(lose);
      expect(p.prompt).toEqual(l.prompt);
      expect(p.id).toBe(l.id);
      expect(p.caseId).toBe(l.caseId);
      expect(p.reason).toBe(l.reason);
      expect(p.rater).toBe('rater' in l ? 'ann' : 'team');
      expect(p.strength).toBe('strength' in l ? 'slightly better' : undefined);
      // The world's scores of the chosen and rejected text, recomputed from the case.
      const c = byId.get(l.caseId)!;
      const sc = scoreResponse(c, textOf(win));
      const sr = scoreResponse(c, textOf(lose));
      expect([p.chosen_gold, p.rejected_gold, p.chosen_proxy, p.rejected_proxy]).toEqual([sc.gold.total, sr.gold.total, sc.proxy, sr.proxy]);
    });
    expect(pairs.filter((p) => p.rater === 'ann').length).toBeGreaterThan(0);

    // The pairs are valid TRL rows and survive the preference reader.
    const out = path.join(dir, 'prefs.jsonl');
    writePreferences(out, pairs);
    expect((await readPreferences(out)).pairs).toEqual(pairs);
  });

  it('re-scoring from caseId alone (gold: false) finds the same cases', async () => {
    const { tasks } = await sample({ gold: false });
    const found = findCasesById(SEED, [...new Set(tasks.map((t) => t.caseId))]);
    for (const t of tasks.slice(0, 10)) expect(found.get(t.caseId)?.turns[0]!.customer).toBe(byId.get(t.caseId)!.turns[0]!.customer);
  });
});

describe('labels: hand-made rows', () => {
  const prompt: ChatMessage[] = [{ role: 'user', content: 'Where is my order?' }];
  const task = { id: 't:0-1', prompt, response_a: say('It shipped today.'), response_b: say('I cannot help.'), caseId: 'case-1' };

  it('maps a, b (any letter case) and tie by hand, with hidden scores swapped onto the chosen side', () => {
    const hidden = { a_gold: 1, b_gold: 0.25, a_proxy: 0.5, b_proxy: 0.75 };
    const rows = [
      { ...task, preference: 'a', rater: 'r1', hidden },
      { ...task, preference: 'B', rater: 'r2', hidden },
      { ...task, preference: 'tie', rater: 'r3', hidden },
    ].map((r) => validateLabel(r));
    const labels = rows.map((r) => ('label' in r ? r.label : expect.unreachable(JSON.stringify(r))));
    expect(labelsToPairs(labels)).toEqual({
      ties: 1,
      pairs: [
        { prompt, chosen: say('It shipped today.'), rejected: say('I cannot help.'), rater: 'r1', id: 't:0-1', caseId: 'case-1', chosen_gold: 1, rejected_gold: 0.25, chosen_proxy: 0.5, rejected_proxy: 0.75 },
        { prompt, chosen: say('I cannot help.'), rejected: say('It shipped today.'), rater: 'r2', id: 't:0-1', caseId: 'case-1', chosen_gold: 0.25, rejected_gold: 1, chosen_proxy: 0.75, rejected_proxy: 0.5 },
      ],
    });
  });

  it("a line's own rater beats the default; without either the line is an error naming it", async () => {
    const file = writeLines('raters.jsonl', [
      { ...task, preference: 'a', rater: 'own' },
      { ...task, preference: 'b' },
    ]);
    const withDefault = await readLabels(file, { rater: 'default' });
    expect(withDefault.labels.map((l) => l.rater)).toEqual(['own', 'default']);
    const err = await readLabels(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabelsError);
    expect(err).toBeInstanceOf(JsonlError);
    expect((err as LabelsError).line).toBe(2);
    expect((err as Error).message).toBe(`${file}:2: field "rater": missing (expected a rater id string on the line, or a default rater such as --rater NAME)`);
  });

  const bad = () => [
    { ...task, preference: 'a', rater: 'ok' }, // 1
    '{"id": "t:1-2", "prompt": [', // 2: bad JSON
    '', // 3: blank, not an error
    { ...task, preference: 'maybe', rater: 'x' }, // 4
    { ...task, rater: 'x' }, // 5
    { ...task, preference: 'b', rater: 'x', response_a: [{ role: 'user', content: 'hi' }] }, // 6
    { ...task, preference: 'b', rater: 'x', strength: 'much better' }, // 7
    { ...task, preference: 'tie', rater: 'x' }, // 8
    { ...task, preference: 'a', rater: 7 }, // 9
    { ...task, preference: 'b', rater: 'x', response_b: 'plain text' }, // 10
    { ...task, id: undefined, preference: 'a', rater: 'x' }, // 11
    { ...task, preference: 'a', rater: 'x', hidden: { a_gold: 'high' } }, // 12
    '[1, 2]', // 13
    { ...task, preference: 'b', reason: 'clearer', rater: 'ok2' }, // 14
  ];

  const expectedErrors = (file: string) => [
    { line: 2, message: expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: invalid JSON \\(`)) },
    { line: 4, message: `${file}:4: field "preference": expected "a", "b" or "tie", got "maybe"` },
    { line: 5, message: `${file}:5: field "preference": missing (expected "a", "b" or "tie")` },
    { line: 6, message: `${file}:6: field "response_a[0].role": expected "assistant" (completions are assistant messages), got "user"` },
    { line: 7, message: `${file}:7: field "strength": expected one of "significantly better", "better", "slightly better", "negligibly better", got "much better"` },
    { line: 9, message: `${file}:9: field "rater": expected a string, got number` },
    { line: 10, message: `${file}:10: field "response_b": expected a messages array, like "prompt" (a row's fields share one form), got string` },
    { line: 11, message: `${file}:11: field "id": missing (expected the task id, a string)` },
    { line: 12, message: `${file}:12: field "hidden.a_gold": expected a finite number, got string` },
    { line: 13, message: `${file}:13: expected a JSON object {id, prompt, response_a, response_b, preference}, got array` },
  ];

  it("refuses a file with bad lines by default, listing every one with its line number and field", async () => {
    const file = writeLines('bad.jsonl', bad());
    const err = (await readLabels(file, { rater: 'd' }).catch((e: unknown) => e)) as LabelsError;
    expect(err).toBeInstanceOf(LabelsError);
    expect(err.file).toBe(file);
    expect(err.line).toBe(2);
    expect(err.errors).toEqual(expectedErrors(file));
    expect(err.message.split('\n')).toHaveLength(10);
    expect(err.message.split('\n')[1]).toBe(`${file}:4: field "preference": expected "a", "b" or "tie", got "maybe"`);
  });

  it("with 'skip' keeps the good lines and reports the bad ones", async () => {
    const file = writeLines('bad-skip.jsonl', bad());
    const r = await readLabels(file, { onError: 'skip' });
    expect(r.lines).toBe(13);
    expect(r.errors).toEqual(expectedErrors(file));
    expect(r.labels.map((l) => [l.preference, l.rater, l.reason])).toEqual([
      ['a', 'ok', undefined],
      ['tie', 'x', undefined],
      ['b', 'ok2', 'clearer'],
    ]);
    expect(labelsToPairs(r.labels).ties).toBe(1);
  });
});
