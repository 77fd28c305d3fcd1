/**
 * OpenAICompatibleModel against a local mock of the OpenAI API: the exact request bodies it
 * sends (checked field by field against OpenAI's API reference), the parsing of answers with
 * log-probs, bounded concurrency in chatBatch, shape errors, and the key staying secret.
 * The answers below are hand-written in the shape OpenAI documents.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenAICompatibleModel } from './openai.js';
import { ProviderError } from './types.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A mock API: `answer(seen)` returns [status, body]; `delayMs` holds each answer back. */
async function mockAPI(answer: (s: Seen) => [number, unknown], delayMs = 0) {
  const seen: Seen[] = [];
  let active = 0;
  let peak = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      active++;
      peak = Math.max(peak, active);
      const s = { path: req.url!, headers: req.headers, body: JSON.parse(raw || '{}') };
      seen.push(s);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      active--;
      const [status, body] = answer(s);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, peak: () => peak };
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const KEY_ENV = 'ALIGNLAB_TEST_OPENAI_KEY';
const KEY = 'sk-proj-TOPSECRET-0123456789';
beforeEach(() => {
  process.env[KEY_ENV] = KEY;
  return () => {
    delete process.env[KEY_ENV];
  };
});

const chatAnswer = (content: string | null, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null, ...extra }],
  usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 },
});

