/**
 * Crash-safe file writes.
 *
 * A run directory must never hold a half-written `config.json` or checkpoint
 * (DESIGN.md: "nothing already written is lost or half-written"). The classic
 * recipe, used here:
 *
 * 1. write the new contents to a temporary file in the **same directory** (so the
 *    final rename stays on one filesystem, where POSIX `rename(2)` is atomic),
 * 2. `fsync` it, so the bytes are on disk before the name points at them,
 * 3. `rename` it over the target: readers see either the old file or the new one,
 *    never a mixture,
 * 4. `fsync` the directory (best effort) so the rename itself survives a crash.
 *
 * If anything fails, the temporary file is removed and the old target is left
 * untouched. All functions are synchronous: they are called at checkpoints and
 * run boundaries, where ordering matters more than overlapping I/O.
 *
 * @example
 * ```ts
 * writeJsonAtomic('runs/r1/config.json', config);
 * appendJsonl('runs/r1/metrics.jsonl', { step: 10, 'objective/kl': 0.03 });
 * ```
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Write all of `bytes` to an open file descriptor (writeSync may write less than asked). */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/** fsync a directory so a rename inside it is durable; silently skipped where unsupported (Windows). */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Opening or syncing a directory is not possible on every platform; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replace the file at `filePath` with `data` atomically: afterwards the file holds
 * either its old contents (if this throws) or exactly `data`. Strings are written
 * as UTF-8. The temporary file is `.<name>.<random>.tmp` next to the target, created
 * exclusively so concurrent writers never share one.
 */
export function writeFileAtomic(filePath: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `.${path.basename(filePath)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666);
    writeAll(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, filePath);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // Already failing; the original error is the one worth reporting.
      }
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** `JSON.stringify` that refuses values JSON cannot represent at the top level (undefined, functions). */
function stringifyOrThrow(obj: unknown, indent: number | undefined, filePath: string): string {
  const text = JSON.stringify(obj, null, indent);
  if (text === undefined) {
    throw new TypeError(`${filePath}: cannot write ${typeof obj} as JSON`);
  }
  return text;
}

/**
 * Write `obj` as pretty-printed JSON (2-space indent) plus a trailing newline,
 * atomically. The object is serialized before any file is touched, so a value
 * that cannot be serialized (a cycle, a BigInt, a throwing `toJSON`) leaves the
 * old file as it was.
 */
export function writeJsonAtomic(filePath: string, obj: unknown): void {
  writeFileAtomic(filePath, stringifyOrThrow(obj, 2, filePath) + '\n');
}

/**
 * Append `obj` as one compact JSON line to a JSONL file (created if missing).
 *
 * The line goes out in a single `write` on a file opened for appending, so
 * concurrent appenders do not interleave within a line. If the file does not end
 * with a newline (a previous writer crashed mid-line), a newline is written first
 * so the damaged line stays alone and this record stays readable.
 */
export function appendJsonl(filePath: string, obj: unknown): void {
  let line = stringifyOrThrow(obj, undefined, filePath) + '\n';
  const fd = fs.openSync(filePath, 'a+');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) line = '\n' + line;
    }
    writeAll(fd, Buffer.from(line, 'utf8'));
  } finally {
    fs.closeSync(fd);
  }
}
