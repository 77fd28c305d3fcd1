/**
 * `EchoModel`: a deterministic stand-in `LanguageModel` for tests and demos of the server. Its
 * answers can be predicted exactly, so a test can compare what came over HTTP with the truth:
 *
 * - chat answers the **reversed** text of the last user message; complete answers the reversed
 *   prompt. One token is one character (Unicode code point).
 * - token i of an answer has log-prob `logprobOf(ch) = -((codePoint % 7) + 1) / 8`; with
 *   topLogprobs k, its alternatives are the token itself then "<alt1>", "<alt2>", … each one
 *   nat less likely than the one before.
 * - `maxTokens` (default 256) truncates, finishReason 'length'; a `stop` string cuts the answer
 *   before it, finishReason 'stop'. Sampling settings are otherwise ignored (it is greedy).
 * - a prompt (all message contents together) longer than `contextTokens` characters throws
 *   `ProviderError` with status 400, as a real model does when the context is exceeded;
 *   a message containing `failOn` throws a plain Error (a model crash).
 * - `chatBatch` exists and records each call's batch size in `batchSizes`; `delayMs` makes
 *   every call take that long, like real generation.
 */
import { type ChatMessage, type Completion, type LanguageModel, ProviderError, type SamplingOptions, type TokenLogprob } from '../providers/types.js';

export interface EchoModelConfig {
  /** Longest prompt accepted, in characters (default 512). */
  contextTokens?: number;
  /** Time each chat/chatBatch/complete call takes, in ms (default 0). */
  delayMs?: number;
  /** A message containing this string makes the model throw a plain Error (default none). */
  failOn?: string;
}

export const logprobOf = (ch: string): number => -((ch.codePointAt(0)! % 7) + 1) / 8;

export class EchoModel implements LanguageModel {
  readonly id = 'echo';
  /** Size of every chatBatch call, in call order. */
  readonly batchSizes: number[] = [];
  /** Number of chat calls (not counting those made inside chatBatch). */
  chatCalls = 0;
  readonly #config: Required<Omit<EchoModelConfig, 'failOn'>> & { failOn?: string };

  constructor(config: EchoModelConfig = {}) {
    this.#config = { contextTokens: config.contextTokens ?? 512, delayMs: config.delayMs ?? 0, failOn: config.failOn };
  }

  async chat(messages: ChatMessage[], opts: SamplingOptions = {}): Promise<Completion> {
    this.chatCalls++;
    await this.#delay();
    return this.#answer(messages, opts);
  }

  async chatBatch(conversations: ChatMessage[][], opts: SamplingOptions = {}): Promise<Completion[]> {
    this.batchSizes.push(conversations.length);
    await this.#delay();
    return conversations.map((m) => this.#answer(m, opts));
  }

  async complete(prompt: string, opts: SamplingOptions = {}): Promise<Completion> {
    await this.#delay();
    return this.#generate(prompt, prompt, opts);
  }

  #answer(messages: ChatMessage[], opts: SamplingOptions): Completion {
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    return this.#generate(messages.map((m) => m.content).join(''), lastUser, opts);
  }

  #generate(prompt: string, source: string, opts: SamplingOptions): Completion {
    const promptTokens = [...prompt].length;
    if (this.#config.failOn && prompt.includes(this.#config.failOn)) throw new Error('echo model crashed (failOn matched)');
    if (promptTokens > this.#config.contextTokens) {
      throw new ProviderError('echo', `the prompt is ${promptTokens} tokens, longer than the context window of ${this.#config.contextTokens} tokens`, 400);
    }
    let text = [...source].reverse().join('');
    let finishReason: Completion['finishReason'] = 'stop';
    for (const s of opts.stop ?? []) {
      const at = text.indexOf(s);
      if (at >= 0) text = text.slice(0, at);
    }
    const maxTokens = opts.maxTokens ?? 256;
    const chars = [...text];
    if (chars.length > maxTokens) {
      text = chars.slice(0, maxTokens).join('');
      finishReason = 'length';
    }
    const out: Completion = { text, finishReason, usage: { promptTokens, completionTokens: [...text].length } };
    if (opts.logprobs) out.tokens = [...text].map((ch) => tokenLogprob(ch, opts.topLogprobs ?? 0));
    return out;
  }

  #delay(): Promise<void> {
    return this.#config.delayMs > 0 ? new Promise((r) => setTimeout(r, this.#config.delayMs)) : Promise.resolve();
  }
}

function tokenLogprob(ch: string, k: number): TokenLogprob {
  const logprob = logprobOf(ch);
  const t: TokenLogprob = { token: ch, logprob };
  if (k > 0) t.top = Array.from({ length: k }, (_, j) => ({ token: j === 0 ? ch : `<alt${j}>`, logprob: logprob - j }));
  return t;
}
