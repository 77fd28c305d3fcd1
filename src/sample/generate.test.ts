import { describe, expect, it, afterAll } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { generate, logSoftmaxRow, sampleToken } from './generate.js';

const rt = new Runtime({ threads: 1 });
afterAll(() => rt.release());

function model(nKVHeads = 2) {
  const cfg = llamaConfig({ vocabSize: 40, dModel: 16, nLayers: 2, nHeads: 4, nKVHeads, dFF: 32, maxSeqLen: 64 });
  const m = LlamaModel.init(cfg, { seed: 4, runtime: rt });
  const rng = new Rng(8);
  for (const s of m.params.specs) {
    const v = m.params.get(s.name);
    for (let i = 0; i < v.length; i++) v[i] = s.name.includes('norm') ? 1 + 0.2 * rng.normal() : 0.4 * rng.normal();
  }
  return m;
}

/** log p(token_t | prefix) from one full forward pass over prompt + generated tokens. */
async function fullForwardLogprobs(m: LlamaModel, prompt: number[], tokens: number[]): Promise<number[]> {
  const seq = [...prompt, ...tokens];
  const { logits } = await m.forward([seq.slice(0, -1)]);
  const V = m.cfg.vocabSize;
  const lp = new Float64Array(V);
  return tokens.map((t, j) => {
    const row = prompt.length - 1 + j;
    logSoftmaxRow(logits!.subarray(row * V, (row + 1) * V), lp);
    return lp[t];
  });
}

