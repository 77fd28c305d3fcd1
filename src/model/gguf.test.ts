import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { llamaConfig, type LlamaConfig } from './config.js';
import { llamaParamSpecs } from './params.js';
import { f16BitsToF32, f32ToF16Bits } from './safetensors.js';
import { trainBpe } from '../tokenizer/train.js';
import {
  GgufError,
  ggufToLlama,
  ggufTokenizer,
  parseGguf,
  readGguf,
  ropePermute,
  ropeUnpermute,
  serializeGguf,
  writeGguf,
  type GgufTokenizerData,
} from './gguf.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-gguf-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Random parameters with HF names for a config. */
function randomTensors(c: LlamaConfig, seed = 1): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const s of llamaParamSpecs(c)) out[s.name] = rng.fillNormal(new Float32Array(s.shape.reduce((a, b) => a * b, 1)), 0.5);
  return out;
}

/** A made-up byte-level vocabulary: 4 ChatML specials, then "t0", "t1", …, merges "t0 t1". */
function fakeTokenizer(vocab: number): GgufTokenizerData {
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|pad|>'];
  const tokens = Array.from({ length: vocab }, (_, i) => specials[i] ?? `t${i}`);
  return {
    tokens,
    tokenTypes: tokens.map((_, i) => (i < 4 ? 3 : 1)),
    merges: ['t4 t5', 'Ġ t6'],
    bosId: 0,
    eosId: 2,
    padId: 3,
    chatTemplate: '{{ messages }}',
  };
}

const cfg = llamaConfig({ vocabSize: 40, dModel: 16, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 24, maxSeqLen: 128, ropeTheta: 500000, normEps: 1e-6 });

describe('q/k RoPE row permutation', () => {
  it('matches a hand-computed example: hd = 4, two heads', () => {
    // Row r holds the values 10r, 10r + 1 (2 columns), so each output row names its source row.
    const w = Float32Array.from({ length: 8 * 2 }, (_, i) => 10 * Math.floor(i / 2) + (i % 2));
    const p = ropePermute(w, 2, 2);
    // Head 0: HF rows [0 1 | 2 3] = [x0 x1 | y0 y1] (rotate-half pairs (0,2), (1,3)) become the
    // interleaved pairs (0,1), (2,3): gguf rows 0..3 ← hf rows 0, 2, 1, 3. Head 1 likewise, +4.
    const sources = Array.from({ length: 8 }, (_, r) => p[2 * r]! / 10);
    expect(sources).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    expect(Array.from({ length: 8 }, (_, r) => p[2 * r + 1]! - p[2 * r]!)).toEqual(Array(8).fill(1));
    expect(ropeUnpermute(p, 2, 2)).toEqual(w);
  });

  it('hd = 8 as a bias (one column): rows 0..7 ← 0, 4, 1, 5, 2, 6, 3, 7', () => {
    const b = Float32Array.from({ length: 8 }, (_, i) => i);
    expect(Array.from(ropePermute(b, 1, 1))).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(Array.from(ropeUnpermute(ropePermute(b, 1, 1), 1, 1))).toEqual(Array.from(b));
  });

  it('turns rotate-half RoPE of W x into interleaved RoPE of W′ x (the reason for it)', () => {
    const hd = 8;
    const nH = 2;
    const din = 5;
    const rng = new Rng(7);
    const W = rng.fillNormal(new Float32Array(nH * hd * din));
    const x = rng.fillNormal(new Float32Array(din));
    const matvec = (m: Float32Array) => Array.from({ length: nH * hd }, (_, o) => x.reduce((s, xi, i) => s + xi * m[o * din + i]!, 0));
    const theta = 10000;
    const pos = 3;
    const ang = (j: number) => pos / Math.pow(theta, (2 * j) / hd);
    // Hugging Face: dimension j pairs with j + hd/2 (rotate_half).
    const hf = (v: number[]) =>
      v.map((_, k) => {
        const h = Math.floor(k / hd) * hd;
        const i = k % hd;
        const j = i % (hd / 2);
        const rot = i < hd / 2 ? -v[h + i + hd / 2]! : v[h + i - hd / 2]!;
        return v[k]! * Math.cos(ang(j)) + rot * Math.sin(ang(j));
      });
    // llama.cpp "normal" RoPE: dimension 2j pairs with 2j + 1.
    const normal = (v: number[]) =>
      v.map((_, k) => {
        const i = k % hd;
        const j = Math.floor(i / 2);
        const rot = i % 2 === 0 ? -v[k + 1]! : v[k - 1]!;
        return v[k]! * Math.cos(ang(j)) + rot * Math.sin(ang(j));
      });
    const want = ropePermute(Float32Array.from(hf(matvec(W))), nH, 1); // HF result, rows reordered
    const got = normal(matvec(ropePermute(W, nH, din)));
    got.forEach((g, k) => expect(g).toBeCloseTo(want[k]!, 5));
  });
});

