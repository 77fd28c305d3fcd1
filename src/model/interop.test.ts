/**
 * Import/export against independent references: the tests write Hugging Face checkpoints
 * themselves (random weights in HF names and layouts), import them, and compare the imported
 * model's logits with `referenceLogits` (a float64 loop implementation) on the original weights.
 * The ONNX export is run with plain onnxruntime-node, not through alignlab's Runtime.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { llamaConfig, type LlamaConfig } from './config.js';
import { llamaParamSpecs } from './params.js';
import { referenceLogits } from './reference.js';
import { loadModel, saveModel } from './checkpoint.js';
import { LlamaModel } from './model.js';
import { ParamSet } from './params.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, readSafetensors, readSafetensorsHeader, writeSafetensors, type TensorToWrite } from './safetensors.js';
import { readGguf, serializeGguf } from './gguf.js';
import { readCheckpoint, shortestFloat32 } from './interop.js';
import { llamaToOnnx } from './onnx-export.js';
import { trainBpe, saveTokenizer, loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import modelCommands from '../cli/model.js';

const ctx = { json: true, log: () => {}, print: () => {} };
const importCmd = modelCommands.find((c) => c.path.join(' ') === 'model import')!;
const exportCmd = modelCommands.find((c) => c.path.join(' ') === 'model export')!;
const runImport = (src: string, out: string) => importCmd.run({ out }, [src], ctx);
const runExport = (dir: string, format: string, out: string, extra: Record<string, string | number> = {}) =>
  exportCmd.run({ format, out, dtype: 'f32', batch: 1, ...extra }, [dir], ctx);

const tok: Tokenizer = trainBpe(['the customer wants a refund for the late order; the agent is sorry and helps.'], { vocabSize: 300, minFrequency: 1 });
const V = tok.vocabSize;
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-interop-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const dirOf = (name: string) => path.join(tmp, name);
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Random weights in HF names: matrices ~ N(0, 0.3²), norms 1 + N(0, 0.1²), biases N(0, 0.1²). */
function randomWeights(c: LlamaConfig, seed: number, round?: (x: number) => number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const s of llamaParamSpecs(c)) {
    const a = new Float32Array(numel(s.shape));
    if (s.name.endsWith('norm.weight')) {
      rng.fillNormal(a, 0.1);
      for (let i = 0; i < a.length; i++) a[i] += 1;
    } else rng.fillNormal(a, s.name.endsWith('.bias') ? 0.1 : 0.3);
    if (round) for (let i = 0; i < a.length; i++) a[i] = round(a[i]!);
    out[s.name] = a;
  }
  return out;
}

/** A Hugging Face config.json for `c`, written by hand in HF field names. */
function hfConfig(c: LlamaConfig, modelType: string): Record<string, unknown> {
  const arch = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' }[modelType] ?? 'X';
  return {
    architectures: [arch],
    model_type: modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFF,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKVHeads,
    max_position_embeddings: c.maxSeqLen,
    rope_theta: c.ropeTheta,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.tieEmbeddings,
    torch_dtype: 'bfloat16',
    ...(modelType === 'qwen2' ? { use_sliding_window: false, sliding_window: 4096 } : {}),
    ...(modelType === 'mistral' ? { sliding_window: 4096 } : {}),
  };
}

interface HfWriteOptions {
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Split the tensors over this many shards with an index file. */
  shards?: number;
  /** Extra tensors to store (e.g. an lm_head copy, or a stray buffer). */
  extra?: Record<string, { shape: number[]; data: Float32Array }>;
  /** Store these tensors with other shapes (and data of that size). */
  reshaped?: Record<string, number[]>;
  tokenizerJson?: unknown;
}

