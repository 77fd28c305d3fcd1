/**
 * Reading and writing the safetensors format, Hugging Face's file format for tensors
 * (`model.safetensors`). Spec: https://github.com/huggingface/safetensors#format
 *
 * ```
 * ┌──────────────┬──────────────────────────────┬──────────────────────────────┐
 * │ N: u64 (LE)  │ header: N bytes of JSON      │ data: tensors, back to back  │
 * └──────────────┴──────────────────────────────┴──────────────────────────────┘
 * header = { "__metadata__": { "format": "pt", ... },          // optional, string → string
 *            "model.embed_tokens.weight": { "dtype": "F32", "shape": [V, D],
 *                                           "data_offsets": [begin, end] }, ... }
 * ```
 *
 * `data_offsets` count bytes from the start of the data section (the byte after
 * the header). Each tensor is stored row-major and little-endian, and the tensors
 * tile the data section exactly: no gaps, no overlaps, nothing left over. The
 * header may be padded with trailing spaces; writers pad it so the data starts on
 * an 8-byte boundary.
 *
 * Supported dtypes: F32, F16, BF16 (read into `Float32Array`), I32 (`Int32Array`)
 * and I64 (`BigInt64Array`). Writing to F16 and BF16 rounds each float32 to the
 * nearest representable value, ties to even, as IEEE 754 prescribes (and as
 * PyTorch's `.half()` / `.bfloat16()` do).
 *
 * Validation follows the reference Rust implementation: every inconsistency is a
 * {@link SafetensorsError} whose message starts with the file name and says what is
 * wrong, e.g. `model.safetensors: truncated: tensor "lm_head.weight" needs data
 * bytes [4096, 8192) but the data section has only 6000 bytes`.
 *
 * Speed: F32, I32 and I64 tensors are read as typed-array *views* into the file's
 * bytes when they are aligned (copied when not, or when `copy: true`), so loading a
 * float32 checkpoint costs one file read. F16/BF16 decode through a 64 Ki-entry
 * table and a shift respectively.
 *
 * @example
 * ```ts
 * writeSafetensors('ckpt/model.safetensors', {
 *   'model.embed_tokens.weight': { dtype: 'F32', shape: [V, D], data: wte },
 * }, { format: 'pt' });
 * const file = readSafetensors('ckpt/model.safetensors');
 * const wte2 = floatTensor(file, 'model.embed_tokens.weight', [V, D]);
 * ```
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';
export type FloatDtype = 'F32' | 'F16' | 'BF16';

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };

const METADATA_KEY = '__metadata__';
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A tensor to write. Float dtypes take a `Float32Array` (or numbers, rounded to
 * float32 first); I32 takes an `Int32Array` or int32 numbers; I64 a `BigInt64Array`
 * or safe-integer numbers. `data.length` must equal the product of `shape`.
 */
export type TensorToWrite =
  | { dtype: FloatDtype; shape: readonly number[]; data: Float32Array | readonly number[] }
  | { dtype: 'I32'; shape: readonly number[]; data: Int32Array | readonly number[] }
  | { dtype: 'I64'; shape: readonly number[]; data: BigInt64Array | readonly number[] };

/** A tensor as read: `dtype` is the stored dtype; float dtypes all come back as float32. */
export type ReadTensor =
  | { dtype: FloatDtype; shape: number[]; data: Float32Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array };

export interface SafetensorsContents {
  /** The file name (or the `sourceName` given to {@link parseSafetensors}), used in error messages. */
  source: string;
  /** Tensors in the order of their data offsets. */
  tensors: Record<string, ReadTensor>;
  /** The `__metadata__` map; `{}` when the file has none. */
  metadata: Record<string, string>;
}

/** One header entry, as validated: where the tensor's bytes lie in the data section. */
export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  source: string;
  /** Header entries in the order of their data offsets. */
  tensors: Record<string, TensorInfo>;
  metadata: Record<string, string>;
  /** N, the header length in bytes (including padding); the data section starts at byte 8 + N. */
  headerSize: number;
}

