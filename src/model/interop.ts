/**
 * Model interchange: reading Hugging Face and GGUF checkpoints into alignlab's Llama parameters,
 * and writing alignlab models back out in the ecosystem's layouts.
 *
 * Import (`readCheckpoint`):
 * - a Hugging Face directory: `config.json` (model_type llama, qwen2 or mistral; see config.ts)
 *   plus either `model.safetensors` or shards `model-0000i-of-0000n.safetensors` listed in
 *   `model.safetensors.index.json` (`{"weight_map": {tensor name: shard file}}`). Weights may be
 *   F32, F16 or BF16 (converted to float32 exactly). Grouped-query attention, Qwen2's q/k/v biases
 *   and tied embeddings come from the config. With `tie_word_embeddings` the checkpoint may omit
 *   `lm_head.weight` or store a copy equal to the embedding; a different one is an error, as is a
 *   missing tensor (named with the file it should be in), a wrong shape, or a tensor the config
 *   has no place for (`rotary_emb.inv_freq` buffers of older exports are skipped);
 * - a `.gguf` file of the llama architecture (see gguf.ts): q/k rows are put back into
 *   rotate-half order, and the byte-level BPE vocabulary comes back as {@link GgufTokenizerData}.
 *
 * Export:
 * - {@link writeHfCheckpoint}: the directory `transformers` loads with
 *   `AutoModelForCausalLM.from_pretrained(dir)`: `config.json` with `architectures`, `model_type`
 *   and `torch_dtype`, and `model.safetensors` in HF names and (out, in) shapes. A model with q/k/v
 *   biases is written as `Qwen2ForCausalLM`, because Hugging Face's Llama puts its
 *   `attention_bias` on o_proj too; without biases it is `LlamaForCausalLM`. Scalar heads
 *   (value/reward) are not part of a causal LM and are left out;
 * - {@link writeGgufCheckpoint}: llama.cpp's GGUF, F32 or F16, with the tokenizer;
 * - ONNX lives in onnx-export.ts.
 *
 * Tokenizer files are the tokenizer layer's business (this layer does not import it): the
 * command line loads, checks and re-saves them.
 *
 * @example
 * ```ts
 * const ck = readCheckpoint('hf/TinyLlama-1.1B');        // or 'model.gguf'
 * const model = checkpointToModel(ck);                    // a LlamaModel with float32 weights
 * saveModel('runs/tiny', model);                          // alignlab's own HF-layout directory
 * writeHfCheckpoint('export/tiny', model, { dtype: 'F16' });
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { type LlamaConfig, toHfConfig } from './config.js';
import { readModelConfig } from './checkpoint.js';
import { ParamSet, llamaParamSpecs } from './params.js';
import { LlamaModel } from './model.js';
import { SafetensorsError, floatTensor, readSafetensors, writeSafetensors, type SafetensorsContents, type TensorToWrite } from './safetensors.js';
import { GgufError, ggufToLlama, readGguf, writeGguf, type GgufContents, type GgufTokenizerData, type GgufTokenizerSource, ggufTokenizer } from './gguf.js';

/** A checkpoint read into memory: its config and float32 parameters by Hugging Face name. */
export interface Checkpoint {
  config: LlamaConfig;
  /** Every parameter of `llamaParamSpecs(config)`, (out, in) row-major float32. */
  tensors: Record<string, Float32Array>;
  /** The directory or file it was read from. */
  source: string;
  format: 'safetensors' | 'gguf';
  /** The weight files read (shards in index order). */
  files: string[];
  /** The stored dtypes found, e.g. ['BF16'] or ['F32', 'F16']. */
  dtypes: string[];
  /** For a Hugging Face directory: the tokenizer.json beside the weights, when there is one. */
  tokenizerFile?: string;
  /** For a GGUF file: the tokenizer stored in its metadata, when there is one. */
  ggufTokenizer?: GgufTokenizerData;
}

