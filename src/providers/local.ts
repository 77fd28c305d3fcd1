/**
 * The local alignlab model as a `LanguageModel`: a model directory (config.json,
 * model.safetensors, tokenizer.json) run on the engine with batched KV-cache generation.
 *
 * Conversations are rendered with the tokenizer's ChatML template; generation stops at
 * `<|im_end|>` (or `<|endoftext|>`) and at any stop string. Log-probabilities are the model's
 * own at temperature 1 (see sample/generate.ts). A prompt that fills the context is a
 * ProviderError with status 400, so the HTTP server answers it as a client error; a prompt
 * that leaves less room than max_tokens gets the room left.
 *
 *   const m = await LocalModel.load('runs/sft');
 *   const r = await m.chat([{ role: 'user', content: 'Where is my order?' }], { maxTokens: 64 });
 */
import * as path from 'node:path';
import { loadModel } from '../model/checkpoint.js';
import type { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { generate, logSoftmaxRow, type Generation } from '../sample/generate.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { type ChatMessage, type Completion, type LanguageModel, type SamplingOptions, type ScoredText, type TokenLogprob, ProviderError } from './types.js';

export interface LocalModelOptions {
  /** Runtime threads (default: ALIGNLAB_THREADS or 2). */
  threads?: number;
  /** Largest batch one generate call runs (default 64). */
  maxBatch?: number;
}

export class LocalModel implements LanguageModel {
  readonly id: string;
  private readonly stopIds: number[];

  constructor(
    readonly model: LlamaModel,
    readonly tokenizer: Tokenizer,
    id: string,
    private readonly opts: LocalModelOptions = {},
  ) {
    this.id = id;
    const info = tokenizer.chatTemplate;
    this.stopIds = info ? info.stopTokenIds : [];
  }

  static async load(dir: string, opts: LocalModelOptions = {}): Promise<LocalModel> {
    const runtime = new Runtime({ threads: opts.threads });
    const model = loadModel(dir, { runtime });
    const tokenizer = await loadTokenizer(dir);
    if (tokenizer.vocabSize > model.cfg.vocabSize) {
      throw new Error(`${dir}: tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${model.cfg.vocabSize}`);
    }
    return new LocalModel(model, tokenizer, `local:${path.resolve(dir)}`, opts);
  }

  private checkFits(ids: number[], maxNew: number, what: string): void {
    const ctx = this.model.cfg.maxSeqLen;
    if (ids.length + maxNew > ctx) {
      throw new ProviderError(this.id, `${what} has ${ids.length} tokens; with ${maxNew} new tokens that exceeds the context length ${ctx}`, 400);
    }
  }

  /**
   * Generates for already-tokenized prompts, in batches, and decodes the results. A prompt
   * that leaves fewer than `maxTokens` positions in the context gets the positions left (and
   * finish reason 'length' if it uses them all), as llama.cpp's server does; a prompt that
   * fills the context is an error.
   */
  private async run(prompts: number[][], opts: SamplingOptions = {}): Promise<Completion[]> {
    const maxNew = opts.maxTokens ?? 256;
    const ctx = this.model.cfg.maxSeqLen;
    prompts.forEach((p, i) => this.checkFits(p, 1, prompts.length > 1 ? `prompt ${i}` : 'the prompt'));
    const budget = prompts.map((p) => Math.min(maxNew, ctx - p.length));
    const stops = opts.stop?.filter((s) => s.length > 0) ?? [];
    const batch = this.opts.maxBatch ?? 64;
    const out: Completion[] = new Array(prompts.length);
    // Prompts with the same budget run together, in batches of at most maxBatch.
    for (const b of [...new Set(budget)].sort((x, y) => y - x)) {
      const idx = prompts.map((_, i) => i).filter((i) => budget[i] === b);
      for (let start = 0; start < idx.length; start += batch) {
        const chunk = idx.slice(start, start + batch);
        const gens = await generate(this.model, chunk.map((i) => prompts[i]), {
          maxNewTokens: b,
          temperature: opts.temperature ?? 1,
          topK: opts.topK,
          topP: opts.topP,
          seed: (opts.seed ?? 0) + chunk[0],
          stopTokenIds: this.stopIds,
          topLogprobs: opts.logprobs ? opts.topLogprobs : undefined,
          shouldStop: stops.length
            ? (_row, toks) => {
                const text = this.tokenizer.decode(toks);
                return stops.some((s) => text.includes(s));
              }
            : undefined,
        });
        gens.forEach((g, k) => (out[chunk[k]] = this.toCompletion(g, prompts[chunk[k]].length, stops, !!opts.logprobs)));
      }
    }
    return out;
  }

  private toCompletion(g: Generation, promptTokens: number, stops: string[], withLogprobs: boolean): Completion {
    let tokens = g.tokens;
    let logprobs = g.logprobs;
    let finish = g.finishReason;
    if (tokens.length && this.stopIds.includes(tokens[tokens.length - 1])) {
      tokens = tokens.slice(0, -1);
      logprobs = logprobs.slice(0, -1);
    }
    let text = this.tokenizer.decode(tokens);
    for (const s of stops) {
      const at = text.indexOf(s);
      if (at >= 0) {
        text = text.slice(0, at);
        finish = 'stop';
      }
    }
    const completion: Completion = { text, finishReason: finish, usage: { promptTokens, completionTokens: g.tokens.length } };
    if (withLogprobs) {
      completion.tokens = tokens.map((id, j): TokenLogprob => ({
        token: this.tokenizer.decode([id]),
        id,
        logprob: logprobs[j],
        ...(g.top ? { top: g.top[j].map((t) => ({ token: this.tokenizer.decode([t.id]), id: t.id, logprob: t.logprob })) } : {}),
      }));
    }
    return completion;
  }

  private encodeConversation(messages: ChatMessage[]): number[] {
    if (!this.tokenizer.chatTemplate) throw new ProviderError(this.id, 'the tokenizer has no chat template (<|im_start|>/<|im_end|>)', 400);
    return this.tokenizer.encodeChat(messages, { addGenerationPrompt: true }).ids;
  }

  async chat(messages: ChatMessage[], opts?: SamplingOptions): Promise<Completion> {
    return (await this.chatBatch([messages], opts))[0];
  }

  async chatBatch(conversations: ChatMessage[][], opts?: SamplingOptions): Promise<Completion[]> {
    return this.run(conversations.map((m) => this.encodeConversation(m)), opts);
  }

  async complete(prompt: string, opts?: SamplingOptions): Promise<Completion> {
    return (await this.run([this.tokenizer.encode(prompt)], opts))[0];
  }

  async score(prompt: string, completion: string): Promise<ScoredText> {
    return this.scoreIds(this.tokenizer.encode(prompt), this.tokenizer.encode(completion));
  }

  /** Log-probabilities of `completion` token ids given `prompt` ids, by one full forward pass. */
  async scoreIds(p: number[], c: number[]): Promise<ScoredText> {
    if (p.length === 0) throw new ProviderError(this.id, 'score: the prompt must not be empty', 400);
    this.checkFits([...p, ...c], 0, 'prompt + completion');
    const seq = [...p, ...c];
    const { logits } = await this.model.forward([seq.slice(0, -1)]);
    const V = this.model.cfg.vocabSize;
    const lp = new Float64Array(V);
    const tokens = c.map((id, j): TokenLogprob => {
      const row = p.length - 1 + j;
      logSoftmaxRow(logits!.subarray(row * V, (row + 1) * V), lp);
      return { token: this.tokenizer.decode([id]), id, logprob: lp[id] };
    });
    return { tokens, total: tokens.reduce((s, t) => s + t.logprob, 0) };
  }

  async close(): Promise<void> {
    await this.model.runtime.release();
  }
}
