import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendJsonl, writeFileAtomic, writeJsonAtomic } from './atomic.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes strings as UTF-8 and bytes verbatim, replacing the old file, leaving no temp files', () => {
    const p = path.join(dir, 'a.txt');
    writeFileAtomic(p, 'héllo\n');
    expect(fs.readFileSync(p, 'utf8')).toBe('héllo\n');
    const bytes = new Uint8Array([0, 1, 2, 255, 128]);
    writeFileAtomic(p, bytes);
    expect(new Uint8Array(fs.readFileSync(p))).toEqual(bytes);
    writeFileAtomic(p, Buffer.from('buffer'));
    expect(fs.readFileSync(p, 'utf8')).toBe('buffer');
    writeFileAtomic(path.join(dir, 'empty'), '');
    expect(fs.readFileSync(path.join(dir, 'empty'), 'utf8')).toBe('');
    expect(fs.readdirSync(dir).sort()).toEqual(['a.txt', 'empty']);
  });

  it('writes a multi-megabyte buffer completely', () => {
    const p = path.join(dir, 'big.bin');
    const big = new Uint8Array(5_000_003);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
    writeFileAtomic(p, big);
    expect(fs.readFileSync(p).equals(Buffer.from(big.buffer))).toBe(true);
  });

  it('on a failed rename removes its temp file and leaves the old target intact', () => {
    // The target is a non-empty directory: rename(file, dir) fails, after the temp file was written.
    const target = path.join(dir, 'target');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep.txt'), 'old');
    expect(() => writeFileAtomic(target, 'new')).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['target']);
    expect(fs.readFileSync(path.join(target, 'keep.txt'), 'utf8')).toBe('old');
  });

  it('fails cleanly when the directory does not exist', () => {
    expect(() => writeFileAtomic(path.join(dir, 'missing', 'x.txt'), 'x')).toThrow(/ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('writeJsonAtomic', () => {
  it('writes pretty JSON with a trailing newline', () => {
    const p = path.join(dir, 'config.json');
    writeJsonAtomic(p, { a: 1, b: [true, null], c: 'x' });
    expect(fs.readFileSync(p, 'utf8')).toBe('{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ],\n  "c": "x"\n}\n');
  });

  it('keeps the old file when serialization throws (cycle, BigInt, throwing toJSON, undefined)', () => {
    const p = path.join(dir, 'config.json');
    writeJsonAtomic(p, { version: 1 });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => writeJsonAtomic(p, cyclic)).toThrow(/circular/i);
    expect(() => writeJsonAtomic(p, { n: 1n })).toThrow(/BigInt/);
    expect(() =>
      writeJsonAtomic(p, {
        toJSON() {
          throw new Error('boom');
        },
      }),
    ).toThrow('boom');
    expect(() => writeJsonAtomic(p, undefined)).toThrow(/config\.json: cannot write undefined/);
    expect(fs.readFileSync(p, 'utf8')).toBe('{\n  "version": 1\n}\n');
    expect(fs.readdirSync(dir)).toEqual(['config.json']);
  });
});

describe('appendJsonl', () => {
  it('appends one compact line per call, creating the file', () => {
    const p = path.join(dir, 'metrics.jsonl');
    appendJsonl(p, { step: 1, 'objective/kl': 0.5 });
    appendJsonl(p, { step: 2, text: 'line\nbreak' });
    const lines = fs.readFileSync(p, 'utf8').split('\n');
    expect(lines).toEqual(['{"step":1,"objective/kl":0.5}', '{"step":2,"text":"line\\nbreak"}', '']);
  });

  it('starts a fresh line after a torn last line', () => {
    const p = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(p, '{"step":1}\n{"step":2,"lo');
    appendJsonl(p, { step: 3 });
    expect(fs.readFileSync(p, 'utf8')).toBe('{"step":1}\n{"step":2,"lo\n{"step":3}\n');
  });

  it('writes nothing for a value that cannot be serialized', () => {
    const p = path.join(dir, 'metrics.jsonl');
    appendJsonl(p, { ok: true });
    expect(() => appendJsonl(p, { n: 2n })).toThrow(/BigInt/);
    expect(fs.readFileSync(p, 'utf8')).toBe('{"ok":true}\n');
  });
});
