import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlError } from '../util/jsonl.js';
import { readPreferences, toUnpaired, validateRow, writePreferences, type PreferencePair } from './format.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-prefs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sys = { role: 'system', content: 'You are a support agent.' };
const user = { role: 'user', content: 'Where is my order?' };
const asst = (content: string) => [{ role: 'assistant', content }];

// Hand-written file: each malformed line's expected field and message fragment is written next to it.
const LINES: { text: string; error?: { field: string | null; says: string } }[] = [
  { text: JSON.stringify({ prompt: 'What is 2+2?', chosen: '4', rejected: '5' }) },
  { text: JSON.stringify({ prompt: [sys, user], chosen: asst('It ships today.'), rejected: asst('No idea.'), rater: 'careful-3', reason: 'rejected dodges', principle: 'helpful', caseId: 'hd-train-1', margin: 0.5, chosen_gold: 1, rejected_gold: 0.4, chosen_proxy: 0.6, rejected_proxy: 0.3 }) },
  { text: '' },
  { text: JSON.stringify({ prompt: 'Hi', completion: 'Hello!', label: true, gold: 1 }) },
  { text: JSON.stringify({ prompt: 'Hi', chosen: 'Hello', rejected: 'Go away', margin: null, rater: null, id: 'keep-me' }) },
  { text: '{"prompt": "Hi", "chosen": "Hello", ', error: { field: null, says: 'invalid JSON' } },
  { text: JSON.stringify({ prompt: 'Hi', chosen: 17, rejected: 'x' }), error: { field: 'chosen', says: 'expected a string or a messages array, got number' } },
  { text: JSON.stringify({ prompt: 'Hi', chosen: 'x' }), error: { field: 'rejected', says: 'missing (expected a string or a messages array)' } },
  { text: JSON.stringify({ prompt: [sys, { role: 'user', content: 3 }], chosen: asst('a'), rejected: asst('b') }), error: { field: 'prompt[1].content', says: 'expected a string, got number' } },
  { text: JSON.stringify({ prompt: [sys, { role: 'customer', content: 'x' }], chosen: asst('a'), rejected: asst('b') }), error: { field: 'prompt[1].role', says: 'expected "system", "user" or "assistant", got "customer"' } },
  { text: JSON.stringify({ prompt: [sys, user], chosen: [{ role: 'user', content: 'a' }], rejected: asst('b') }), error: { field: 'chosen[0].role', says: 'expected "assistant"' } },
  { text: JSON.stringify({ prompt: [sys, user], chosen: asst('a'), rejected: 'b' }), error: { field: 'rejected', says: 'expected a messages array, like "prompt"' } },
  { text: JSON.stringify({ prompt: [sys, user, { role: 'assistant', content: 'x' }], chosen: asst('a'), rejected: asst('b') }), error: { field: 'prompt[2].role', says: 'ends with the last user turn' } },
  { text: JSON.stringify({ prompt: 'Hi', completion: 'Hello', label: 'yes' }), error: { field: 'label', says: 'expected true or false, got string' } },
  { text: JSON.stringify({ prompt: 'Hi', chosen: 'a', rejected: 'b', margin: '1' }), error: { field: 'margin', says: 'expected a finite number, got string' } },
  { text: JSON.stringify({ prompt: 'Hi', chosen: 'a', rejected: 'b', completion: 'c' }), error: { field: 'completion', says: 'not allowed in a paired row' } },
  { text: JSON.stringify({ prompt: 'Hi', response: 'a' }), error: { field: 'chosen', says: 'missing' } },
  { text: JSON.stringify([1, 2]), error: { field: null, says: 'expected a JSON object' } },
  { text: JSON.stringify({ prompt: [sys, user], chosen: [], rejected: asst('b') }), error: { field: 'chosen', says: 'at least one assistant message' } },
  { text: JSON.stringify({ prompt: 'Thanks', chosen: 'You are welcome', rejected: 'k' }) },
];
const file = path.join(tmp, 'prefs.jsonl');
fs.writeFileSync(file, LINES.map((l) => l.text).join('\n') + '\n');
const badLines = LINES.map((l, i) => ({ ...l, line: i + 1 })).filter((l) => l.error);