export interface ParseOptions {
  /** Always copy tensor data instead of returning views into the input bytes (default false). */
  copy?: boolean;
}

/** Any problem with a safetensors file or with tensors given to the writer. */
export class SafetensorsError extends Error {
  constructor(
    /** The file (or source name) concerned. */
    readonly source: string,
    /** What is wrong, without the file name. */
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

// ---------------------------------------------------------------------------
// float32 ↔ float16 / bfloat16 bit conversions
// ---------------------------------------------------------------------------

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * float32 bit pattern → float16 bit pattern, rounding to nearest, ties to even.
 *
 * float32: 1 sign, 8 exponent (bias 127), 23 mantissa bits. float16: 1 sign,
 * 5 exponent (bias 15), 10 mantissa bits; largest finite 65504, smallest normal
 * 2^-14, smallest subnormal 2^-24. Dropped bits decide the rounding: above half an
 * ulp rounds up, exactly half rounds to the even neighbour. A carry out of the
 * mantissa correctly bumps the exponent (and 65520 and above become infinity).
 */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // Infinity stays infinity; NaN stays a (quiet) NaN, keeping the top payload bits.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 127 + 15; // the float16 biased exponent
  if (e >= 31) return sign | 0x7c00; // too large: overflow to infinity
  if (e <= 0) {
    // Result is subnormal (or zero): value = m · 2^(exp−150) with the implicit 1 made
    // explicit; in units of 2^-24 that is m >> (14 − e).
    const shift = 14 - e;
    if (shift > 24) return sign; // below half of 2^-24: rounds to ±0
    const m = mant | 0x800000;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h; // h may reach 0x400, the smallest normal: still the right encoding
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return h;
}

/** float32 bit pattern → bfloat16 bit pattern (the top 16 bits), rounding to nearest, ties to even. */
function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff; // NaN: keep it a quiet NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float16 bit pattern → its value (exact: every float16 is a float32). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero or subnormal
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The float16 bit pattern nearest to `x` (after rounding `x` to float32), ties to even. */
export function f32ToF16Bits(x: number): number {
  f32Scratch[0] = x;
  return f32BitsToF16Bits(u32Scratch[0]!);
}

/** bfloat16 bit pattern → its value (bfloat16 is the top half of a float32). */
export function bf16BitsToF32(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** The bfloat16 bit pattern nearest to `x` (after rounding `x` to float32), ties to even. */
export function f32ToBf16Bits(x: number): number {
  f32Scratch[0] = x;
  return f32BitsToBf16Bits(u32Scratch[0]!);
}

let f16Table: Float32Array | undefined;
/** All 65536 float16 values, indexed by bit pattern (256 KiB, built on first use). */
function getF16Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32(h);
  }
  return f16Table;
}

// ---------------------------------------------------------------------------
// Little-endian typed arrays over raw bytes
// ---------------------------------------------------------------------------

type LeArray = Float32Array | Uint16Array | Int32Array | BigInt64Array;
interface LeArrayCtor<A extends LeArray> {
  new (length: number): A;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * `n` little-endian elements starting at `bytes[begin]`, as a typed array: a view
 * when the host is little-endian and the address is aligned (and `copy` is false),
 * otherwise a fresh array (byte-swapped on big-endian hosts).
 */
function readLe<A extends LeArray>(Ctor: LeArrayCtor<A>, bytes: Uint8Array, begin: number, n: number, copy: boolean): A {
  const size = Ctor.BYTES_PER_ELEMENT;
  const abs = bytes.byteOffset + begin;
  if (HOST_IS_LITTLE_ENDIAN && !copy && abs % size === 0) return new Ctor(bytes.buffer, abs, n);
  const out = new Ctor(n);
  const outBytes = new Uint8Array(out.buffer);
  if (HOST_IS_LITTLE_ENDIAN) {
    outBytes.set(bytes.subarray(begin, begin + n * size));
  } else {
    for (let i = 0; i < n * size; i += size) {
      for (let k = 0; k < size; k++) outBytes[i + k] = bytes[begin + i + size - 1 - k]!;
    }
  }
  return out;
}

/** Copy a typed array into `out` at `pos` as little-endian bytes. */
function writeLe(out: Uint8Array, pos: number, arr: LeArray): void {
  const src = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(src, pos);
    return;
  }
  const size = arr.BYTES_PER_ELEMENT;
  for (let i = 0; i < src.length; i += size) {
    for (let k = 0; k < size; k++) out[pos + i + k] = src[i + size - 1 - k]!;
  }
}

// ---------------------------------------------------------------------------
// Header validation
// ---------------------------------------------------------------------------

function isDtype(d: unknown): d is SafetensorsDtype {
  return typeof d === 'string' && Object.hasOwn(DTYPE_BYTES, d);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Product of the dimensions (1 for a scalar, shape []). */
function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Read N from the first 8 bytes and check it against the file size.
 * Returns N as a number (it is at most the file size, so it fits).
 */
function headerLength(first8: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) {
    throw new SafetensorsError(
      source,
      `file is ${fileSize} bytes, too short for safetensors (it starts with an 8-byte header length)`,
    );
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw new SafetensorsError(
      source,
      `truncated: header says ${n} bytes but file has ${fileSize} bytes (${fileSize - 8} after the 8-byte length)`,
    );
  }
  return Number(n);
}

/**
 * Decode and validate the JSON header against a data section of `dataLength`
 * bytes: known dtypes, well-formed shapes and offsets, byte sizes that match
 * shape × dtype, offsets inside the data, and tensors that tile the data exactly.
 */
function parseHeaderJson(
  headerBytes: Uint8Array,
  dataLength: number,
  source: string,
): { tensors: Record<string, TensorInfo>; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, problem);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('invalid JSON header (not valid UTF-8)');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON header (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail('invalid JSON header (expected an object mapping tensor names to entries)');
  }

