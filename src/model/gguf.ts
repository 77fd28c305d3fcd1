/**
 * Reading and writing GGUF, the single-file model format of llama.cpp, Ollama and every other
 * GGML-based runtime. Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 *
 * ```
 * ┌────────────────────────────────────────────────────────────────────────────────────────┐
 * │ "GGUF" │ version: u32 = 3 │ tensor_count: u64 │ metadata_kv_count: u64                 │
 * │ metadata: (key: string, value_type: u32, value) × metadata_kv_count                    │
 * │ tensor infos: (name: string, n_dims: u32, dims: u64 × n_dims, type: u32, offset: u64) │
 * │ 0x00 padding to a multiple of general.alignment (default 32)                           │
 * │ tensor data: each tensor at its offset (relative to here), offsets multiples of 32     │
 * └────────────────────────────────────────────────────────────────────────────────────────┘
 * string = len: u64, then len bytes of UTF-8 (no NUL);  array = item_type: u32, len: u64, items
 * ```
 *
 * Everything is little-endian. Dims are listed innermost first (ggml's `ne[0]` is the number of
 * columns), so a Hugging Face (out, in) matrix, stored row-major, has dims `[in, out]` and the very
 * same bytes: no transposition is ever needed, only the reversed shape.
 *
 * ## The llama architecture (what llama.cpp expects; cf. its convert_hf_to_gguf.py)
 * - metadata: `general.architecture = "llama"`, `llama.context_length`, `.embedding_length`,
 *   `.block_count`, `.feed_forward_length`, `.attention.head_count`, `.attention.head_count_kv`,
 *   `.rope.dimension_count`, `.vocab_size` (uint32), `.rope.freq_base`,
 *   `.attention.layer_norm_rms_epsilon` (float32), `general.file_type` (0 = all F32, 1 = mostly F16);
 * - tensors: `token_embd`, `blk.{i}.attn_norm|attn_q|attn_k|attn_v|attn_output|ffn_norm|ffn_gate|
 *   ffn_up|ffn_down`, `output_norm`, `output` (absent when the embeddings are tied). 1-D tensors
 *   (norms, biases) stay F32 in an F16 file, as llama.cpp requires;
 * - **RoPE layout.** Hugging Face rotates dimension j of a head with dimension j + hd/2
 *   ("rotate-half"); llama.cpp's llama architecture rotates 2j with 2j + 1 ("normal" RoPE). So
 *   the rows of q_proj and k_proj (and their biases) are reordered inside every head:
 *
 *       gguf row h·hd + 2j + s  =  hf row h·hd + s·hd/2 + j        (s ∈ {0, 1}, j < hd/2)
 *
 *   e.g. hd = 4: gguf rows [0, 1, 2, 3] of a head are hf rows [0, 2, 1, 3]. This is the `permute`
 *   of the converter and of the spec's `llama.tensor_data_layout` (reshape (n_head, 2, hd/2, in),
 *   swap axes 1 and 2); keys use n_head = head_count_kv. {@link ropePermute} / {@link ropeUnpermute}.
 * - tokenizer: byte-level BPE as `tokenizer.ggml.model = "gpt2"` with `tokens`, `token_type`
 *   (1 normal, 3 control, 4 user-defined, 5 unused), `merges` ("a b"), special token ids,
 *   `add_bos_token = false`, and `tokenizer.ggml.pre = "llama-bpe"`: llama.cpp's name for exactly
 *   the Llama-3 split regex alignlab's tokenizers use (LLAMA3_PATTERN).
 *
 * Simplifications: reading decodes F32, F16 and BF16 tensors only (quantized types are an error);
 * the whole file is held in memory (fine below 2 GiB); big-endian GGUF files are rejected.
 *
 * @example
 * ```ts
 * writeGguf('runs/m/model-f16.gguf', { config: model.cfg, tensors: named, tokenizer: ggufTokenizer(tok), dtype: 'F16' });
 * const file = readGguf('runs/m/model-f16.gguf', { architecture: 'llama' });
 * const { config, tensors } = ggufToLlama(file);   // back to HF names and rotate-half order
 * ```
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { type LlamaConfig, headDim, llamaConfig } from './config.js';
import { llamaParamSpecs } from './params.js';
import { f16BitsToF32, f32ToF16Bits } from './safetensors.js';

/** Any problem with a GGUF file or with what was given to the writer; the message starts with the file. */
export class GgufError extends Error {
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
    this.name = 'GgufError';
  }
}

