import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands from '../cli/tokenizer.js';
import { loadTokenizer } from './hf.js';

const ctx = { json: true, log: () => {}, print: () => {} };
const train = commands.find((c) => c.path.join(' ') === 'tokenizer train')!;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alignlab-tok-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('alignlab tokenizer train', () => {
  it('trains from .jsonl, saves loadable files and reports compression', async () => {
    const input = join(dir, 'corpus.jsonl');
    const texts = Array.from({ length: 50 }, (_, i) => `Refund request number ${i}: the customer wants a refund.`);
    await writeFile(input, `${texts.map((text) => JSON.stringify({ text })).join('\n')}\n`);
    const out = join(dir, 'tok');
    const result = await train.run({ input, vocab: 300, out }, [], ctx);
    // tokens per byte = tokens / UTF-8 bytes, checked against the saved tokenizer
    const tok = await loadTokenizer(out);
    expect(result).toEqual({ vocabSize: tok.vocabSize, merges: tok.model.merges.length, tokensPerByte: expect.any(Number), out });
    expect(tok.vocabSize).toBeLessThanOrEqual(300);
    const tokens = texts.reduce((n, t) => n + tok.encode(t).length, 0);
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
    expect(result.tokensPerByte).toBeCloseTo(tokens / bytes, 12);
    expect(result.tokensPerByte as number).toBeLessThan(0.5);
  });

  it('names the file and line of a malformed .jsonl row', async () => {
    const input = join(dir, 'bad.jsonl');
    await writeFile(input, '{"text": "ok"}\n{"txt": "no"}\n');
    await expect(train.run({ input, vocab: 300, out: join(dir, 'x') }, [], ctx)).rejects.toThrow(`${input}:2: expected an object with a string "text" field`);
  });
});
