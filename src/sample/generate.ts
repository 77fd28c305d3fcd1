/**
 * Batched generation with a key/value cache, and exact per-token log-probabilities.
 *
 * Prompts of different lengths are left-padded to a common length P (rounded up to a multiple
 * of 8, or of 32 past 64 tokens, so few prefill graphs are compiled). One prefill run
 * computes the prompt's keys and values for every layer — once per distinct prompt, so k
 * samples of one prompt (RLOO, best-of-n, preference collection) share its prefill —; then each
 * decode step (`llamaDecodeStep`) feeds one token per row and returns that token's keys/values,
 * which the host writes into the next cache slot.
 *
 * The cache is read in place, never copied into the graph: per layer, the prompt's keys/values
 * (B, nKVHeads, P, hd) and the generated tokens' (B, nKVHeads, G, hd), with a key mask marking
 * the filled slots. When every distinct prompt is sampled equally often, k > 1 times, the rows
 * run group by group and the prompt part stays (U, nKVHeads, P, hd), U = B/k: each step reads a
 * prompt's keys/values once for its k rows (with ~300-token prompts and short replies, reading
 * the prompt cache is most of a step's memory traffic). Batches of ≥ 16 rows on ≥ 2 threads are
 * split across worker threads (parallel.ts).
 *
 * The generated part's capacity G starts at 16 slots and doubles when full, each growth
 * re-laying the rows out in place, so a step reads at most twice the filled slots
 * rather than P + maxNewTokens, with one compiled decode graph per batch size and capacity
 * (three capacities for 64 new tokens). Decoding time is then dominated by the (B × d)·(d × ·)
 * matrix products and by reading the cache. Unless the rows are k equal groups of samples, a
 * batch whose rows have half or more finished goes on with the unfinished ones
 * (`COMPACT_ROWS`): replies of 10 to 96 tokens in one batch otherwise keep computing every
 * finished row until the longest ends. The decode graph takes the weights as inputs, so it
 * follows training updates; when a model decodes a shape again with the parameters of its
 * previous call, it is compiled with those weights as constants instead, which ONNX Runtime
 * packs once rather than on every step (frozen.ts).
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
import type { CompiledGraph, HostArray } from '../engine/session.js';
import { type LlamaModel } from '../model/model.js';
import { llamaDecodeStep, llamaForward, paramConstants, paramInputs } from '../model/llama.js';
import { headDim } from '../model/config.js';
import { Rng } from '../util/rng.js';
import { generateOnWorkers, workersFor } from './parallel.js';
import { frozenParams, keepFrozenSession } from './frozen.js';

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
  /**
   * The seed's sampling stream of each row (default: row b uses stream b). A batch split into
   * parts, or reordered, keeps each row's stream, so it samples as it would in the whole batch.
   */
  rowStreams?: number[];
}

/**
 * The rows of each distinct prompt (`groups`, in order of first appearance), and group-major
 * order when every distinct prompt appears equally often, k > 1 times (k samples per prompt:
 * RLOO/PPO rollouts, best-of-n pools): `order` lists the rows group by group, each group's rows
 * in their original order. Otherwise k = 1 and no order.
 */