// ---------------------------------------------------------------------------
// Format constants
// ---------------------------------------------------------------------------

const MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF"
export const GGUF_VERSION = 3;
/** The alignment the writer uses and readers assume when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, by their number in the spec (`gguf_metadata_value_type`). */
const VALUE_TYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'] as const;
export type GgufValueType = (typeof VALUE_TYPES)[number];
export type GgufScalarType = Exclude<GgufValueType, 'array'>;
const SCALAR_BYTES: Record<Exclude<GgufScalarType, 'string'>, number> = { uint8: 1, int8: 1, bool: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8 };

/** A metadata value as read: integers that fit a double exactly are numbers, larger 64-bit ones bigints. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** A metadata pair to write, with its explicit GGUF type (arrays name their item type). */
export type GgufKv =
  | { key: string; type: GgufScalarType; value: number | bigint | boolean | string }
  | { key: string; type: 'array'; itemType: GgufScalarType; value: readonly (number | bigint | boolean | string)[] };

/** Tensor types (`ggml_type`) this module knows by name; the writer emits F32 and F16. */
const GGML_TYPES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K',
  13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S',
  22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0',
  35: 'TQ2_0', 39: 'MXFP4',
};
const DECODABLE: Record<string, { id: number; bytes: number }> = { F32: { id: 0, bytes: 4 }, F16: { id: 1, bytes: 2 }, BF16: { id: 30, bytes: 2 } };

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

export interface GgufTensor {
  name: string;
  /** Innermost first: an HF (out, in) matrix has dims [in, out]. */
  dims: number[];
  /** The stored type: 'F32', 'F16' or 'BF16' (data is converted to float32). */
  type: string;
  /** Absolute byte offset of the tensor's data in the file (a multiple of the alignment). */
  fileOffset: number;
  data: Float32Array;
}

export interface GgufContents {
  source: string;
  version: number;
  metadata: Record<string, GgufValue>;
  /** The stored type of each metadata value, e.g. 'uint32', 'string', 'array<string>'. */
  metadataTypes: Record<string, string>;
  alignment: number;
  /** Absolute byte offset where the tensor data section begins. */
  dataOffset: number;
  tensors: GgufTensor[];
}

export interface ReadGgufOptions {
  /** Require `general.architecture` to be this (one clear error otherwise). */
  architecture?: 'llama';
}

