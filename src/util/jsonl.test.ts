import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { iterateJsonl, iterateLines, JsonlError, readJsonl } from './jsonl.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-jsonl-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readJsonl', () => {
  it('parses rows in order, skipping blank lines, accepting CRLF, a BOM and a missing final newline', () => {
    const p = file('a.jsonl', '\uFEFF{"prompt":"hi","chosen":"a","rejected":"b"}\r\n\r\n  \n[1,2]\n"text"\n3');
    const { rows, errors } = readJsonl(p);
    expect(rows).toEqual([{ prompt: 'hi', chosen: 'a', rejected: 'b' }, [1, 2], 'text', 3]);
    expect(errors).toEqual([]);
  });

  it('returns no rows for an empty file', () => {
    expect(readJsonl(file('empty.jsonl', ''))).toEqual({ rows: [], errors: [] });
  });

  it("throws FILE:LINE: invalid JSON (...) on the first bad line by default", () => {
    const p = file('bad.jsonl', '{"a":1}\n\n{"a":\n{"b":2}\n');
    let caught: unknown;
    try {
      readJsonl(p);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JsonlError);
    const e = caught as JsonlError;
    expect(e.message).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: invalid JSON \\(.+\\)$`));
    expect(e.file).toBe(p);
    expect(e.line).toBe(3);
  });

  it("with onError: 'skip' keeps the good rows and reports every bad line", () => {
    const p = file('mixed.jsonl', '{"a":1}\nnot json\n{"a":2}\n{"a":3,}\n');
    const { rows, errors } = readJsonl(p, { onError: 'skip' });
    expect(rows).toEqual([{ a: 1 }, { a: 2 }]);
    expect(errors.map((e) => e.line)).toEqual([2, 4]);
    expect(errors[0]!.message.startsWith(`${p}:2: invalid JSON (`)).toBe(true);
    expect(errors[1]!.message.startsWith(`${p}:4: invalid JSON (`)).toBe(true);
  });

  it('names the file when it does not exist', () => {
    expect(() => readJsonl(path.join(dir, 'nope.jsonl'))).toThrow(/nope\.jsonl/);
  });
});

describe('iterateLines', () => {
  it('yields numbered lines, handling CRLF, a BOM and multi-byte characters split across tiny chunks', async () => {
    const text = '\uFEFFhé€llo 😀\r\n\nsecond\nlast-no-newline';
    const p = file('lines.txt', text);
    for (const chunkSize of [1, 2, 3, 5, 64 * 1024]) {
      const lines = await collect(iterateLines(p, { chunkSize }));
      expect(lines).toEqual([
        { line: 1, text: 'hé€llo 😀' },
        { line: 2, text: '' },
        { line: 3, text: 'second' },
        { line: 4, text: 'last-no-newline' },
      ]);
    }
  });

  it('agrees with a whole-file split on a larger file', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, s: 'x'.repeat(i % 97) }));
    const p = file('big.jsonl', lines.join('\n') + '\n');
    const got = await collect(iterateLines(p, { chunkSize: 1000 }));
    expect(got.map((l) => l.text)).toEqual(lines);
    expect(got[4999]!.line).toBe(5000);
  });
});

describe('iterateJsonl', () => {
  it('streams values with line numbers and matches readJsonl', async () => {
    const p = file('s.jsonl', '{"a":1}\n\n{"a":2}\r\n');
    const got = await collect(iterateJsonl(p, { chunkSize: 3 }));
    expect(got).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: { a: 2 } },
    ]);
    expect(got.map((g) => g.value)).toEqual(readJsonl(p).rows);
  });

  it('throws JsonlError naming file and line, or yields the error when skipping', async () => {
    const p = file('bad.jsonl', '{"a":1}\n{oops}\n{"a":2}\n');
    await expect(collect(iterateJsonl(p))).rejects.toThrow(`${p}:2: invalid JSON (`);
    const got = await collect(iterateJsonl(p, { onError: 'skip' }));
    expect(got.map((g) => g.line)).toEqual([1, 2, 3]);
    expect(got[1]!.error).toMatch(/:2: invalid JSON \(/);
    expect(got[2]!.value).toEqual({ a: 2 });
  });
});
