/**
 * Every error answer of the server: status, OpenAI's `{error: {message, type, param, code}}`
 * shape, and a message that names what was wrong. Raw `fetch` is used so malformed requests
 * can be sent; one case goes through the stock `openai` client to show it surfaces our errors.
 */
import { request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoModel } from './echo-model.js';
import { type RunningServer, startServer } from './server.js';

let server: RunningServer;
let bare: RunningServer;

beforeAll(async () => {
  server = await startServer({ model: new EchoModel({ contextTokens: 100, failOn: 'CRASH' }), port: 0, maxBodyBytes: 2000 });
  const echo = new EchoModel();
  bare = await startServer({ model: { id: 'chat-only', chat: echo.chat.bind(echo) }, port: 0 });
});
afterAll(async () => {
  await server.close();
  await bare.close();
});

interface ErrorAnswer {
  status: number;
  headers: Headers;
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function call(path: string, body?: unknown, init: RequestInit = {}, base = server.url): Promise<ErrorAnswer> {
  const res = await fetch(base + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  const json = (await res.json()) as { error: ErrorAnswer['error'] };
  expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return { status: res.status, headers: res.headers, error: json.error };
}

const chat = (extra: Record<string, unknown>) => ({ model: 'echo', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('400: the request body', () => {
  it('refuses invalid JSON, an empty body and a non-object', async () => {
    const bad = await call('/v1/chat/completions', '{"model": "echo", ');
    expect(bad.status).toBe(400);
    expect(bad.error.type).toBe('invalid_request_error');
    expect(bad.error.message).toMatch(/not valid JSON/);
    expect((await call('/v1/chat/completions', '')).error.message).toMatch(/empty/);
    expect((await call('/v1/chat/completions', '[1, 2]')).error.message).toMatch(/must be a JSON object/);
  });

  it('names a missing field', async () => {
    const noMessages = await call('/v1/chat/completions', { model: 'echo' });
    expect(noMessages).toMatchObject({ status: 400, error: { param: 'messages', message: "'messages' is required" } });
    const noModel = await call('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] });
    expect(noModel.error).toMatchObject({ param: 'model', message: "'model' is required" });
    const noPrompt = await call('/v1/completions', { model: 'echo' });
    expect(noPrompt.error).toMatchObject({ param: 'prompt', message: "'prompt' is required" });
  });

  it('names an invalid field by its path', async () => {
    const cases: [unknown, string, RegExp][] = [
      [chat({ temperature: 3 }), 'temperature', /<=2/],
      [chat({ max_tokens: 0 }), 'max_tokens', />=1/],
      [chat({ top_logprobs: 50, logprobs: true }), 'top_logprobs', /<=20/],
      [chat({ stop: 7 }), 'stop', /string or an array of strings/],
      [chat({ messages: [] }), 'messages', />=1/],
      [chat({ messages: [{ role: 'user', content: 'ok' }, { role: 'tool', content: 'x' }] }), 'messages[1].role', /"tool" is not supported/],
      [chat({ messages: [{ role: 'user', content: 5 }] }), 'messages[0].content', /string or an array/],
      [chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }), 'messages[0].content[0].type', /only "text" parts/],
      [chat({ n: 2 }), 'n', /only n = 1/],
      [chat({ tools: [{ type: 'function' }] }), 'tools', /not supported/],
      [chat({ response_format: { type: 'json_object' } }), 'response_format', /only "text"/],
      [chat({ top_logprobs: 2 }), 'top_logprobs', /requires logprobs: true/],
      [{ model: 'echo', prompt: [1, 2, 3] }, 'prompt', /token-id prompts are not supported/],
      [{ model: 'echo', prompt: 'x', echo: true }, 'echo', /not supported/],
    ];
    for (const [body, param, message] of cases) {
      const path = 'prompt' in (body as object) ? '/v1/completions' : '/v1/chat/completions';
      const r = await call(path, body);
      expect({ param: r.error.param, status: r.status }).toEqual({ param, status: 400 });
      expect(r.error.message).toMatch(message);
    }
  });

  it('answers a prompt longer than the context with a 400 from the model', async () => {
    const r = await call('/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'x'.repeat(150) }] }));
    expect(r.status).toBe(400);
    expect(r.error.message).toBe('echo: the prompt is 150 tokens, longer than the context window of 100 tokens');
    // …and the stock client raises its BadRequestError with our message.
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
    const err = await client.completions.create({ model: 'echo', prompt: 'y'.repeat(101) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/context window of 100 tokens/);
  });

  it('refuses /v1/completions for a model without complete', async () => {
    const r = await call('/v1/completions', { model: 'chat-only', prompt: 'x' }, {}, bare.url);
    expect(r).toMatchObject({ status: 400, error: { param: 'model', message: expect.stringMatching(/does not do raw text completion/) } });
  });
});

describe('404, 405, 413 and 500', () => {
  it('404 for an unknown model, naming the one served', async () => {
    const r = await call('/v1/chat/completions', chat({ model: 'gpt-4o' }));
    expect(r).toMatchObject({ status: 404, error: { param: 'model', code: 'model_not_found' } });
    expect(r.error.message).toBe("The model 'gpt-4o' does not exist; this server serves 'echo'");
    expect((await call('/v1/models/gpt-4o')).status).toBe(404);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('404 for an unknown path', async () => {
    const r = await call('/v1/engines', { prompt: 'x' });
    expect(r).toMatchObject({ status: 404, error: { code: 'unknown_url' } });
    expect(r.error.message).toMatch(/unknown path \/v1\/engines/);
  });

  it('405 for a wrong method, with an Allow header', async () => {
    const r = await call('/v1/chat/completions');
    expect(r).toMatchObject({ status: 405, error: { code: 'method_not_allowed' } });
    expect(r.headers.get('allow')).toBe('POST');
    const del = await call('/v1/models', undefined, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
  });

  it('413 for a body over the limit, declared or streamed', async () => {
    const big = JSON.stringify(chat({ messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
    const declared = await call('/v1/chat/completions', big);
    expect(declared).toMatchObject({ status: 413, error: { code: 'request_too_large' } });
    expect(declared.error.message).toBe('the request body is larger than the limit of 2000 bytes');

    // Chunked transfer encoding: no Content-Length, so the limit is enforced while reading.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${server.url}/v1/chat/completions`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write(big.slice(i * 1000, (i + 1) * 1000));
      req.end(big.slice(5000));
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).error.code).toBe('request_too_large');
  });

  it('500 when the model fails unexpectedly', async () => {
    const r = await call('/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'CRASH' }] }));
    expect(r).toMatchObject({ status: 500, error: { type: 'server_error', message: 'the model failed: echo model crashed (failOn matched)' } });
  });
});
