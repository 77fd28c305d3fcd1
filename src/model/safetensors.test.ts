import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  floatTensor,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-st-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A safetensors file assembled by hand from a header string and raw data bytes,
 * following the spec directly (no padding unless the header string has it): the
 * independent reference the parser is checked against.
 */
function build(headerJson: string, data: ArrayLike<number>): Uint8Array {
  const header = Buffer.from(headerJson, 'utf8');
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(Array.from(data), 8 + header.length);
  return out;
}

/** Little-endian bytes of a sequence of values written with a DataView setter. */
function le(bytesPer: number, values: number[], set: (dv: DataView, off: number, v: number) => void): number[] {
  const dv = new DataView(new ArrayBuffer(values.length * bytesPer));
  values.forEach((v, i) => set(dv, i * bytesPer, v));
  return Array.from(new Uint8Array(dv.buffer));
}

/** Run `fn`, expect a SafetensorsError, and return its message. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return (err as Error).message;
  }
  throw new Error('expected a SafetensorsError, nothing was thrown');
}

/** Reference float16 decoder straight from the IEEE 754 definition. */
function refF16(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? NaN : s * Infinity;
  return e === 0 ? s * Math.pow(2, -14) * (m / 1024) : s * Math.pow(2, e - 15) * (1 + m / 1024);
}

describe('float16 / bfloat16 conversion', () => {
  it('encodes known float16 bit patterns', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(f32ToF16Bits(0)).toBe(0x0000);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(f32ToF16Bits(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(f32ToF16Bits(1 / 3)).toBe(0x3555);
    const nan = f32ToF16Bits(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x03ff).not.toBe(0);
  });

  it('rounds to nearest, ties to even, including overflow and underflow', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie: 1.0 is even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: round up to even
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above half
    expect(f32ToF16Bits(65519)).toBe(0x7bff); // below the overflow threshold
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // tie between 65504 and 65536: rounds to infinity
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: 0 is even
    expect(f32ToF16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 ulps: 2 is even
    expect(f32ToF16Bits(-(2 ** -26))).toBe(0x8000);
    expect(f32ToF16Bits(1e-30)).toBe(0x0000);
    expect(f32ToF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up across into the normals
  });

  it('decodes all 65536 float16 patterns like the IEEE definition, and re-encodes them exactly', () => {
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = f16BitsToF32(h);
      const ref = refF16(h);
      const ok = Number.isNaN(ref) ? Number.isNaN(v) : Object.is(v, ref) && f32ToF16Bits(v) === h;
      if (!ok) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });

  it('agrees with a brute-force nearest-value search on random floats and on exact midpoints', () => {
    // All finite non-negative float16 values in increasing order (bit patterns 0..0x7bff).
    const values = Array.from({ length: 0x7c00 }, (_, h) => refF16(h));
    const nearest = (x: number): number => {
      const a = Math.abs(x);
      if (a >= 65520) return x < 0 ? 0xfc00 : 0x7c00;
      let lo = 0;
      let hi = values.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (values[mid]! <= a) lo = mid;
        else hi = mid;
      }
      const dLo = a - values[lo]!;
      const dHi = values[hi]! - a;
      const h = dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
      return (x < 0 || Object.is(x, -0) ? 0x8000 : 0) | h;
    };
    const rng = new Rng(16);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const bad: number[] = [];
    for (let i = 0; i < 20000; i++) {
      // Random bit patterns concentrated on the float16 exponent range, plus full-range ones.
      u[0] = i % 2 ? rng.nextU32() : ((rng.int(2) << 31) | ((rng.int(40) + 97) << 23) | rng.int(1 << 23)) >>> 0;
      const x = f[0]!;
      if (!Number.isNaN(x) && f32ToF16Bits(x) !== nearest(x)) bad.push(x);
    }
    for (let i = 0; i < 5000; i++) {
      const h = rng.int(0x7bff);
      const mid = (values[h]! + values[h + 1]!) / 2; // exact in float32
      if (f32ToF16Bits(mid) !== (h % 2 === 0 ? h : h + 1)) bad.push(mid);
    }
    expect(bad).toEqual([]);
  });

  it('converts bfloat16 with known patterns and ties to even', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(-2)).toBe(0xc000);
    expect(f32ToBf16Bits(Infinity)).toBe(0x7f80);
    expect(f32ToBf16Bits(-Infinity)).toBe(0xff80);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie: keep the even 0x3f80
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie: round up to even
    expect(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(f32ToBf16Bits(3.4028234663852886e38)).toBe(0x7f80); // float32 max rounds to infinity
    const nan = f32ToBf16Bits(NaN);
    expect(nan & 0x7f80).toBe(0x7f80);
    expect(nan & 0x7f).not.toBe(0);
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0x4049)).toBe(3.140625);
    expect(bf16BitsToF32(0xff80)).toBe(-Infinity);
  });
});

