/** `alignlab model …`: create, inspect, import and export models (Hugging Face layout, GGUF, ONNX). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { readRunConfig } from '../model/run-config.js';
import { LlamaModel } from '../model/model.js';
import { saveModel, loadModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { readCheckpoint, checkpointToModel, writeHfCheckpoint, writeGgufCheckpoint } from '../model/interop.js';
import { writeOnnxModel } from '../model/onnx-export.js';
import type { GgufTokenizerData } from '../model/gguf.js';
import { BpeModel, LLAMA3_PATTERN, Tokenizer, loadTokenizer, saveTokenizer, type AddedToken } from '../tokenizer/index.js';
import { byteLevelPipeline } from '../tokenizer/train.js';
import { writeFileAtomic } from '../util/atomic.js';

export function parseIds(text: string, what = '--ids'): number[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError(`${what}: expected comma-separated non-negative integers, got "${text}"`);
  return ids;
}

const init: Command = {
  path: ['model', 'init'],
  summary: 'Randomly initialise a Llama model and save it (config.json + model.safetensors)',
  options: {
    config: { type: 'string', required: true, describe: 'JSON config file (LlamaConfig keys; seqLen/batchSize ignored)' },
    seed: { type: 'number', default: 0, describe: 'random seed' },
    out: { type: 'string', required: true, describe: 'output model directory' },
  },
  async run(o, _p, ctx) {
    const { model: cfg } = readRunConfig(String(o.config));
    const model = LlamaModel.init(cfg, { seed: Number(o.seed) });
    saveModel(String(o.out), model);
    ctx.print(`wrote ${o.out} (${model.params.size.toLocaleString()} parameters)`);
    return { out: o.out, parameters: model.params.size, config: cfg };
  },
};

const logits: Command = {
  path: ['model', 'logits'],
  summary: 'Print next-token logits for a sequence of token ids',
  positionals: ['DIR'],
  options: {
    ids: { type: 'string', required: true, describe: 'comma-separated token ids, e.g. 1,5,7' },
    threads: { type: 'number', default: 1, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, [dir], ctx) {
    const model = loadModel(dir, { runtime: new Runtime({ threads: Number(o.threads) }) });
    const ids = parseIds(String(o.ids));
    if (ids.length > model.cfg.maxSeqLen) throw new UsageError(`--ids: ${ids.length} tokens exceed the context length ${model.cfg.maxSeqLen}`);
    const { logits } = await model.forward([ids]);
    const V = model.cfg.vocabSize;
    const rows = ids.map((_, t) => Array.from(logits!.subarray(t * V, (t + 1) * V)));
    if (!ctx.json) {
      rows.forEach((r, t) => {
        const top = r.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 5);
        ctx.print(`pos ${t} (id ${ids[t]}): top ${top.map(([v, i]) => `${i}:${v.toFixed(3)}`).join(' ')}`);
      });
    }
    await model.runtime.release();
    return { logits: rows };
  },
};

// ---------------------------------------------------------------------------------------------
// import / export

/**
 * A Tokenizer from the byte-level BPE vocabulary of a GGUF file: control tokens (type 3) become
 * special added tokens, user-defined ones (4) plain added tokens, unused ids (5) are left out; the
 * pipeline is alignlab's byte-level one with the Llama-3 split ("llama-bpe").
 */
export function tokenizerFromGguf(data: GgufTokenizerData, source: string): Tokenizer {
  const vocab = new Map<string, number>();
  const addedTokens: AddedToken[] = [];
  data.tokens.forEach((token, id) => {
    const type = data.tokenTypes[id] ?? 1;
    if (type === 5) return;
    vocab.set(token, id);
    if (type === 3 || type === 4) addedTokens.push({ id, content: token, special: type === 3, lstrip: false, rstrip: false, singleWord: false, normalized: false });
  });
  const merges = data.merges.map((m, i): [string, string] => {
    const parts = m.split(' ');
    if (parts.length !== 2) throw new Error(`${source}: tokenizer.ggml.merges[${i}] is not "left right": ${JSON.stringify(m)}`);
    return [parts[0]!, parts[1]!];
  });
  const name = (id: number | undefined) => (id === undefined ? null : (data.tokens[id] ?? null));
  return new Tokenizer({
    model: new BpeModel({ vocab, merges }, `${source}: tokenizer`),
    addedTokens,
    ...byteLevelPipeline(LLAMA3_PATTERN),
    config: { bosToken: name(data.bosId), eosToken: name(data.eosId), padToken: name(data.padId), unkToken: null, chatTemplate: data.chatTemplate ?? null },
    source: `${source}: tokenizer`,
  });
}