/** A read position over the file's bytes whose every read checks that the bytes are there. */
class Cursor {
  pos = 0;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(problem: string): never {
    throw new GgufError(this.source, problem);
  }
  need(n: number, what: string): number {
    const at = this.pos;
    if (n > this.bytes.length - at) this.fail(`truncated: reading ${what} at offset ${at} needs ${n} bytes but the file ends at ${this.bytes.length}`);
    this.pos += n;
    return at;
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  /** A u64 that must fit a double exactly (dims, offsets). */
  u64(what: string): number {
    const at = this.need(8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} at offset ${at} is ${v}, too large`);
    return Number(v);
  }
  /** A u64 count or length; larger than the file can hold means the file is cut short or corrupt. */
  size(what: string): number {
    const v = this.view.getBigUint64(this.need(8, what), true);
    if (v > BigInt(this.bytes.length)) this.fail(`truncated: ${what} at offset ${this.pos - 8} is ${v}, more than the ${this.bytes.length}-byte file can hold`);
    return Number(v);
  }
  string(what: string): string {
    const len = this.size(`the length of ${what}`);
    const at = this.need(len, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(at, at + len));
    } catch {
      return this.fail(`${what} at offset ${at} is not valid UTF-8`);
    }
  }
  scalar(type: GgufScalarType, what: string): number | bigint | boolean | string {
    if (type === 'string') return this.string(what);
    const at = this.need(SCALAR_BYTES[type], what);
    const v = this.view;
    switch (type) {
      case 'uint8': return v.getUint8(at);
      case 'int8': return v.getInt8(at);
      case 'uint16': return v.getUint16(at, true);
      case 'int16': return v.getInt16(at, true);
      case 'uint32': return v.getUint32(at, true);
      case 'int32': return v.getInt32(at, true);
      case 'float32': return v.getFloat32(at, true);
      case 'float64': return v.getFloat64(at, true);
      case 'uint64': return exactNumber(v.getBigUint64(at, true));
      case 'int64': return exactNumber(v.getBigInt64(at, true));
      case 'bool': {
        const b = v.getUint8(at);
        if (b > 1) this.fail(`${what} at offset ${at} is a bool with byte ${b} (must be 0 or 1)`);
        return b === 1;
      }
    }
  }
  valueType(what: string): GgufValueType {
    const at = this.pos;
    const t = this.u32(`the type of ${what}`);
    const name = VALUE_TYPES[t];
    if (name === undefined) this.fail(`${what} has unknown value type ${t} at offset ${at} (known: 0..${VALUE_TYPES.length - 1})`);
    return name;
  }
  /** A value of `type`; returns it with its type's description. */
  value(type: GgufValueType, what: string): [GgufValue, string] {
    if (type !== 'array') return [this.scalar(type, what), type];
    const itemType = this.valueType(`the items of ${what}`);
    const len = this.size(`the length of ${what}`);
    // Every item takes at least one byte (a string at least 8), so a longer array cannot fit.
    const minItem = itemType === 'string' || itemType === 'array' ? 8 : SCALAR_BYTES[itemType];
    if (len * minItem > this.bytes.length - this.pos) this.fail(`truncated: ${what} at offset ${this.pos} has ${len} items of ${itemType}, more than the rest of the file holds`);
    const items: GgufValue[] = new Array(len);
    let itemDesc: string = itemType;
    for (let i = 0; i < len; i++) [items[i], itemDesc] = this.value(itemType, `${what}[${i}]`);
    return [items, `array<${itemDesc}>`];
  }
}

function exactNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

let f16Table: Float32Array | undefined;
function decodeTensorData(bytes: Uint8Array, at: number, n: number, type: string): Float32Array {
  if (type === 'F32') {
    const copy = new Uint8Array(4 * n); // a fresh, aligned buffer (Buffer#slice would be a view)
    copy.set(bytes.subarray(at, at + 4 * n));
    if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(copy.buffer, 0, n);
    const dv = new DataView(copy.buffer);
    return Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, 2 * n);
  const out = new Float32Array(n);
  if (type === 'F16') {
    if (!f16Table) f16Table = Float32Array.from({ length: 65536 }, (_, h) => f16BitsToF32(h));
    for (let i = 0; i < n; i++) out[i] = f16Table[dv.getUint16(2 * i, true)]!;
  } else {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16; // BF16 is the top half of an F32
  }
  return out;
}

/** Parse and validate a whole GGUF file held in memory; `source` names it in error messages. */
export function parseGguf(bytes: Uint8Array, source = '<gguf>', options: ReadGgufOptions = {}): GgufContents {
  const c = new Cursor(bytes, source);
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    c.fail(`not a GGUF file (it starts with ${head ? `bytes ${head}` : 'nothing'}; a GGUF file starts with "GGUF" = 47 47 55 46)`);
  }
  c.pos = 4;
  const version = c.u32('the version');
  if (version !== 2 && version !== 3) {
    const swapped = ((version & 0xff) << 24) | ((version >>> 8) & 0xff) << 16 | ((version >>> 16) & 0xff) << 8 | (version >>> 24);
    const hint = swapped === 2 || swapped === 3 ? ' (it looks like a big-endian file, which is not supported)' : '';
    c.fail(`unsupported GGUF version ${version}${hint} (supported: 2, 3)`);
  }
  const tensorCount = c.size('the tensor count');
  const kvCount = c.size('the metadata count');

  const metadata: Record<string, GgufValue> = {};
  const metadataTypes: Record<string, string> = {};
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`the key of metadata pair ${i}`);
    if (Object.hasOwn(metadata, key)) c.fail(`metadata key "${key}" appears twice`);
    const type = c.valueType(`metadata "${key}"`);
    const [value, desc] = c.value(type, `the value of metadata "${key}"`);
    metadata[key] = value;
    metadataTypes[key] = desc;
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if (Object.hasOwn(metadata, 'general.alignment')) {
    const a = metadata['general.alignment'];
    if (metadataTypes['general.alignment'] !== 'uint32' || typeof a !== 'number' || a === 0 || a % 8 !== 0) {
      c.fail(`general.alignment must be a uint32 multiple of 8, got ${String(a)} (${metadataTypes['general.alignment']})`);
    }
    alignment = a as number;
  }
  if (options.architecture !== undefined) {
    const arch = metadata['general.architecture'];
    if (arch === undefined) c.fail(`no general.architecture key (expected "${options.architecture}")`);
    if (arch !== options.architecture) c.fail(`unsupported architecture ${JSON.stringify(arch)} (supported: ${options.architecture})`);
  }

  const infos: { name: string; dims: number[]; type: string; offset: number; n: number }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`the name of tensor info ${i}`);
    if (seen.has(name)) c.fail(`tensor "${name}" appears twice`);
    seen.add(name);
    const nDims = c.u32(`the dimension count of tensor "${name}"`);
    if (nDims < 1 || nDims > 4) c.fail(`tensor "${name}" has ${nDims} dimensions (GGUF allows 1 to 4)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.u64(`dimension ${d} of tensor "${name}"`));
    const typeAt = c.pos;
    const typeId = c.u32(`the type of tensor "${name}"`);
    const type = GGML_TYPES[typeId] ?? `unknown type ${typeId}`;
    if (!DECODABLE[type]) c.fail(`tensor "${name}" (offset ${typeAt}) has type ${type}, which this reader cannot decode (supported: F32, F16, BF16)`);
    const offset = c.u64(`the data offset of tensor "${name}"`);
    if (offset % alignment !== 0) c.fail(`tensor "${name}" has data offset ${offset}, not a multiple of the alignment ${alignment}`);
    infos.push({ name, dims, type, offset, n: dims.reduce((a, b) => a * b, 1) });
  }

