/**
 * Batched generation with a key/value cache, and exact per-token log-probabilities.
 *
 * Prompts of different lengths are left-padded to a common length P (rounded up to a multiple
 * of 8, or of 32 past 64 tokens, so few prefill graphs are compiled). One prefill run
 * computes the prompt's keys and values for every layer — once per distinct prompt, so k
 * samples of one prompt (RLOO, best-of-n, preference collection) share its prefill —; then each decode step feeds one token per row plus the whole cache
 * (B, nKVHeads, Smax, hd) and returns that token's keys/values, which the host writes into the
 * next cache slot. The cache has a fixed capacity Smax = P + maxNewTokens and a key mask marks
 * the filled slots, so one compiled decode graph serves every step.
 *
 * Log-probabilities are those of the model's own distribution, log softmax(logits) at
 * temperature 1, for the sampled token — what a full forward pass over the same text gives
 * (checked to 1e-4 in the tests) and what PPO's importance ratios need, whatever temperature,
 * top-k or top-p shaped the sampling.
 *
 *   const out = await generate(model, [[5, 9, 2], [7]], { maxNewTokens: 32, temperature: 0.8, seed: 1 });
 *   out[0].tokens, out[0].logprobs, out[0].finishReason
 */
import { Graph, type Tensor } from '../engine/ir.js';
import * as ops from '../engine/ops.js';
import type { HostArray } from '../engine/session.js';
import { type LlamaModel } from '../model/model.js';
import { llamaForward, paramInputs } from '../model/llama.js';
import { headDim } from '../model/config.js';
import { Rng } from '../util/rng.js';

export interface GenerateOptions {
  /** Most new tokens per row (default 64). */
  maxNewTokens?: number;
  /** Sampling temperature; 0 = greedy (default 1). */
  temperature?: number;
  /** Keep the k most likely tokens (0 = off). */
  topK?: number;
  /** Nucleus sampling: keep the smallest set with this much mass (1 = off). */
  topP?: number;
  /** Token ids that end a row (included in its tokens, with their log-probability). */
  stopTokenIds?: number[];
  /** Called after every new token of a row; returning true ends the row (e.g. stop strings). */
  shouldStop?: (row: number, tokens: number[]) => boolean;
  /** Seed for the sampling RNG (default 0). */
  seed?: number;
  /** Also return the n most likely alternatives at each position (default 0). */
  topLogprobs?: number;
}

export interface Generation {
  tokens: number[];
  /** log p(token | prefix) under the model at temperature 1, one per token. */
  logprobs: number[];
  /** The most likely alternatives per position, when requested. */
  top?: { id: number; logprob: number }[][];
  finishReason: 'stop' | 'length';
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** log softmax of one row of logits, in float64 (host-side scoring). */
export function logSoftmaxRow(logits: Float32Array, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
}

/**
 * Chooses a token. `logp` are the model's log-probabilities (temperature 1), `probs` the
 * sampling distribution softmax(logits / temperature), both computed in the graph. Greedy
 * (temperature 0) takes the argmax; otherwise plain sampling walks `probs` once, and top-k /
 * top-p keep the most likely candidates and renormalize.
 */
export function sampleToken(logp: ArrayLike<number>, probs: ArrayLike<number>, rng: Rng, temperature: number, topK: number, topP: number): number {
  const V = logp.length;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logp[i] > logp[best]) best = i;
    return best;
  }
  if (!((topK > 0 && topK < V) || topP < 1)) {
    let z = 0;
    for (let i = 0; i < V; i++) z += probs[i];
    let u = rng.next() * z;
    for (let i = 0; i < V; i++) {
      u -= probs[i];
      if (u < 0) return i;
    }
    return V - 1;
  }
  let ids = Array.from({ length: V }, (_, i) => i);
  ids.sort((a, b) => probs[b] - probs[a] || a - b);
  if (topK > 0 && topK < V) ids = ids.slice(0, topK);
  if (topP < 1) {
    const total = ids.reduce((a, i) => a + probs[i], 0);
    let cum = 0;
    let keep = 0;
    while (keep < ids.length && cum < topP * total) cum += probs[ids[keep++]];
    ids = ids.slice(0, keep);
  }
  let u = rng.next() * ids.reduce((a, i) => a + probs[i], 0);
  for (const i of ids) {
    u -= probs[i];
    if (u < 0) return i;
  }
  return ids[ids.length - 1];
}

function topAlternatives(logp: ArrayLike<number>, n: number): { id: number; logprob: number }[] {
  const best: { id: number; logprob: number }[] = [];
  for (let i = 0; i < logp.length; i++) {
    if (best.length < n || logp[i] > best[best.length - 1].logprob) {
      best.push({ id: i, logprob: logp[i] });
      best.sort((a, b) => b.logprob - a.logprob);
      if (best.length > n) best.pop();
    }
  }
  return best;
}

