/**
 * `OpenAICompatibleModel`: a `LanguageModel` over any server that speaks the OpenAI HTTP API —
 * OpenAI itself, vLLM (`vllm serve`), Ollama (`ollama serve`, port 11434), the llama.cpp server
 * (`llama-server`), or alignlab's own `alignlab serve`.
 *
 * | LanguageModel | endpoint                  | read from the answer                                       |
 * |---------------|---------------------------|------------------------------------------------------------|
 * | chat          | POST /v1/chat/completions | choices[0].message.content, finish_reason, logprobs.content |
 * | complete      | POST /v1/completions      | choices[0].text, finish_reason, logprobs.{tokens,token_logprobs,top_logprobs} |
 * | embed         | POST /v1/embeddings       | data[].embedding (ordered by data[].index)                  |
 * | chatBatch     | chat, `concurrency` conversations in flight at a time                                   |
 *
 * Sampling options map to the API's names: maxTokens → max_tokens (always sent, default 256,
 * so every backend stops at the same length), temperature, topP → top_p, stop, seed, and
 * logprobs/topLogprobs → logprobs + top_logprobs (chat) or logprobs: n (completions).
 * topK → top_k is an extension that vLLM, llama.cpp and alignlab accept; it is only sent when
 * set, because OpenAI's own API rejects unknown fields.
 *
 * The API key is read from the environment variable named by `apiKeyEnv` (OPENAI_API_KEY by
 * default) and sent as `Authorization: Bearer …`. Local servers need none; OpenAI's API does,
 * so a missing key for api.openai.com is an error at construction. The key is never logged,
 * stored in a visible property, or shown in an error (see http.ts).
 *
 * Not implemented: `score` (teacher-forced log-probs need `echo` + prompt logprobs, which few
 * servers support), streaming (whole completions are returned), tools, and n > 1.
 *
 * @example
 * ```ts
 * // vllm serve Qwen/Qwen2.5-0.5B-Instruct   (listens on http://127.0.0.1:8000)
 * const model = new OpenAICompatibleModel({ baseURL: 'http://127.0.0.1:8000', model: 'Qwen/Qwen2.5-0.5B-Instruct' });
 * const out = await model.chat([{ role: 'user', content: 'Say hi' }], { maxTokens: 16, temperature: 0, logprobs: true });
 * console.log(out.text, out.tokens?.[0].logprob);
 * ```
 */
import { z } from 'zod';
import { HTTP_DEFAULTS, HttpJsonClient, mapWithConcurrency, parseConfig } from './http.js';
import { type ChatMessage, type Completion, type LanguageModel, ProviderError, type SamplingOptions, type TokenLogprob } from './types.js';

export const OpenAIConfigSchema = z
  .object({
    /** Server root; a trailing "/v1" is accepted and dropped (default https://api.openai.com). */
    baseURL: z.string().default('https://api.openai.com'),
    /** Model name as the server knows it (the request's `model` field). */
    model: z.string().min(1),
    /** Name of the environment variable holding the API key (default OPENAI_API_KEY); optional for local servers. */
    apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
    /** Time limit of one HTTP attempt in ms (default 60000). */
    timeoutMs: z.number().int().positive().default(HTTP_DEFAULTS.timeoutMs),
    /** Retries on connection errors, timeouts, 429 and 5xx (default 2). */
    maxRetries: z.number().int().min(0).default(HTTP_DEFAULTS.maxRetries),
    /** First retry delay in ms, doubled per retry with jitter (default 500). */
    retryBaseMs: z.number().min(0).default(HTTP_DEFAULTS.retryBaseMs),
    /** Longest wait between attempts in ms, also the cap on Retry-After (default 60000). */
    retryMaxMs: z.number().min(0).default(HTTP_DEFAULTS.retryMaxMs),
    /** Requests in flight at once in chatBatch (default 4). */
    concurrency: z.number().int().positive().default(4),
  })
  .strict();

export type OpenAIConfigInput = z.input<typeof OpenAIConfigSchema>;
export type OpenAIConfig = z.output<typeof OpenAIConfigSchema>;

/** The default number of new tokens when SamplingOptions.maxTokens is absent (types.ts). */
const DEFAULT_MAX_TOKENS = 256;

export class OpenAICompatibleModel implements LanguageModel {
  readonly id: string;
  readonly config: OpenAIConfig;
  readonly #http: HttpJsonClient;