export function promptGroups(prompts: readonly number[][]): { groups: number[][]; k: number; order?: number[] } {
  const rowsOf = new Map<string, number[]>();
  prompts.forEach((p, b) => {
    const key = p.join(',');
    const rows = rowsOf.get(key);
    if (rows) rows.push(b);
    else rowsOf.set(key, [b]);
  });
  const groups = [...rowsOf.values()];
  const k = groups[0]?.length ?? 1;
  if (k === 1 || groups.some((g) => g.length !== k)) return { groups, k: 1 };
  return { groups, k, order: groups.flat() };
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

/**
 * Distinct prompts per prefill run. A batch of more is prefilled in chunks of prompts of
 * similar length, each padded to its own longest: the lab's 128-case probe (prompts of 121–289
 * tokens, mean 200) padded every row to 320 in one run. 16 rather than 32: with the workers'
 * length-balanced parts (parallel.ts), three evaluations of 250 HelpDesk cases took 31.3–32.2 s
 * against 34.5–35.3 s at 32 (8 rows: no faster), the same replies byte for byte.
 */
const PREFILL_ROWS = 16;

/**
 * Batch sizes a decode batch is compacted to, as rows finish, are multiples of this (finished
 * rows fill the rest): when half the rows or more have finished and that drops at least this
 * many rows, the unfinished ones go on in a smaller batch. Only where the prompt cache has a
 * row per batch row (not k equal groups of samples, whose rows share their prompt's); not tuned.
 */
const COMPACT_ROWS = 8;

/** Generated-token cache slots at first; the capacity doubles from there. */
const MIN_GEN_SLOTS = 16;

/**
 * Generated-token cache buffers left by earlier calls, by length, for the next call to reuse.
 * Fresh memory is expensive to fault in: the 32 MB cache of a 64 × 64 batch of the reference
 * model took ~100 ms to touch on the 2-core VM, a fifth of the whole call, and generation runs
 * again and again at the same sizes (rollouts, best-of-n, serving). At most 256 MiB is kept.
 */
const cachePool = new Map<number, Float32Array[]>();
const MAX_POOLED_BYTES = 256 * 2 ** 20;
let pooledBytes = 0;

function takeCacheBuffer(length: number): Float32Array {
  const b = cachePool.get(length)?.pop();
  if (!b) return new Float32Array(length);
  pooledBytes -= b.byteLength;
  return b;
}

function returnCacheBuffers(buffers: Float32Array[]): void {
  for (const b of buffers) {
    if (pooledBytes + b.byteLength > MAX_POOLED_BYTES) return;
    let list = cachePool.get(b.length);
    if (!list) cachePool.set(b.length, (list = []));
    list.push(b);
    pooledBytes += b.byteLength;
  }
}

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
 * The graph's sampling outputs for last-position logits (B, V), only those the host needs:
 * `logprobs` = log softmax at temperature 1 (what is reported and what PPO needs) and `probs` =
 * softmax(logits / temperature), the sampling distribution. Greedy decoding needs only
 * `logprobs`; at temperature 1 `probs` alone carries both (log p is read off as Math.log(p), within
 * float32 rounding, ~1e-7); other temperatures get both, with `invTemperature` as an input.
 */
function outputDistributions(g: Graph, logits: Tensor, temperature: number): void {
  if (temperature !== 1) g.output('logprobs', ops.logSoftmax(logits, -1));
  if (temperature === 1) g.output('probs', ops.softmax(logits, -1));
  else if (temperature > 0) g.output('probs', ops.softmax(ops.mul(logits, g.input('invTemperature', [1])), -1));
}

/** A row's distributions as the graph returned them (see `outputDistributions`). */
interface RowDist {
  logprobs?: Float32Array;
  probs?: Float32Array;
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
  const streams = opts.rowStreams ?? prompts.map((_, b) => b);
  if (streams.length !== B) throw new Error(`generate: ${streams.length} row streams for ${B} prompts`);
  const rngs = streams.map((r) => base.fork(`sample-row-${r}`));
  prompts.forEach((p, b) => {
    if (p.length === 0) throw new Error(`generate: prompt ${streams[b]} is empty`);
    for (const t of p) if (!Number.isInteger(t) || t < 0 || t >= c.vocabSize) throw new Error(`generate: prompt ${streams[b]} has token id ${t} outside the vocabulary (0…${c.vocabSize - 1})`);
  });
  const longest = Math.max(...prompts.map((p) => p.length));
  if (longest + maxNew > c.maxSeqLen) {
    throw new Error(`generate: prompt of ${longest} tokens + ${maxNew} new tokens exceeds the context length ${c.maxSeqLen}`);
  }
  // k samples of each prompt run group by group (each group then reads its prompt's cache once
  // per step); the rows are put back in the caller's order.
  const { groups, k, order } = promptGroups(prompts);
  if (order && order.some((r, i) => r !== i)) {
    const out = await generate(model, order.map((r) => prompts[r]), { ...opts, rowStreams: order.map((r) => streams[r]) });
    const back = new Array<Generation>(B);
    order.forEach((r, i) => (back[r] = out[i]));
    return back;
  }
  // Large batches are split across worker threads (parallel.ts); they come back here per part.
  const nWorkers = workersFor(model, B, opts);
  if (nWorkers > 1) return generateOnWorkers(model, prompts, { ...opts, rowStreams: streams }, nWorkers, k);
  const P = Math.min(roundUp(longest, longest <= 64 ? 8 : 32), c.maxSeqLen - maxNew);
  const nkv = c.nKVHeads;
  const hd = headDim(c);
  const V = c.vocabSize;
  const params: Record<string, HostArray> = Object.fromEntries(model.params.views);
  const key = JSON.stringify([c, model.heads, temperature === 1 ? 't1' : temperature > 0 ? 't' : 'greedy']);

  // Distinct prompts: rows with the same prompt share one prefill row.
  const uniq = groups.map((rows) => prompts[rows[0]]);
  const rowU = new Array<number>(B);
  groups.forEach((rows, u) => rows.forEach((b) => (rowU[b] = u)));
  const U = uniq.length;

  // --- prefill: (U, P) left-padded distinct prompts → last-position logits and keys/values.
  // The prefill runs over chunks of at most PREFILL_ROWS distinct prompts of similar length,
  // each padded only to its own longest prompt, and its keys/values are placed into the whole
  // batch's (U, nkv, P, hd) at the same right-aligned positions.
  const prefillGraph = (Uc: number, Pc: number) =>
    model.runtime.cached(`${key}:prefill:${Uc}:${Pc}`, () => {
      const g = new Graph();
      const Pm = paramInputs(g, model.params.specs);
      const out = llamaForward(c, Pm, { ids: g.input('ids', [Uc, Pc], 'int64'), positions: g.input('positions', [Uc, Pc], 'int64'), keyMask: g.input('keyMask', [Uc, Pc]), lastOnly: true });
      outputDistributions(g, out.logits, temperature);
      out.present.forEach((kv, i) => {
        g.output(`present.${i}.k`, kv.k);
        g.output(`present.${i}.v`, kv.v);
      });
      return g;
    });
  const leftPadded = (rows: readonly number[][], width: number) => {
    const ids = new BigInt64Array(rows.length * width);
    const pos = new BigInt64Array(rows.length * width);
    const mask = new Float32Array(rows.length * width);
    rows.forEach((p, u) => {
      const off = width - p.length;
      p.forEach((t, j) => {
        ids[u * width + off + j] = BigInt(t);
        pos[u * width + off + j] = BigInt(j);
        mask[u * width + off + j] = 1;
      });
    });
    return { ids, pos, mask };
  };
  const padded = leftPadded(uniq, P);
  const prefillMask = padded.mask;
  const invTemperature = Float32Array.of(temperature > 0 ? 1 / temperature : 1);
  const prefill = async (graph: Promise<CompiledGraph> | CompiledGraph, x: { ids: BigInt64Array; pos: BigInt64Array; mask: Float32Array }) =>
    (await graph).run({ ...params, ids: x.ids, positions: x.pos, keyMask: x.mask, invTemperature });
  const pre = await (async (): Promise<Record<string, HostArray>> => {
    if (U <= PREFILL_ROWS) return prefill(prefillGraph(U, P), padded);
    const byLength = uniq.map((_, u) => u).sort((a, b) => uniq[a].length - uniq[b].length || a - b);
    const whole: Record<string, Float32Array> = {};
    for (let i = 0; i < c.nLayers; i++) for (const kv of ['k', 'v']) whole[`present.${i}.${kv}`] = new Float32Array(U * nkv * P * hd);
    for (let from = 0; from < U; from += PREFILL_ROWS) {
      const members = byLength.slice(from, from + PREFILL_ROWS);
      const rows = members.map((u) => uniq[u]);
      const longestHere = rows[rows.length - 1].length;
      const Pc = Math.min(roundUp(longestHere, longestHere <= 64 ? 8 : 32), P);
      const { ids, pos, mask } = leftPadded(rows, Pc);
      const part = await prefill(prefillGraph(rows.length, Pc), { ids, pos, mask });
      // Row j of the chunk holds its prompt in the last positions of Pc; in the batch, in the last of P.
      for (const [name, x] of Object.entries(part)) {
        if (name.startsWith('present.')) {
          const dst = whole[name];
          members.forEach((u, j) => {
            for (let h = 0; h < nkv; h++) dst.set((x as Float32Array).subarray(((j * nkv + h) * Pc) * hd, ((j * nkv + h) * Pc + Pc) * hd), ((u * nkv + h) * P + P - Pc) * hd);
          });
        } else {
          const dst = (whole[name] ??= new Float32Array(U * V));
          members.forEach((u, j) => dst.set((x as Float32Array).subarray(j * V, (j + 1) * V), u * V));
        }
      }
    }
    return whole;
  })();

  // Host KV cache per layer in two parts, each read in place by the decode graph: the prompt's
  // keys/values — the prefill's own output (U, nkv, P, hd) when no prompt repeats or rows come
  // in k equal groups (the decode step reads each group's row once), else spread to (B, nkv, P, hd)
  // — and the generated tokens' (B, nkv, G, hd).
  const sameRows = U === B && rowU.every((u, b) => u === b);
  const sharedPrompts = k > 1;
  const spreadRows = (x: Float32Array, rowSize: number) => {
    if (sameRows) return x;
    const out = new Float32Array(B * rowSize);
    for (let b = 0; b < B; b++) out.set(x.subarray(rowU[b] * rowSize, (rowU[b] + 1) * rowSize), b * rowSize);
    return out;
  };
  const promptRows = (x: Float32Array) => (sharedPrompts ? x : spreadRows(x, nkv * P * hd));
  const promptKV = Array.from({ length: c.nLayers }, (_, i) => ({
    k: promptRows(pre[`present.${i}.k`] as Float32Array),
    v: promptRows(pre[`present.${i}.v`] as Float32Array),
  }));
  // Rows in the decode batch: all B at first; `live` maps batch position j to its row. When no
  // prompt is shared, the batch is compacted as rows finish (`compactTo`).
  let live = Array.from({ length: B }, (_, b) => b);
  let Bc = B;
  let PU = sharedPrompts ? U : B;
  // One buffer per layer for keys and one for values, with room for every generated token;
  // at capacity G it holds (Bc, nkv, G, hd) in its first Bc·nkv·G·hd values. G starts at 16 and
  // doubles when full: decoding reads at most twice the filled slots, needs few decode graphs,
  // and generations of any length share them.
  let capacity = MIN_GEN_SLOTS;
  while (capacity < maxNew - 1) capacity *= 2;
  // A reused buffer holds an earlier call's values: the first view is cleared (masked slots must
  // hold finite values), and each growth clears the slots it adds.
  const buffers = Array.from({ length: 2 * c.nLayers }, () => takeCacheBuffer(B * nkv * capacity * hd).fill(0, 0, B * nkv * MIN_GEN_SLOTS * hd));
  try {
    let G = MIN_GEN_SLOTS;
    const view = (x: Float32Array) => x.subarray(0, Bc * nkv * G * hd);
    let genKV = promptKV.map((_, i) => ({ k: view(buffers[2 * i]), v: view(buffers[2 * i + 1]) }));
    let promptMask = spreadRows(prefillMask, P);

    // One decode graph per batch size and capacity G of the generated-token cache: (Bc, 1) new
    // tokens over the prompt's P keys, G generated slots and themselves.
    // A shape decoded again with the parameters of the previous call gets the weights compiled
    // in as constants (frozen.ts).
    const shapeKey = () => `${key}:decode:${Bc}:${PU}:${P}`;
    let frozen = frozenParams(model, shapeKey());
    const decodeStep = (G: number) => {
      const sessionKey = `${shapeKey()}:${G}${frozen ? `:${frozen.tag}` : ''}`;
      if (frozen) keepFrozenSession(model.runtime, sessionKey, model.params.flat.byteLength);
      const [Bg, PUg, fixed] = [Bc, PU, frozen];
      return model.runtime.cached(sessionKey, () => {
        const g = new Graph();
        const Pm = fixed ? paramConstants(g, fixed.params) : paramInputs(g, model.params.specs);
        const past = Array.from({ length: c.nLayers }, (_, i) => ({
          k: [g.input(`past.${i}.k`, [PUg, nkv, P, hd]), g.input(`gen.${i}.k`, [Bg, nkv, G, hd])],
          v: [g.input(`past.${i}.v`, [PUg, nkv, P, hd]), g.input(`gen.${i}.v`, [Bg, nkv, G, hd])],
        }));
        const out = llamaDecodeStep(c, Pm, { ids: g.input('ids', [Bg, 1], 'int64'), positions: g.input('positions', [Bg, 1], 'int64'), keyMask: g.input('keyMask', [Bg, P + G + 1]), past });
        outputDistributions(g, out.logits, temperature);
        out.present.forEach((kv, i) => {
          g.output(`present.${i}.k`, kv.k);
          g.output(`present.${i}.v`, kv.v);
        });
        return g;
      });
    };

    const results: Generation[] = prompts.map(() => ({ tokens: [], logprobs: [], finishReason: 'length', ...(opts.topLogprobs ? { top: [] } : {}) }));
    const done = new Array<boolean>(B).fill(false);
    let stepIds = new BigInt64Array(B);
    let stepPos = new BigInt64Array(B);
    // First-token distributions: each row's from its prompt's prefill row.
    const rows = (o: Record<string, HostArray>, spread: boolean): RowDist => ({
      logprobs: o.logprobs && (spread ? spreadRows(o.logprobs as Float32Array, V) : (o.logprobs as Float32Array)),
      probs: o.probs && (spread ? spreadRows(o.probs as Float32Array, V) : (o.probs as Float32Array)),
    });
    // Keeps batch positions `keep` (ascending) of every per-position array, and the rows there,
    // in place: keep[to] ≥ to, so no position is overwritten before it has moved.
    const compactTo = (keep: number[]) => {
      const squeeze = <T extends Float32Array | BigInt64Array>(x: T, size: number): T => {
        keep.forEach((j, to) => j !== to && x.copyWithin(to * size, j * size, (j + 1) * size));
        return x.subarray(0, keep.length * size) as T;
      };
      for (const kv of promptKV) {
        kv.k = squeeze(kv.k, nkv * P * hd);
        kv.v = squeeze(kv.v, nkv * P * hd);
      }
      promptMask = squeeze(promptMask, P);
      stepIds = squeeze(stepIds, 1);
      stepPos = squeeze(stepPos, 1);
      for (const x of buffers) squeeze(x, nkv * G * hd);
      live = keep.map((j) => live[j]);
      Bc = PU = keep.length;
      genKV = genKV.map((_, i) => ({ k: view(buffers[2 * i]), v: view(buffers[2 * i + 1]) }));
      frozen = frozenParams(model, shapeKey());
    };
    let dist = rows(pre, true);
    for (let s = 0; s < maxNew; s++) {
      for (let j = 0; j < Bc; j++) {
        const b = live[j];
        if (done[b]) continue;
        const logp = dist.logprobs?.subarray(j * V, (j + 1) * V);
        const p = dist.probs?.subarray(j * V, (j + 1) * V);
        // Greedy reads only logp, sampling only p; without logp, log p(token) = Math.log(p[token]).
        const tok = sampleToken((logp ?? p)!, (p ?? logp)!, rngs[b], temperature, topK, topP);
        const r = results[b];
        r.tokens.push(tok);
        r.logprobs.push(logp ? logp[tok] : Math.log(p![tok]));
        if (opts.topLogprobs) r.top!.push(topAlternatives((logp ?? p)!, opts.topLogprobs).map((a) => (logp ? a : { id: a.id, logprob: Math.log(a.logprob) })));
        if (stopIds.has(tok) || opts.shouldStop?.(b, r.tokens)) {
          done[b] = true;
          r.finishReason = 'stop';
        }
        stepIds[j] = BigInt(tok);
        stepPos[j] = BigInt(prompts[b].length + s);
      }
      if (done.every(Boolean) || s === maxNew - 1) break;
      // Half the batch or more finished: keep the unfinished rows, padded with finished ones to a
      // multiple of COMPACT_ROWS (few batch sizes, so few decode graphs).
      if (!sharedPrompts && Bc > COMPACT_ROWS) {
        const running = live.flatMap((b, j) => (done[b] ? [] : [j]));
        const target = roundUp(running.length, COMPACT_ROWS);
        if (2 * running.length <= Bc && target <= Bc - COMPACT_ROWS) {
          const fill = live.flatMap((b, j) => (done[b] ? [j] : [])).slice(0, target - running.length);
          compactTo([...running, ...fill].sort((x, y) => x - y));
        }
      }
      // Step s feeds token s; tokens 0…s−1 are cached in generated slots 0…s−1.
      if (s >= G) {
        for (const x of buffers) regrow(x, Bc * nkv, G * hd, 2 * G * hd);
        G *= 2;
        genKV = genKV.map((_, i) => ({ k: view(buffers[2 * i]), v: view(buffers[2 * i + 1]) }));
      }
      const L = P + G + 1;
      const keyMask = new Float32Array(Bc * L);
      for (let j = 0; j < Bc; j++) {
        keyMask.set(promptMask.subarray(j * P, (j + 1) * P), j * L);
        keyMask.fill(1, j * L + P, j * L + P + s);
        keyMask[j * L + L - 1] = 1;
      }
      const feeds: Record<string, HostArray> = { ...(frozen ? {} : params), invTemperature, ids: stepIds, positions: stepPos, keyMask };
      for (let i = 0; i < c.nLayers; i++) {
        feeds[`past.${i}.k`] = promptKV[i].k;
        feeds[`past.${i}.v`] = promptKV[i].v;
        feeds[`gen.${i}.k`] = genKV[i].k;
        feeds[`gen.${i}.v`] = genKV[i].v;
      }
      const out = await (await decodeStep(G)).run(feeds);
      dist = rows(out, false);
      // Token s's keys/values (Bc, nkv, 1, hd) go to generated slot s.
      for (let i = 0; i < c.nLayers; i++) {
        writeSlot(genKV[i].k, out[`present.${i}.k`] as Float32Array, Bc * nkv, hd, G, s);
        writeSlot(genKV[i].v, out[`present.${i}.v`] as Float32Array, Bc * nkv, hd, G, s);
      }
    }
    return results;
  } finally {
    returnCacheBuffers(buffers);
  }
}

/** Copies rows (R, 1, hd) of `src` into slot `slot` of `dst` (R, G, hd). */
function writeSlot(dst: Float32Array, src: Float32Array, R: number, hd: number, G: number, slot: number): void {
  for (let r = 0; r < R; r++) {
    const from = r * hd;
    const to = (r * G + slot) * hd;
    for (let j = 0; j < hd; j++) dst[to + j] = src[from + j];
  }
}

/**
 * Re-lays out R rows of `from` values at the start of `x` as R rows of `to` values (to > from),
 * in place: each row's values first, then zeros (masked slots must hold finite values: softmax
 * gives them p = 0, and 0 · v must be 0). Rows move from the last one down, so no row is
 * overwritten before it has moved.
 */
function regrow(x: Float32Array, R: number, from: number, to: number): void {
  for (let r = R - 1; r >= 0; r--) {
    x.copyWithin(r * to, r * from, (r + 1) * from);
    x.fill(0, r * to + from, (r + 1) * to);
  }
}