describe('parseSafetensors on hand-built bytes', () => {
  it('reads every dtype, the metadata, and the shapes', () => {
    const f32 = le(4, [1, -2.5, 0.125, 1e10], (dv, o, v) => dv.setFloat32(o, v, true));
    const i64dv = new DataView(new ArrayBuffer(16));
    i64dv.setBigInt64(0, -(2n ** 63n), true);
    i64dv.setBigInt64(8, 2n ** 53n + 1n, true);
    const i64Bytes = Array.from(new Uint8Array(i64dv.buffer));
    const i32 = le(4, [-7, 2147483647], (dv, o, v) => dv.setInt32(o, v, true));
    const f16 = le(2, [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00], (dv, o, v) => dv.setUint16(o, v, true));
    const bf16 = le(2, [0x3f80, 0x4049], (dv, o, v) => dv.setUint16(o, v, true));
    const header =
      '{"__metadata__":{"format":"pt","note":"hand-built"},' +
      '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"ids":{"dtype":"I64","shape":[2],"data_offsets":[16,32]},' +
      '"n":{"dtype":"I32","shape":[2],"data_offsets":[32,40]},' +
      '"h":{"dtype":"F16","shape":[2,3],"data_offsets":[40,52]},' +
      '"b":{"dtype":"BF16","shape":[2],"data_offsets":[52,56]},' +
      '"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[56,56]}}';
    const file = parseSafetensors(build(header, [...f32, ...i64Bytes, ...i32, ...f16, ...bf16]), 'hand.safetensors');
    expect(file.source).toBe('hand.safetensors');
    expect(file.metadata).toEqual({ format: 'pt', note: 'hand-built' });
    expect(Object.keys(file.tensors)).toEqual(['w', 'ids', 'n', 'h', 'b', 'empty']);
    const t = file.tensors;
    expect(t.w!.dtype).toBe('F32');
    expect(t.w!.shape).toEqual([2, 2]);
    expect(Array.from(t.w!.data as Float32Array)).toEqual([1, -2.5, 0.125, Math.fround(1e10)]);
    expect(t.ids!.data).toEqual(new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n]));
    expect(t.n!.data).toEqual(new Int32Array([-7, 2147483647]));
    expect(t.h!.dtype).toBe('F16');
    expect(Array.from(t.h!.data as Float32Array)).toEqual([1, -2, 65504, 2 ** -24, Infinity, -Infinity]);
    expect(t.b!.dtype).toBe('BF16');
    expect(Array.from(t.b!.data as Float32Array)).toEqual([1, 3.140625]);
    expect(t.empty!.shape).toEqual([0, 4]);
    expect(t.empty!.data.length).toBe(0);
  });

  it('reads a scalar (shape []) and a file with no tensors', () => {
    const f = parseSafetensors(build('{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', le(4, [7], (dv, o, v) => dv.setFloat32(o, v, true))));
    expect(f.tensors.s!.shape).toEqual([]);
    expect(Array.from(f.tensors.s!.data as Float32Array)).toEqual([7]);
    expect(parseSafetensors(build('{}  ', []))).toEqual({ source: '<bytes>', tensors: {}, metadata: {} });
  });

  it('returns views when aligned and copies when not (or when asked)', () => {
    const data = le(4, [1, 2, 3, 4], (dv, o, v) => dv.setFloat32(o, v, true));
    let header = '{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}';
    while ((8 + header.length) % 4 !== 0) header += ' ';
    const bytes = build(header, data);
    const view = parseSafetensors(bytes).tensors.x!.data;
    expect(view.buffer === bytes.buffer).toBe(true);
    expect(Array.from(view as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(parseSafetensors(bytes, 'x', { copy: true }).tensors.x!.data.buffer === bytes.buffer).toBe(false);
    // The same file at an odd address: must be copied, with identical values.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const odd = parseSafetensors(shifted.subarray(1)).tensors.x!.data;
    expect(odd.buffer === shifted.buffer).toBe(false);
    expect(Array.from(odd as Float32Array)).toEqual([1, 2, 3, 4]);
  });
});

