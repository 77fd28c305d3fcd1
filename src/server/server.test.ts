/**
 * The OpenAI-compatible server, checked with the stock `openai` npm client as the reference
 * for the wire format: if OpenAI's own client parses our answers, chunks and log-probs, other
 * clients will too. The model behind it is EchoModel, whose answers are known exactly
 * (reversed last user message, one token per character, log-prob -((codePoint % 7) + 1) / 8),
 * so every expected value below is written out by hand rather than taken from the server.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAICompatibleModel } from '../providers/openai.js';
import { EchoModel } from './echo-model.js';
import { type RunningServer, startServer } from './server.js';

/** The echo model's log-prob for a character, computed independently of echo-model.ts. */
const lp = (ch: string) => -((ch.codePointAt(0)! % 7) + 1) / 8;

let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startServer({ model: new EchoModel(), port: 0 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('GET /v1/models', () => {
  it('lists the one model served, under its id', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['echo']);
    expect((await client.models.retrieve('echo')).id).toBe('echo');
  });

  it('finds a model whose name holds slashes, encoded or not', async () => {
    const named = await startServer({ model: new EchoModel(), port: 0, modelName: 'local:runs/sft' });
    try {
      const c = new OpenAI({ baseURL: `${named.url}/v1`, apiKey: 'test', maxRetries: 0 });
      expect((await c.models.retrieve('local:runs/sft')).id).toBe('local:runs/sft');
      const raw = (await (await fetch(`${named.url}/v1/models/local:runs/sft`)).json()) as { id: string };
      expect(raw.id).toBe('local:runs/sft');
      const r = await c.chat.completions.create({ model: 'local:runs/sft', messages: [{ role: 'user', content: 'ok' }] });
      expect(r.model).toBe('local:runs/sft');
    } finally {
      await named.close();
    }
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers with the model text, finish reason and usage', async () => {
    const r = await client.chat.completions.create({
      model: 'echo',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello world' },
      ],
    });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('echo');
    expect(r.choices[0].message).toMatchObject({ role: 'assistant', content: 'dlrow olleh' });
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.choices[0].logprobs).toBeNull();
    // prompt = 'Be brief.' + 'hello world' = 9 + 11 characters
    expect(r.usage).toEqual({ prompt_tokens: 20, completion_tokens: 11, total_tokens: 31 });
  });

  it('maps max_tokens (finish_reason length), stop, and text content parts', async () => {
    const short = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'abcdef' }], max_tokens: 3 });
    expect(short.choices[0]).toMatchObject({ message: { content: 'fed' }, finish_reason: 'length' });
    const newer = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'abcdef' }], max_completion_tokens: 2 });
    expect(newer.choices[0].message.content).toBe('fe');
    const stopped = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'abcdef' }], stop: ['c', 'zz'] });
    expect(stopped.choices[0]).toMatchObject({ message: { content: 'fed' }, finish_reason: 'stop' });
    const parts = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'ab' }, { type: 'text', text: 'cd' }] }],
    });
    expect(parts.choices[0].message.content).toBe('dc\nba');
  });

  it('passes log-probs through as choices[0].logprobs.content', async () => {
    const r = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'aé👋' }],
      logprobs: true,
      top_logprobs: 2,
    });
    expect(r.choices[0].message.content).toBe('👋éa');
    const content = r.choices[0].logprobs!.content!;
    expect(content.map((t) => t.token)).toEqual(['👋', 'é', 'a']);
    expect(content.map((t) => t.logprob)).toEqual([lp('👋'), lp('é'), lp('a')]);
    expect(content[0].bytes).toEqual([0xf0, 0x9f, 0x91, 0x8b]);
    expect(content[1].top_logprobs).toEqual([
      { token: 'é', logprob: lp('é'), bytes: [0xc3, 0xa9] },
      { token: '<alt1>', logprob: lp('é') - 1, bytes: [...Buffer.from('<alt1>')] },
    ]);
  });

  it('streams chat.completion.chunks over SSE that add up to the same answer', async () => {
    const stream = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('olleh');
    const tokens = chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
    expect(tokens.map((t) => [t.token, t.logprob])).toEqual([...'olleh'].map((ch) => [ch, lp(ch)]));
    const finishes = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean);
    expect(finishes).toEqual(['stop']);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
  });

  it('streams without logprobs as one content chunk, ending in data: [DONE]', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'abc' }], stream: true, max_tokens: 2 }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'cb' }, {}]);
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, 'length']);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });
});

describe('POST /v1/completions', () => {
  it('continues raw text, with legacy log-probs', async () => {
    const r = await client.completions.create({ model: 'echo', prompt: 'abc', max_tokens: 10, logprobs: 2 });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0]).toMatchObject({ index: 0, text: 'cba', finish_reason: 'stop' });
    expect(r.choices[0].logprobs).toEqual({
      tokens: ['c', 'b', 'a'],
      token_logprobs: [lp('c'), lp('b'), lp('a')],
      top_logprobs: [
        { c: lp('c'), '<alt1>': lp('c') - 1 },
        { b: lp('b'), '<alt1>': lp('b') - 1 },
        { a: lp('a'), '<alt1>': lp('a') - 1 },
      ],
      text_offset: [0, 1, 2],
    });
    expect(r.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  });

  it('answers an array of prompts with one choice each', async () => {
    const r = await client.completions.create({ model: 'echo', prompt: ['ab', 'xyz'], max_tokens: 2 });
    expect(r.choices.map((c) => [c.index, c.text, c.finish_reason])).toEqual([
      [0, 'ba', 'stop'],
      [1, 'zy', 'length'],
    ]);
  });

  it('streams text_completion chunks', async () => {
    const stream = await client.completions.create({ model: 'echo', prompt: 'hey', stream: true, logprobs: 0, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('yeh');
    expect(chunks.flatMap((c) => c.choices[0]?.logprobs?.token_logprobs ?? [])).toEqual([lp('y'), lp('e'), lp('h')]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  });
});

describe('round trip through OpenAICompatibleModel', () => {
  it('gives back exactly what the model behind the server answers', async () => {
    const direct = new EchoModel();
    const remote = new OpenAICompatibleModel({ baseURL: `${server.url}/v1`, model: 'echo', apiKeyEnv: 'ALIGNLAB_TEST_NO_SUCH_KEY' });
    const messages = [{ role: 'user' as const, content: 'round trip ✓' }];
    const opts = { maxTokens: 8, logprobs: true, topLogprobs: 3 };
    expect(await remote.chat(messages, opts)).toEqual(await direct.chat(messages, opts));
    expect(await remote.complete('prompt', opts)).toEqual(await direct.complete('prompt', opts));
    expect(await remote.chatBatch([messages, [{ role: 'user', content: 'b' }]], {})).toEqual(await direct.chatBatch([messages, [{ role: 'user', content: 'b' }]], {}));
  });
});