/** Writes an HF checkpoint directory: config.json, safetensors (single or sharded), tokenizer. */
function writeHfDir(dir: string, config: Record<string, unknown>, weights: Record<string, Float32Array>, c: LlamaConfig, opts: HfWriteOptions = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const dtype = opts.dtype ?? 'F32';
  const all: [string, TensorToWrite][] = llamaParamSpecs(c).map((s) => {
    const shape = opts.reshaped?.[s.name];
    return [s.name, { dtype, shape: shape ?? s.shape, data: shape ? new Float32Array(numel(shape)) : weights[s.name]! }];
  });
  for (const [name, t] of Object.entries(opts.extra ?? {})) all.push([name, { dtype, shape: t.shape, data: t.data }]);
  const n = opts.shards ?? 0;
  if (n === 0) writeSafetensors(path.join(dir, 'model.safetensors'), Object.fromEntries(all), { format: 'pt' });
  else {
    const weightMap: Record<string, string> = {};
    const pad = (i: number) => String(i).padStart(5, '0');
    for (let k = 0; k < n; k++) {
      const file = `model-${pad(k + 1)}-of-${pad(n)}.safetensors`;
      const part = all.filter((_, i) => i % n === k);
      for (const [name] of part) weightMap[name] = file;
      writeSafetensors(path.join(dir, file), Object.fromEntries(part), { format: 'pt' });
    }
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  }
  if (opts.tokenizerJson !== undefined) fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(opts.tokenizerJson));
}

/** Max |a − b| between the model's logits for `ids` and the float64 reference on `weights`. */
async function maxDiffToReference(modelDir: string, c: LlamaConfig, weights: Record<string, Float32Array>, ids: number[]): Promise<number> {
  const model = loadModel(modelDir);
  const { logits } = await model.forward([ids]);
  await model.runtime.release();
  const ref = referenceLogits(c, (n) => weights[n] ?? (() => { throw new Error(`no ${n}`); })(), ids);
  let worst = 0;
  ref.forEach((row, t) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - logits![t * c.vocabSize + j]!)))));
  return worst;
}

const ids = [5, 17, 99, 3, 250, 42, 7];