const INDEX_FILE = 'model.safetensors.index.json';
const SINGLE_FILE = 'model.safetensors';
/** Buffers some exports carry that are recomputed, not learned. */
const IGNORED_TENSOR = /\.rotary_emb\.inv_freq$/;

/** Reads a Hugging Face directory or a `.gguf` file, whichever `source` is. */
export function readCheckpoint(source: string): Checkpoint {
  if (!fs.existsSync(source)) throw new Error(`${source}: not found (expected a Hugging Face model directory or a .gguf file)`);
  if (fs.statSync(source).isDirectory()) return readHfCheckpoint(source);
  if (source.toLowerCase().endsWith('.gguf')) return readGgufCheckpoint(source);
  throw new Error(`${source}: expected a Hugging Face model directory (config.json + safetensors) or a .gguf file`);
}

/** The tensor → file map of a sharded checkpoint, checked against the directory. */
function readIndex(dir: string): Map<string, string> {
  const file = path.join(dir, INDEX_FILE);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
  const wm = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new Error(`${file}: expected {"weight_map": {tensor name: shard file}}`);
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) throw new Error(`${file}: weight_map["${name}"] must be a file name in ${dir}, got ${JSON.stringify(shard)}`);
    map.set(name, shard);
  }
  for (const shard of new Set(map.values())) {
    if (!fs.existsSync(path.join(dir, shard))) throw new Error(`${file}: shard "${shard}" is listed in weight_map but ${path.join(dir, shard)} does not exist`);
  }
  return map;
}

/**
 * Reads a Hugging Face Llama-family checkpoint directory (single file or sharded), validating
 * every tensor against the config. See the file comment for what is accepted.
 */
