/**
 * Validation of request bodies for `POST /v1/chat/completions` and `POST /v1/completions`,
 * and their translation into alignlab's `ChatMessage[]` / prompt + `SamplingOptions`.
 *
 * Field names and ranges follow OpenAI's API reference. Every problem becomes a 400 naming
 * the field in OpenAI's `param` ("messages[1].role", "temperature"). Fields that change what
 * the answer means but that a `LanguageModel` cannot honour (n > 1, tools, JSON mode, echo,
 * suffix, best_of) are refused rather than silently ignored; harmless ones (user, metadata,
 * presence/frequency penalties, logit_bias, store, …) are accepted and ignored.
 *
 * Mapping to SamplingOptions:
 *   max_tokens | max_completion_tokens → maxTokens     temperature → temperature
 *   top_p → topP    top_k (vLLM/llama.cpp extension; -1 or 0 = off) → topK
 *   stop (string or array) → stop    seed → seed
 *   chat: logprobs: true, top_logprobs: k → logprobs, topLogprobs = k
 *   completions: logprobs: k (0–20) → logprobs, topLogprobs = k
 * An absent max_tokens leaves maxTokens unset, so the model's own default applies.
 */
import { z } from 'zod';
import type { ChatMessage, SamplingOptions } from '../providers/types.js';
import { HttpError } from './errors.js';

/** A validated chat request. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  opts: SamplingOptions;
  stream: boolean;
  /** stream_options.include_usage: send a final chunk with token counts. */
  includeUsage: boolean;
}

/** A validated text-completion request; `prompt` may be an array, answered as one choice per prompt. */
export interface CompletionRequest {
  model: string;
  prompts: string[];
  opts: SamplingOptions;
  stream: boolean;
  includeUsage: boolean;
}

const TextPart = z.object({ type: z.string(), text: z.unknown().optional() });
const Message = z.object({
  role: z.string(),
  content: z.union([z.string(), z.array(TextPart), z.null()], { error: 'expected a string or an array of {type: "text", text} parts' }),
});
const Stop = z.union([z.string(), z.array(z.string())], { error: 'expected a string or an array of strings' }).nullish();

/** Fields shared by both endpoints. */
const Common = {
  model: z.string().min(1),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(-1).nullish(),
  stop: Stop,
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
};

const ChatBody = z.object({
  ...Common,
  messages: z.array(Message).min(1),
  max_completion_tokens: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  tools: z.array(z.unknown()).nullish(),
  functions: z.array(z.unknown()).nullish(),
  response_format: z.object({ type: z.string() }).nullish(),
});

const CompletionBody = z.object({
  ...Common,
  prompt: z.union([z.string(), z.array(z.string()).min(1)], { error: 'expected a string or a non-empty array of strings (token-id prompts are not supported)' }),
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
  best_of: z.number().int().min(1).nullish(),
});

/** Validates a parsed JSON body for /v1/chat/completions. */
export function parseChatRequest(body: unknown): ChatRequest {
  const b = check(ChatBody, body);
  refuse(b.n !== undefined && b.n !== null && b.n !== 1, 'n', 'only n = 1 is supported (send one request per sample)');
  refuse(!!b.tools?.length || !!b.functions?.length, b.tools?.length ? 'tools' : 'functions', 'tool and function calling are not supported');
  refuse(!!b.response_format && b.response_format.type !== 'text', 'response_format', `response_format type "${b.response_format?.type}" is not supported (only "text")`);
  refuse(b.top_logprobs != null && !b.logprobs, 'top_logprobs', 'top_logprobs requires logprobs: true');

  const messages = b.messages.map((m, i): ChatMessage => {
    const where = `messages[${i}]`;
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw new HttpError(400, `${where}.role "${m.role}" is not supported (expected system, developer, user or assistant)`, `${where}.role`);
    }
    if (m.content === null) {
      refuse(role !== 'assistant', `${where}.content`, `${where}.content is null (only assistant messages may have no content)`);
      return { role, content: '' };
    }
    if (typeof m.content === 'string') return { role, content: m.content };
    const texts = m.content.map((part, j) => {
      const param = `${where}.content[${j}]`;
      refuse(part.type !== 'text', `${param}.type`, `${param}.type "${part.type}" is not supported (only "text" parts)`);
      refuse(typeof part.text !== 'string', `${param}.text`, `${param}.text must be a string`);
      return part.text as string;
    });
    return { role, content: texts.join('\n') };
  });

  const opts = samplingOptions(b, b.max_completion_tokens ?? b.max_tokens);
  if (b.logprobs) {
    opts.logprobs = true;
    if (b.top_logprobs) opts.topLogprobs = b.top_logprobs;
  }
  return { model: b.model, messages, opts, stream: b.stream === true, includeUsage: b.stream_options?.include_usage === true };
}

/** Validates a parsed JSON body for /v1/completions. */
export function parseCompletionRequest(body: unknown): CompletionRequest {
  const b = check(CompletionBody, body);
  refuse(b.n != null && b.n !== 1, 'n', 'only n = 1 is supported (send the prompt several times instead)');
  refuse(b.best_of != null && b.best_of !== 1, 'best_of', 'only best_of = 1 is supported');
  refuse(b.echo === true, 'echo', 'echo is not supported');
  refuse(!!b.suffix, 'suffix', 'suffix (fill-in-the-middle) is not supported');
  const opts = samplingOptions(b, b.max_tokens);
  if (b.logprobs != null) {
    opts.logprobs = true;
    if (b.logprobs > 0) opts.topLogprobs = b.logprobs;
  }
  const prompts = typeof b.prompt === 'string' ? [b.prompt] : b.prompt;
  return { model: b.model, prompts, opts, stream: b.stream === true, includeUsage: b.stream_options?.include_usage === true };
}

type CommonFields = { [K in keyof typeof Common]?: z.output<(typeof Common)[K]> };

function samplingOptions(b: CommonFields, maxTokens: number | null | undefined): SamplingOptions {
  const opts: SamplingOptions = {};
  if (maxTokens != null) opts.maxTokens = maxTokens;
  if (b.temperature != null) opts.temperature = b.temperature;
  if (b.top_p != null) opts.topP = b.top_p;
  if (b.top_k != null && b.top_k > 0) opts.topK = b.top_k;
  const stop = (typeof b.stop === 'string' ? [b.stop] : (b.stop ?? [])).filter((s) => s.length > 0);
  if (stop.length > 0) opts.stop = stop;
  if (b.seed != null) opts.seed = b.seed;
  return opts;
}

/** Parses with a schema; the first problem becomes a 400 naming the field. */
function check<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'the request body must be a JSON object');
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = paramName(issue.path);
  if (valueAt(body, issue.path) === undefined) throw new HttpError(400, `'${param}' is required`, param);
  throw new HttpError(400, `invalid '${param}': ${issue.message}`, param);
}

/** Throws a 400 for `param` when `bad` holds. */
function refuse(bad: boolean, param: string, message: string): void {
  if (bad) throw new HttpError(400, message, param);
}

/** ['messages', 0, 'role'] → "messages[0].role" (OpenAI's spelling of a field path). */
function paramName(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
