/**
 * Scoring continuations of fixed prompts with a frozen model, the prompts' keys and values
 * computed once.
 *
 * The RL probe scores the replies to the same prompts every few steps with three frozen models —
 * the reference (log-probs for the KL), the optimized reward model and the held-out judge. In
 * the HelpDesk world a prompt is 121–289 tokens (mean 200) and a reply ~35, so most of every such pass
 * recomputed prompt states that cannot change. Causal attention makes a prompt's keys and values
 * independent of what follows, so `build` runs each prompt once (chunks of left-padded prompts,
 * as shared-prefix batches lay them out: prefix = prompt[:-1]) and keeps every layer's keys and
 * values; `logprobs` and `rewards` then run only the rows `[prompt[-1], ...reply]` over that
 * past — the same graph the shared-prefix pass runs after its prefix, so the numbers agree with
 * `rolloutLogprobs` / `scoreReplies` to float rounding (tested).
 *
 * Memory: 2 · layers · prompts · prefix length · d_kv floats (the 128-prompt probe at ~350
 * tokens on the 4-layer, d 256 policy: ~370 MB per model).
 *
 *   const ref = await PromptCache.build(reference, prompts, { padId });
 *   const lp = await ref.logprobs(replies);            // lp[i][j] = log p(reply i, token j)
 *   const judged = await judgeCache.rewards(replies, 'last');
 */
import * as ops from '../engine/ops.js';
import type { Tensor } from '../engine/ir.js';
import { headDim } from '../model/config.js';
import { llamaForward, rewardHead } from '../model/llama.js';
import type { LlamaModel } from '../model/model.js';
import { sharedPrefixBatch } from '../model/shared-prefix.js';
import { readoutWeights, type Readout } from './reward.js';

interface Chunk {
  /** Prompt indices of this chunk's rows, in order. */
  index: number[];
  /** Prefix length (left-padded). */
  Tp: number;
  /** (C·Tp) 1 at real prefix tokens. */
  prefixMask: Float32Array;
  /** Per layer, (C, nKVHeads, Tp, hd). */
  kv: { k: Float32Array; v: Float32Array }[];
}

const roundUp = (x: number, m: number) => Math.ceil(Math.max(1, x) / m) * m;

export class PromptCache {
  private constructor(
    readonly model: LlamaModel,
    readonly prompts: readonly number[][],
    private readonly chunks: Chunk[],
    private readonly padId: number,
  ) {}

  /**
   * Runs every prompt once through `model` (whose parameters must not change afterwards: the
   * cache would silently go stale) in chunks of `chunkRows` (default 32) prompts.
   */
  static async build(model: LlamaModel, prompts: number[][], o: { padId: number; chunkRows?: number }): Promise<PromptCache> {
    if (prompts.length === 0) throw new Error('PromptCache: no prompts');
    const per = o.chunkRows ?? 32;
    const c = model.cfg;
    const chunks: Chunk[] = [];
    // Prompts of similar length share a chunk, so each is padded little (the probe's run 121–289 tokens).
    const byLength = prompts.map((_, i) => i).sort((a, b) => prompts[a].length - prompts[b].length || a - b);
    for (let s = 0; s < prompts.length; s += per) {
      const index = byLength.slice(s, s + per);
      // One empty reply per prompt: only the prefix half of the batch is used here.
      const b = sharedPrefixBatch(
        index.map((i) => ({ prompt: prompts[i], replies: [[]] })),
        { padId: o.padId, maxSeqLen: c.maxSeqLen, lengthMultiple: 32 },
      );
      model.validateIds(b.prefixIds);
      const C = index.length;
      const res = await model.evaluate(
        'prompt-cache-prefix',
        { prefixIds: { shape: [C, b.Tp], dtype: 'int64' }, prefixPos: { shape: [C, b.Tp], dtype: 'int64' }, prefixMask: { shape: [C, b.Tp] } },
        ({ P, inp, cfg }) => {
          const out = llamaForward(cfg, P, { ids: inp.prefixIds, positions: inp.prefixPos, keyMask: inp.prefixMask });
          return Object.fromEntries(out.present.flatMap((kv, i) => [[`k${i}`, kv.k], [`v${i}`, kv.v]]));
        },
        { prefixIds: b.prefixIds, prefixPos: b.prefixPos, prefixMask: b.prefixMask },
      );
      chunks.push({ index, Tp: b.Tp, prefixMask: b.prefixMask, kv: Array.from({ length: c.nLayers }, (_, i) => ({ k: res[`k${i}`] as Float32Array, v: res[`v${i}`] as Float32Array })) });
    }
    return new PromptCache(model, prompts, chunks, o.padId);
  }

  /** log p(token) of every reply token, under the model: one array per reply (reply i continues prompt i). */
  async logprobs(replies: readonly number[][]): Promise<Float32Array[]> {
    const done = await this.runRows(
      replies,
      'logprobs',
      (rows, Tr) => {
        // Row position j holds [prompt[-1], ...reply][j] and predicts reply token j.
        const targets = new BigInt64Array(rows.length * Tr).fill(BigInt(this.padId));
        rows.forEach((r, i) => r.forEach((t, j) => (targets[i * Tr + j] = BigInt(t))));
        return { inputs: { targets: { shape: [rows.length * Tr], dtype: 'int64' } }, feeds: { targets } };
      },
      ({ inp, logits }) => ({ logprobs: ops.neg(ops.softmaxCrossEntropy(logits, inp.targets).loss) }),
    );
    const out = new Array<Float32Array>(replies.length);
    for (const { res, rows, Tr, index } of done) index.forEach((pi, i) => (out[pi] = (res.logprobs as Float32Array).slice(i * Tr, i * Tr + rows[i].length)));
    return out;
  }