  const dataOffset = alignUp(c.pos, alignment);
  const tensors: GgufTensor[] = infos.map((t) => {
    const at = dataOffset + t.offset;
    const nBytes = t.n * DECODABLE[t.type]!.bytes;
    if (at + nBytes > bytes.length) {
      c.fail(`truncated: reading the data of tensor "${t.name}" at offset ${at} needs ${nBytes} bytes but the file ends at ${bytes.length}`);
    }
    return { name: t.name, dims: t.dims, type: t.type, fileOffset: at, data: decodeTensorData(bytes, at, t.n, t.type) };
  });
  return { source, version, metadata, metadataTypes, alignment, dataOffset, tensors };
}

/** Read and validate a GGUF file; with `architecture`, also require that architecture. */
export function readGguf(path: string, options: ReadGgufOptions = {}): GgufContents {
  return parseGguf(fs.readFileSync(path), path, options);
}

// ---------------------------------------------------------------------------
// Writing: the generic container
// ---------------------------------------------------------------------------

/** A tensor to write: `dims` innermost first, data row-major over the reversed dims. */
export interface GgufTensorToWrite {
  name: string;
  dims: readonly number[];
  type: 'F32' | 'F16';
  data: Float32Array;
}

/** A growable little-endian byte buffer. */
class ByteWriter {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  pos = 0;
  private ensure(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = new Uint8Array(Math.max(2 * this.buf.length, this.pos + n));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.ensure(b.length));
  }
  u32(v: number): void {
    this.view.setUint32(this.ensure(4), v, true);
  }
  u64(v: number | bigint): void {
    this.view.setBigUint64(this.ensure(8), BigInt(v), true);
  }
  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  scalar(type: GgufScalarType, v: number | bigint | boolean | string, fail: (p: string) => never): void {
    const intIn = (lo: number, hi: number) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`expected a ${type}, got ${String(v)}`);
      return v as number;
    };
    const big = (lo: bigint, hi: bigint) => {
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : fail(`expected a ${type}, got ${String(v)}`);
      if (b < lo || b > hi) fail(`expected a ${type}, got ${String(v)}`);
      return b;
    };
    const num = () => (typeof v === 'number' ? v : fail(`expected a ${type}, got ${String(v)}`));
    switch (type) {
      case 'string': return typeof v === 'string' ? this.string(v) : fail(`expected a string, got ${String(v)}`);
      case 'bool': return typeof v === 'boolean' ? this.view.setUint8(this.ensure(1), v ? 1 : 0) : fail(`expected a bool, got ${String(v)}`);
      case 'uint8': return this.view.setUint8(this.ensure(1), intIn(0, 0xff));
      case 'int8': return this.view.setInt8(this.ensure(1), intIn(-0x80, 0x7f));
      case 'uint16': return this.view.setUint16(this.ensure(2), intIn(0, 0xffff), true);
      case 'int16': return this.view.setInt16(this.ensure(2), intIn(-0x8000, 0x7fff), true);
      case 'uint32': return this.view.setUint32(this.ensure(4), intIn(0, 0xffffffff), true);
      case 'int32': return this.view.setInt32(this.ensure(4), intIn(-0x80000000, 0x7fffffff), true);
      case 'float32': return this.view.setFloat32(this.ensure(4), num(), true);
      case 'float64': return this.view.setFloat64(this.ensure(8), num(), true);
      case 'uint64': return this.view.setBigUint64(this.ensure(8), big(0n, 2n ** 64n - 1n), true);
      case 'int64': return this.view.setBigInt64(this.ensure(8), big(-(2n ** 63n), 2n ** 63n - 1n), true);
    }
  }
}

