/**
 * `AnthropicModel`: a `LanguageModel` over Anthropic's Messages API (Claude models).
 *
 *   POST {baseURL}/v1/messages
 *   headers: x-api-key: $ANTHROPIC_API_KEY, anthropic-version: 2023-06-01
 *   body:    {model, max_tokens, system?, messages: [{role: 'user'|'assistant', content}], ...}
 *
 * How a conversation maps onto the API:
 * - `system` messages are not turns in the Messages API: they are joined (blank line between)
 *   into the top-level `system` field, wherever they appeared in the conversation.
 * - `max_tokens` is required by the API, so it is always sent (SamplingOptions default 256).
 * - temperature, topP → top_p, topK → top_k and stop → stop_sequences are passed through.
 *   Anthropic's temperature range is 0–1 (the API answers 400 above 1). `seed` is ignored:
 *   the API has no seeded sampling.
 * - The answer is the concatenated `text` of the `content[]` blocks; `stop_reason` maps to
 *   finishReason: 'max_tokens' → 'length', everything else ('end_turn', 'stop_sequence',
 *   'refusal', …) → 'stop'. usage.input_tokens/output_tokens become promptTokens/completionTokens.
 *
 * **No log-probabilities.** The Messages API does not expose token log-probs, so `logprobs`
 * and `topLogprobs` are accepted and ignored, and `Completion.tokens` is never set (as the
 * LanguageModel contract allows: "present when … the backend supports them"). For the same
 * reason there is no `score`, and there is no `complete` or `embed` (no such endpoints).
 *
 * The key is read from the environment (ANTHROPIC_API_KEY unless `apiKeyEnv` names another
 * variable) when the model is created; it is never logged, kept in a visible property, or
 * shown in an error (see http.ts).
 *
 * @example
 * ```ts
 * const claude = new AnthropicModel({ model: 'claude-3-5-haiku-latest' });
 * const out = await claude.chat([
 *   { role: 'system', content: 'Answer in one word.' },
 *   { role: 'user', content: 'Capital of France?' },
 * ], { maxTokens: 10, temperature: 0 });
 * ```
 */
import { z } from 'zod';
import { HTTP_DEFAULTS, HttpJsonClient, mapWithConcurrency, parseConfig } from './http.js';
import { type ChatMessage, type Completion, type LanguageModel, ProviderError, type SamplingOptions } from './types.js';

export const AnthropicConfigSchema = z
  .object({
    /** API root; a trailing "/v1" is accepted and dropped (default https://api.anthropic.com). */
    baseURL: z.string().default('https://api.anthropic.com'),
    /** Model name, e.g. "claude-3-5-haiku-latest". */
    model: z.string().min(1),
    /** Name of the environment variable holding the API key (default ANTHROPIC_API_KEY). */
    apiKeyEnv: z.string().min(1).default('ANTHROPIC_API_KEY'),
    /** Value of the anthropic-version header (default 2023-06-01). */
    version: z.string().min(1).default('2023-06-01'),
    /** Time limit of one HTTP attempt in ms (default 60000). */
    timeoutMs: z.number().int().positive().default(HTTP_DEFAULTS.timeoutMs),
    /** Retries on connection errors, timeouts, 429, 529 (overloaded) and other 5xx (default 2). */
    maxRetries: z.number().int().min(0).default(HTTP_DEFAULTS.maxRetries),
    /** First retry delay in ms, doubled per retry with jitter (default 500). */
    retryBaseMs: z.number().min(0).default(HTTP_DEFAULTS.retryBaseMs),
    /** Longest wait between attempts in ms, also the cap on Retry-After (default 60000). */
    retryMaxMs: z.number().min(0).default(HTTP_DEFAULTS.retryMaxMs),
    /** Requests in flight at once in chatBatch (default 4). */
    concurrency: z.number().int().positive().default(4),
  })
  .strict();

export type AnthropicConfigInput = z.input<typeof AnthropicConfigSchema>;
export type AnthropicConfig = z.output<typeof AnthropicConfigSchema>;

const DEFAULT_MAX_TOKENS = 256;

export class AnthropicModel implements LanguageModel {
  readonly id: string;
  readonly config: AnthropicConfig;
  readonly #http: HttpJsonClient;

  constructor(input: AnthropicConfigInput) {
    this.config = parseConfig(AnthropicConfigSchema, input, 'anthropic');
    const key = process.env[this.config.apiKeyEnv] ?? '';
    if (!key) throw new ProviderError('anthropic', `no API key: set the environment variable ${this.config.apiKeyEnv}`);
    this.#http = new HttpJsonClient({
      provider: 'anthropic',
      baseURL: this.config.baseURL.replace(/\/+$/, '').replace(/\/v1$/, ''),
      headers: { 'x-api-key': key, 'anthropic-version': this.config.version },
      secrets: [key],
      timeoutMs: this.config.timeoutMs,
      maxRetries: this.config.maxRetries,
      retryBaseMs: this.config.retryBaseMs,
      retryMaxMs: this.config.retryMaxMs,
    });
    this.id = `anthropic:${this.config.model}`;
  }

  async chat(messages: ChatMessage[], opts: SamplingOptions = {}): Promise<Completion> {
    const path = '/v1/messages';
    const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
    const body: Record<string, unknown> = {
      model: this.config.model,
      max_tokens: opts.maxTokens ?? DEFAULT_MAX_TOKENS,
      ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
      messages: messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content })),
    };
    if (opts.temperature !== undefined) body.temperature = opts.temperature;
    if (opts.topP !== undefined) body.top_p = opts.topP;
    if (opts.topK) body.top_k = opts.topK;
    if (opts.stop && opts.stop.length > 0) body.stop_sequences = opts.stop;

    const res = (await this.#http.post(path, body)) as MessagesResponse;
    if (!Array.isArray(res?.content)) throw this.#http.shapeError(path, 'content[] (an array of blocks)', res);
    const text = res.content
      .filter((b) => b?.type === 'text')
      .map((b) => {
        if (typeof b.text !== 'string') throw this.#http.shapeError(path, 'content[].text (a string)', res);
        return b.text;
      })
      .join('');
    const out: Completion = { text, finishReason: res.stop_reason === 'max_tokens' ? 'length' : 'stop' };
    const u = res.usage;
    if (u && typeof u.input_tokens === 'number' && typeof u.output_tokens === 'number') {
      out.usage = { promptTokens: u.input_tokens, completionTokens: u.output_tokens };
    }
    return out;
  }

  /** Conversations run as independent requests, `config.concurrency` at a time, results in order. */
  chatBatch(conversations: ChatMessage[][], opts: SamplingOptions = {}): Promise<Completion[]> {
    return mapWithConcurrency(conversations, this.config.concurrency, (c) => this.chat(c, opts));
  }
}

interface MessagesResponse {
  content?: { type?: string; text?: unknown }[];
  stop_reason?: string | null;
  usage?: { input_tokens?: unknown; output_tokens?: unknown };
}
