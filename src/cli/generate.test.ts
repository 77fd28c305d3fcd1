/**
 * `alignlab generate`: greedy output checked against an independent greedy loop over the float64
 * reference forward pass (model/reference.ts); the llama.cpp backend, where node-llama-cpp can be
 * resolved (e.g. NODE_PATH=/tmp/llcpp/node_modules), must agree with it token for token.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands, { NODE_LLAMA_CPP } from './generate.js';
import { llamaConfig } from '../model/config.js';
import { ParamSet, llamaParamSpecs } from '../model/params.js';
import { LlamaModel } from '../model/model.js';
import { saveModel } from '../model/checkpoint.js';
import { referenceLogits } from '../model/reference.js';
import { trainBpe, saveTokenizer } from '../tokenizer/index.js';
import { Rng } from '../util/rng.js';

const ctx = { json: true, log: () => {}, print: () => {} };
const cmd = commands.find((c) => c.path.join(' ') === 'generate')!;
const defaults = { 'max-new': 6, greedy: true, temperature: 1, seed: 0, chat: false, backend: 'local', threads: 1 };
const run = (dir: string, o: Record<string, string | number | boolean>) => cmd.run({ ...defaults, ...o }, [dir], ctx);

const tok = trainBpe(['the customer wants a refund for the late order; the agent is sorry and helps.'], { vocabSize: 300, minFrequency: 1 });
const cfg = llamaConfig({ vocabSize: tok.vocabSize, dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 48, maxSeqLen: 40, attentionBias: true });
/** Weights large enough (std 0.5) that greedy choices are far from ties. */
const params = new ParamSet(llamaParamSpecs(cfg)).initialize(new Rng(11));
for (const s of params.specs) if (!s.name.endsWith('norm.weight')) new Rng(s.name.length * 7919 + params.offsets.get(s.name)!).fillNormal(params.get(s.name), 0.5);

/** Greedy decoding with the float64 reference forward pass, recomputed from scratch each step. */
function referenceGreedy(prompt: number[], maxNew: number, stop: number[] = []): number[] {
  const seq = [...prompt];
  const out: number[] = [];
  for (let s = 0; s < maxNew; s++) {
    const logits = referenceLogits(cfg, (n) => params.get(n), seq);
    const last = logits[logits.length - 1]!;
    const next = last.indexOf(Math.max(...last));
    out.push(next);
    seq.push(next);
    if (stop.includes(next)) break;
  }
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-generate-'));
  saveModel(dir, new LlamaModel(cfg, params));
  await saveTokenizer(tok, dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('alignlab generate (local)', () => {
  it('--ids, greedy: the reference greedy tokens', async () => {
    const r = await run(dir, { ids: '5,17,99,3', 'max-new': 6 });
    expect(r.promptTokens).toEqual([5, 17, 99, 3]);
    expect(r.tokens).toEqual(referenceGreedy([5, 17, 99, 3], 6, [tok.eosTokenId!]));
    expect(r.text).toBe(tok.decode(r.finishReason === 'stop' ? (r.tokens as number[]).slice(0, -1) : (r.tokens as number[])));
  });

  it('--prompt is encoded with the tokenizer; --chat wraps it in the chat template', async () => {
    const plain = await run(dir, { prompt: 'the refund' });
    expect(plain.promptTokens).toEqual(tok.encode('the refund'));
    expect(plain.tokens).toEqual(referenceGreedy(tok.encode('the refund'), 6, [tok.eosTokenId!]));
    const chat = await run(dir, { prompt: 'the refund', chat: true });
    const ids = tok.encodeChat([{ role: 'user', content: 'the refund' }], { addGenerationPrompt: true }).ids;
    expect(chat.promptTokens).toEqual(ids);
    expect(chat.tokens).toEqual(referenceGreedy(ids, 6, tok.chatTemplate!.stopTokenIds));
  });

  it('sampling is reproducible from --seed', async () => {
    const a = await run(dir, { ids: '1,2,3', greedy: false, temperature: 1.5, seed: 4 });
    const b = await run(dir, { ids: '1,2,3', greedy: false, temperature: 1.5, seed: 4 });
    expect(a.tokens).toEqual(b.tokens);
  });

  it('a prompt longer than the context is one clear error', async () => {
    const long = 'the customer wants a refund for the late order; '.repeat(4);
    const n = tok.encode(long).length;
    expect(n).toBeGreaterThan(cfg.maxSeqLen);
    await expect(run(dir, { prompt: long, 'max-new': 8 })).rejects.toThrow(`the prompt has ${n} tokens; with --max-new 8 that exceeds the model's context length 40`);
    await expect(run(dir, { ids: Array(36).fill(5).join(','), 'max-new': 5 })).rejects.toThrow("the prompt has 36 tokens; with --max-new 5 that exceeds the model's context length 40");
  });

  it('needs exactly one of --prompt and --ids', async () => {
    await expect(cmd.run({ ...defaults }, [dir], ctx)).rejects.toThrow('give exactly one of --prompt TEXT or --ids 1,2,3');
    await expect(run(dir, { prompt: 'x', ids: '1' })).rejects.toThrow('give exactly one of --prompt TEXT or --ids 1,2,3');
  });
});

const hasLlamaCpp = (() => {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
    return true;
  } catch {
    return false;
  }
})();

describe('alignlab generate --backend llamacpp', () => {
  it.skipIf(hasLlamaCpp)('without node-llama-cpp: one line saying how to install it', async () => {
    await expect(run(dir, { ids: '5,17', backend: 'llamacpp' })).rejects.toThrow(`--backend llamacpp needs node-llama-cpp, which is not installed: run \`npm i -E ${NODE_LLAMA_CPP}\``);
  });

  it.skipIf(!hasLlamaCpp)('greedy tokens agree with the local engine (plain and chat)', async () => {
    const cases: Record<string, string | boolean>[] = [{ ids: '5,17,99,3' }, { prompt: 'the refund', chat: true }];
    for (const o of cases) {
      const local = await run(dir, { ...o, 'max-new': 10 });
      const llamacpp = await run(dir, { ...o, 'max-new': 10, backend: 'llamacpp' });
      expect(llamacpp.promptTokens).toEqual(local.promptTokens);
      expect(llamacpp.tokens).toEqual(local.tokens);
      expect(llamacpp.text).toBe(local.text);
    }
  });
});