describe('readPreferences', () => {
  it('skips bad lines, naming file:line and the field of each', async () => {
    const r = await readPreferences(file, { onError: 'skip' });
    expect(r.pairs).toHaveLength(4);
    expect(r.unpaired).toHaveLength(1);
    expect(r.errors.map((e) => e.line)).toEqual(badLines.map((l) => l.line));
    r.errors.forEach((e, i) => {
      const want = badLines[i]!.error!;
      const prefix = `${file}:${badLines[i]!.line}: `;
      expect(e.message.startsWith(prefix)).toBe(true);
      if (want.field !== null) expect(e.message).toContain(`${prefix}field "${want.field}": `);
      expect(e.message).toContain(want.says);
    });
  });

  it('reads rows as written: metadata kept, nulls dropped, unknown keys kept', async () => {
    const r = await readPreferences(file, { onError: 'skip' });
    expect(r.pairs[0]).toEqual({ prompt: 'What is 2+2?', chosen: '4', rejected: '5' });
    expect(r.pairs[1]).toEqual(JSON.parse(LINES[1]!.text));
    expect(r.pairs[2]).toEqual({ prompt: 'Hi', chosen: 'Hello', rejected: 'Go away', id: 'keep-me' });
    expect(r.unpaired[0]).toEqual({ prompt: 'Hi', completion: 'Hello!', label: true, gold: 1 });
  });

  it('throws at the first bad line by default', async () => {
    const err = await readPreferences(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JsonlError);
    expect((err as JsonlError).line).toBe(badLines[0]!.line);
    // A schema error (not a JSON one) also throws with its field.
    const f2 = path.join(tmp, 'one-bad.jsonl');
    fs.writeFileSync(f2, [LINES[0]!.text, LINES[6]!.text].join('\n'));
    await expect(readPreferences(f2, { onError: 'throw' })).rejects.toThrow(`${f2}:2: field "chosen": expected a string or a messages array, got number`);
  });
});

describe('validateRow', () => {
  it('tells paired and unpaired rows apart', () => {
    const p = validateRow({ prompt: 'a', chosen: 'b', rejected: 'c' });
    const u = validateRow({ prompt: 'a', completion: 'b', label: false });
    expect('row' in p && 'chosen' in p.row).toBe(true);
    expect('row' in u && 'label' in u.row).toBe(true);
  });
});

describe('writePreferences', () => {
  const pairs: PreferencePair[] = [
    { prompt: 'Q', chosen: 'good', rejected: 'bad', rater: 'r1', chosen_gold: 1, rejected_gold: 0.2 },
    { prompt: [{ role: 'user', content: 'Q2' }], chosen: [{ role: 'assistant', content: 'yes' }], rejected: [{ role: 'assistant', content: 'no' }], margin: 1 },
  ];

  it('round-trips through readPreferences', async () => {
    const out = path.join(tmp, 'rt.jsonl');
    writePreferences(out, pairs);
    const r = await readPreferences(out);
    expect(r.pairs).toEqual(pairs);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses an invalid row and leaves the old file untouched', () => {
    const out = path.join(tmp, 'keep.jsonl');
    fs.writeFileSync(out, 'old contents\n');
    const bad = [pairs[0]!, { prompt: 'Q', chosen: 'x', rejected: 5 } as unknown as PreferencePair];
    expect(() => writePreferences(out, bad)).toThrow(`${out}: row 2: field "rejected": expected a string or a messages array, got number`);
    expect(fs.readFileSync(out, 'utf8')).toBe('old contents\n');
  });
});

describe('toUnpaired', () => {
  it('gives chosen → true and rejected → false, with metadata and per-side scores', () => {
    const u = toUnpaired([{ prompt: 'Q', chosen: 'good', rejected: 'bad', rater: 'r1', reason: 'why', caseId: 'c1', margin: 2, chosen_gold: 1, rejected_gold: 0.25, chosen_proxy: 0.5, rejected_proxy: 0.75 }]);
    expect(u).toEqual([
      { prompt: 'Q', completion: 'good', label: true, rater: 'r1', reason: 'why', caseId: 'c1', gold: 1, proxy: 0.5 },
      { prompt: 'Q', completion: 'bad', label: false, rater: 'r1', reason: 'why', caseId: 'c1', gold: 0.25, proxy: 0.75 },
    ]);
    for (const row of u) expect('error' in validateRow(row)).toBe(false);
  });
});
