/**
 * Reading JSON Lines files (https://jsonlines.org): one JSON value per line.
 *
 * JSONL is how alignlab stores preference data (TRL's `prompt`/`chosen`/`rejected`),
 * conversations, feedback and metrics. A malformed line gets one clear message
 * naming the file and the 1-based line number, in the compiler style
 * `FILE:LINE: invalid JSON (reason)`, so editors and terminals can jump to it.
 *
 * Conventions: a UTF-8 byte-order mark at the start is ignored, `\r\n` line ends
 * are accepted, and blank (whitespace-only) lines are skipped — they carry no
 * record, and a trailing newline is normal.
 *
 * Two ways in:
 * - {@link readJsonl}: the whole file at once (fine up to a few hundred MB);
 * - {@link iterateJsonl} / {@link iterateLines}: streaming, constant memory, for big files.
 *
 * Rows are returned as parsed (`unknown` by default); validate their shape at the
 * call site (e.g. with zod) where the expected schema is known.
 *
 * @example
 * ```ts
 * const { rows } = readJsonl<{ prompt: string; chosen: string; rejected: string }>('prefs.jsonl');
 * const { rows: good, errors } = readJsonl('feedback.jsonl', { onError: 'skip' });
 * for (const e of errors) console.error(e.message);   // "feedback.jsonl:17: invalid JSON (...)"
 * for await (const { line, value } of iterateJsonl('huge.jsonl')) { ... }
 * ```
 */
import * as fs from 'node:fs';

/** What to do with a line that is not valid JSON: stop with a {@link JsonlError}, or collect it and go on. */
export type OnJsonlError = 'throw' | 'skip';

export interface ReadJsonlOptions {
  /** `'throw'` (default): the first bad line throws. `'skip'`: bad lines are reported in `errors`. */
  onError?: OnJsonlError;
}

/** A line that could not be parsed: its 1-based number and the full `FILE:LINE: ...` message. */
export interface JsonlLineError {
  line: number;
  message: string;
}

export interface JsonlResult<T> {
  rows: T[];
  errors: JsonlLineError[];
}

/** Thrown for a malformed line; `file` and `line` say where. */
export class JsonlError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'JsonlError';
  }
}

/** Parse one line's text; returns the value, or an error object naming `file:line`. */
function parseLine(text: string, file: string, line: number): { value: unknown } | JsonlLineError {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { line, message: `${file}:${line}: invalid JSON (${reason})` };
  }
}

/** True for lines with nothing but whitespace (including the `\r` of a CRLF end). */
function isBlank(text: string): boolean {
  return text.trim() === '';
}

/**
 * Read a whole JSONL file. Returns the parsed rows in file order and, with
 * `onError: 'skip'`, the lines that failed; with the default `'throw'`, the first
 * bad line throws a {@link JsonlError} and `errors` is always empty.
 */
export function readJsonl<T = unknown>(filePath: string, options: ReadJsonlOptions = {}): JsonlResult<T> {
  const onError = options.onError ?? 'throw';
  let text = fs.readFileSync(filePath, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: T[] = [];
  const errors: JsonlLineError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineText = lines[i]!;
    if (isBlank(lineText)) continue;
    const parsed = parseLine(lineText, filePath, i + 1);
    if ('value' in parsed) {
      rows.push(parsed.value as T);
    } else if (onError === 'throw') {
      throw new JsonlError(parsed.message, filePath, parsed.line);
    } else {
      errors.push(parsed);
    }
  }
  return { rows, errors };
}

export interface IterateLinesOptions {
  /** Bytes read per chunk (default 64 KiB). Small values are only useful in tests. */
  chunkSize?: number;
}

/**
 * Stream the lines of a UTF-8 text file without loading it whole. Yields every
 * line (blank ones too) with its 1-based number, without the `\n` or `\r\n`; a
 * leading byte-order mark is dropped, and a final line without a newline is still
 * yielded. Multi-byte characters split across chunks are decoded correctly.
 */
export async function* iterateLines(
  filePath: string,
  options: IterateLinesOptions = {},
): AsyncGenerator<{ line: number; text: string }> {
  const stream = fs.createReadStream(filePath, { highWaterMark: options.chunkSize ?? 64 * 1024 });
  const decoder = new TextDecoder('utf-8', { ignoreBOM: false });
  let pending = '';
  let line = 0;
  const strip = (s: string): string => (s.endsWith('\r') ? s.slice(0, -1) : s);
  for await (const chunk of stream) {
    // Only the new text can hold a newline: `pending` had none left (keeps long lines linear).
    const searchFrom = pending.length;
    pending += decoder.decode(chunk as Buffer, { stream: true });
    let start = 0;
    let nl = pending.indexOf('\n', searchFrom);
    while (nl !== -1) {
      line++;
      yield { line, text: strip(pending.slice(start, nl)) };
      start = nl + 1;
      nl = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending !== '') {
    line++;
    yield { line, text: strip(pending) };
  }
}

/**
 * Stream the records of a JSONL file: yields `{ line, value }` for each non-blank
 * line. With `onError: 'throw'` (default) a bad line throws a {@link JsonlError};
 * with `'skip'` it is yielded as `{ line, error }` (the `FILE:LINE: ...` message)
 * so the caller can count or report it and carry on.
 */
export async function* iterateJsonl<T = unknown>(
  filePath: string,
  options: ReadJsonlOptions & IterateLinesOptions = {},
): AsyncGenerator<{ line: number; value: T; error?: undefined } | { line: number; value?: undefined; error: string }> {
  const onError = options.onError ?? 'throw';
  for await (const { line, text } of iterateLines(filePath, options)) {
    if (isBlank(text)) continue;
    const parsed = parseLine(text, filePath, line);
    if ('value' in parsed) {
      yield { line, value: parsed.value as T };
    } else if (onError === 'throw') {
      throw new JsonlError(parsed.message, filePath, line);
    } else {
      yield { line, error: parsed.message };
    }
  }
}
