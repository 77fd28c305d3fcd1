/**
 * AnthropicModel against a local mock of the Messages API (never the real one): headers,
 * the system field, required max_tokens, stop_reason mapping, Anthropic's error shape,
 * retry on 529 (overloaded), and the key staying secret. Answers are hand-written in the
 * shape Anthropic's API reference documents.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicModel } from './anthropic.js';
import { ProviderError } from './types.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

async function mockAPI(answer: (s: Seen, n: number) => [number, unknown]) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const s = { path: req.url!, headers: req.headers, body: JSON.parse(raw || '{}') };
      seen.push(s);
      const [status, body] = answer(s, seen.length - 1);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const KEY = 'sk-ant-api03-HUSHHUSH-abcdef';
beforeEach(() => {
  const before = process.env.ANTHROPIC_API_KEY;
  process.env.ANTHROPIC_API_KEY = KEY;
  return () => {
    if (before === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = before;
  };
});

const message = (texts: string[], stop_reason: string) => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  content: texts.map((text) => ({ type: 'text', text })),
  stop_reason,
  stop_sequence: null,
  usage: { input_tokens: 11, output_tokens: 3 },
});

describe('AnthropicModel.chat', () => {
  it('sends headers, the system field, max_tokens and sampling options', async () => {
    const api = await mockAPI(() => [200, message(['Paris', '.'], 'end_turn')]);
    const model = new AnthropicModel({ baseURL: api.url, model: 'claude-test' });
    const out = await model.chat(
      [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: 'It is' },
        { role: 'system', content: 'No lists.' },
      ],
      { maxTokens: 20, temperature: 0, topP: 0.8, topK: 5, stop: ['\n\n'], seed: 3 },
    );
    const seen = api.seen[0];
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe(KEY);
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.body).toEqual({
      model: 'claude-test',
      max_tokens: 20,
      system: 'Answer briefly.\n\nNo lists.',
      messages: [
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: 'It is' },
      ],
      temperature: 0,
      top_p: 0.8,
      top_k: 5,
      stop_sequences: ['\n\n'],
    });
    expect(out).toEqual({ text: 'Paris.', finishReason: 'stop', usage: { promptTokens: 11, completionTokens: 3 } });
    expect(model.id).toBe('anthropic:claude-test');
  });

  it('always sends max_tokens (default 256) and never asks for log-probs', async () => {
    const api = await mockAPI(() => [200, message(['ok'], 'end_turn')]);
    const out = await new AnthropicModel({ baseURL: api.url, model: 'c' }).chat([{ role: 'user', content: 'q' }], { logprobs: true, topLogprobs: 5 });
    expect(api.seen[0].body).toEqual({ model: 'c', max_tokens: 256, messages: [{ role: 'user', content: 'q' }] });
    expect(out.tokens).toBeUndefined();
  });

  it('maps stop_reason to finishReason', async () => {
    const reasons: [string, string][] = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
    ];
    const api = await mockAPI((_s, n) => [200, message(['x'], reasons[n][0])]);
    const model = new AnthropicModel({ baseURL: api.url, model: 'c' });
    for (const [, expected] of reasons) expect((await model.chat([{ role: 'user', content: 'q' }])).finishReason).toBe(expected);
  });

  it("shows Anthropic's error message and status, without retrying a 400", async () => {
    const api = await mockAPI(() => [400, { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 250000 tokens > 200000 maximum' } }]);
    const err = await new AnthropicModel({ baseURL: api.url, model: 'c' }).chat([{ role: 'user', content: 'q' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(400);
    expect((err as Error).message).toBe(`anthropic: POST ${api.url}/v1/messages failed with HTTP 400: prompt is too long: 250000 tokens > 200000 maximum`);
    expect(api.seen).toHaveLength(1);
  });

  it('retries 529 overloaded, then succeeds', async () => {
    const api = await mockAPI((_s, n) => (n === 0 ? [529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }] : [200, message(['fine'], 'end_turn')]));
    const out = await new AnthropicModel({ baseURL: api.url, model: 'c', retryBaseMs: 1 }).chat([{ role: 'user', content: 'q' }]);
    expect(out.text).toBe('fine');
    expect(api.seen).toHaveLength(2);
  });

  it('names the missing part of an unexpected answer', async () => {
    const api = await mockAPI(() => [200, { type: 'message' }]);
    const err = await new AnthropicModel({ baseURL: api.url, model: 'c' }).chat([{ role: 'user', content: 'q' }]).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/answered with an unexpected shape: expected content\[\] \(an array of blocks\); got \{"type":"message"\}/);
  });
});

describe('AnthropicModel keys', () => {
  it('needs ANTHROPIC_API_KEY, and says so', () => {
    delete process.env.ANTHROPIC_API_KEY;
    expect(() => new AnthropicModel({ model: 'c' })).toThrow('anthropic: no API key: set the environment variable ANTHROPIC_API_KEY');
  });

  it('never leaks the key through errors or the model object', async () => {
    const api = await mockAPI((s) => [401, { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${String(s.headers['x-api-key'])}` } }]);
    const model = new AnthropicModel({ baseURL: api.url, model: 'c' });
    const err = (await model.chat([{ role: 'user', content: 'q' }]).catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toMatch(/HTTP 401: invalid x-api-key \[redacted\]$/);
    const everything = [err.stack, JSON.stringify(err, Object.getOwnPropertyNames(err)), inspect(err, { showHidden: true, depth: 10 }), inspect(model, { showHidden: true, depth: 10 }), JSON.stringify(model)].join('\n');
    expect(everything).not.toContain('HUSHHUSH');
  });
});