/**
 * Encode metadata and tensors as GGUF v3 bytes. `general.alignment` is added (32) unless given;
 * every tensor's data starts on a multiple of it, zero-padded. F16 tensors are rounded to the
 * nearest float16, ties to even.
 */
export function serializeGguf(metadata: readonly GgufKv[], tensors: readonly GgufTensorToWrite[], source = '<gguf>'): Uint8Array {
  const fail = (problem: string): never => {
    throw new GgufError(source, problem);
  };
  const kvs = [...metadata];
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const given = kvs.find((kv) => kv.key === 'general.alignment');
  if (given) {
    if (given.type !== 'uint32' || typeof given.value !== 'number' || given.value <= 0 || given.value % 8 !== 0) fail('general.alignment must be a uint32 multiple of 8');
    alignment = given.value as number;
  } else kvs.push({ key: 'general.alignment', type: 'uint32', value: alignment });

  const w = new ByteWriter();
  w.bytes(Uint8Array.from(MAGIC));
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(kvs.length);
  const keys = new Set<string>();
  for (const kv of kvs) {
    if (!/^[a-z0-9_]+(\.[a-z0-9_]+)*$/.test(kv.key) || kv.key.length > 65535) fail(`metadata key ${JSON.stringify(kv.key)} is not lower_snake_case segments separated by dots`);
    if (keys.has(kv.key)) fail(`metadata key "${kv.key}" given twice`);
    keys.add(kv.key);
    const bad = (p: string): never => fail(`metadata "${kv.key}": ${p}`);
    w.string(kv.key);
    w.u32(VALUE_TYPES.indexOf(kv.type));
    if (kv.type === 'array') {
      if (!Array.isArray(kv.value)) bad('expected an array');
      w.u32(VALUE_TYPES.indexOf(kv.itemType));
      w.u64(kv.value.length);
      kv.value.forEach((v, i) => w.scalar(kv.itemType, v, (p) => bad(`item ${i}: ${p}`)));
    } else w.scalar(kv.type, kv.value, bad);
  }

  const layout: { t: GgufTensorToWrite; offset: number; bytes: number }[] = [];
  let dataSize = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (new TextEncoder().encode(t.name).length >= 64) fail(`tensor name "${t.name}" is 64 bytes or longer (GGML allows 63)`);
    if (names.has(t.name)) fail(`tensor "${t.name}" given twice`);
    names.add(t.name);
    if (t.dims.length < 1 || t.dims.length > 4 || !t.dims.every((d) => Number.isSafeInteger(d) && d > 0)) fail(`tensor "${t.name}": dims must be 1 to 4 positive integers, got [${t.dims.join(', ')}]`);
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) fail(`tensor "${t.name}": dims [${t.dims.join(', ')}] have ${n} elements but data has ${t.data.length}`);
    if (t.type !== 'F32' && t.type !== 'F16') fail(`tensor "${t.name}": type ${String(t.type)} cannot be written (F32 or F16)`);
    const bytes = n * (t.type === 'F32' ? 4 : 2);
    dataSize = alignUp(dataSize, alignment);
    layout.push({ t, offset: dataSize, bytes });
    dataSize += bytes;
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(DECODABLE[t.type]!.id);
    w.u64(layout[layout.length - 1]!.offset);
  }

  const dataStart = alignUp(w.pos, alignment);
  const out = new Uint8Array(dataStart + dataSize); // zero-filled: the padding is 0x00
  out.set(w.buf.subarray(0, w.pos));
  for (const { t, offset } of layout) {
    const at = dataStart + offset;
    const dv = new DataView(out.buffer, at, t.data.length * (t.type === 'F32' ? 4 : 2));
    if (t.type === 'F32') for (let i = 0; i < t.data.length; i++) dv.setFloat32(4 * i, t.data[i]!, true);
    else for (let i = 0; i < t.data.length; i++) dv.setUint16(2 * i, f32ToF16Bits(t.data[i]!), true);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The llama architecture: names, the RoPE permutation, metadata
// ---------------------------------------------------------------------------

const NAME_MAP: [RegExp, string][] = [
  [/^model\.embed_tokens\.weight$/, 'token_embd.weight'],
  [/^model\.norm\.weight$/, 'output_norm.weight'],
  [/^lm_head\.weight$/, 'output.weight'],
  [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, 'blk.$1.attn_norm.weight'],
  [/^model\.layers\.(\d+)\.self_attn\.q_proj\.(weight|bias)$/, 'blk.$1.attn_q.$2'],
  [/^model\.layers\.(\d+)\.self_attn\.k_proj\.(weight|bias)$/, 'blk.$1.attn_k.$2'],
  [/^model\.layers\.(\d+)\.self_attn\.v_proj\.(weight|bias)$/, 'blk.$1.attn_v.$2'],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$/, 'blk.$1.attn_output.weight'],
  [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, 'blk.$1.ffn_norm.weight'],
  [/^model\.layers\.(\d+)\.mlp\.gate_proj\.weight$/, 'blk.$1.ffn_gate.weight'],
  [/^model\.layers\.(\d+)\.mlp\.up_proj\.weight$/, 'blk.$1.ffn_up.weight'],
  [/^model\.layers\.(\d+)\.mlp\.down_proj\.weight$/, 'blk.$1.ffn_down.weight'],
];