describe('model import: Hugging Face checkpoints', () => {
  it('Qwen2-style: GQA, q/k/v biases, tied embeddings without lm_head, tokenizer files copied', async () => {
    const c = llamaConfig({ vocabSize: V, dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 40, maxSeqLen: 64, ropeTheta: 1e6, normEps: 1e-6, tieEmbeddings: true, attentionBias: true });
    const w = randomWeights(c, 1);
    const src = dirOf('qwen2');
    writeHfDir(src, hfConfig(c, 'qwen2'), w, c);
    await saveTokenizer(tok, src);
    const out = dirOf('qwen2-imported');
    const r = await runImport(src, out);
    expect(r).toMatchObject({ format: 'safetensors', dtypes: ['F32'], tokenizer: ['tokenizer.json', 'tokenizer_config.json'] });
    expect(readCheckpoint(out).config).toEqual(c);
    expect(await maxDiffToReference(out, c, w, ids)).toBeLessThanOrEqual(1e-4);
    const again = await loadTokenizer(out);
    expect(again.encode('the refund, please')).toEqual(tok.encode('the refund, please'));
    expect(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')).toBe(fs.readFileSync(path.join(src, 'tokenizer.json'), 'utf8'));
  });

  it('tied embeddings with lm_head stored: accepted when equal, an error when different', async () => {
    const c = llamaConfig({ vocabSize: V, dModel: 16, nLayers: 1, nHeads: 2, dFF: 24, maxSeqLen: 32, tieEmbeddings: true });
    const w = randomWeights(c, 2);
    const emb = w['model.embed_tokens.weight']!;
    const same = dirOf('tied-same');
    writeHfDir(same, hfConfig(c, 'llama'), w, c, { extra: { 'lm_head.weight': { shape: [V, 16], data: emb.slice() } } });
    await runImport(same, dirOf('tied-same-out'));
    expect(await maxDiffToReference(dirOf('tied-same-out'), c, w, ids)).toBeLessThanOrEqual(1e-4);

    const diff = dirOf('tied-diff');
    const other = emb.slice();
    other[7]! += 1;
    writeHfDir(diff, hfConfig(c, 'llama'), w, c, { extra: { 'lm_head.weight': { shape: [V, 16], data: other } } });
    await expect(runImport(diff, dirOf('tied-diff-out'))).rejects.toThrow(
      `${path.join(diff, 'model.safetensors')}: "lm_head.weight" differs from "model.embed_tokens.weight" (first at element 7) but config.json has tie_word_embeddings: true`,
    );
  });

  it.each(['llama', 'mistral'])('%s, sharded with an index file, BF16 weights, GQA, untied', async (modelType) => {
    const c = llamaConfig({ vocabSize: V, dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 1, dFF: 48, maxSeqLen: 64, ropeTheta: 500000, normEps: 1e-5 });
    // The reference runs on exactly the values BF16 stores.
    const w = randomWeights(c, 3, (x) => bf16BitsToF32(f32ToBf16Bits(x)));
    const src = dirOf(`sharded-${modelType}`);
    const invFreq = { 'model.layers.0.self_attn.rotary_emb.inv_freq': { shape: [4], data: new Float32Array(4) } };
    writeHfDir(src, hfConfig(c, modelType), w, c, { dtype: 'BF16', shards: 3, extra: invFreq });
    const out = dirOf(`sharded-${modelType}-out`);
    const r = await runImport(src, out);
    expect(r).toMatchObject({ dtypes: ['BF16'], tokenizer: [] });
    expect((r.files as string[]).map((f) => path.basename(f))).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    expect(await maxDiffToReference(out, c, w, ids)).toBeLessThanOrEqual(1e-4);
    // The alignlab directory stores float32.
    const stored = readSafetensorsHeader(path.join(out, 'model.safetensors')).tensors;
    expect(new Set(Object.values(stored).map((t) => t.dtype))).toEqual(new Set(['F32']));
  });
});

describe('model export → import round trips', () => {
  let modelDir: string;
  let model: LlamaModel;
  const c = llamaConfig({ vocabSize: 300, dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 40, maxSeqLen: 64, attentionBias: true });
  beforeAll(async () => {
    const w = randomWeights(c, 4);
    const params = new ParamSet(llamaParamSpecs(c));
    for (const s of params.specs) params.get(s.name).set(w[s.name]!);
    model = new LlamaModel(c, params);
    modelDir = dirOf('native');
    saveModel(modelDir, model);
    await saveTokenizer(tok, modelDir);
  });

  it('safetensors (HF layout, F32): Qwen2ForCausalLM config, identical weights after import', async () => {
    const out = dirOf('export-hf');
    const r = await runExport(modelDir, 'safetensors', out);
    expect((r.files as string[]).map((f) => path.basename(f))).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', torch_dtype: 'float32', num_key_value_heads: 2, hidden_size: 32 });
    expect(cfg.attention_bias).toBeUndefined();
    const ck = readCheckpoint(out);
    expect(ck.config).toEqual(c);
    for (const s of model.params.specs) expect(ck.tensors[s.name]).toEqual(model.params.get(s.name));
  });

  it('safetensors F16: weights are the float16 roundings', async () => {
    const out = dirOf('export-hf16');
    await runExport(modelDir, 'safetensors', out, { dtype: 'f16' });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).torch_dtype).toBe('float16');
    const ck = readCheckpoint(out);
    expect(ck.dtypes).toEqual(['F16']);
    const q = model.params.get('model.layers.1.self_attn.q_proj.weight');
    expect(ck.tensors['model.layers.1.self_attn.q_proj.weight']).toEqual(q.map((x) => f16BitsToF32(f32ToF16Bits(x))));
  });

  it('gguf F32: export, import, identical weights, config and tokenizer', async () => {
    const file = dirOf('export.gguf');
    await runExport(modelDir, 'gguf', file);
    expect(readGguf(file).metadata['general.architecture']).toBe('llama');
    const out = dirOf('from-gguf');
    const r = await runImport(file, out);
    expect(r).toMatchObject({ format: 'gguf', dtypes: ['F32'], tokenizer: ['tokenizer.json', 'tokenizer_config.json'] });
    const back = loadModel(out);
    expect(back.cfg).toEqual(c);
    for (const s of model.params.specs) expect(back.params.get(s.name)).toEqual(model.params.get(s.name));
    const t2 = await loadTokenizer(out);
    for (const text of ['the customer wants a refund', '<|im_start|>user\nhi<|im_end|>\n', 'Grüße 123!']) {
      expect(t2.encode(text, { allowedSpecial: 'all' })).toEqual(tok.encode(text, { allowedSpecial: 'all' }));
    }
    expect(t2.chatTemplate?.stopTokenIds).toEqual(tok.chatTemplate?.stopTokenIds);
  });

  it('gguf export needs a tokenizer', async () => {
    const bare = dirOf('bare');
    saveModel(bare, model);
    await expect(runExport(bare, 'gguf', dirOf('bare.gguf'))).rejects.toThrow(`${bare}: no tokenizer.json, and a GGUF file must carry the tokenizer`);
  });

  it('onnx: run with plain onnxruntime-node, left-padded rows give the unpadded logits (≤ 1e-4)', async () => {
    const T = 8;
    const { bytes, signature } = llamaToOnnx(model, { batch: 2, seqLen: T });
    expect(signature.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    const file = dirOf('model.onnx');
    fs.writeFileSync(file, bytes);
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(session.outputNames).toEqual(['logits']);
    const full = [11, 22, 33, 44, 55, 66, 77, 88];
    const short = [9, 8, 7, 6, 5];
    const pad = T - short.length;
    const idsIn = BigInt64Array.from([...full, ...Array(pad).fill(0), ...short].map(BigInt));
    const maskIn = BigInt64Array.from([...Array(T).fill(1), ...Array(pad).fill(0), ...Array(short.length).fill(1)].map(BigInt));
    const res = await session.run({ input_ids: new ort.Tensor('int64', idsIn, [2, T]), attention_mask: new ort.Tensor('int64', maskIn, [2, T]) });
    expect(res.logits!.dims).toEqual([2, T, c.vocabSize]);
    const got = res.logits!.data as Float32Array;
    await session.release();
    const Vm = c.vocabSize;
    const a = (await model.forward([full])).logits!;
    const b = (await model.forward([short])).logits!;
    let worst = 0;
    for (let i = 0; i < T * Vm; i++) worst = Math.max(worst, Math.abs(got[i]! - a[i]!));
    for (let i = 0; i < short.length * Vm; i++) worst = Math.max(worst, Math.abs(got[(T + pad) * Vm + i]! - b[i]!));
    expect(worst).toBeLessThanOrEqual(1e-4);
    await model.runtime.release();
  });

  it('onnx export via the command checks --seq-len against the context', async () => {
    await expect(runExport(modelDir, 'onnx', dirOf('x.onnx'), { 'seq-len': 65 })).rejects.toThrow("seqLen must be an integer from 1 to the model's maxSeqLen 64, got 65");
  });
});