describe('generate (KV cache, batched, left-padded)', () => {
  it('log-probs of sampled tokens equal a full forward pass to 1e-4', async () => {
    const m = model();
    // Repeated prompts share one prefill row; their samples still differ and stay exact.
    const prompts = [[1, 2, 3], [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], [5], [1, 2, 3], [1, 2, 3]];
    const out = await generate(m, prompts, { maxNewTokens: 20, temperature: 1.3, topK: 12, topP: 0.95, seed: 3 });
    expect(out[3].tokens).not.toEqual(out[4].tokens);
    for (let b = 0; b < prompts.length; b++) {
      expect(out[b].tokens.length).toBe(20);
      const ref = await fullForwardLogprobs(m, prompts[b], out[b].tokens);
      for (let j = 0; j < ref.length; j++) expect(Math.abs(out[b].logprobs[j] - ref[j])).toBeLessThan(1e-4);
    }
  });

  it('a batch whose rows stop at different steps goes on with the unfinished rows only, each row as it would run alone', async () => {
    // A runtime of its own, so the decode graphs it holds are this test's.
    const own = new Runtime({ threads: 1 });
    const base = model();
    const m = new LlamaModel(base.cfg, base.params, own);
    const rng = new Rng(12);
    // 24 distinct prompts (padded to P = 16); three stop tokens end the rows at scattered
    // steps, so the batch of 24 is compacted (to 16, then 8) while long rows go on past the
    // cache's growth to 32 slots.
    const prompts = Array.from({ length: 24 }, (_, i) => Array.from({ length: 2 + ((i * 5) % 11) }, () => 1 + rng.int(38)));
    const opts = { maxNewTokens: 40, temperature: 1, seed: 21, stopTokenIds: [3, 17, 29], topLogprobs: 3 };
    const out = await generate(m, prompts, opts);
    const lengths = out.map((g) => g.tokens.length);
    expect(Math.min(...lengths)).toBeLessThan(8);
    expect(lengths.filter((n) => n > 20).length).toBeGreaterThan(0);
    expect(lengths.filter((n) => n > 20).length).toBeLessThanOrEqual(8);
    expect(own.keys().filter((k) => /:decode:(\d+):\1:16:32$/.test(k)).map((k) => Number(k.split(':decode:')[1].split(':')[0]))).toContain(8);
    // Again with the same parameters: the decode graphs, compacted sizes included, now have the weights compiled in.
    const again = await generate(m, prompts, opts);
    expect(own.keys().some((k) => /:decode:8:8:16:32:frozen/.test(k))).toBe(true);
    expect(again.map((g) => g.tokens)).toEqual(out.map((g) => g.tokens));
    for (let b = 0; b < prompts.length; b++) {
      const [alone] = await generate(m, [prompts[b]], { ...opts, rowStreams: [b] });
      expect(out[b].tokens).toEqual(alone.tokens);
      expect(out[b].finishReason).toBe(alone.finishReason);
      out[b].logprobs.forEach((lp, j) => expect(Math.abs(lp - alone.logprobs[j])).toBeLessThan(1e-5));
      expect(out[b].top!.map((t) => t.map((a) => a.id))).toEqual(alone.top!.map((t) => t.map((a) => a.id)));
      const ref = await fullForwardLogprobs(m, prompts[b], out[b].tokens);
      ref.forEach((r, j) => expect(Math.abs(out[b].logprobs[j] - r)).toBeLessThan(1e-4));
    }
    // shouldStop sees each row by its index in the call, compacted or not.
    const wanted = prompts.map((_, b) => 3 + ((b * 7) % 30));
    const byRow = await generate(m, prompts, { maxNewTokens: 40, temperature: 1, seed: 2, shouldStop: (row, toks) => toks.length >= wanted[row] });
    expect(byRow.map((g) => g.tokens.length)).toEqual(wanted);
    await own.release();
  });

  it('a batch of more distinct prompts than one prefill run takes (prefilled in chunks by length) equals a full forward pass, at every temperature', async () => {
    const m = model();
    // 45 distinct prompts of 1–40 tokens in scrambled order, two of them sampled twice (rows
    // then share a prefill row): chunks of 16 by length (the last 13 prompts padded to 40).
    const rng = new Rng(5);
    const distinct = Array.from({ length: 45 }, (_, i) => Array.from({ length: 1 + ((i * 17) % 40) }, () => 1 + rng.int(38)));
    for (const temperature of [1, 0.8, 0]) {
      const prompts = [...distinct, distinct[3], distinct[44]];
      const out = await generate(m, prompts, { maxNewTokens: 6, temperature, seed: 9 });
      for (let b = 0; b < prompts.length; b++) {
        expect(out[b].tokens.length).toBe(6);
        const ref = await fullForwardLogprobs(m, prompts[b], out[b].tokens);
        for (let j = 0; j < ref.length; j++) expect(Math.abs(out[b].logprobs[j] - ref[j])).toBeLessThan(1e-4);
      }
    }
  });

  it('at temperature 1 (probabilities only) and greedy (log-probabilities only), log-probs equal a full forward pass while the cache grows', async () => {
    const m = model();
    // 40 new tokens: the generated-token cache grows from 16 to 32 to 64 slots on the way.
    const prompts = [[4, 9, 1], [2, 2, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 3, 6, 8], [4, 9, 1], [30]];
    for (const temperature of [1, 0]) {
      const out = await generate(m, prompts, { maxNewTokens: 40, temperature, seed: 2, topLogprobs: 3 });
      for (let b = 0; b < prompts.length; b++) {
        expect(out[b].tokens.length).toBe(40);
        const ref = await fullForwardLogprobs(m, prompts[b], out[b].tokens);
        for (let j = 0; j < ref.length; j++) expect(Math.abs(out[b].logprobs[j] - ref[j])).toBeLessThan(1e-4);
        // The most likely alternative's log-prob is the largest, and greedy picks it.
        const top = out[b].top!;
        for (let j = 0; j < ref.length; j++) {
          expect(top[j][0].logprob).toBeGreaterThanOrEqual(out[b].logprobs[j] - 1e-6);
          if (temperature === 0) expect(top[j][0].id).toBe(out[b].tokens[j]);
        }
      }
    }
  });

  it('earlier calls of other shapes, and concurrent calls, leave the results unchanged', async () => {
    const m = model();
    const prompts = [[1, 2, 3, 4], [5, 6], [7]];
    const opts = { maxNewTokens: 25, temperature: 1, seed: 7 };
    const first = await generate(m, prompts, opts);
    await generate(m, [[9, 9, 9, 9, 9, 9, 9, 9, 9]], { maxNewTokens: 30, seed: 1 }); // another shape
    await generate(m, [[3, 1], [3, 3], [2]], opts); // same shapes, other contents
    const again = await generate(m, prompts, opts);
    const [p, q] = await Promise.all([generate(m, prompts, opts), generate(m, prompts, opts)]);
    for (const other of [again, p, q]) expect(other).toEqual(first);
    for (let b = 0; b < prompts.length; b++) {
      const ref = await fullForwardLogprobs(m, prompts[b], first[b].tokens);
      for (let j = 0; j < ref.length; j++) expect(Math.abs(first[b].logprobs[j] - ref[j])).toBeLessThan(1e-4);
    }
  });

  it('greedy decoding of a batch equals greedy decoding of each row alone (padding is invisible)', async () => {
    const m = model(1);
    const prompts = [[3, 1, 4, 1, 5, 9, 2, 6], [2, 7], [1, 8, 2, 8]];
    const batch = await generate(m, prompts, { maxNewTokens: 12, temperature: 0 });
    for (let b = 0; b < prompts.length; b++) {
      const alone = await generate(m, [prompts[b]], { maxNewTokens: 12, temperature: 0 });
      expect(batch[b].tokens).toEqual(alone[0].tokens);
    }
  });

  it('greedy tokens are the argmax of a full forward pass', async () => {
    const m = model();
    const prompt = [4, 4, 2];
    const [g] = await generate(m, [prompt], { maxNewTokens: 6, temperature: 0 });
    const seq = [...prompt];
    for (let j = 0; j < 6; j++) {
      const { logits } = await m.forward([seq]);
      const V = m.cfg.vocabSize;
      const last = logits!.subarray((seq.length - 1) * V, seq.length * V);
      const arg = last.indexOf(Math.max(...last));
      expect(g.tokens[j]).toBe(arg);
      seq.push(arg);
    }
  });

  it('stops at stop tokens and via shouldStop; same seed → same samples', async () => {
    const m = model();
    const a = await generate(m, [[1, 2], [3]], { maxNewTokens: 30, seed: 9 });
    const b = await generate(m, [[1, 2], [3]], { maxNewTokens: 30, seed: 9 });
    expect(a).toEqual(b);
    const stopTok = a[0].tokens[4];
    const c = await generate(m, [[1, 2]], { maxNewTokens: 30, seed: 9, stopTokenIds: [stopTok] });
    expect(c[0].finishReason).toBe('stop');
    expect(c[0].tokens[c[0].tokens.length - 1]).toBe(stopTok);
    expect(c[0].tokens.length).toBeLessThanOrEqual(5);
    const d = await generate(m, [[1, 2]], { maxNewTokens: 30, seed: 9, shouldStop: (_r, t) => t.length === 3 });
    expect(d[0].tokens.length).toBe(3);
  });

  it('returns top alternatives and refuses prompts beyond the context', async () => {
    const m = model();
    const [g] = await generate(m, [[1, 2, 3]], { maxNewTokens: 3, topLogprobs: 4, seed: 1 });
    expect(g.top![0].length).toBe(4);
    expect(g.top![0][0].logprob).toBeGreaterThanOrEqual(g.top![0][3].logprob);
    await expect(generate(m, [new Array(60).fill(1)], { maxNewTokens: 10 })).rejects.toThrow(/exceeds the context length 64/);
  });

  it('top-k 1 and temperature 0 agree; top-p keeps the nucleus only', () => {
    const p = [0.5, 0.3, 0.15, 0.05];
    const logp = Float64Array.from(p.map(Math.log));
    const rng = new Rng(1);
    expect(sampleToken(logp, p, rng, 1, 1, 1)).toBe(0);
    expect(sampleToken(logp, p, rng, 0, 0, 1)).toBe(0);
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) seen.add(sampleToken(logp, p, rng, 1, 0, 0.75));
    expect([...seen].sort()).toEqual([0, 1]);
  });
});