/** llama.cpp's name for a Hugging Face Llama parameter, e.g. `model.layers.0.self_attn.q_proj.weight` → `blk.0.attn_q.weight`. */
export function hfToGgufName(hf: string): string | undefined {
  for (const [re, to] of NAME_MAP) if (re.test(hf)) return hf.replace(re, to);
  return undefined;
}

/**
 * Reorder the rows of a q/k projection (rows × cols, row-major; cols = 1 for a bias) from
 * Hugging Face's rotate-half RoPE layout to llama.cpp's interleaved one, head by head:
 * out row h·hd + 2j + s = in row h·hd + s·hd/2 + j. `nHeads` is the number of heads the rows hold
 * (nKVHeads for k_proj).
 */
export function ropePermute(w: Float32Array, nHeads: number, cols: number): Float32Array {
  return reorderRows(w, nHeads, cols, false);
}

/** The inverse of {@link ropePermute}: llama.cpp's interleaved rows back to Hugging Face's order. */
export function ropeUnpermute(w: Float32Array, nHeads: number, cols: number): Float32Array {
  return reorderRows(w, nHeads, cols, true);
}

function reorderRows(w: Float32Array, nHeads: number, cols: number, inverse: boolean): Float32Array {
  const rows = w.length / cols;
  const hd = rows / nHeads;
  if (!Number.isInteger(rows) || !Number.isInteger(hd) || hd % 2 !== 0) throw new RangeError(`ropePermute: ${w.length} values are not ${nHeads} heads of an even size × ${cols} columns`);
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let j = 0; j < hd / 2; j++) {
      for (let s = 0; s < 2; s++) {
        const gg = h * hd + 2 * j + s; // interleaved (llama.cpp)
        const hf = h * hd + s * (hd / 2) + j; // rotate-half (Hugging Face)
        const [to, from] = inverse ? [hf, gg] : [gg, hf];
        out.set(w.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

/** The tokenizer as GGUF stores it (see {@link ggufTokenizer} to build it from alignlab's Tokenizer). */
export interface GgufTokenizerData {
  /** Token strings by id, in byte-level spelling ("Ġthe"). Length = vocabSize. */
  tokens: readonly string[];
  /** Merges in rank order, each "left right". */
  merges: readonly string[];
  /** Per token: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
  tokenTypes: readonly number[];
  bosId?: number;
  eosId?: number;
  padId?: number;
  /** Jinja chat template (`tokenizer.chat_template`). */
  chatTemplate?: string;
}

/** What {@link ggufTokenizer} reads from a tokenizer; alignlab's `Tokenizer` has all of it. */
export interface GgufTokenizerSource {
  readonly vocabSize: number;
  idToToken(id: number): string | undefined;
  readonly addedTokens: readonly { id: number; special: boolean }[];
  readonly model: { readonly merges: readonly (readonly [string, string])[] };
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  readonly config: { readonly chatTemplate: string | null };
  readonly chatTemplate: { readonly jinja: string } | null;
}

/**
 * The GGUF form of a byte-level BPE tokenizer, typed as llama.cpp's converter types them:
 * special added tokens are control (3), other added tokens user-defined (4), ids no token uses
 * become "[PAD{id}]" unused (5), everything else normal (1).
 */
export function ggufTokenizer(tok: GgufTokenizerSource): GgufTokenizerData {
  const added = new Map(tok.addedTokens.map((t) => [t.id, t.special]));
  const tokens: string[] = [];
  const tokenTypes: number[] = [];
  for (let id = 0; id < tok.vocabSize; id++) {
    const s = tok.idToToken(id);
    tokens.push(s ?? `[PAD${id}]`);
    tokenTypes.push(s === undefined ? 5 : added.has(id) ? (added.get(id) ? 3 : 4) : 1);
  }
  const chatTemplate = tok.config.chatTemplate ?? tok.chatTemplate?.jinja;
  return {
    tokens,
    tokenTypes,
    merges: tok.model.merges.map(([a, b]) => `${a} ${b}`),
    ...(tok.bosTokenId !== undefined && { bosId: tok.bosTokenId }),
    ...(tok.eosTokenId !== undefined && { eosId: tok.eosTokenId }),
    ...(tok.padTokenId !== undefined && { padId: tok.padTokenId }),
    ...(chatTemplate !== undefined && { chatTemplate }),
  };
}

export interface WriteGgufOptions {
  config: LlamaConfig;
  /** Parameters by Hugging Face name, (out, in) row-major; other names (scalar heads) are not exported. */
  tensors: Record<string, Float32Array>;
  tokenizer: GgufTokenizerData;
  /** Storage of the matrices; 1-D tensors are always F32. */
  dtype: 'F32' | 'F16';
  /** `general.name`; default "alignlab-llama". */
  name?: string;
}

/** The llama-architecture metadata and tensors of a model, ready for {@link serializeGguf}. */
export function llamaGguf(opts: WriteGgufOptions, source = '<gguf>'): { metadata: GgufKv[]; tensors: GgufTensorToWrite[] } {
  const fail = (problem: string): never => {
    throw new GgufError(source, problem);
  };
  const c = opts.config;
  const tk = opts.tokenizer;
  if (opts.dtype !== 'F32' && opts.dtype !== 'F16') fail(`dtype must be F32 or F16, got ${String(opts.dtype)}`);
  if (tk.tokens.length !== c.vocabSize) fail(`the tokenizer has ${tk.tokens.length} tokens but the model's vocabSize is ${c.vocabSize}`);
  if (tk.tokenTypes.length !== tk.tokens.length) fail(`tokenizer: ${tk.tokenTypes.length} token types for ${tk.tokens.length} tokens`);
  for (const [field, id] of [['bosId', tk.bosId], ['eosId', tk.eosId], ['padId', tk.padId]] as const) {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < c.vocabSize)) fail(`tokenizer.${field} ${id} is not a token id (vocabulary of ${c.vocabSize})`);
  }

  const u32 = (key: string, value: number): GgufKv => ({ key, type: 'uint32', value });
  const metadata: GgufKv[] = [
    { key: 'general.architecture', type: 'string', value: 'llama' },
    { key: 'general.name', type: 'string', value: opts.name ?? 'alignlab-llama' },
    u32('general.file_type', opts.dtype === 'F32' ? 0 : 1),
    u32('llama.context_length', c.maxSeqLen),
    u32('llama.embedding_length', c.dModel),
    u32('llama.block_count', c.nLayers),
    u32('llama.feed_forward_length', c.dFF),
    u32('llama.attention.head_count', c.nHeads),
    u32('llama.attention.head_count_kv', c.nKVHeads),
    { key: 'llama.rope.freq_base', type: 'float32', value: c.ropeTheta },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: 'float32', value: c.normEps },
    u32('llama.rope.dimension_count', headDim(c)),
    u32('llama.vocab_size', c.vocabSize),
    { key: 'tokenizer.ggml.model', type: 'string', value: 'gpt2' },
    { key: 'tokenizer.ggml.pre', type: 'string', value: 'llama-bpe' },
    { key: 'tokenizer.ggml.tokens', type: 'array', itemType: 'string', value: tk.tokens },
    { key: 'tokenizer.ggml.token_type', type: 'array', itemType: 'int32', value: tk.tokenTypes },
    { key: 'tokenizer.ggml.merges', type: 'array', itemType: 'string', value: tk.merges },
    ...(tk.bosId !== undefined ? [u32('tokenizer.ggml.bos_token_id', tk.bosId)] : []),
    ...(tk.eosId !== undefined ? [u32('tokenizer.ggml.eos_token_id', tk.eosId)] : []),
    ...(tk.padId !== undefined ? [u32('tokenizer.ggml.padding_token_id', tk.padId)] : []),
    { key: 'tokenizer.ggml.add_bos_token', type: 'bool', value: false },
    { key: 'tokenizer.ggml.add_eos_token', type: 'bool', value: false },
    ...(tk.chatTemplate !== undefined ? [{ key: 'tokenizer.chat_template', type: 'string' as const, value: tk.chatTemplate }] : []),
  ];

  const tensors: GgufTensorToWrite[] = [];
  for (const spec of llamaParamSpecs(c)) {
    let data = opts.tensors[spec.name];
    if (!data) fail(`missing tensor "${spec.name}" (shape [${spec.shape.join(', ')}])`);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (data!.length !== n) fail(`tensor "${spec.name}" has ${data!.length} values, expected shape [${spec.shape.join(', ')}] = ${n}`);
    const cols = spec.shape.length === 2 ? spec.shape[1]! : 1;
    if (/\.q_proj\./.test(spec.name)) data = ropePermute(data!, c.nHeads, cols);
    if (/\.k_proj\./.test(spec.name)) data = ropePermute(data!, c.nKVHeads, cols);
    tensors.push({ name: hfToGgufName(spec.name)!, dims: [...spec.shape].reverse(), type: spec.shape.length === 1 ? 'F32' : opts.dtype, data: data! });
  }
  return { metadata, tensors };
}