  /** The reward head read out over each reply (reply i continues prompt i); the model needs a reward head. */
  async rewards(replies: readonly number[][], readout: Readout = 'last'): Promise<number[]> {
    if (!this.model.heads.includes('reward')) throw new Error('PromptCache.rewards: the model has no reward head');
    const done = await this.runRows(
      replies,
      `rewards-${readout}`,
      (rows, Tr) => ({ inputs: { weights: { shape: [rows.length, Tr] } }, feeds: { weights: readoutWeights(rows.map((r) => ({ length: r.length + 1 })), rows.length, Tr, readout) } }),
      ({ inp, hidden, C, Tr, P }) => ({ reward: ops.reduceSum(ops.mul(rewardHead(P, hidden, C, Tr), inp.weights), [1]) }),
    );
    const out = new Array<number>(replies.length);
    for (const { res, index } of done) index.forEach((pi, i) => (out[pi] = (res.reward as Float32Array)[i]));
    return out;
  }

  /**
   * Runs the rows `[prompt[-1], ...reply]` of every chunk over its cached past, with the
   * caller's extra inputs and outputs; returns each chunk's results with its prompt indices.
   */
  private async runRows(
    replies: readonly number[][],
    name: string,
    extra: (rows: readonly number[][], Tr: number) => { inputs: Record<string, { shape: number[]; dtype?: 'int64' }>; feeds: Record<string, BigInt64Array | Float32Array> },
    outputs: (a: { inp: Record<string, Tensor>; logits: Tensor; hidden: Tensor; C: number; Tr: number; P: Record<string, Tensor> }) => Record<string, Tensor>,
  ): Promise<{ res: Record<string, unknown>; rows: readonly number[][]; Tr: number; index: readonly number[] }[]> {
    if (replies.length !== this.prompts.length) throw new Error(`PromptCache: ${replies.length} replies for ${this.prompts.length} prompts (need one per prompt)`);
    const c = this.model.cfg;
    const nkv = c.nKVHeads;
    const hd = headDim(c);
    replies.forEach((r, i) => {
      if (this.prompts[i].length + r.length > c.maxSeqLen) throw new Error(`PromptCache: prompt ${i} (${this.prompts[i].length} tokens) + reply (${r.length}) exceed the context of ${c.maxSeqLen}`);
    });
    const done: { res: Record<string, unknown>; rows: readonly number[][]; Tr: number; index: readonly number[] }[] = [];
    for (const chunk of this.chunks) {
      const C = chunk.index.length;
      const rows = chunk.index.map((i) => replies[i]);
      const Tr = roundUp(Math.max(...rows.map((r) => r.length + 1)), 32);
      const { Tp } = chunk;
      const rowIds = new BigInt64Array(C * Tr).fill(BigInt(this.padId));
      const rowPos = new BigInt64Array(C * Tr);
      const rowMask = new Float32Array(C * (Tp + Tr));
      chunk.index.forEach((pi, i) => {
        const p = this.prompts[pi];
        const seq = [p[p.length - 1], ...rows[i]];
        seq.forEach((t, j) => (rowIds[i * Tr + j] = BigInt(t)));
        for (let j = 0; j < Tr; j++) rowPos[i * Tr + j] = BigInt(Math.min(p.length - 1 + j, c.maxSeqLen - 1));
        rowMask.set(chunk.prefixMask.subarray(i * Tp, (i + 1) * Tp), i * (Tp + Tr));
        rowMask.fill(1, i * (Tp + Tr) + Tp, i * (Tp + Tr) + Tp + seq.length);
      });
      this.model.validateIds(rowIds);
      const more = extra(rows, Tr);
      const feeds: Record<string, BigInt64Array | Float32Array> = { rowIds, rowPos, rowMask, ...more.feeds };
      chunk.kv.forEach((kv, i) => {
        feeds[`past${i}k`] = kv.k;
        feeds[`past${i}v`] = kv.v;
      });
      const pastInputs = Object.fromEntries(chunk.kv.flatMap((_, i) => [[`past${i}k`, { shape: [C, nkv, Tp, hd] }], [`past${i}v`, { shape: [C, nkv, Tp, hd] }]]));
      const res = await this.model.evaluate(
        `prompt-cache-${name}`,
        { rowIds: { shape: [C, Tr], dtype: 'int64' }, rowPos: { shape: [C, Tr], dtype: 'int64' }, rowMask: { shape: [C, Tp + Tr] }, ...pastInputs, ...more.inputs },
        ({ P, inp, cfg }) => {
          const past = Array.from({ length: cfg.nLayers }, (_, i) => ({ k: inp[`past${i}k`], v: inp[`past${i}v`] }));
          const out = llamaForward(cfg, P, { ids: inp.rowIds, positions: inp.rowPos, keyMask: inp.rowMask, past });
          return outputs({ inp, logits: out.logits, hidden: out.hidden, C, Tr, P });
        },
        feeds,
      );
      done.push({ res, rows, Tr, index: chunk.index });
    }
    return done;
  }
}
