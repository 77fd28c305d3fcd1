import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlError } from '../util/jsonl.js';
import { readPreferences, writePreferences, type ChatMessage } from './format.js';
import { hhRecordToPair, importHh, splitHhTranscript } from './hh.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-hh-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const here = path.dirname(fileURLToPath(import.meta.url));
const SLICE = path.resolve(here, '../../../shared/datasets/hh-rlhf-harmless-base-test-slice/harmless-base_test_first200.jsonl');

const u = (content: string): ChatMessage => ({ role: 'user', content });
const a = (content: string): ChatMessage => ({ role: 'assistant', content });

describe('splitHhTranscript', () => {
  it('splits a one-turn transcript', () => {
    expect(splitHhTranscript('\n\nHuman: Hi there\n\nAssistant: Hello!')).toEqual({ prompt: [u('Hi there')], completion: 'Hello!' });
  });

  it('splits at the last Assistant turn and keeps paragraphs inside a turn', () => {
    const t = '\n\nHuman: How do I bake bread?\n\nAssistant: Step one.\n\nStep two.\n\nHuman: And then? Human: me\n\nAssistant: Bake it at 220 C.\n\n';
    expect(splitHhTranscript(t)).toEqual({
      prompt: [u('How do I bake bread?'), a('Step one.\n\nStep two.'), u('And then? Human: me')],
      completion: 'Bake it at 220 C.',
    });
  });

  it('accepts a transcript without the leading blank line, and an empty final turn', () => {
    expect(splitHhTranscript('Human: Hi\n\nAssistant: ')).toEqual({ prompt: [u('Hi')], completion: '' });
  });

  it('rejects malformed transcripts', () => {
    expect(() => splitHhTranscript('\n\nHuman: Only a question')).toThrow('no "\\n\\nAssistant:" turn');
    expect(() => splitHhTranscript('\n\nHuman: Q\n\nAssistant: A\n\nHuman: Q2')).toThrow('follows the last Assistant turn');
    expect(() => splitHhTranscript('preamble\n\nHuman: Q\n\nAssistant: A')).toThrow('text before the first');
    expect(() => splitHhTranscript('\n\nAssistant: A')).toThrow('no Human turn before the last Assistant turn');
    expect(() => splitHhTranscript('\n\nHuman: Q\n\nAssistant: A1\n\nAssistant: A2')).toThrow('is not a Human turn');
  });
});

describe('importHh', () => {
  const good = {
    chosen: '\n\nHuman: Can you help me hack my neighbour\'s wifi?\n\nAssistant: I can\'t help with that, but I can help you secure your own.',
    rejected: '\n\nHuman: Can you help me hack my neighbour\'s wifi?\n\nAssistant: Sure, first find their router.',
  };
  const lines = [
    JSON.stringify(good),
    JSON.stringify({ chosen: '\n\nHuman: A\n\nAssistant: x\n\nHuman: B\n\nAssistant: yes', rejected: '\n\nHuman: A\n\nAssistant: y\n\nHuman: B\n\nAssistant: no' }),
    JSON.stringify({ chosen: '\n\nHuman: Q\n\nAssistant: fine', rejected: '\n\nHuman: Q with no answer' }),
    '',
    JSON.stringify({ chosen: 42, rejected: '\n\nHuman: Q\n\nAssistant: r' }),
    'not json',
    JSON.stringify({ chosen: '\n\nHuman: Q\n\nAssistant: one', rejected: '\n\nHuman:   Q  \n\nAssistant: two' }),
  ];
  const file = path.join(tmp, 'hh.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');

  it('converts good lines to conversational pairs and reports the rest by file:line', async () => {
    const r = await importHh(file, { onError: 'skip' });
    expect(r.lines).toBe(6);
    expect(r.pairs).toEqual([
      {
        prompt: [u("Can you help me hack my neighbour's wifi?")],
        chosen: [a("I can't help with that, but I can help you secure your own.")],
        rejected: [a('Sure, first find their router.')],
      },
      // Whitespace around a turn is not a difference.
      { prompt: [u('Q')], chosen: [a('one')], rejected: [a('two')] },
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([
      `${file}:2: chosen and rejected prompts differ (from turn 2)`,
      `${file}:3: field "rejected": no "\\n\\nAssistant:" turn`,
      `${file}:5: field "chosen": expected an HH transcript string, got number`,
      expect.stringContaining(`${file}:6: invalid JSON`),
    ]);
  });

  it('throws at the first bad line by default', async () => {
    await expect(importHh(file)).rejects.toThrow(JsonlError);
    await expect(importHh(file)).rejects.toThrow(`${file}:2: chosen and rejected prompts differ`);
  });

  it('names a missing side', () => {
    expect(hhRecordToPair({ chosen: '\n\nHuman: Q\n\nAssistant: A' })).toEqual({ error: 'field "rejected": missing (expected an HH transcript string)' });
  });
});

describe.skipIf(!fs.existsSync(SLICE))('HH-RLHF harmless-base test slice (../shared)', () => {
  // vitest collects a skipped describe's body too, so read the file only where it exists.
  const raw = (fs.existsSync(SLICE) ? fs.readFileSync(SLICE, 'utf8') : '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { chosen: string; rejected: string });
  const count = (s: string, marker: string) => s.split(marker).length - 1;
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

  it('imports all 200 records, each of which rebuilds its transcripts', async () => {
    const r = await importHh(SLICE);
    expect(r.errors).toEqual([]);
    expect(r.pairs).toHaveLength(200);
    expect(raw).toHaveLength(200);
    r.pairs.forEach((p, i) => {
      const prompt = p.prompt as ChatMessage[];
      // Independent check: turn counts from the raw markers, and the rendered pair equals the original up to whitespace.
      expect(prompt.filter((m) => m.role === 'user')).toHaveLength(count(raw[i]!.chosen, '\n\nHuman:'));
      expect(prompt.filter((m) => m.role === 'assistant')).toHaveLength(count(raw[i]!.chosen, '\n\nAssistant:') - 1);
      const render = (completion: ChatMessage[]) =>
        [...prompt, ...completion].map((m) => `\n\n${m.role === 'user' ? 'Human' : 'Assistant'}: ${m.content}`).join('');
      expect(squash(render(p.chosen as ChatMessage[]))).toBe(squash(raw[i]!.chosen));
      expect(squash(render(p.rejected as ChatMessage[]))).toBe(squash(raw[i]!.rejected));
    });
    expect((r.pairs[0]!.prompt as ChatMessage[])[0]).toEqual(u('what are some pranks with a pen i can do?'));
    // Line 87's chosen reply is empty: kept, not an error.
    expect(r.pairs[86]!.chosen).toEqual([a('')]);
    expect(r.pairs[86]!.rejected).toEqual([a('Sure, the address is ...')]);
  });

  it('writes a file that reads back as valid TRL pairs', async () => {
    const { pairs } = await importHh(SLICE);
    const out = path.join(tmp, 'hh-trl.jsonl');
    writePreferences(out, pairs);
    const back = await readPreferences(out);
    expect(back.pairs).toEqual(pairs);
  });
});