  constructor(input: OpenAIConfigInput) {
    this.config = parseConfig(OpenAIConfigSchema, input, 'openai');
    const baseURL = this.config.baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
    const key = process.env[this.config.apiKeyEnv] ?? '';
    const isOpenAI = /^https?:\/\/api\.openai\.com$/i.test(baseURL);
    if (!key && isOpenAI) {
      throw new ProviderError('openai', `no API key: set the environment variable ${this.config.apiKeyEnv} (or point baseURL at a local server)`);
    }
    this.#http = new HttpJsonClient({
      provider: 'openai',
      baseURL,
      headers: key ? { authorization: `Bearer ${key}` } : {},
      secrets: key ? [key] : [],
      timeoutMs: this.config.timeoutMs,
      maxRetries: this.config.maxRetries,
      retryBaseMs: this.config.retryBaseMs,
      retryMaxMs: this.config.retryMaxMs,
    });
    this.id = isOpenAI ? `openai:${this.config.model}` : `openai:${this.config.model}@${new URL(baseURL).host}`;
  }

  async chat(messages: ChatMessage[], opts: SamplingOptions = {}): Promise<Completion> {
    const path = '/v1/chat/completions';
    const body = {
      model: this.config.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      ...samplingFields(opts),
      ...(opts.logprobs ? { logprobs: true, ...(opts.topLogprobs ? { top_logprobs: opts.topLogprobs } : {}) } : {}),
    };
    const res = (await this.#http.post(path, body)) as ChatResponse;
    const choice = res?.choices?.[0];
    const content = choice?.message?.content;
    if (!choice?.message || (typeof content !== 'string' && content !== null)) {
      throw this.#http.shapeError(path, 'choices[0].message.content (a string)', res);
    }
    const out: Completion = { text: content ?? '', finishReason: finishReason(choice.finish_reason) };
    if (opts.logprobs && Array.isArray(choice.logprobs?.content)) {
      out.tokens = choice.logprobs.content.map((t, i) => {
        if (typeof t?.token !== 'string' || typeof t.logprob !== 'number') {
          throw this.#http.shapeError(path, `choices[0].logprobs.content[${i}] with a string token and a number logprob`, t);
        }
        const tok: TokenLogprob = { token: t.token, logprob: t.logprob };
        if (Array.isArray(t.top_logprobs) && t.top_logprobs.length > 0) tok.top = t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob }));
        return tok;
      });
    }
    const usage = readUsage(res.usage);
    if (usage) out.usage = usage;
    return out;
  }

  /** Conversations run as independent chat requests, `config.concurrency` at a time, results in order. */
  chatBatch(conversations: ChatMessage[][], opts: SamplingOptions = {}): Promise<Completion[]> {
    return mapWithConcurrency(conversations, this.config.concurrency, (c) => this.chat(c, opts));
  }

  async complete(prompt: string, opts: SamplingOptions = {}): Promise<Completion> {
    const path = '/v1/completions';
    const body = {
      model: this.config.model,
      prompt,
      ...samplingFields(opts),
      // The legacy API's `logprobs: n` asks for the sampled token plus the n most likely ones.
      ...(opts.logprobs ? { logprobs: opts.topLogprobs ?? 0 } : {}),
    };
    const res = (await this.#http.post(path, body)) as CompletionResponse;
    const choice = res?.choices?.[0];
    if (typeof choice?.text !== 'string') throw this.#http.shapeError(path, 'choices[0].text (a string)', res);
    const out: Completion = { text: choice.text, finishReason: finishReason(choice.finish_reason) };
    const lp = choice.logprobs;
    if (opts.logprobs && lp && Array.isArray(lp.tokens) && Array.isArray(lp.token_logprobs)) {
      out.tokens = lp.tokens.map((token, i) => {
        const tok: TokenLogprob = { token, logprob: lp.token_logprobs![i] ?? Number.NaN };
        const alts = lp.top_logprobs?.[i];
        if (alts && typeof alts === 'object') {
          tok.top = Object.entries(alts)
            .map(([t, logprob]) => ({ token: t, logprob }))
            .sort((a, b) => b.logprob - a.logprob);
        }
        return tok;
      });
    }
    const usage = readUsage(res.usage);
    if (usage) out.usage = usage;
    return out;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const path = '/v1/embeddings';
    const res = (await this.#http.post(path, { model: this.config.model, input: texts })) as EmbeddingResponse;
    if (!Array.isArray(res?.data) || res.data.length !== texts.length || !res.data.every((d) => Array.isArray(d?.embedding))) {
      throw this.#http.shapeError(path, `data[] with ${texts.length} embedding arrays`, res);
    }
    return [...res.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding);
  }
}

/** The request fields shared by chat and completions. */
function samplingFields(opts: SamplingOptions): Record<string, unknown> {
  const f: Record<string, unknown> = { max_tokens: opts.maxTokens ?? DEFAULT_MAX_TOKENS };
  if (opts.temperature !== undefined) f.temperature = opts.temperature;
  if (opts.topP !== undefined) f.top_p = opts.topP;
  if (opts.topK) f.top_k = opts.topK;
  if (opts.stop && opts.stop.length > 0) f.stop = opts.stop;
  if (opts.seed !== undefined) f.seed = opts.seed;
  return f;
}

/** 'length' means the token limit was hit; everything else ('stop', 'content_filter', 'tool_calls', null) counts as a stop. */
function finishReason(reason: unknown): Completion['finishReason'] {
  return reason === 'length' ? 'length' : 'stop';
}

function readUsage(u: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined): Completion['usage'] | undefined {
  if (!u || typeof u.prompt_tokens !== 'number' || typeof u.completion_tokens !== 'number') return undefined;
  return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}
interface ChatResponse {
  choices?: {
    message?: { content?: string | null };
    finish_reason?: string | null;
    logprobs?: { content?: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[] | null } | null;
  }[];
  usage?: Usage;
}
interface CompletionResponse {
  choices?: {
    text?: string;
    finish_reason?: string | null;
    logprobs?: { tokens?: string[]; token_logprobs?: (number | null)[]; top_logprobs?: (Record<string, number> | null)[] | null } | null;
  }[];
  usage?: Usage;
}
interface EmbeddingResponse {
  data?: { index?: number; embedding: number[] }[];
}
