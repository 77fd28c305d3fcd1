/**
 * Dynamic batching: counted through EchoModel.batchSizes (the size of every chatBatch call),
 * both behind the HTTP server with concurrent `openai` client requests and on the batcher alone.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../providers/types.js';
import { ProviderError } from '../providers/types.js';
import { ChatBatcher, optionsKey } from './batcher.js';
import { EchoModel } from './echo-model.js';
import { startServer } from './server.js';

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];
const reverse = (s: string) => [...s].reverse().join('');

describe('batching behind the server', () => {
  it('answers N concurrent requests with one chatBatch call, each getting its own answer', async () => {
    const model = new EchoModel();
    // A generous window: on a busy 2-core machine the 8 requests may take a while to arrive.
    const server = await startServer({ model, port: 0, batchWindowMs: 300 });
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
      const prompts = Array.from({ length: 8 }, (_, i) => `request number ${i}`);
      const answers = await Promise.all(prompts.map((p) => client.chat.completions.create({ model: 'echo', messages: user(p), temperature: 0 })));
      expect(answers.map((a) => a.choices[0].message.content)).toEqual(prompts.map(reverse));
      expect(model.batchSizes).toEqual([8]);
      expect(model.chatCalls).toBe(0);
      expect(server.stats).toMatchObject({ batches: 1, conversations: 8, largest: 8 });
    } finally {
      await server.close();
    }
  });

  it('batches only requests with the same sampling settings', async () => {
    const model = new EchoModel();
    const server = await startServer({ model, port: 0, batchWindowMs: 300, maxConcurrentBatches: 2 });
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
      await Promise.all(
        Array.from({ length: 6 }, (_, i) => client.chat.completions.create({ model: 'echo', messages: user(`q${i}`), temperature: i % 2 === 0 ? 0 : 0.7 })),
      );
      expect(model.batchSizes).toEqual([3, 3]);
    } finally {
      await server.close();
    }
  });

  it('gives a too-long prompt its 400 without failing the requests batched with it', async () => {
    const model = new EchoModel({ contextTokens: 20 });
    const server = await startServer({ model, port: 0, batchWindowMs: 300 });
    try {
      const post = (content: string) =>
        fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo', messages: user(content) }),
        });
      const [ok1, tooLong, ok2] = await Promise.all([post('short'), post('x'.repeat(30)), post('fine')]);
      expect(model.batchSizes).toEqual([3]); // one batch, which the model rejected as a whole
      expect([ok1.status, tooLong.status, ok2.status]).toEqual([200, 400, 200]);
      expect(((await ok2.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('enif');
      expect(((await tooLong.json()) as { error: { message: string } }).error.message).toMatch(/longer than the context window of 20/);
    } finally {
      await server.close();
    }
  });
});

describe('ChatBatcher', () => {
  it('splits at maxBatch', async () => {
    const model = new EchoModel();
    const batcher = new ChatBatcher(model, { windowMs: 50, maxBatch: 3, maxConcurrent: 4 });
    const out = await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.submit(user(`m${i}`), {})));
    expect(out.map((c) => c.text)).toEqual(Array.from({ length: 7 }, (_, i) => `${i}m`));
    expect(model.batchSizes).toEqual([3, 3, 1]);
  });

  it('lets a waiting batch grow while the model is busy', async () => {
    const model = new EchoModel({ delayMs: 200 });
    const batcher = new ChatBatcher(model, { windowMs: 0, maxConcurrent: 1 });
    const first = batcher.submit(user('first'), {});
    await new Promise((r) => setTimeout(r, 20)); // the first batch is now running
    const later = Array.from({ length: 5 }, (_, i) => batcher.submit(user(`later ${i}`), {}));
    await Promise.all([first, ...later]);
    expect(model.batchSizes).toEqual([1, 5]);
  });

  it('calls chat once per request for a model without chatBatch', async () => {
    const echo = new EchoModel();
    const batcher = new ChatBatcher({ id: 'plain', chat: echo.chat.bind(echo) });
    const out = await Promise.all([batcher.submit(user('ab'), {}), batcher.submit(user('cd'), {})]);
    expect(out.map((c) => c.text)).toEqual(['ba', 'dc']);
    expect(echo.chatCalls).toBe(2);
    expect(batcher.stats.batches).toBe(0);
  });

  it('rejects a lone request with the model error, untouched', async () => {
    const batcher = new ChatBatcher(new EchoModel({ contextTokens: 3 }), { windowMs: 0 });
    const err = await batcher.submit(user('too long'), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(400);
  });

  it('keys options independently of field order', () => {
    expect(optionsKey({ temperature: 0, maxTokens: 5 })).toBe(optionsKey({ maxTokens: 5, temperature: 0, seed: undefined }));
    expect(optionsKey({ temperature: 0 })).not.toBe(optionsKey({ temperature: 0.5 }));
  });
});
