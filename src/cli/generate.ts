/**
 * `alignlab generate DIR`: generate a continuation with a model directory, on alignlab's engine
 * (KV-cache sampling, sample/generate.ts) or on llama.cpp (the model exported to a temporary F32
 * GGUF and run through node-llama-cpp, an optional dependency loaded only when asked for).
 *
 *   alignlab generate runs/m --prompt "Where is my order?" --chat --greedy --max-new 32
 *   alignlab generate runs/m --ids 1,5,7 --greedy --backend llamacpp --json
 *
 * Both backends stop after --max-new tokens or at a stop token (the chat template's with --chat,
 * otherwise the tokenizer's eos token), so greedy outputs of the two can be compared token for
 * token. Sampled outputs differ: each backend has its own random stream.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { type Command, UsageError } from './types.js';
import { parseIds } from './model.js';
import { loadModel } from '../model/checkpoint.js';
import { writeGgufCheckpoint } from '../model/interop.js';
import type { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { generate } from '../sample/generate.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/index.js';

/** The pinned version the llama.cpp backend is tested with. */
export const NODE_LLAMA_CPP = 'node-llama-cpp@3.21.1';

/** The part of node-llama-cpp v3 (3.21.1) alignlab uses: this command and the single-stream bench (bench/stream-worker.ts). */
export interface NodeLlamaCpp {
  getLlama(opts: { gpu: false; logLevel: string; maxThreads?: number; logger?: (level: string, message: string) => void }): Promise<{
    loadModel(opts: { modelPath: string }): Promise<{
      createContext(opts: Record<string, unknown>): Promise<{
        contextSize: number;
        batchSize: number;
        getSequence(): {
          clearHistory(): Promise<void>;
          evaluate(tokens: number[], opts: Record<string, unknown>): AsyncGenerator<number, void, void>;
        };
        printTimings(): Promise<void>;
        dispose(): Promise<void>;
      }>;
      dispose(): Promise<void>;
    }>;
    dispose(): Promise<void>;
  }>;
}

/**
 * Loads node-llama-cpp if it can be resolved from here (node_modules, or a directory in
 * NODE_PATH); otherwise one clear error saying how to install it.
 */
export async function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('node-llama-cpp');
  } catch {
    throw new UsageError(`--backend llamacpp needs node-llama-cpp, which is not installed: run \`npm i -E ${NODE_LLAMA_CPP}\``);
  }
  return (await import(pathToFileURL(entry).href)) as NodeLlamaCpp;
}

export interface GenerateRequest {
  ids: number[];
  maxNew: number;
  temperature: number;
  seed: number;
  stopIds: number[];
}

export interface GenerateResult {
  tokens: number[];
  finishReason: 'stop' | 'length';
}

/** Generation on alignlab's engine. */
async function generateLocal(model: LlamaModel, req: GenerateRequest): Promise<GenerateResult & { logprobs: number[] }> {
  const [g] = await generate(model, [req.ids], { maxNewTokens: req.maxNew, temperature: req.temperature, seed: req.seed, stopTokenIds: req.stopIds });
  return { tokens: g!.tokens, logprobs: g!.logprobs, finishReason: g!.finishReason };
}

/**
 * Generation on llama.cpp: the model is written to a temporary F32 GGUF (deleted afterwards) and
 * evaluated on the CPU with an F32 KV cache, so greedy decoding matches the engine's up to ties.
 */