describe('round trip through writeSafetensors / readSafetensors', () => {
  it('preserves every dtype (F16/BF16 values chosen to be representable), shapes and metadata', () => {
    const rng = new Rng(1);
    const f32 = rng.fillNormal(new Float32Array(3 * 5 * 7), 1);
    const f16 = Float32Array.from({ length: 64 }, () => f16BitsToF32(rng.int(0x7c00) | (rng.int(2) << 15)));
    const bf16 = Float32Array.from({ length: 33 }, () => bf16BitsToF32(rng.int(0x7f80)));
    const i32 = Int32Array.from({ length: 10 }, () => rng.nextU32() | 0);
    const i64 = new BigInt64Array([0n, -1n, 2n ** 62n + 5n, -(2n ** 63n)]);
    const p = path.join(dir, 'model.safetensors');
    writeSafetensors(
      p,
      {
        'model.layers.0.weight': { dtype: 'F32', shape: [3, 5, 7], data: f32 },
        half: { dtype: 'F16', shape: [8, 8], data: f16 },
        brain: { dtype: 'BF16', shape: [33], data: bf16 },
        ints: { dtype: 'I32', shape: [2, 5], data: i32 },
        longs: { dtype: 'I64', shape: [4], data: i64 },
        list32: { dtype: 'I32', shape: [3], data: [1, -2, 3] },
        list64: { dtype: 'I64', shape: [2], data: [2 ** 53 - 1, -5] },
        listf: { dtype: 'F32', shape: [2], data: [0.5, -0.25] },
      },
      { format: 'pt', step: '100' },
    );
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    const file = readSafetensors(p);
    expect(file.metadata).toEqual({ format: 'pt', step: '100' });
    const t = file.tensors;
    expect(t['model.layers.0.weight']).toEqual({ dtype: 'F32', shape: [3, 5, 7], data: f32 });
    expect(t.half).toEqual({ dtype: 'F16', shape: [8, 8], data: f16 });
    expect(t.brain).toEqual({ dtype: 'BF16', shape: [33], data: bf16 });
    expect(t.ints).toEqual({ dtype: 'I32', shape: [2, 5], data: i32 });
    expect(t.longs).toEqual({ dtype: 'I64', shape: [4], data: i64 });
    expect(t.list32!.data).toEqual(new Int32Array([1, -2, 3]));
    expect(t.list64!.data).toEqual(new BigInt64Array([2n ** 53n - 1n, -5n]));
    expect(t.listf!.data).toEqual(new Float32Array([0.5, -0.25]));
  });

  it('writes F16/BF16 by rounding each float32, bit-exactly as the scalar conversions', () => {
    const rng = new Rng(2);
    const x = rng.fillNormal(new Float32Array(1000), 100);
    x[0] = 1e-7;
    x[1] = 70000;
    x[2] = NaN;
    const bytes = serializeSafetensors({ a: { dtype: 'F16', shape: [1000], data: x }, b: { dtype: 'BF16', shape: [1000], data: x } });
    const file = parseSafetensors(bytes);
    const a = file.tensors.a!.data as Float32Array;
    const b = file.tensors.b!.data as Float32Array;
    for (let i = 0; i < 1000; i++) {
      if (i === 2) continue;
      expect(a[i]).toBe(f16BitsToF32(f32ToF16Bits(x[i]!)));
      expect(b[i]).toBe(bf16BitsToF32(f32ToBf16Bits(x[i]!)));
    }
    expect(a[1]).toBe(Infinity);
    expect(Number.isNaN(a[2])).toBe(true);
    expect(Number.isNaN(b[2])).toBe(true);
  });

  it('pads the header with spaces to 8-byte alignment and lays tensors out largest dtype first', () => {
    const bytes = serializeSafetensors(
      {
        z16: { dtype: 'F16', shape: [3], data: new Float32Array(3) },
        a32: { dtype: 'F32', shape: [1], data: new Float32Array(1) },
        m64: { dtype: 'I64', shape: [1], data: new BigInt64Array(1) },
      },
      {},
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const headerText = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    expect(headerText).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(headerText);
    expect(header.__metadata__).toEqual({});
    expect(header.m64.data_offsets).toEqual([0, 8]);
    expect(header.a32.data_offsets).toEqual([8, 12]);
    expect(header.z16.data_offsets).toEqual([12, 18]);
    expect(bytes.length).toBe(8 + n + 18);
  });

  it('keeps the old file when the tensors are invalid', () => {
    const p = path.join(dir, 'm.safetensors');
    writeSafetensors(p, { a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    expect(() => writeSafetensors(p, { a: { dtype: 'F32', shape: [2], data: new Float32Array([1]) } })).toThrow(SafetensorsError);
    expect(readSafetensors(p).tensors.a!.data).toEqual(new Float32Array([1]));
    expect(fs.readdirSync(dir)).toEqual(['m.safetensors']);
  });

  it('reads just the header of a file', () => {
    const p = path.join(dir, 'm.safetensors');
    writeSafetensors(p, { w: { dtype: 'BF16', shape: [2, 3], data: new Float32Array(6) } }, { format: 'pt' });
    const h = readSafetensorsHeader(p);
    expect(h.tensors).toEqual({ w: { dtype: 'BF16', shape: [2, 3], dataOffsets: [0, 12] } });
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(fs.statSync(p).size).toBe(8 + h.headerSize + 12);
  });
});

describe('validation errors name the file and the problem', () => {
  const src = 'bad.safetensors';
  const tensor = (name: string, dtype: string, shape: number[], offsets: number[]): string =>
    `"${name}":{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

  it('file shorter than 8 bytes', () => {
    expect(errorOf(() => parseSafetensors(new Uint8Array(5), src))).toBe(
      'bad.safetensors: file is 5 bytes, too short for safetensors (it starts with an 8-byte header length)',
    );
  });

  it('header length beyond the file size', () => {
    const bytes = new Uint8Array(100);
    new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
    expect(errorOf(() => parseSafetensors(bytes, src))).toBe(
      'bad.safetensors: truncated: header says 1000 bytes but file has 100 bytes (92 after the 8-byte length)',
    );
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expect(errorOf(() => parseSafetensors(bytes, src))).toMatch(/truncated: header says 18446744073709551615 bytes/);
  });

  it('invalid JSON header, non-object header, bad metadata', () => {
    expect(errorOf(() => parseSafetensors(build('{"a": ', []), src))).toMatch(/^bad\.safetensors: invalid JSON header \(.+\)$/);
    expect(errorOf(() => parseSafetensors(build('[1,2]', []), src))).toMatch(/invalid JSON header \(expected an object/);
    expect(errorOf(() => parseSafetensors(build('{"x":1}', []).map((b, i) => (i === 10 ? 0xff : b)), src))).toMatch(
      /invalid JSON header \(not valid UTF-8\)/,
    );
    expect(errorOf(() => parseSafetensors(build('{"__metadata__":{"step":1}}', []), src))).toBe(
      'bad.safetensors: "__metadata__" value for "step" must be a string, got 1',
    );
  });

  it('unknown dtype, bad shape, bad data_offsets', () => {
    expect(errorOf(() => parseSafetensors(build(`{${tensor('x', 'F64', [1], [0, 8])}}`, new Array(8).fill(0)), src))).toBe(
      'bad.safetensors: tensor "x": unknown dtype "F64" (supported: F32, F16, BF16, I32, I64)',
    );
    expect(errorOf(() => parseSafetensors(build(`{${tensor('x', 'F32', [-1], [0, 4])}}`, new Array(4).fill(0)), src))).toMatch(
      /tensor "x": shape must be an array of non-negative integers, got \[-1\]/,
    );
    expect(errorOf(() => parseSafetensors(build(`{${tensor('x', 'F32', [1], [4, 0])}}`, new Array(4).fill(0)), src))).toMatch(
      /tensor "x": data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[4,0\]/,
    );
  });

  it('shape × dtype size differs from the byte length', () => {
    expect(errorOf(() => parseSafetensors(build(`{${tensor('w', 'F32', [2, 2], [0, 12])}}`, new Array(12).fill(0)), src))).toBe(
      'bad.safetensors: tensor "w": shape [2, 2] of F32 needs 16 bytes but data_offsets [0, 12] span 12',
    );
  });

  it('data_offsets past the end of the data: a truncated file names the tensor', () => {
    const p = path.join(dir, 'cut.safetensors');
    writeSafetensors(p, {
      a: { dtype: 'F32', shape: [4], data: new Float32Array(4) },
      b: { dtype: 'F32', shape: [4], data: new Float32Array(4) },
    });
    const full = fs.readFileSync(p);
    fs.writeFileSync(p, full.subarray(0, full.length - 6));
    const n = Number(full.readBigUInt64LE(0));
    const expected = `${p}: truncated: tensor "b" needs data bytes [16, 32) but the data section has only 26 bytes`;
    expect(full.length - 6 - 8 - n).toBe(26);
    expect(errorOf(() => readSafetensors(p))).toBe(expected);
    expect(errorOf(() => readSafetensorsHeader(p))).toBe(expected);
    // Cut inside the header: the header-length check fires.
    fs.writeFileSync(p, full.subarray(0, 20));
    expect(errorOf(() => readSafetensors(p))).toMatch(new RegExp(`truncated: header says ${n} bytes but file has 20 bytes`));
    expect(errorOf(() => readSafetensorsHeader(p))).toMatch(/truncated: header says/);
  });

  it('overlapping, non-contiguous, and incompletely covered data', () => {
    const zeros = (k: number): number[] => new Array(k).fill(0);
    expect(
      errorOf(() => parseSafetensors(build(`{${tensor('a', 'F32', [2], [0, 8])},${tensor('b', 'F32', [2], [4, 12])}}`, zeros(12)), src)),
    ).toBe('bad.safetensors: tensors "a" and "b" overlap: "a" ends at 8, "b" begins at 4');
    expect(
      errorOf(() => parseSafetensors(build(`{${tensor('a', 'F32', [1], [0, 4])},${tensor('b', 'F32', [1], [8, 12])}}`, zeros(12)), src)),
    ).toBe('bad.safetensors: data_offsets are not contiguous: 4 unused bytes [4, 8) before tensor "b"');
    expect(errorOf(() => parseSafetensors(build(`{${tensor('a', 'F32', [1], [0, 4])}}`, zeros(10)), src))).toBe(
      'bad.safetensors: data section has 10 bytes but the tensors cover only 4 (6 trailing bytes)',
    );
  });

  it('writer checks: element count, reserved name, integer ranges, data type', () => {
    expect(errorOf(() => serializeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } }, undefined, 'out.safetensors'))).toBe(
      'out.safetensors: tensor "w": shape [2, 3] has 6 elements but data has 5',
    );
    expect(errorOf(() => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: [] } }))).toMatch(/reserved/);
    expect(errorOf(() => serializeSafetensors({ i: { dtype: 'I32', shape: [1], data: [2 ** 31] } }))).toMatch(/value 2147483648 is not an int32/);
    expect(errorOf(() => serializeSafetensors({ i: { dtype: 'I64', shape: [1], data: [0.5] } }))).toMatch(/not a safe integer/);
    expect(errorOf(() => serializeSafetensors({ i: { dtype: 'I32', shape: [1], data: new Float32Array(1) as never } }))).toMatch(
      /I32 data must be an Int32Array/,
    );
    expect(errorOf(() => serializeSafetensors({ i: { dtype: 'F64' as never, shape: [1], data: [1] } }))).toMatch(/unknown dtype "F64"/);
  });

  it('floatTensor reports missing tensors, integer dtypes and wrong shapes', () => {
    const file = parseSafetensors(
      serializeSafetensors({
        w: { dtype: 'F16', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
        ids: { dtype: 'I32', shape: [1], data: new Int32Array(1) },
      }),
      'ckpt.safetensors',
    );
    expect(Array.from(floatTensor(file, 'w', [2, 2]))).toEqual([1, 2, 3, 4]);
    expect(errorOf(() => floatTensor(file, 'v'))).toBe('ckpt.safetensors: missing tensor "v"');
    expect(errorOf(() => floatTensor(file, 'ids'))).toBe('ckpt.safetensors: tensor "ids" has dtype I32, expected F32, F16 or BF16');
    expect(errorOf(() => floatTensor(file, 'w', [4]))).toBe('ckpt.safetensors: tensor "w" has shape [2, 2], expected [4]');
  });
});