describe('model import: bad input gets one clear line', () => {
  const c = llamaConfig({ vocabSize: V, dModel: 16, nLayers: 2, nHeads: 2, dFF: 24, maxSeqLen: 32 });
  const oneLine = async (p: Promise<unknown>): Promise<string> => {
    const err = await p.then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).not.toContain('\n');
    return err!.message;
  };

  it('truncated safetensors', async () => {
    const src = dirOf('trunc');
    writeHfDir(src, hfConfig(c, 'llama'), randomWeights(c, 5), c);
    const file = path.join(src, 'model.safetensors');
    fs.truncateSync(file, fs.statSync(file).size - 100);
    const out = dirOf('trunc-out');
    const msg = await oneLine(runImport(src, out));
    expect(msg).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated: tensor ".*" needs data bytes \\[\\d+, \\d+\\) but the data section has only \\d+ bytes$`));
    expect(fs.existsSync(out)).toBe(false); // nothing written
  });

  it('missing tensor (named with its file), in a single file and in a sharded index', async () => {
    const w = randomWeights(c, 6);
    const single = dirOf('missing');
    writeHfDir(single, hfConfig(c, 'llama'), w, c);
    const st = readSafetensors(path.join(single, 'model.safetensors'));
    const kept = Object.fromEntries(Object.entries(st.tensors).filter(([n]) => n !== 'model.layers.1.mlp.up_proj.weight').map(([n, t]) => [n, { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array }]));
    writeSafetensors(path.join(single, 'model.safetensors'), kept);
    expect(await oneLine(runImport(single, dirOf('missing-out')))).toBe(`${path.join(single, 'model.safetensors')}: missing tensor "model.layers.1.mlp.up_proj.weight"`);

    const sharded = dirOf('missing-sharded');
    writeHfDir(sharded, hfConfig(c, 'llama'), w, c, { shards: 2 });
    const indexFile = path.join(sharded, 'model.safetensors.index.json');
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
    delete index.weight_map['model.norm.weight'];
    fs.writeFileSync(indexFile, JSON.stringify(index));
    expect(await oneLine(runImport(sharded, dirOf('missing-sharded-out')))).toBe(`${indexFile}: missing tensor "model.norm.weight" (weight_map has no entry for it)`);
  });

  it('wrong shape, unexpected tensor, unsupported model_type', async () => {
    const w = randomWeights(c, 7);
    const wide = dirOf('shape');
    // Three heads' worth of k_proj rows where the config implies two.
    writeHfDir(wide, hfConfig(c, 'llama'), w, c, { reshaped: { 'model.layers.0.self_attn.k_proj.weight': [24, 16] } });
    expect(await oneLine(runImport(wide, dirOf('shape-out')))).toBe(`${path.join(wide, 'model.safetensors')}: tensor "model.layers.0.self_attn.k_proj.weight" has shape [24, 16], expected [16, 16]`);

    const stray = dirOf('stray');
    writeHfDir(stray, hfConfig(c, 'llama'), w, c, { extra: { 'model.layers.0.self_attn.o_proj.bias': { shape: [16], data: new Float32Array(16) } } });
    expect(await oneLine(runImport(stray, dirOf('stray-out')))).toBe(`${path.join(stray, 'model.safetensors')}: unexpected tensor "model.layers.0.self_attn.o_proj.bias": a 2-layer model with this config.json has no such parameter`);

    const gpt2 = dirOf('gpt2');
    writeHfDir(gpt2, { ...hfConfig(c, 'llama'), model_type: 'gpt2' }, w, c);
    expect(await oneLine(runImport(gpt2, dirOf('gpt2-out')))).toBe(`${path.join(gpt2, 'config.json')}: unsupported model_type "gpt2" (supported: llama, qwen2, mistral)`);
  });

  it('GGUF of an unsupported architecture', async () => {
    const file = dirOf('qwen3moe.gguf');
    const bytes = serializeGguf(
      [
        { key: 'general.architecture', type: 'string', value: 'qwen3moe' },
        { key: 'qwen3moe.block_count', type: 'uint32', value: 1 },
      ],
      [{ name: 'token_embd.weight', dims: [4, 8], type: 'F32', data: new Float32Array(32) }],
    );
    fs.writeFileSync(file, bytes);
    expect(await oneLine(runImport(file, dirOf('qwen3moe-out')))).toBe(`${file}: unsupported architecture "qwen3moe" (supported: llama)`);
  });

  it('tokenizer.json of an unknown model type (WordPiece); nothing is written', async () => {
    const src = dirOf('wordpiece');
    const wordpiece = { version: '1.0', added_tokens: [], model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', vocab: { '[UNK]': 0, a: 1 } } };
    writeHfDir(src, hfConfig(c, 'llama'), randomWeights(c, 8), c, { tokenizerJson: wordpiece });
    const out = dirOf('wordpiece-out');
    expect(await oneLine(runImport(src, out))).toBe(`${path.join(src, 'tokenizer.json')}: unsupported tokenizer model type "WordPiece" (supported: BPE)`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('GGUF stores ε as float32; the import gives back the decimal', () => {
    expect(shortestFloat32(Math.fround(1e-5))).toBe(1e-5);
    expect(shortestFloat32(Math.fround(1e-6))).toBe(1e-6);
    expect(shortestFloat32(500000)).toBe(500000);
  });
});
