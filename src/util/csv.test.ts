import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvError, parseCsv, readCsv } from './csv.js';

describe('parseCsv: RFC 4180 cases written by hand', () => {
  it('reads a header and plain records keyed by column name', () => {
    const t = parseCsv('a,b,c\n1,2,3\n4,5,6\n');
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([
      { a: '1', b: '2', c: '3' },
      { a: '4', b: '5', c: '6' },
    ]);
    expect(t.lines).toEqual([2, 3]);
  });

  it('handles quoted fields with commas, escaped quotes and CRLF', () => {
    const t = parseCsv('id,text\r\n1,"Hello, ""world"""\r\n2,plain\r\n');
    expect(t.rows).toEqual([
      { id: '1', text: 'Hello, "world"' },
      { id: '2', text: 'plain' },
    ]);
  });

  it('keeps line breaks inside quotes verbatim and counts lines across them', () => {
    const t = parseCsv('id,text\n1,"line one\nline two\r\nline three"\n2,x\n');
    expect(t.rows[0]!.text).toBe('line one\nline two\r\nline three');
    expect(t.rows[1]).toEqual({ id: '2', text: 'x' });
    expect(t.lines).toEqual([2, 5]);
  });

  it('accepts a missing final line break, empty fields and a trailing empty field', () => {
    expect(parseCsv('a,b\n,\n"",x').rows).toEqual([
      { a: '', b: '' },
      { a: '', b: 'x' },
    ]);
    expect(parseCsv('a,b\n1,').rows).toEqual([{ a: '1', b: '' }]);
  });

  it('drops a byte-order mark and skips blank lines', () => {
    const t = parseCsv('\uFEFFa,b\n\n1,2\r\n\r\n3,4\n');
    expect(t.header).toEqual(['a', 'b']);
    expect(t.rows).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ]);
    expect(t.lines).toEqual([3, 5]);
  });

  it('supports another delimiter', () => {
    expect(parseCsv('a;b\n"x;y";2\n', { delimiter: ';' }).rows).toEqual([{ a: 'x;y', b: '2' }]);
  });
});

describe('parseCsv: errors name the source and line', () => {
  const errorOf = (text: string): CsvError => {
    try {
      parseCsv(text, { source: 'data.csv' });
    } catch (err) {
      expect(err).toBeInstanceOf(CsvError);
      return err as CsvError;
    }
    throw new Error('expected a CsvError');
  };

  it('reports an unterminated quote at the line where it opened', () => {
    const e = errorOf('a,b\n1,2\n3,"never closed\nmore text\n');
    expect(e.line).toBe(3);
    expect(e.column).toBe(3);
    expect(e.message).toMatch(/^data\.csv:3:3: unterminated quoted field/);
  });

  it('rejects a stray quote in an unquoted field and text after a closing quote', () => {
    expect(errorOf('a,b\n1,ab"c\n').message).toMatch(/^data\.csv:2:5: quote inside an unquoted field/);
    expect(errorOf('a,b\n"ab"c,1\n').message).toMatch(/^data\.csv:2:5: unexpected character "c" after a closing quote/);
  });

  it('rejects a record with the wrong number of fields, naming the header', () => {
    const e = errorOf('a,b\n1,2\n"multi\nline",2,3\n');
    expect(e.line).toBe(3);
    expect(e.message).toContain('record has 3 fields, but the header has 2 (a, b)');
  });

  it('rejects empty input and bad headers', () => {
    expect(errorOf('').message).toContain('empty CSV');
    expect(errorOf('a,a\n1,2\n').message).toContain('duplicate header column "a"');
    expect(errorOf('a,,c\n1,2,3\n').message).toContain('header column 2 has an empty name');
  });

  it('readCsv names the file path in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alignlab-csv-'));
    const path = join(dir, 'broken.csv');
    writeFileSync(path, 'x,y\n1,"open\n');
    expect(() => readCsv(path)).toThrow(`${path}:2:3: unterminated quoted field`);
    expect(() => readCsv(join(dir, 'missing.csv'))).toThrow(/cannot read CSV file .*missing\.csv/);
  });
});

describe('parseCsv against an independent writer', () => {
  // Reference writer: quote every field, double inner quotes, CRLF records (RFC 4180 section 2).
  const writeCsv = (header: string[], rows: string[][]) =>
    [header, ...rows].map((r) => r.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')).join('\r\n') + '\r\n';

  it('round-trips arbitrary text, including quotes, commas and line breaks', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', 'x') });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.array(field, { minLength: 4, maxLength: 4 }), { maxLength: 6 }), (k, raw) => {
        const header = Array.from({ length: k }, (_, j) => `c${j}`);
        const rows = raw.map((r) => r.slice(0, k));
        const t = parseCsv(writeCsv(header, rows));
        expect(t.header).toEqual(header);
        expect(t.rows.map((row) => header.map((h) => row[h]))).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });
});