  const metadata: Record<string, string> = {};
  const rawMeta = (header as Record<string, unknown>)[METADATA_KEY];
  if (rawMeta !== undefined) {
    if (typeof rawMeta !== 'object' || rawMeta === null || Array.isArray(rawMeta)) {
      fail(`"${METADATA_KEY}" must be an object mapping strings to strings`);
    }
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`"${METADATA_KEY}" value for "${k}" must be a string, got ${JSON.stringify(v)}`);
      metadata[k] = v as string;
    }
  }

  const entries: [string, TensorInfo][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) continue;
    const where = `tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      fail(`${where}: entry must be an object with dtype, shape and data_offsets`);
    }
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isDtype(dtype)) {
      fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt) || offsets[0] > offsets[1]) {
      fail(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
    }
    const info: TensorInfo = {
      dtype: dtype as SafetensorsDtype,
      shape: [...(shape as number[])],
      dataOffsets: [(offsets as number[])[0]!, (offsets as number[])[1]!],
    };
    const [begin, end] = info.dataOffsets;
    const expectedBytes = numel(info.shape) * DTYPE_BYTES[info.dtype];
    if (expectedBytes !== end - begin) {
      fail(
        `${where}: shape ${shapeText(info.shape)} of ${info.dtype} needs ${expectedBytes} bytes ` +
          `but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    if (end > dataLength) {
      fail(
        `truncated: ${where} needs data bytes [${begin}, ${end}) ` +
          `but the data section has only ${dataLength} bytes`,
      );
    }
    entries.push([name, info]);
  }

  // The tensors must tile [0, dataLength) exactly.
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let covered = 0;
  let prevName = '';
  for (const [name, info] of entries) {
    const [begin, end] = info.dataOffsets;
    if (begin < covered) {
      fail(`tensors "${prevName}" and "${name}" overlap: "${prevName}" ends at ${covered}, "${name}" begins at ${begin}`);
    }
    if (begin > covered) {
      fail(`data_offsets are not contiguous: ${begin - covered} unused bytes [${covered}, ${begin}) before tensor "${name}"`);
    }
    covered = end;
    prevName = name;
  }
  if (covered !== dataLength) {
    fail(`data section has ${dataLength} bytes but the tensors cover only ${covered} (${dataLength - covered} trailing bytes)`);
  }
  return { tensors: Object.fromEntries(entries), metadata };
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** Decode one tensor's bytes (`bytes[begin, begin + n·size)`) into its JavaScript array. */
function decodeTensor(bytes: Uint8Array, begin: number, info: TensorInfo, copy: boolean): ReadTensor {
  const n = numel(info.shape);
  const shape = info.shape;
  switch (info.dtype) {
    case 'F32':
      return { dtype: 'F32', shape, data: readLe(Float32Array, bytes, begin, n, copy) };
    case 'F16': {
      const bits = readLe(Uint16Array, bytes, begin, n, false);
      const table = getF16Table();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[bits[i]!]!;
      return { dtype: 'F16', shape, data: out };
    }
    case 'BF16': {
      const bits = readLe(Uint16Array, bytes, begin, n, false);
      const out = new Float32Array(n);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) outBits[i] = bits[i]! << 16;
      return { dtype: 'BF16', shape, data: out };
    }
    case 'I32':
      return { dtype: 'I32', shape, data: readLe(Int32Array, bytes, begin, n, copy) };
    case 'I64':
      return { dtype: 'I64', shape, data: readLe(BigInt64Array, bytes, begin, n, copy) };
  }
}