export function readHfCheckpoint(dir: string): Checkpoint {
  const { cfg } = readModelConfig(dir);
  const indexed = fs.existsSync(path.join(dir, INDEX_FILE));
  if (!indexed && !fs.existsSync(path.join(dir, SINGLE_FILE))) {
    const hasBin = fs.existsSync(path.join(dir, 'pytorch_model.bin')) || fs.existsSync(path.join(dir, 'pytorch_model.bin.index.json'));
    throw new Error(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}${hasBin ? ' (only PyTorch .bin weights, which cannot be read safely; save them as safetensors first)' : ''}`);
  }
  const index = indexed ? readIndex(dir) : undefined;
  const shardNames = index ? [...new Set(index.values())].sort() : [SINGLE_FILE];
  // Each file is read (and fully validated) once; a truncated file fails here with its name.
  const files = new Map<string, SafetensorsContents>(shardNames.map((s) => [s, readSafetensors(path.join(dir, s))]));

  const fileOf = (name: string): SafetensorsContents => {
    if (!index) return files.get(SINGLE_FILE)!;
    const shard = index.get(name);
    if (shard === undefined) throw new Error(`${path.join(dir, INDEX_FILE)}: missing tensor "${name}" (weight_map has no entry for it)`);
    return files.get(shard)!;
  };
  const specs = llamaParamSpecs(cfg);
  const tensors: Record<string, Float32Array> = {};
  for (const s of specs) tensors[s.name] = floatTensor(fileOf(s.name), s.name, s.shape);

  const expected = new Set(specs.map((s) => s.name));
  for (const [shard, contents] of files) {
    for (const name of Object.keys(contents.tensors)) {
      if (expected.has(name) || IGNORED_TENSOR.test(name)) continue;
      if (name === 'lm_head.weight' && cfg.tieEmbeddings) {
        const head = floatTensor(contents, name, [cfg.vocabSize, cfg.dModel]);
        const emb = tensors['model.embed_tokens.weight'];
        const at = head.findIndex((v, i) => v !== emb[i]);
        if (at >= 0) {
          throw new SafetensorsError(contents.source, `"lm_head.weight" differs from "model.embed_tokens.weight" (first at element ${at}) but config.json has tie_word_embeddings: true`);
        }
        continue;
      }
      throw new SafetensorsError(path.join(dir, shard), `unexpected tensor "${name}": a ${cfg.nLayers}-layer model with this config.json has no such parameter`);
    }
  }
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  return {
    config: cfg,
    tensors,
    source: dir,
    format: 'safetensors',
    files: shardNames.map((s) => path.join(dir, s)),
    dtypes: [...new Set([...files.values()].flatMap((f) => Object.values(f.tensors).map((t) => t.dtype)))].sort(),
    ...(fs.existsSync(tokenizerFile) ? { tokenizerFile } : {}),
  };
}

/** Reads a llama-architecture GGUF file (F32/F16/BF16 tensors) and its tokenizer. */
export function readGgufCheckpoint(file: string): Checkpoint {
  const contents = readGguf(file, { architecture: 'llama' });
  const { config, tensors } = ggufToLlama(contents);
  const tok = ggufTokenizerData(contents);
  return {
    // GGUF stores ε and θ as float32; the shortest decimal that rounds to the same float32 gives
    // back the config's own 1e-5 (the engine computes in float32, so nothing else changes).
    config: { ...config, normEps: shortestFloat32(config.normEps), ropeTheta: shortestFloat32(config.ropeTheta) },
    tensors,
    source: file,
    format: 'gguf',
    files: [file],
    dtypes: [...new Set(contents.tensors.map((t) => t.type))].sort(),
    ...(tok ? { ggufTokenizer: tok } : {}),
  };
}

/** The decimal with the fewest digits that is the same float32 as `x` (e.g. 9.99999974e-6 → 1e-5). */
export function shortestFloat32(x: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const y = Number(x.toPrecision(digits));
    if (Math.fround(y) === Math.fround(x)) return y;
  }
  return x;
}

/**
 * The byte-level BPE tokenizer stored in a GGUF file's metadata (the inverse of `ggufTokenizer`),
 * or undefined when the file has none. Only llama.cpp's "gpt2" (byte-level BPE) model with the
 * Llama-3 split ("llama-bpe", what alignlab writes) is understood; others are an error naming
 * the key, since their text would be tokenized differently.
 */
export function ggufTokenizerData(file: GgufContents): GgufTokenizerData | undefined {
  const m = file.metadata;
  if (m['tokenizer.ggml.model'] === undefined) return undefined;
  const fail = (problem: string): never => {
    throw new GgufError(file.source, problem);
  };
  if (m['tokenizer.ggml.model'] !== 'gpt2') fail(`tokenizer.ggml.model ${JSON.stringify(m['tokenizer.ggml.model'])} is not supported (supported: "gpt2", byte-level BPE)`);
  const pre = m['tokenizer.ggml.pre'] ?? 'default';
  if (pre !== 'llama-bpe') fail(`tokenizer.ggml.pre ${JSON.stringify(pre)} is not supported (supported: "llama-bpe", the Llama-3 split)`);
  const strings = (key: string): string[] => {
    const v = m[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return fail(`metadata "${key}" must be an array of strings`);
    return v as string[];
  };
  const tokens = strings('tokenizer.ggml.tokens');
  const merges = m['tokenizer.ggml.merges'] === undefined ? [] : strings('tokenizer.ggml.merges');
  const types = m['tokenizer.ggml.token_type'];
  const tokenTypes = Array.isArray(types) && types.length === tokens.length && types.every((t) => typeof t === 'number') ? (types as number[]) : tokens.map(() => 1);
  const id = (key: string): number | undefined => (typeof m[key] === 'number' ? (m[key] as number) : undefined);
  const chatTemplate = typeof m['tokenizer.chat_template'] === 'string' ? (m['tokenizer.chat_template'] as string) : undefined;
  const bosId = id('tokenizer.ggml.bos_token_id');
  const eosId = id('tokenizer.ggml.eos_token_id');
  const padId = id('tokenizer.ggml.padding_token_id');
  return {
    tokens,
    merges,
    tokenTypes,
    ...(bosId !== undefined && { bosId }),
    ...(eosId !== undefined && { eosId }),
    ...(padId !== undefined && { padId }),
    ...(chatTemplate !== undefined && { chatTemplate }),
  };
}

/** A LlamaModel holding a checkpoint's parameters (copied into one flat float32 buffer). */
export function checkpointToModel(ck: Checkpoint): LlamaModel {
  const params = new ParamSet(llamaParamSpecs(ck.config));
  for (const s of params.specs) params.get(s.name).set(ck.tensors[s.name]!);
  return new LlamaModel(ck.config, params);
}

export type ExportDtype = 'F32' | 'F16';

/** The language-model parameters of a model by HF name (scalar heads left out). */
function lmTensors(model: LlamaModel): Record<string, Float32Array> {
  return Object.fromEntries(llamaParamSpecs(model.cfg).map((s) => [s.name, model.params.get(s.name)]));
}

/**
 * The Hugging Face `config.json` of an exported model: `LlamaForCausalLM`, or `Qwen2ForCausalLM`
 * when the model has q/k/v biases (HF's Llama would also expect an o_proj bias).
 */
export function hfExportConfig(cfg: LlamaConfig, dtype: ExportDtype): Record<string, unknown> {
  const base = toHfConfig(cfg, { torch_dtype: dtype === 'F16' ? 'float16' : 'float32' });
  if (!cfg.attentionBias) return base;
  const { attention_bias: _bias, ...rest } = base;
  return { ...rest, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', use_sliding_window: false, sliding_window: null, max_window_layers: cfg.nLayers };
}

/**
 * Writes `config.json` and `model.safetensors` (HF names and shapes, F32 or F16) into `dir` for
 * `transformers`' `from_pretrained`. Both files are written atomically. Returns the file paths.
 */
export function writeHfCheckpoint(dir: string, model: LlamaModel, opts: { dtype?: ExportDtype } = {}): string[] {
  const dtype = opts.dtype ?? 'F32';
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, TensorToWrite> = {};
  for (const s of llamaParamSpecs(model.cfg)) tensors[s.name] = { dtype, shape: s.shape, data: model.params.get(s.name) };
  const weights = path.join(dir, SINGLE_FILE);
  const config = path.join(dir, 'config.json');
  writeSafetensors(weights, tensors, { format: 'pt' });
  writeJsonAtomic(config, hfExportConfig(model.cfg, dtype));
  return [config, weights];
}

/**
 * Writes a GGUF file for llama.cpp. A tokenizer with fewer ids than the model's vocabulary is
 * padded with unused "[PAD{id}]" entries (as llama.cpp's converter does); more ids is an error.
 */
export function writeGgufCheckpoint(file: string, model: LlamaModel, tokenizer: GgufTokenizerSource, opts: { dtype?: ExportDtype; name?: string } = {}): void {
  const V = model.cfg.vocabSize;
  if (tokenizer.vocabSize > V) throw new GgufError(file, `the tokenizer has ${tokenizer.vocabSize} ids but the model's vocabulary has ${V}`);
  // A view of the tokenizer with the model's vocabulary size: ids it lacks become unused entries.
  const padded: GgufTokenizerSource = {
    vocabSize: V,
    idToToken: (id) => (id < tokenizer.vocabSize ? tokenizer.idToToken(id) : undefined),
    addedTokens: tokenizer.addedTokens,
    model: tokenizer.model,
    bosTokenId: tokenizer.bosTokenId,
    eosTokenId: tokenizer.eosTokenId,
    padTokenId: tokenizer.padTokenId,
    config: tokenizer.config,
    chatTemplate: tokenizer.chatTemplate,
  };
  writeGguf(file, { config: model.cfg, tensors: lmTensors(model), tokenizer: ggufTokenizer(padded), dtype: opts.dtype ?? 'F32', ...(opts.name ? { name: opts.name } : {}) });
}
