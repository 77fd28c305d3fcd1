/**
 * The one interface every model backend implements: the local alignlab model, llama.cpp
 * (GGUF), any OpenAI-compatible server, and the Anthropic Messages API. Training, evaluation,
 * Constitutional AI and the HTTP server all talk to models through it.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface SamplingOptions {
  /** Most new tokens to generate (default 256). */
  maxTokens?: number;
  /** 0 means greedy (default 1). */
  temperature?: number;
  /** Nucleus sampling mass (default 1 = off). */
  topP?: number;
  /** Keep only the k most likely tokens (default 0 = off). */
  topK?: number;
  /** Stop when any of these strings appears; the stop string is not included in the text. */
  stop?: string[];
  /** Seed for reproducible sampling where the backend supports it. */
  seed?: number;
  /** Return per-token log-probabilities of the generated tokens. */
  logprobs?: boolean;
  /** With logprobs: also return this many most likely alternatives per position (0–20). */
  topLogprobs?: number;
}

export interface TokenLogprob {
  token: string;
  /** Token id, where the backend exposes ids. */
  id?: number;
  logprob: number;
  top?: { token: string; id?: number; logprob: number }[];
}

export interface Completion {
  text: string;
  finishReason: 'stop' | 'length';
  /** Present when logprobs were requested and the backend supports them. */
  tokens?: TokenLogprob[];
  usage?: { promptTokens: number; completionTokens: number };
}

export interface ScoredText {
  /** Log-probability of each scored token given everything before it. */
  tokens: TokenLogprob[];
  /** Sum of the token log-probabilities. */
  total: number;
}

export interface LanguageModel {
  /** A stable identifier (used in caches and reports), e.g. "local:runs/sft" or "openai:gpt-4o-mini". */
  readonly id: string;
  /** One assistant turn for a conversation. */
  chat(messages: ChatMessage[], opts?: SamplingOptions): Promise<Completion>;
  /** Many conversations at once; backends that batch (the local model) override the default loop. */
  chatBatch?(conversations: ChatMessage[][], opts?: SamplingOptions): Promise<Completion[]>;
  /** Raw text continuation (no chat template). */
  complete?(prompt: string, opts?: SamplingOptions): Promise<Completion>;
  /** Log-probabilities of `completion` given `prompt` (teacher forcing). */
  score?(prompt: string, completion: string): Promise<ScoredText>;
  /** Embedding vectors, where the backend has them. */
  embed?(texts: string[]): Promise<number[][]>;
  /** Releases sessions, sockets or native resources. */
  close?(): Promise<void>;
}

/** A backend error meant for the user: one line naming the backend and what went wrong. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly provider: string,
    message: string,
    readonly status?: number,
  ) {
    super(`${provider}: ${message}`);
  }
}