/**
 * Write a Llama model as a GGUF v3 file for llama.cpp (architecture "llama"), atomically.
 * See the file comment for the metadata, tensor names and the q/k row permutation.
 */
export function writeGguf(path: string, opts: WriteGgufOptions): void {
  const { metadata, tensors } = llamaGguf(opts, path);
  writeFileAtomic(path, serializeGguf(metadata, tensors, path));
}

/**
 * The LlamaConfig and Hugging Face-named float32 parameters of a llama-architecture GGUF file
 * (q/k rows put back into rotate-half order), as alignlab's model code wants them.
 */
export function ggufToLlama(file: GgufContents): { config: LlamaConfig; tensors: Record<string, Float32Array> } {
  const fail = (problem: string): never => {
    throw new GgufError(file.source, problem);
  };
  const m = file.metadata;
  if (m['general.architecture'] !== 'llama') fail(`unsupported architecture ${JSON.stringify(m['general.architecture'])} (supported: llama)`);
  const num = (key: string, fallback?: number): number => {
    const v = m[key];
    if (typeof v === 'number') return v;
    if (v === undefined && fallback !== undefined) return fallback;
    return fail(`metadata "${key}" is missing or not a number`);
  };
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const embd = byName.get('token_embd.weight') ?? fail('missing tensor "token_embd.weight"');
  const config = llamaConfig(
    {
      vocabSize: embd.dims[1] ?? fail('token_embd.weight is not 2-D'),
      dModel: num('llama.embedding_length'),
      nLayers: num('llama.block_count'),
      nHeads: num('llama.attention.head_count'),
      nKVHeads: num('llama.attention.head_count_kv', num('llama.attention.head_count')),
      dFF: num('llama.feed_forward_length'),
      maxSeqLen: num('llama.context_length'),
      ropeTheta: num('llama.rope.freq_base', 10000),
      normEps: num('llama.attention.layer_norm_rms_epsilon'),
      tieEmbeddings: !byName.has('output.weight'),
      attentionBias: byName.has('blk.0.attn_q.bias'),
    },
    `${file.source}: llama metadata`,
  );
  if (num('llama.rope.dimension_count', headDim(config)) !== headDim(config)) fail(`llama.rope.dimension_count ${num('llama.rope.dimension_count')} differs from the head size ${headDim(config)} (partial RoPE is not supported)`);
  const tensors: Record<string, Float32Array> = {};
  for (const spec of llamaParamSpecs(config)) {
    const name = hfToGgufName(spec.name)!;
    const t = byName.get(name) ?? fail(`missing tensor "${name}" (for ${spec.name})`);
    const dims = [...spec.shape].reverse();
    if (t.dims.join() !== dims.join()) fail(`tensor "${name}" has dims [${t.dims.join(', ')}], expected [${dims.join(', ')}]`);
    const cols = spec.shape.length === 2 ? spec.shape[1]! : 1;
    let data = t.data;
    if (/\.q_proj\./.test(spec.name)) data = ropeUnpermute(data, config.nHeads, cols);
    if (/\.k_proj\./.test(spec.name)) data = ropeUnpermute(data, config.nKVHeads, cols);
    tensors[spec.name] = data;
  }
  return { config, tensors };
}