describe('writeGguf / readGguf round trip', () => {
  it('F32: metadata with its types, names, dims, exact data, q/k permuted', () => {
    const tensors = randomTensors(cfg);
    const file = path.join(dir, 'm.gguf');
    writeGguf(file, { config: cfg, tensors, tokenizer: fakeTokenizer(40), dtype: 'F32', name: 'tiny' });
    const g = readGguf(file, { architecture: 'llama' });
    expect(g.version).toBe(3);
    expect(g.metadata).toMatchObject({
      'general.architecture': 'llama',
      'general.name': 'tiny',
      'general.alignment': 32,
      'general.file_type': 0,
      'llama.context_length': 128,
      'llama.embedding_length': 16,
      'llama.block_count': 2,
      'llama.feed_forward_length': 24,
      'llama.attention.head_count': 4,
      'llama.attention.head_count_kv': 2,
      'llama.rope.freq_base': 500000,
      'llama.rope.dimension_count': 4,
      'llama.vocab_size': 40,
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.pre': 'llama-bpe',
      'tokenizer.ggml.merges': ['t4 t5', 'Ġ t6'],
      'tokenizer.ggml.bos_token_id': 0,
      'tokenizer.ggml.eos_token_id': 2,
      'tokenizer.ggml.padding_token_id': 3,
      'tokenizer.ggml.add_bos_token': false,
      'tokenizer.chat_template': '{{ messages }}',
    });
    expect(g.metadata['llama.attention.layer_norm_rms_epsilon']).toBe(Math.fround(1e-6));
    expect(g.metadata['tokenizer.ggml.tokens']).toEqual(fakeTokenizer(40).tokens);
    expect(g.metadata['tokenizer.ggml.token_type']).toEqual(fakeTokenizer(40).tokenTypes);
    // llama.cpp checks value types strictly: hyperparameters uint32, eps/base float32.
    expect(g.metadataTypes).toMatchObject({
      'llama.context_length': 'uint32',
      'llama.attention.head_count_kv': 'uint32',
      'llama.rope.freq_base': 'float32',
      'llama.attention.layer_norm_rms_epsilon': 'float32',
      'tokenizer.ggml.tokens': 'array<string>',
      'tokenizer.ggml.token_type': 'array<int32>',
      'tokenizer.ggml.add_bos_token': 'bool',
    });

    const names = g.tensors.map((t) => t.name);
    expect(names.slice(0, 10)).toEqual([
      'token_embd.weight', 'blk.0.attn_norm.weight', 'blk.0.attn_q.weight', 'blk.0.attn_k.weight', 'blk.0.attn_v.weight',
      'blk.0.attn_output.weight', 'blk.0.ffn_norm.weight', 'blk.0.ffn_gate.weight', 'blk.0.ffn_up.weight', 'blk.0.ffn_down.weight',
    ]);
    expect(names.slice(-2)).toEqual(['output_norm.weight', 'output.weight']);
    const byName = Object.fromEntries(g.tensors.map((t) => [t.name, t]));
    expect(byName['token_embd.weight']!.dims).toEqual([16, 40]);
    expect(byName['blk.1.attn_k.weight']!.dims).toEqual([16, 8]);
    expect(byName['blk.1.ffn_down.weight']!.dims).toEqual([24, 16]);
    expect(byName['blk.0.attn_norm.weight']!.dims).toEqual([16]);
    expect(g.tensors.every((t) => t.type === 'F32')).toBe(true);
    expect(byName['blk.0.attn_v.weight']!.data).toEqual(tensors['model.layers.0.self_attn.v_proj.weight']);
    // q: head 0 row 1 of the file is HF row 2 (hd = 4); k uses its 2 KV heads.
    const q = tensors['model.layers.0.self_attn.q_proj.weight']!;
    expect(byName['blk.0.attn_q.weight']!.data.subarray(16, 32)).toEqual(q.subarray(32, 48));
    expect(byName['blk.0.attn_q.weight']!.data).toEqual(ropePermute(q, 4, 16));
    expect(byName['blk.0.attn_k.weight']!.data).toEqual(ropePermute(tensors['model.layers.0.self_attn.k_proj.weight']!, 2, 16));

    const back = ggufToLlama(g);
    expect(back.config).toEqual({ ...cfg, ropeTheta: 500000, normEps: Math.fround(1e-6) });
    for (const [name, data] of Object.entries(tensors)) expect(back.tensors[name], name).toEqual(data);
  });

  it('F16: matrices are half precision (rounded to nearest even), norms stay F32', () => {
    const tensors = randomTensors(cfg, 2);
    tensors['model.layers.0.mlp.up_proj.weight']![0] = 1 + 2 ** -11; // a tie: rounds to even (1)
    tensors['model.layers.0.mlp.up_proj.weight']![1] = 1 + 3 * 2 ** -11; // a tie: rounds to even (1 + 2^-9)
    const file = path.join(dir, 'h.gguf');
    writeGguf(file, { config: cfg, tensors, tokenizer: fakeTokenizer(40), dtype: 'F16' });
    const g = readGguf(file);
    expect(g.metadata['general.file_type']).toBe(1);
    for (const t of g.tensors) expect(t.type, t.name).toBe(t.dims.length === 1 ? 'F32' : 'F16');
    const back = ggufToLlama(g).tensors;
    expect(back['model.layers.0.mlp.up_proj.weight']![0]).toBe(1);
    expect(back['model.layers.0.mlp.up_proj.weight']![1]).toBe(1 + 2 ** -9);
    for (const [name, data] of Object.entries(tensors)) {
      const got = back[name]!;
      if (name.endsWith('norm.weight')) {
        expect(got, name).toEqual(data);
        continue;
      }
      for (let i = 0; i < data.length; i++) {
        const x = data[i]!;
        // float16 keeps 11 significant bits: relative error ≤ 2^-11 (absolute 2^-25 below 2^-14).
        expect(Math.abs(got[i]! - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25));
        expect(got[i]).toBe(f16BitsToF32(f32ToF16Bits(x)));
      }
    }
  });

  it('puts the data section and every tensor on a 32-byte boundary, with the bytes where the infos say', () => {
    const tensors = randomTensors(cfg, 3);
    const file = path.join(dir, 'a.gguf');
    writeGguf(file, { config: cfg, tensors, tokenizer: fakeTokenizer(40), dtype: 'F16' });
    const g = readGguf(file);
    const raw = fs.readFileSync(file);
    expect(g.dataOffset % 32).toBe(0);
    for (const t of g.tensors) {
      expect(t.fileOffset % 32, t.name).toBe(0);
      expect((t.fileOffset - g.dataOffset) % 32, t.name).toBe(0);
    }
    // Independent look at the bytes: the norm weight is plain little-endian float32 at its offset.
    const norm = g.tensors.find((t) => t.name === 'output_norm.weight')!;
    const want = tensors['model.norm.weight']!;
    for (let i = 0; i < want.length; i++) expect(raw.readFloatLE(norm.fileOffset + 4 * i)).toBe(want[i]);
    // Padding between the tensor infos and the data is zero bytes.
    const lastInfoEnd = g.dataOffset - (g.dataOffset - 1) % 32 - 1;
    expect(raw.subarray(lastInfoEnd, g.dataOffset).every((b) => b === 0)).toBe(true);
  });

  it('omits output.weight for tied embeddings and permutes q/k biases', () => {
    const c = llamaConfig({ ...cfg, tieEmbeddings: true, attentionBias: true });
    const tensors = randomTensors(c, 4);
    const file = path.join(dir, 't.gguf');
    writeGguf(file, { config: c, tensors, tokenizer: fakeTokenizer(40), dtype: 'F32' });
    const g = readGguf(file);
    expect(g.tensors.some((t) => t.name === 'output.weight')).toBe(false);
    const qb = g.tensors.find((t) => t.name === 'blk.1.attn_q.bias')!;
    const hfBias = tensors['model.layers.1.self_attn.q_proj.bias']!;
    expect(Array.from(qb.data.subarray(0, 4))).toEqual([0, 2, 1, 3].map((r) => hfBias[r]));
    const back = ggufToLlama(g);
    expect(back.config.tieEmbeddings).toBe(true);
    expect(back.config.attentionBias).toBe(true);
    for (const [name, data] of Object.entries(tensors)) expect(back.tensors[name], name).toEqual(data);
  });

  it('builds the tokenizer data from an alignlab tokenizer', () => {
    const tok = trainBpe(['hello world, hello there. the world is here.'], { vocabSize: 4 + 256 + 6, minFrequency: 1 });
    const t = ggufTokenizer(tok);
    expect(t.tokens.length).toBe(tok.vocabSize);
    expect(t.tokens.slice(0, 4)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|pad|>']);
    expect(t.tokenTypes.slice(0, 5)).toEqual([3, 3, 3, 3, 1]);
    expect(t.merges).toEqual(tok.model.merges.map(([a, b]) => `${a} ${b}`));
    expect([t.bosId, t.eosId, t.padId]).toEqual([0, 2, 3]);
    expect(t.chatTemplate).toContain('<|im_start|>');
  });
});

describe('errors', () => {
  /** A header written by hand from the spec: magic, version, tensor count, KV count. */
  function header(magic: string, version: number, tensors: number, kvs: number): Uint8Array {
    const b = new Uint8Array(24);
    b.set(Buffer.from(magic, 'latin1'), 0);
    const dv = new DataView(b.buffer);
    dv.setUint32(4, version, true);
    dv.setBigUint64(8, BigInt(tensors), true);
    dv.setBigUint64(16, BigInt(kvs), true);
    return b;
  }
  const parse = (b: Uint8Array, opts = {}) => () => parseGguf(b, 'x.gguf', opts);

  it('bad magic', () => {
    expect(parse(header('GGML', 3, 0, 0))).toThrow(GgufError);
    expect(parse(header('GGML', 3, 0, 0))).toThrow(/^x\.gguf: not a GGUF file \(it starts with bytes 47 47 4d 4c/);
    expect(parse(Buffer.from('{"a":'))).toThrow('not a GGUF file');
    expect(parse(new Uint8Array(0))).toThrow('not a GGUF file');
  });

  it('unsupported version', () => {
    expect(parse(header('GGUF', 1, 0, 0))).toThrow('x.gguf: unsupported GGUF version 1 (supported: 2, 3)');
    expect(parse(header('GGUF', 4, 0, 0))).toThrow('unsupported GGUF version 4');
    expect(parse(header('GGUF', 0x03000000, 0, 0))).toThrow('big-endian');
  });

  it('a hand-made empty file parses', () => {
    const g = parseGguf(header('GGUF', 3, 0, 0), 'x.gguf');
    expect(g).toMatchObject({ version: 3, metadata: {}, tensors: [], alignment: 32 });
  });

  it('truncated files name what was being read and where', () => {
    expect(parse(header('GGUF', 3, 0, 0).subarray(0, 14))).toThrow('x.gguf: truncated: reading the tensor count at offset 8 needs 8 bytes but the file ends at 14');
    expect(parse(header('GGUF', 3, 0, 1))).toThrow('truncated: reading the length of the key of metadata pair 0 at offset 24 needs 8 bytes but the file ends at 24');

    const file = path.join(dir, 'm.gguf');
    writeGguf(file, { config: cfg, tensors: randomTensors(cfg), tokenizer: fakeTokenizer(40), dtype: 'F32' });
    const full = fs.readFileSync(file);
    const g = parseGguf(full);
    // Cut inside the metadata: just after the tokens array's count (40 strings cannot fit), then
    // inside the bytes of its last string.
    const item0 = full.indexOf('tokenizer.ggml.tokens') + 21 + 4 + 4 + 8; // key, value type, item type, count
    expect(parse(full.subarray(0, item0 + 3))).toThrow(
      `truncated: the value of metadata "tokenizer.ggml.tokens" at offset ${item0} has 40 items of string, more than the rest of the file holds`,
    );
    const last39 = full.indexOf('t39');
    expect(parse(full.subarray(0, last39 + 1))).toThrow(
      `truncated: reading the value of metadata "tokenizer.ggml.tokens"[39] at offset ${last39} needs 3 bytes but the file ends at ${last39 + 1}`,
    );
    // Cut inside the tensor infos, in the name of the last one.
    const lastName = full.lastIndexOf('output.weight', g.dataOffset);
    expect(parse(full.subarray(0, lastName + 5))).toThrow(
      `truncated: reading the name of tensor info ${g.tensors.length - 1} at offset ${lastName} needs 13 bytes but the file ends at ${lastName + 5}`,
    );
    // Cut inside the last tensor's data.
    const last = g.tensors[g.tensors.length - 1]!;
    expect(parse(full.subarray(0, full.length - 4))).toThrow(
      `truncated: reading the data of tensor "output.weight" at offset ${last.fileOffset} needs ${last.data.length * 4} bytes but the file ends at ${full.length - 4}`,
    );
  });

  it('architecture other than llama, when the caller asks for llama', () => {
    const bytes = serializeGguf([{ key: 'general.architecture', type: 'string', value: 'qwen3moe' }], []);
    expect(parse(bytes)).not.toThrow();
    expect(parse(bytes, { architecture: 'llama' })).toThrow('x.gguf: unsupported architecture "qwen3moe" (supported: llama)');
    expect(parse(serializeGguf([], []), { architecture: 'llama' })).toThrow('no general.architecture key');
  });

  it('exact bytes of a minimal file, laid out by hand from the spec', () => {
    const bytes = serializeGguf([{ key: 'a.b', type: 'uint32', value: 7 }], [{ name: 'w', dims: [2], type: 'F32', data: Float32Array.of(1, -2) }]);
    const u64 = (n: number) => [n, 0, 0, 0, 0, 0, 0, 0];
    const want = [
      ...[0x47, 0x47, 0x55, 0x46], ...[3, 0, 0, 0], ...u64(1), ...u64(2), // magic, version, 1 tensor, 2 KVs
      ...u64(3), ...Buffer.from('a.b'), ...[4, 0, 0, 0], ...[7, 0, 0, 0], // "a.b": uint32 7
      ...u64(17), ...Buffer.from('general.alignment'), ...[4, 0, 0, 0], ...[32, 0, 0, 0], // alignment: uint32 32
      ...u64(1), ...Buffer.from('w'), ...[1, 0, 0, 0], ...u64(2), ...[0, 0, 0, 0], ...u64(0), // tensor info
    ];
    const padded = [...want, ...Array(Math.ceil(want.length / 32) * 32 - want.length).fill(0)];
    expect(Array.from(bytes)).toEqual([...padded, ...[0, 0, 0x80, 0x3f], ...[0, 0, 0, 0xc0]]);
  });

  it('other malformed input', () => {
    const h = header('GGUF', 3, 0, 1);
    const kv = new Uint8Array([...h, 1, 0, 0, 0, 0, 0, 0, 0, 0x61, 99, 0, 0, 0]); // key "a", type 99
    expect(parse(kv)).toThrow('metadata "a" has unknown value type 99 at offset 33');
    const bool = new Uint8Array([...h, 1, 0, 0, 0, 0, 0, 0, 0, 0x61, 7, 0, 0, 0, 2]);
    expect(parse(bool)).toThrow('is a bool with byte 2');
    const q4 = serializeGguf([], [{ name: 'w', dims: [2], type: 'F32', data: new Float32Array(2) }]);
    q4[24 + 8 + 17 + 4 + 4 + 8 + 1 + 4 + 8] = 12; // the tensor's type field → Q4_K
    expect(parse(q4)).toThrow('tensor "w" (offset 78) has type Q4_K, which this reader cannot decode');
  });

  it('writer errors name the problem', () => {
    const tensors = randomTensors(cfg);
    const opts = { config: cfg, tensors, tokenizer: fakeTokenizer(40), dtype: 'F32' as const };
    const file = path.join(dir, 'w.gguf');
    expect(() => writeGguf(file, { ...opts, tokenizer: fakeTokenizer(41) })).toThrow(`${file}: the tokenizer has 41 tokens but the model's vocabSize is 40`);
    const { ['model.layers.1.mlp.up_proj.weight']: _, ...missing } = tensors;
    expect(() => writeGguf(file, { ...opts, tensors: missing })).toThrow('missing tensor "model.layers.1.mlp.up_proj.weight" (shape [24, 16])');
    expect(() => writeGguf(file, { ...opts, tokenizer: { ...fakeTokenizer(40), eosId: 40 } })).toThrow('tokenizer.eosId 40 is not a token id');
    expect(fs.existsSync(file)).toBe(false);
    expect(() => serializeGguf([{ key: 'Bad Key', type: 'uint32', value: 1 }], [])).toThrow('is not lower_snake_case');
    expect(() => serializeGguf([{ key: 'a', type: 'uint32', value: -1 }], [])).toThrow('metadata "a": expected a uint32, got -1');
  });
});