/**
 * The graph's sampling outputs for last-position logits (B, V): `logprobs` = log softmax at
 * temperature 1 (what is reported and what PPO needs) and `probs` = softmax(logits ·
 * invTemperature), the sampling distribution; the input `invTemperature` is one float.
 */
function outputDistributions(g: Graph, logits: Tensor): void {
  g.output('logprobs', ops.logSoftmax(logits, -1));
  g.output('probs', ops.softmax(ops.mul(logits, g.input('invTemperature', [1])), -1));
}

/** Generates continuations of `prompts` (token ids) in one batch. */
export async function generate(model: LlamaModel, prompts: number[][], opts: GenerateOptions = {}): Promise<Generation[]> {
  const c = model.cfg;
  const B = prompts.length;
  if (B === 0) return [];
  const maxNew = opts.maxNewTokens ?? 64;
  const temperature = opts.temperature ?? 1;
  const topK = opts.topK ?? 0;
  const topP = opts.topP ?? 1;
  const stopIds = new Set(opts.stopTokenIds ?? []);
  // One stream per row, so a row's samples do not depend on what else is in the batch.
  const base = new Rng(opts.seed ?? 0);
  const rngs = prompts.map((_, b) => base.fork(`sample-row-${b}`));
  prompts.forEach((p, b) => {
    if (p.length === 0) throw new Error(`generate: prompt ${b} is empty`);
    for (const t of p) if (!Number.isInteger(t) || t < 0 || t >= c.vocabSize) throw new Error(`generate: prompt ${b} has token id ${t} outside the vocabulary (0…${c.vocabSize - 1})`);
  });
  const longest = Math.max(...prompts.map((p) => p.length));
  if (longest + maxNew > c.maxSeqLen) {
    throw new Error(`generate: prompt of ${longest} tokens + ${maxNew} new tokens exceeds the context length ${c.maxSeqLen}`);
  }
  const P = Math.min(roundUp(longest, longest <= 64 ? 8 : 32), c.maxSeqLen - maxNew);
  const Smax = P + maxNew;
  const nkv = c.nKVHeads;
  const hd = headDim(c);
  const V = c.vocabSize;
  const params: Record<string, HostArray> = Object.fromEntries(model.params.views);
  const key = JSON.stringify([c, model.heads]);

  // Distinct prompts: rows with the same prompt share one prefill row.
  const uniq: number[][] = [];
  const uniqOf = new Map<string, number>();
  const rowU = prompts.map((p) => {
    const k = p.join(',');
    let u = uniqOf.get(k);
    if (u === undefined) {
      u = uniq.length;
      uniqOf.set(k, u);
      uniq.push(p);
    }
    return u;
  });
  const U = uniq.length;

  // --- prefill: (U, P) left-padded distinct prompts → last-position logits and keys/values.
  const prefill = await model.runtime.cached(`${key}:prefill:${U}:${P}`, () => {
    const g = new Graph();
    const Pm = paramInputs(g, model.params.specs);
    const out = llamaForward(c, Pm, { ids: g.input('ids', [U, P], 'int64'), positions: g.input('positions', [U, P], 'int64'), keyMask: g.input('keyMask', [U, P]), lastOnly: true });
    outputDistributions(g, out.logits);
    out.present.forEach((kv, i) => {
      g.output(`present.${i}.k`, kv.k);
      g.output(`present.${i}.v`, kv.v);
    });
    return g;
  });
  const ids = new BigInt64Array(U * P);
  const pos = new BigInt64Array(U * P);
  const prefillMask = new Float32Array(U * P);
  uniq.forEach((p, u) => {
    const off = P - p.length;
    p.forEach((t, j) => {
      ids[u * P + off + j] = BigInt(t);
      pos[u * P + off + j] = BigInt(j);
      prefillMask[u * P + off + j] = 1;
    });
  });
  // Key mask of every row over the cache's Smax slots plus the new token.
  const mask = new Float32Array(B * (Smax + 1));
  for (let b = 0; b < B; b++) mask.set(prefillMask.subarray(rowU[b] * P, (rowU[b] + 1) * P), b * (Smax + 1));
  const invTemperature = Float32Array.of(temperature > 0 ? 1 / temperature : 1);
  const pre = await prefill.run({ ...params, ids, positions: pos, keyMask: prefillMask, invTemperature });

  // Host KV cache: (B, nkv, Smax, hd) per layer, prompt keys/values in slots [0, P).
  const cacheK: Float32Array[] = [];
  const cacheV: Float32Array[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const k = new Float32Array(B * nkv * Smax * hd);
    const v = new Float32Array(B * nkv * Smax * hd);
    const pk = pre[`present.${i}.k`] as Float32Array;
    const pv = pre[`present.${i}.v`] as Float32Array;
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < nkv; h++) {
        const from = (rowU[b] * nkv + h) * P * hd;
        const to = (b * nkv + h) * Smax * hd;
        k.set(pk.subarray(from, from + P * hd), to);
        v.set(pv.subarray(from, from + P * hd), to);
      }
    }
    cacheK.push(k);
    cacheV.push(v);
  }

  const step = await model.runtime.cached(`${key}:decode:${B}:${Smax}`, () => {
    const g = new Graph();
    const Pm = paramInputs(g, model.params.specs);
    const past = Array.from({ length: c.nLayers }, (_, i) => ({ k: g.input(`past.${i}.k`, [B, nkv, Smax, hd]), v: g.input(`past.${i}.v`, [B, nkv, Smax, hd]) }));
    const out = llamaForward(c, Pm, { ids: g.input('ids', [B, 1], 'int64'), positions: g.input('positions', [B, 1], 'int64'), keyMask: g.input('keyMask', [B, Smax + 1]), past, lastOnly: true });
    outputDistributions(g, out.logits);
    out.present.forEach((kv, i) => {
      g.output(`present.${i}.k`, kv.k);
      g.output(`present.${i}.v`, kv.v);
    });
    return g;
  });

  const results: Generation[] = prompts.map(() => ({ tokens: [], logprobs: [], finishReason: 'length', ...(opts.topLogprobs ? { top: [] } : {}) }));
  const done = new Array<boolean>(B).fill(false);
  const stepIds = new BigInt64Array(B);
  const stepPos = new BigInt64Array(B);
  // First-token distributions: each row's from its prompt's prefill row.
  const spread = (x: Float32Array) => {
    const out = new Float32Array(B * V);
    for (let b = 0; b < B; b++) out.set(x.subarray(rowU[b] * V, (rowU[b] + 1) * V), b * V);
    return out;
  };
  let logprobs: Float32Array = spread(pre.logprobs as Float32Array);
  let probs: Float32Array = spread(pre.probs as Float32Array);
  for (let s = 0; s < maxNew; s++) {
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      const logp = logprobs.subarray(b * V, (b + 1) * V);
      const tok = sampleToken(logp, probs.subarray(b * V, (b + 1) * V), rngs[b], temperature, topK, topP);
      const r = results[b];
      r.tokens.push(tok);
      r.logprobs.push(logp[tok]);
      if (opts.topLogprobs) r.top!.push(topAlternatives(logp, opts.topLogprobs));
      if (stopIds.has(tok) || opts.shouldStop?.(b, r.tokens)) {
        done[b] = true;
        r.finishReason = 'stop';
      }
      stepIds[b] = BigInt(tok);
      stepPos[b] = BigInt(prompts[b].length + s);
    }
    if (done.every(Boolean) || s === maxNew - 1) break;
    // Token s goes into cache slot P + s; the key mask row covers Smax slots plus the new token.
    const stepMask = new Float32Array(B * (Smax + 1));
    for (let b = 0; b < B; b++) {
      const row = mask.subarray(b * (Smax + 1), (b + 1) * (Smax + 1));
      stepMask.set(row, b * (Smax + 1));
      stepMask[b * (Smax + 1) + Smax] = 1;
    }
    const feeds: Record<string, HostArray> = { ...params, ids: stepIds, positions: stepPos, keyMask: stepMask, invTemperature };
    for (let i = 0; i < c.nLayers; i++) {
      feeds[`past.${i}.k`] = cacheK[i];
      feeds[`past.${i}.v`] = cacheV[i];
    }
    const out = await step.run(feeds);
    logprobs = out.logprobs as Float32Array;
    probs = out.probs as Float32Array;
    const slot = P + s;
    for (let i = 0; i < c.nLayers; i++) {
      const nk = out[`present.${i}.k`] as Float32Array;
      const nv = out[`present.${i}.v`] as Float32Array;
      for (let bh = 0; bh < B * nkv; bh++) {
        cacheK[i].set(nk.subarray(bh * hd, (bh + 1) * hd), (bh * Smax + slot) * hd);
        cacheV[i].set(nv.subarray(bh * hd, (bh + 1) * hd), (bh * Smax + slot) * hd);
      }
    }
    for (let b = 0; b < B; b++) mask[b * (Smax + 1) + slot] = 1;
  }
  return results;
}