/**
 * Parse a whole safetensors file held in memory. `sourceName` names it in error
 * messages. F32/I32/I64 data are views into `bytes` where aligned, unless
 * `options.copy` is set.
 */
export function parseSafetensors(bytes: Uint8Array, sourceName = '<bytes>', options: ParseOptions = {}): SafetensorsContents {
  const n = headerLength(bytes.subarray(0, 8), bytes.length, sourceName);
  const dataStart = 8 + n;
  const { tensors: infos, metadata } = parseHeaderJson(bytes.subarray(8, dataStart), bytes.length - dataStart, sourceName);
  const tensors: Record<string, ReadTensor> = {};
  for (const [name, info] of Object.entries(infos)) {
    tensors[name] = decodeTensor(bytes, dataStart + info.dataOffsets[0], info, options.copy ?? false);
  }
  return { source: sourceName, tensors, metadata };
}

/** Read and validate a `.safetensors` file (whole file in memory; Node reads files up to 2 GiB this way). */
export function readSafetensors(path: string, options: ParseOptions = {}): SafetensorsContents {
  return parseSafetensors(fs.readFileSync(path), path, options);
}

/**
 * Read and validate only the header of a `.safetensors` file: names, dtypes,
 * shapes, offsets and metadata, without loading any tensor data. The checks are
 * the same as for a full read (including truncation, from the file size).
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const first8 = new Uint8Array(8);
    fs.readSync(fd, first8, 0, Math.min(8, size), 0);
    const n = headerLength(first8, size, path);
    const headerBytes = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = fs.readSync(fd, headerBytes, got, n - got, 8 + got);
      if (r === 0) throw new SafetensorsError(path, `truncated: could not read the ${n}-byte header`);
      got += r;
    }
    const { tensors, metadata } = parseHeaderJson(headerBytes, size - 8 - n, path);
    return { source: path, tensors, metadata, headerSize: n };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The float data of tensor `name` (stored as F32, F16 or BF16), checked against
 * `expectedShape` when given: the usual way to load a parameter from a checkpoint
 * with one clear error when it is missing or the wrong shape.
 */