/** Tokenizer files copied verbatim (after they were checked to load) from an HF directory. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

function copyTokenizerFiles(fromDir: string, toDir: string): string[] {
  const copied: string[] = [];
  for (const f of TOKENIZER_FILES) {
    const src = path.join(fromDir, f);
    if (!fs.existsSync(src)) continue;
    writeFileAtomic(path.join(toDir, f), fs.readFileSync(src));
    copied.push(f);
  }
  return copied;
}

const importCmd: Command = {
  path: ['model', 'import'],
  summary: 'Import a Hugging Face Llama/Qwen2/Mistral checkpoint directory or a llama GGUF file as an alignlab model',
  positionals: ['PATH'],
  options: {
    out: { type: 'string', required: true, describe: 'output model directory (config.json, model.safetensors in F32, tokenizer files)' },
  },
  async run(o, [src], ctx) {
    const out = String(o.out);
    // Everything is read and checked before anything is written.
    const ck = readCheckpoint(src);
    let tok: Tokenizer | undefined;
    if (ck.tokenizerFile) tok = await loadTokenizer(ck.tokenizerFile);
    else if (ck.ggufTokenizer) tok = tokenizerFromGguf(ck.ggufTokenizer, src);
    if (tok && tok.vocabSize > ck.config.vocabSize) throw new Error(`${ck.tokenizerFile ?? src}: the tokenizer has ${tok.vocabSize} ids but the model's vocabulary has ${ck.config.vocabSize}`);
    if (!tok) ctx.log(`${src}: no tokenizer found; the imported model works with token ids only (--ids)`);
    const model = checkpointToModel(ck);
    saveModel(out, model);
    let tokenizerFiles: string[] = [];
    if (ck.tokenizerFile) tokenizerFiles = copyTokenizerFiles(path.dirname(ck.tokenizerFile), out);
    else if (tok) tokenizerFiles = Object.values(await saveTokenizer(tok, out)).map((f) => path.basename(f));
    ctx.print(`imported ${src} (${ck.format}, ${ck.dtypes.join('/')}, ${model.params.size.toLocaleString()} parameters) → ${out}`);
    return { out, source: src, format: ck.format, dtypes: ck.dtypes, files: ck.files, parameters: model.params.size, config: ck.config, tokenizer: tokenizerFiles };
  },
};

const FORMATS = ['gguf', 'onnx', 'safetensors'] as const;

const exportCmd: Command = {
  path: ['model', 'export'],
  summary: 'Export an alignlab model as GGUF (llama.cpp), ONNX (inference graph) or a Hugging Face safetensors directory',
  positionals: ['DIR'],
  options: {
    format: { type: 'string', required: true, describe: 'gguf | onnx | safetensors' },
    out: { type: 'string', required: true, describe: 'output file (gguf, onnx) or directory (safetensors)' },
    dtype: { type: 'string', default: 'f32', describe: 'weight storage: f32 | f16 (gguf, safetensors; onnx is f32)' },
    batch: { type: 'number', default: 1, describe: 'onnx: rows per run (static shape)' },
    'seq-len': { type: 'number', describe: 'onnx: tokens per row (static shape; default 64, or maxSeqLen when smaller)' },
  },
  async run(o, [dir], ctx) {
    const format = String(o.format) as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got "${o.format}"`);
    const dtypeText = String(o.dtype).toLowerCase();
    if (dtypeText !== 'f32' && dtypeText !== 'f16') throw new UsageError(`--dtype: expected f32 or f16, got "${o.dtype}"`);
    const dtype = dtypeText === 'f16' ? 'F16' : 'F32';
    const out = String(o.out);
    const model = loadModel(dir);
    const hasTokenizer = fs.existsSync(path.join(dir, 'tokenizer.json'));
    let result: Record<string, unknown>;
    if (format === 'gguf') {
      if (!hasTokenizer) throw new Error(`${dir}: no tokenizer.json, and a GGUF file must carry the tokenizer (add one with \`alignlab tokenizer train\` or copy the model's tokenizer files)`);
      writeGgufCheckpoint(out, model, await loadTokenizer(dir), { dtype, name: path.basename(path.resolve(dir)) });
      result = { files: [out] };
    } else if (format === 'safetensors') {
      const files = writeHfCheckpoint(out, model, { dtype });
      if (hasTokenizer) files.push(...copyTokenizerFiles(dir, out).map((f) => path.join(out, f)));
      else ctx.log(`${dir}: no tokenizer.json; the exported directory holds the weights only`);
      result = { files };
    } else {
      if (dtype !== 'F32') throw new UsageError('--dtype: the ONNX export is float32 only');
      const sig = writeOnnxModel(out, model, { batch: Number(o.batch), seqLen: o['seq-len'] === undefined ? undefined : Number(o['seq-len']) });
      result = { files: [out], inputs: sig.inputs, outputs: sig.outputs };
    }
    ctx.print(`wrote ${out} (${format}${format === 'onnx' ? '' : `, ${dtype}`})`);
    return { out, format, dtype: format === 'onnx' ? 'F32' : dtype, ...result };
  },
};

export default [init, logits, importCmd, exportCmd];