async function generateLlamaCpp(model: LlamaModel, tokenizer: Tokenizer, req: GenerateRequest): Promise<GenerateResult> {
  const lib = await loadNodeLlamaCpp();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-llamacpp-'));
  try {
    const file = path.join(tmp, 'model.gguf');
    writeGgufCheckpoint(file, model, tokenizer, { dtype: 'F32' });
    const llama = await lib.getLlama({ gpu: false, logLevel: 'error' });
    const m = await llama.loadModel({ modelPath: file });
    const context = await m.createContext({
      contextSize: model.cfg.maxSeqLen,
      batchSize: Math.min(model.cfg.maxSeqLen, 512),
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    });
    try {
      const sampling = req.temperature <= 0 ? { temperature: 0 } : { temperature: req.temperature, topK: 0, topP: 1, minP: 0, seed: req.seed };
      const tokens: number[] = [];
      let finishReason: GenerateResult['finishReason'] = 'length';
      for await (const t of context.getSequence().evaluate(req.ids, sampling)) {
        tokens.push(t);
        if (req.stopIds.includes(t)) {
          finishReason = 'stop';
          break;
        }
        if (tokens.length >= req.maxNew) break;
      }
      return { tokens, finishReason };
    } finally {
      await context.dispose();
      await m.dispose();
      await llama.dispose();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Text of generated ids. A model's vocabulary may be larger than its tokenizer's (padded for
 * speed); ids the tokenizer lacks, which an untrained model can emit, show as U+FFFD.
 */
export function decodeLenient(tokenizer: Tokenizer, ids: number[]): string {
  let text = '';
  let run: number[] = [];
  for (const id of ids) {
    if (id < tokenizer.vocabSize && tokenizer.idToToken(id) !== undefined) {
      run.push(id);
      continue;
    }
    text += tokenizer.decode(run) + '\uFFFD';
    run = [];
  }
  return text + tokenizer.decode(run);
}

const generateCmd: Command = {
  path: ['generate'],
  summary: 'Generate text with a model directory (alignlab engine or llama.cpp)',
  positionals: ['DIR'],
  options: {
    prompt: { type: 'string', describe: 'prompt text (encoded with the model directory\'s tokenizer)' },
    ids: { type: 'string', describe: 'prompt as comma-separated token ids (bypasses the tokenizer)' },
    'max-new': { type: 'number', default: 32, describe: 'most new tokens' },
    greedy: { type: 'boolean', default: false, describe: 'always take the most likely token (temperature 0)' },
    temperature: { type: 'number', default: 1, describe: 'sampling temperature (ignored with --greedy)' },
    seed: { type: 'number', default: 0, describe: 'sampling seed' },
    chat: { type: 'boolean', default: false, describe: 'wrap the prompt as a user message with the chat template' },
    backend: { type: 'string', default: 'local', describe: `local | llamacpp (needs \`npm i -E ${NODE_LLAMA_CPP}\`)` },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads (local backend)' },
  },
  async run(o, [dir], ctx) {
    const backend = String(o.backend);
    if (backend !== 'local' && backend !== 'llamacpp') throw new UsageError(`--backend: expected local or llamacpp, got "${backend}"`);
    if ((o.prompt === undefined) === (o.ids === undefined)) throw new UsageError('generate: give exactly one of --prompt TEXT or --ids 1,2,3');
    if (o.chat && o.ids !== undefined) throw new UsageError('--chat needs --prompt (with --ids the prompt is already tokens)');
    const maxNew = Number(o['max-new']);
    if (!Number.isInteger(maxNew) || maxNew < 1) throw new UsageError(`--max-new: expected a positive integer, got ${o['max-new']}`);
    const temperature = o.greedy ? 0 : Number(o.temperature);
    if (!(temperature >= 0)) throw new UsageError(`--temperature: expected a number >= 0, got ${o.temperature}`);

    const model = loadModel(dir, { runtime: new Runtime({ threads: Number(o.threads) }) });
    const hasTokenizer = fs.existsSync(path.join(dir, 'tokenizer.json'));
    const tokenizer = hasTokenizer ? await loadTokenizer(dir) : undefined;
    if (!tokenizer && (o.prompt !== undefined || backend === 'llamacpp')) {
      throw new UsageError(`${dir}: no tokenizer.json (needed for ${o.prompt !== undefined ? '--prompt' : '--backend llamacpp'}); use --ids with the local backend`);
    }
    let ids: number[];
    if (o.ids !== undefined) ids = parseIds(String(o.ids));
    else if (o.chat) {
      if (!tokenizer!.chatTemplate) throw new UsageError(`${dir}: the tokenizer has no chat template (<|im_start|>/<|im_end|>), so --chat cannot be used`);
      ids = tokenizer!.encodeChat([{ role: 'user', content: String(o.prompt) }], { addGenerationPrompt: true }).ids;
    } else ids = tokenizer!.encode(String(o.prompt));
    if (ids.length === 0) throw new UsageError('generate: the prompt encodes to no tokens');
    const bad = ids.find((t) => t >= model.cfg.vocabSize);
    if (bad !== undefined) throw new UsageError(`--ids: token id ${bad} is outside the vocabulary (0…${model.cfg.vocabSize - 1})`);
    const ctxLen = model.cfg.maxSeqLen;
    if (ids.length + maxNew > ctxLen) {
      throw new UsageError(`the prompt has ${ids.length} tokens; with --max-new ${maxNew} that exceeds the model's context length ${ctxLen}`);
    }

    const stopIds = o.chat ? (tokenizer?.chatTemplate?.stopTokenIds ?? []) : tokenizer?.eosTokenId !== undefined ? [tokenizer.eosTokenId] : [];
    const req: GenerateRequest = { ids, maxNew, temperature, seed: Number(o.seed), stopIds };
    try {
      const out = backend === 'local' ? await generateLocal(model, req) : await generateLlamaCpp(model, tokenizer!, req);
      const shown = out.finishReason === 'stop' ? out.tokens.slice(0, -1) : out.tokens;
      const text = tokenizer ? decodeLenient(tokenizer, shown) : undefined;
      ctx.print(text ?? out.tokens.join(','));
      return { backend, promptTokens: ids, tokens: out.tokens, ...(text !== undefined ? { text } : {}), finishReason: out.finishReason, ...('logprobs' in out ? { logprobs: out.logprobs } : {}) };
    } finally {
      await model.runtime.release();
    }
  },
};

export default [generateCmd];