export function floatTensor(file: SafetensorsContents, name: string, expectedShape?: readonly number[]): Float32Array {
  const t = file.tensors[name];
  if (!t) throw new SafetensorsError(file.source, `missing tensor "${name}"`);
  if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
    throw new SafetensorsError(file.source, `tensor "${name}" has dtype ${t.dtype}, expected F32, F16 or BF16`);
  }
  if (expectedShape && (expectedShape.length !== t.shape.length || expectedShape.some((d, i) => d !== t.shape[i]))) {
    throw new SafetensorsError(
      file.source,
      `tensor "${name}" has shape ${shapeText(t.shape)}, expected ${shapeText(expectedShape)}`,
    );
  }
  return t.data;
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/** Check one tensor given to the writer and return its data as the typed array to encode. */
function prepareTensor(name: string, t: TensorToWrite, source: string): Float32Array | Int32Array | BigInt64Array {
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, `tensor "${name}": ${problem}`);
  };
  if (!isDtype(t.dtype)) fail(`unknown dtype ${JSON.stringify(t.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegInt)) {
    fail(`shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
  const n = numel(t.shape);
  if (t.data.length !== n) fail(`shape ${shapeText(t.shape)} has ${n} elements but data has ${t.data.length}`);
  const data = t.data;
  switch (t.dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
      if (data instanceof Float32Array) return data;
      if (Array.isArray(data)) return Float32Array.from(data as number[]);
      return fail(`${t.dtype} data must be a Float32Array or an array of numbers`);
    case 'I32':
      if (data instanceof Int32Array) return data;
      if (Array.isArray(data)) {
        for (const v of data as number[]) if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) fail(`value ${v} is not an int32`);
        return Int32Array.from(data as number[]);
      }
      return fail('I32 data must be an Int32Array or an array of integers');
    case 'I64':
      if (data instanceof BigInt64Array) return data;
      if (Array.isArray(data)) {
        const out = new BigInt64Array(n);
        (data as number[]).forEach((v, i) => {
          if (!Number.isSafeInteger(v)) fail(`value ${v} is not a safe integer (use a BigInt64Array for I64)`);
          out[i] = BigInt(v);
        });
        return out;
      }
      return fail('I64 data must be a BigInt64Array or an array of integers');
  }
}

/**
 * Encode tensors (and optional string metadata) as safetensors bytes.
 *
 * Tensors are laid out by decreasing element size, then by name (as the reference
 * implementation does), so with the header padded to a multiple of 8 every tensor
 * starts aligned to its element size and readers can view it without copying.
 */
export function serializeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
  sourceName = '<safetensors>',
): Uint8Array {
  const prepared = Object.entries(tensors).map(([name, t]) => {
    if (name === METADATA_KEY) throw new SafetensorsError(sourceName, `"${METADATA_KEY}" is reserved and cannot name a tensor`);
    return { name, dtype: t.dtype, shape: [...t.shape], data: prepareTensor(name, t, sourceName) };
  });
  prepared.sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new SafetensorsError(sourceName, `metadata value for "${k}" must be a string, got ${JSON.stringify(v)}`);
      }
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const t of prepared) {
    const bytes = t.data.length * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerSize = Math.ceil((8 + json.length) / 8) * 8 - 8; // pad so the data starts 8-byte aligned
  const out = new Uint8Array(8 + headerSize + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerSize), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerSize); // pad with spaces

  let pos = 8 + headerSize;
  for (const t of prepared) {
    if (t.dtype === 'F16' || t.dtype === 'BF16') {
      const src = t.data as Float32Array;
      const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
      const half = new Uint16Array(src.length);
      const convert = t.dtype === 'F16' ? f32BitsToF16Bits : f32BitsToBf16Bits;
      for (let i = 0; i < half.length; i++) half[i] = convert(bits[i]!);
      writeLe(out, pos, half);
    } else {
      writeLe(out, pos, t.data);
    }
    pos += t.data.length * DTYPE_BYTES[t.dtype];
  }
  return out;
}

/** Write tensors to `path` as safetensors, atomically (a temp file renamed over the target). */
export function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata, path));
}