describe('OpenAICompatibleModel.chat', () => {
  it('sends the conversation and maps every sampling option', async () => {
    const api = await mockAPI(() => [200, chatAnswer('Hi!')]);
    const model = new OpenAICompatibleModel({ baseURL: api.url, model: 'qwen', apiKeyEnv: KEY_ENV });
    const messages = [
      { role: 'system' as const, content: 'Be kind.' },
      { role: 'user' as const, content: 'Hello' },
    ];
    const out = await model.chat(messages, { maxTokens: 12, temperature: 0.5, topP: 0.9, topK: 40, stop: ['\n'], seed: 7 });
    expect(api.seen[0].path).toBe('/v1/chat/completions');
    expect(api.seen[0].headers.authorization).toBe(`Bearer ${KEY}`);
    expect(api.seen[0].body).toEqual({ model: 'qwen', messages, max_tokens: 12, temperature: 0.5, top_p: 0.9, top_k: 40, stop: ['\n'], seed: 7 });
    expect(out).toEqual({ text: 'Hi!', finishReason: 'stop', usage: { promptTokens: 7, completionTokens: 2 } });
    expect(model.id).toBe(`openai:qwen@${new URL(api.url).host}`);
  });

  it('sends only max_tokens (default 256) when no options are given, and no key header without a key', async () => {
    const api = await mockAPI(() => [200, chatAnswer('x')]);
    const model = new OpenAICompatibleModel({ baseURL: `${api.url}/v1/`, model: 'llama3', apiKeyEnv: 'ALIGNLAB_TEST_UNSET_KEY' });
    await model.chat([{ role: 'user', content: 'q' }]);
    expect(api.seen[0].path).toBe('/v1/chat/completions'); // a trailing /v1/ in baseURL is dropped
    expect(api.seen[0].body).toEqual({ model: 'llama3', messages: [{ role: 'user', content: 'q' }], max_tokens: 256 });
    expect(api.seen[0].headers.authorization).toBeUndefined();
  });

  it('asks for and parses log-probs (logprobs.content[] → TokenLogprob)', async () => {
    const logprobs = {
      content: [
        { token: 'Hi', logprob: -0.25, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.25, bytes: [72, 105] }, { token: 'Hello', logprob: -1.5, bytes: [] }] },
        { token: '!', logprob: -0.01, bytes: [33], top_logprobs: [{ token: '!', logprob: -0.01, bytes: [33] }, { token: '.', logprob: -4.6, bytes: [46] }] },
      ],
      refusal: null,
    };
    const api = await mockAPI(() => [200, chatAnswer('Hi!', { logprobs, finish_reason: 'length' })]);
    const model = new OpenAICompatibleModel({ baseURL: api.url, model: 'm', apiKeyEnv: KEY_ENV });
    const out = await model.chat([{ role: 'user', content: 'q' }], { logprobs: true, topLogprobs: 2, maxTokens: 2 });
    expect(api.seen[0].body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(out.finishReason).toBe('length');
    expect(out.tokens).toEqual([
      { token: 'Hi', logprob: -0.25, top: [{ token: 'Hi', logprob: -0.25 }, { token: 'Hello', logprob: -1.5 }] },
      { token: '!', logprob: -0.01, top: [{ token: '!', logprob: -0.01 }, { token: '.', logprob: -4.6 }] },
    ]);
  });

  it('treats null content (e.g. a tool call) as empty text', async () => {
    const api = await mockAPI(() => [200, chatAnswer(null, { finish_reason: 'tool_calls' })]);
    const out = await new OpenAICompatibleModel({ baseURL: api.url, model: 'm' }).chat([{ role: 'user', content: 'q' }]);
    expect(out).toMatchObject({ text: '', finishReason: 'stop' });
  });

  it('names the missing part of an unexpected answer', async () => {
    const api = await mockAPI(() => [200, { choices: [] }]);
    const err = await new OpenAICompatibleModel({ baseURL: api.url, model: 'm' }).chat([{ role: 'user', content: 'q' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toBe(`openai: ${api.url}/v1/chat/completions answered with an unexpected shape: expected choices[0].message.content (a string); got {"choices":[]}`);
  });
});

describe('OpenAICompatibleModel.chatBatch', () => {
  it('runs conversations with bounded concurrency and keeps their order', async () => {
    const api = await mockAPI((s) => [200, chatAnswer(`re: ${(s.body.messages as { content: string }[])[0].content}`)], 40);
    const model = new OpenAICompatibleModel({ baseURL: api.url, model: 'm', concurrency: 2 });
    const convs = Array.from({ length: 5 }, (_, i) => [{ role: 'user' as const, content: `c${i}` }]);
    const out = await model.chatBatch(convs, { temperature: 0 });
    expect(out.map((c) => c.text)).toEqual(['re: c0', 're: c1', 're: c2', 're: c3', 're: c4']);
    expect(api.peak()).toBe(2);
    expect(api.seen.every((s) => s.body.temperature === 0)).toBe(true);
  });
});

describe('OpenAICompatibleModel.complete and embed', () => {
  it('uses /v1/completions with legacy logprobs and sorts the alternatives', async () => {
    const api = await mockAPI(() => [
      200,
      {
        object: 'text_completion',
        choices: [
          {
            index: 0,
            text: ' world',
            finish_reason: 'length',
            logprobs: { tokens: [' world'], token_logprobs: [-0.5], top_logprobs: [{ ' there': -2, ' world': -0.5, '!': -3 }], text_offset: [5] },
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
    ]);
    const model = new OpenAICompatibleModel({ baseURL: api.url, model: 'base' });
    const out = await model.complete('Hello', { maxTokens: 1, logprobs: true, topLogprobs: 3 });
    expect(api.seen[0].path).toBe('/v1/completions');
    expect(api.seen[0].body).toEqual({ model: 'base', prompt: 'Hello', max_tokens: 1, logprobs: 3 });
    expect(out).toEqual({
      text: ' world',
      finishReason: 'length',
      tokens: [{ token: ' world', logprob: -0.5, top: [{ token: ' world', logprob: -0.5 }, { token: ' there', logprob: -2 }, { token: '!', logprob: -3 }] }],
      usage: { promptTokens: 1, completionTokens: 1 },
    });
  });

  it('uses /v1/embeddings and orders vectors by index', async () => {
    const api = await mockAPI(() => [200, { object: 'list', data: [{ index: 1, embedding: [0, 1] }, { index: 0, embedding: [1, 0] }] }]);
    const out = await new OpenAICompatibleModel({ baseURL: api.url, model: 'emb' }).embed(['a', 'b']);
    expect(api.seen[0].body).toEqual({ model: 'emb', input: ['a', 'b'] });
    expect(out).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });
});

describe('OpenAICompatibleModel configuration and secrets', () => {
  it('needs a key for api.openai.com, naming the variable', () => {
    expect(() => new OpenAICompatibleModel({ model: 'gpt-4o-mini', apiKeyEnv: 'ALIGNLAB_TEST_UNSET_KEY' })).toThrow(
      'openai: no API key: set the environment variable ALIGNLAB_TEST_UNSET_KEY (or point baseURL at a local server)',
    );
  });

  it('reports config mistakes by field', () => {
    expect(() => new OpenAICompatibleModel({ baseURL: 'http://x', model: 'm', concurency: 2 } as never)).toThrow(/invalid config: .*concurency/);
    expect(() => new OpenAICompatibleModel({ baseURL: 'http://x', model: 'm', timeoutMs: -1 })).toThrow(/timeoutMs/);
  });

  it('never leaks the key through errors or the model object', async () => {
    const api = await mockAPI((s) => [401, { error: { message: `Incorrect API key provided: ${String(s.headers.authorization).slice(7)}.`, type: 'invalid_request_error', code: 'invalid_api_key' } }]);
    const model = new OpenAICompatibleModel({ baseURL: api.url, model: 'm', apiKeyEnv: KEY_ENV });
    const err = (await model.chat([{ role: 'user', content: 'q' }]).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toBe(`openai: POST ${api.url}/v1/chat/completions failed with HTTP 401: Incorrect API key provided: [redacted].`);
    expect(err.status).toBe(401);
    const everything = [err.stack, JSON.stringify(err, Object.getOwnPropertyNames(err)), inspect(err, { showHidden: true, depth: 10 }), inspect(model, { showHidden: true, depth: 10 }), JSON.stringify(model)].join('\n');
    expect(everything).not.toContain('TOPSECRET');
  });
});
