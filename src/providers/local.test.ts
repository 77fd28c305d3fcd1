/**
 * The end-to-end check of the model toolkit: a model trained with the engine (tokenizer +
 * a few SFT steps), saved as a model directory, loaded by the local provider, served over the
 * OpenAI-compatible API and queried with the stock `openai` client. Log-probs returned over
 * the wire must equal a full forward pass over the same text (the provider's `score`).
 */
import OpenAI from 'openai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainBpe, saveTokenizer } from '../tokenizer/index.js';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { saveModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { Trainer, trainConfig } from '../train/trainer.js';
import { chatExample, sftBatches } from '../train/sft.js';
import { Rng } from '../util/rng.js';
import { LocalModel } from './local.js';
import { startServer, type RunningServer } from '../server/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-local-'));
let model: LocalModel;
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  const convs = Array.from({ length: 40 }, (_, i) => [
    { role: 'user' as const, content: `Where is order ${100 + i}?` },
    { role: 'assistant' as const, content: `Order ${100 + i} ships tomorrow.` },
  ]);
  const tok = trainBpe(convs.flatMap((c) => c.map((m) => m.content)), { vocabSize: 300 });
  await saveTokenizer(tok, dir);
  const cfg = llamaConfig({ vocabSize: tok.vocabSize, dModel: 32, nLayers: 2, nHeads: 4, dFF: 64, maxSeqLen: 64 });
  const lm = LlamaModel.init(cfg, { seed: 1, runtime: new Runtime({ threads: 1 }) });
  const trainer = new Trainer(lm, trainConfig({ lr: 1e-2, totalSteps: 10 }));
  const batches = sftBatches(convs.map((c) => chatExample(tok, c, 0.1)), { tokensPerBatch: 1024, maxLen: 64, padId: tok.padTokenId ?? 0, rng: new Rng(1) });
  for (let s = 0; s < 10; s++) await trainer.step([batches[s % batches.length]]);
  saveModel(dir, lm);
  model = await LocalModel.load(dir, { threads: 1 });
  server = await startServer({ model, port: 0, modelName: 'tiny' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  await model.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('an engine-trained model behind the OpenAI-compatible server', () => {
  it('answers chat completions with log-probs equal to a full forward pass', async () => {
    const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Where is order 7?' }], max_tokens: 12, temperature: 0, logprobs: true, top_logprobs: 2 });
    const choice = r.choices[0];
    expect(typeof choice.message.content).toBe('string');
    const toks = choice.logprobs!.content!;
    expect(toks.length).toBeGreaterThan(0);
    expect(toks[0].top_logprobs.length).toBe(2);
    // The same greedy reply through the provider directly carries token ids; scoring those ids
    // by teacher forcing (one full forward pass) must give the log-probs sent over the wire.
    const messages = [{ role: 'user' as const, content: 'Where is order 7?' }];
    const direct = await model.chat(messages, { maxTokens: 12, temperature: 0, logprobs: true });
    expect(direct.text).toBe(choice.message.content);
    const promptIds = model.tokenizer.encodeChat(messages, { addGenerationPrompt: true }).ids;
    const scored = await model.scoreIds(promptIds, direct.tokens!.map((t) => t.id!));
    expect(scored.tokens.length).toBe(toks.length);
    scored.tokens.forEach((t, i) => expect(Math.abs(t.logprob - toks[i].logprob)).toBeLessThan(1e-4));
    // Greedy: the first token is the most likely one.
    expect(toks[0].logprob).toBeCloseTo(toks[0].top_logprobs[0].logprob, 5);
  });

  it('streams the same text it returns without streaming', async () => {
    const req = { model: 'tiny', messages: [{ role: 'user' as const, content: 'Where is order 12?' }], max_tokens: 10, temperature: 0 };
    const full = await client.chat.completions.create(req);
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ ...req, stream: true })) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe(full.choices[0].message.content);
  });

  it('answers a prompt longer than the context with a 400', async () => {
    await expect(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'order '.repeat(200) }], max_tokens: 8 })).rejects.toMatchObject({ status: 400 });
  });
});
