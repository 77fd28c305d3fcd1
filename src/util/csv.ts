/**
 * An RFC 4180 CSV reader: the format XSTest, spreadsheets and most eval sets are shipped in.
 *
 * Grammar (RFC 4180, section 2), as implemented here:
 * - Records are separated by line breaks. CRLF is the standard; LF and a lone CR are accepted too.
 * - Fields are separated by a comma (or `delimiter`).
 * - A field may be enclosed in double quotes. Inside quotes, a doubled quote `""` is one literal
 *   quote, and commas and line breaks are ordinary characters (so one record may span lines).
 * - The first record is the header; every later record must have the same number of fields.
 *
 * Deliberate choices beyond the RFC:
 * - A UTF-8 byte-order mark at the start is dropped (Excel writes one).
 * - Blank lines (outside quotes) are skipped, and a final line break is optional.
 * - A quote inside an unquoted field (`ab"c`) or text after a closing quote (`"ab"c`) is an error,
 *   not silently repaired: such files are usually broken, and guessing corrupts the data.
 *
 * Every error is a `CsvError` naming the source and the 1-based line (and column) where the
 * problem is, e.g. `data.csv:12:5: unterminated quoted field (the quote opened here is never closed)`.
 *
 * @example
 * const { header, rows } = parseCsv('id,text\r\n1,"Hello, ""world"""\r\n', { source: 'inline' });
 * // header: ['id', 'text'];  rows: [{ id: '1', text: 'Hello, "world"' }]
 */
import { readFileSync } from 'node:fs';

export interface CsvTable {
  /** Column names, from the first record. */
  header: string[];
  /** One record per data row, keyed by header name. */
  rows: Record<string, string>[];
  /** `lines[i]` is the 1-based line on which `rows[i]` starts (for error messages downstream). */
  lines: number[];
}

export interface CsvOptions {
  /** Name used in error messages, usually the file path. Default `'<csv>'`. */
  source?: string;
  /** Field separator, a single character. Default `','`. */
  delimiter?: string;
}

/** A malformed CSV: `source`, `line` and `column` point at the problem. */
export class CsvError extends Error {
  override name = 'CsvError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}:${column}: ${reason}`);
  }
}

const QUOTE = 34; // "
const CR = 13;
const LF = 10;

/**
 * Parse CSV text into a header and keyed rows (see the module docstring for the grammar).
 * Throws `CsvError` for an empty input, an unterminated quote, a stray quote, a duplicate or empty
 * header name, or a record whose field count differs from the header's.
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const source = options.source ?? '<csv>';
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new Error(`parseCsv: delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  const DELIM = delimiter.charCodeAt(0);
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let recordLine = 1; // line on which the current record started
  let line = 1; // current physical line
  let lineStart = start; // index where the current physical line starts (for columns)
  let i = start;
  const n = text.length;
  const col = (at: number) => at - lineStart + 1;

  // Consume one line break at i (CRLF, LF or CR) and advance the line counters.
  const eatBreak = () => {
    i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
    line += 1;
    lineStart = i;
  };
  const endRecord = () => {
    records.push({ fields, line: recordLine });
    fields = [];
  };

  while (i < n) {
    // At the start of a field; a line break before any field of a record is a blank line.
    if (fields.length === 0) {
      const c0 = text.charCodeAt(i);
      if (c0 === CR || c0 === LF) {
        eatBreak();
        continue;
      }
      recordLine = line;
    }
    if (text.charCodeAt(i) === QUOTE) {
      const openLine = line;
      const openCol = col(i);
      i += 1;
      let value = '';
      let chunkStart = i;
      for (;;) {
        if (i >= n) {
          throw new CsvError(source, openLine, openCol, 'unterminated quoted field (the quote opened here is never closed)');
        }
        const c = text.charCodeAt(i);
        if (c === QUOTE) {
          if (text.charCodeAt(i + 1) === QUOTE) {
            value += text.slice(chunkStart, i + 1); // keep one quote of the pair
            i += 2;
            chunkStart = i;
            continue;
          }
          value += text.slice(chunkStart, i);
          i += 1; // past the closing quote
          break;
        }
        if (c === CR || c === LF) {
          value += text.slice(chunkStart, i);
          const breakStart = i;
          eatBreak();
          value += text.slice(breakStart, i); // line breaks inside quotes are kept verbatim
          chunkStart = i;
          continue;
        }
        i += 1;
      }
      fields.push(value);
      if (i >= n) break;
      const after = text.charCodeAt(i);
      if (after === DELIM) {
        i += 1;
        if (i >= n) fields.push(''); // trailing delimiter: one more empty field
        continue;
      }
      if (after === CR || after === LF) {
        eatBreak();
        endRecord();
        continue;
      }
      throw new CsvError(source, line, col(i), `unexpected character ${JSON.stringify(text[i])} after a closing quote (expected ${JSON.stringify(delimiter)} or a line break)`);
    }

    // Unquoted field: runs to the next delimiter or line break.
    const fieldStart = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === DELIM || c === CR || c === LF) break;
      if (c === QUOTE) {
        throw new CsvError(source, line, col(i), 'quote inside an unquoted field (a field containing quotes must itself be quoted, with inner quotes doubled)');
      }
      i += 1;
    }
    fields.push(text.slice(fieldStart, i));
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c === DELIM) {
      i += 1;
      if (i >= n) fields.push('');
      continue;
    }
    eatBreak();
    endRecord();
  }
  if (fields.length > 0) endRecord();

  if (records.length === 0) throw new CsvError(source, 1, 1, 'empty CSV: expected a header line');
  const headerRecord = records[0]!;
  const header = headerRecord.fields;
  const seen = new Set<string>();
  header.forEach((name, k) => {
    if (name === '') throw new CsvError(source, headerRecord.line, 1, `header column ${k + 1} has an empty name`);
    if (seen.has(name)) throw new CsvError(source, headerRecord.line, 1, `duplicate header column ${JSON.stringify(name)}`);
    seen.add(name);
  });

  const rows: Record<string, string>[] = [];
  const lines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (rec.fields.length !== header.length) {
      throw new CsvError(source, rec.line, 1, `record has ${rec.fields.length} fields, but the header has ${header.length} (${header.join(', ')})`);
    }
    const row: Record<string, string> = {};
    header.forEach((name, k) => {
      row[name] = rec.fields[k]!;
    });
    rows.push(row);
    lines.push(rec.line);
  }
  return { header, rows, lines };
}

/** Read a UTF-8 CSV file and parse it; errors name the file path. */
export function readCsv(path: string, options: Omit<CsvOptions, 'source'> = {}): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read CSV file ${path}: ${(err as Error).message}`);
  }
  return parseCsv(text, { ...options, source: path });
}
