/**
 * Shapes alignlab `Completion`s into OpenAI's answer objects, field for field as the OpenAI
 * API reference describes them, so stock clients parse them unchanged:
 *
 * - chat: `chat.completion` with `choices[i].message`, and the streamed
 *   `chat.completion.chunk`s (a first chunk with `delta.role`, content chunks, a last chunk
 *   with `finish_reason` and an empty delta, and with `stream_options.include_usage` one more
 *   chunk with `choices: []` and `usage`).
 * - completions: `text_completion` with `choices[i].text`, streamed as more `text_completion`
 *   objects carrying pieces of text.
 * - log-probs: chat `logprobs.content[{token, logprob, bytes, top_logprobs[{token, logprob, bytes}]}]`;
 *   completions `logprobs: {tokens, token_logprobs, top_logprobs[{token: logprob}], text_offset}`
 *   (text_offset counts characters from the start of the completion, not of the prompt).
 *
 * Streaming is replayed: a `LanguageModel` returns whole completions, so the server streams
 * once generation has finished. When the model returned per-token log-probs whose tokens
 * spell the text exactly, each token becomes its own chunk (carrying its log-prob), as a live
 * stream would; otherwise the text goes out as one content chunk.
 */
import { randomBytes } from 'node:crypto';
import type { Completion, TokenLogprob } from '../providers/types.js';

/** OpenAI's usage object. Counts the model did not report are 0 (completion tokens fall back to the number of returned tokens). */
export function usageOf(completions: Completion[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  let prompt = 0;
  let completion = 0;
  for (const c of completions) {
    prompt += c.usage?.promptTokens ?? 0;
    completion += c.usage?.completionTokens ?? c.tokens?.length ?? 0;
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export const newId = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);
const utf8Bytes = (s: string) => [...Buffer.from(s, 'utf8')];

/** Chat log-probs, or null when the model returned none. */
export function chatLogprobs(tokens: TokenLogprob[] | undefined) {
  if (!tokens) return null;
  return {
    content: tokens.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: utf8Bytes(t.token),
      top_logprobs: (t.top ?? []).map((a) => ({ token: a.token, logprob: a.logprob, bytes: utf8Bytes(a.token) })),
    })),
    refusal: null,
  };
}

/** Legacy completions log-probs (parallel arrays), or null when the model returned none. */
export function completionLogprobs(tokens: TokenLogprob[] | undefined, startOffset = 0) {
  if (!tokens) return null;
  const textOffset: number[] = [];
  let offset = startOffset;
  for (const t of tokens) {
    textOffset.push(offset);
    offset += t.token.length;
  }
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => (t.top ? Object.fromEntries(t.top.map((a) => [a.token, a.logprob])) : null)),
    text_offset: textOffset,
  };
}

/** The `chat.completion` answer. */
export function chatCompletion(model: string, c: Completion) {
  return {
    id: newId('chatcmpl'),
    object: 'chat.completion' as const,
    created: now(),
    model,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: c.text, refusal: null }, logprobs: chatLogprobs(c.tokens), finish_reason: c.finishReason }],
    usage: usageOf([c]),
  };
}

/** The `text_completion` answer, one choice per prompt. */
export function textCompletion(model: string, cs: Completion[]) {
  return {
    id: newId('cmpl'),
    object: 'text_completion' as const,
    created: now(),
    model,
    system_fingerprint: null,
    choices: cs.map((c, index) => ({ index, text: c.text, logprobs: completionLogprobs(c.tokens), finish_reason: c.finishReason })),
    usage: usageOf(cs),
  };
}

/** The pieces a completion is streamed in: one per token when the tokens spell the text, else the whole text. */
export function streamPieces(c: Completion): { text: string; tokens?: TokenLogprob[] }[] {
  if (c.tokens && c.tokens.length > 0 && c.tokens.map((t) => t.token).join('') === c.text) {
    return c.tokens.map((t) => ({ text: t.token, tokens: [t] }));
  }
  return c.text.length > 0 || c.tokens?.length ? [{ text: c.text, tokens: c.tokens }] : [];
}

/** The `chat.completion.chunk` sequence for one streamed chat answer. */
export function chatChunks(model: string, c: Completion, includeUsage: boolean): object[] {
  const base = { id: newId('chatcmpl'), object: 'chat.completion.chunk' as const, created: now(), model, system_fingerprint: null };
  const usage = includeUsage ? { usage: null } : {};
  const wantLogprobs = c.tokens !== undefined;
  const chunk = (delta: object, logprobs: unknown, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, logprobs, finish_reason: finish }], ...usage });
  const out: object[] = [chunk({ role: 'assistant', content: '' }, null, null)];
  for (const p of streamPieces(c)) out.push(chunk({ content: p.text }, wantLogprobs ? chatLogprobs(p.tokens ?? []) : null, null));
  out.push(chunk({}, null, c.finishReason));
  if (includeUsage) out.push({ ...base, choices: [], usage: usageOf([c]) });
  return out;
}

/** The `text_completion` chunk sequence for streamed completions (choices one after another). */
export function completionChunks(model: string, cs: Completion[], includeUsage: boolean): object[] {
  const base = { id: newId('cmpl'), object: 'text_completion' as const, created: now(), model, system_fingerprint: null };
  const usage = includeUsage ? { usage: null } : {};
  const out: object[] = [];
  cs.forEach((c, index) => {
    let offset = 0;
    for (const p of streamPieces(c)) {
      const logprobs = c.tokens !== undefined ? completionLogprobs(p.tokens ?? [], offset) : null;
      out.push({ ...base, choices: [{ index, text: p.text, logprobs, finish_reason: null }], ...usage });
      offset += p.text.length;
    }
    out.push({ ...base, choices: [{ index, text: '', logprobs: null, finish_reason: c.finishReason }], ...usage });
  });
  if (includeUsage) out.push({ ...base, choices: [], usage: usageOf(cs) });
  return out;
}
