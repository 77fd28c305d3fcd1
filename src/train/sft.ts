/**
 * Supervised fine-tuning data: conversations → weighted next-token batches.
 *
 * A conversation is rendered with the chat template; assistant tokens (and their closing
 * `<|im_end|>`) get weight 1, everything else `promptWeight` (0 trains on completions only,
 * as TRL's completion-only collator; a small positive weight also teaches the prompt language,
 * which helps models trained from scratch). Examples are grouped into batches of similar
 * length (see sftBatches), padded with weight-0 tokens.
 *
 *   const ex = dialogues.map((d) => chatExample(tok, d.messages, 0.1));
 *   const batches = sftBatches(ex, { tokensPerBatch: 4096, maxLen: 512, padId, rng });
 */
import type { LmBatch } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { Rng } from '../util/rng.js';

export interface ChatLike {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface SftExample {
  /** Token ids of the whole rendered conversation. */
  ids: number[];
  /** Loss weight of each token as a prediction target (same length as ids; ids[0]'s is unused). */
  weights: number[];
}

export function chatExample(tok: Tokenizer, messages: ChatLike[], promptWeight = 0): SftExample {
  const { ids, assistantMask } = tok.encodeChat(messages);
  return { ids, weights: assistantMask.map((m) => (m ? 1 : promptWeight)) };
}

export interface BatchOptions {
  /** Target tokens per batch (B·T); default 4096. */
  tokensPerBatch?: number;
  /** Longest sequence; longer examples are truncated from the right. */
  maxLen: number;
  /** Padding token id. */
  padId: number;
  /** Lengths are grouped into buckets of this many tokens (default 128); see sftBatches. */
  bucket?: number;
  /**
   * A batch's length T is its longest example rounded up to a multiple of this (default: the
   * bucket, so T is the bucket's length); see sftBatches.
   */
  padTo?: number;
  /** Batches per length-sorted window within a bucket (default 1: no sorting); see sftBatches. */
  sortWindow?: number;
  rng: Rng;
}

/**
 * Batches of similar-length examples (shuffled order of batches), each a full LmBatch.
 *
 * Lengths are grouped into buckets of `bucket` tokens (default 128): a bucket whose longest
 * length is L gets B = ⌊tokensPerBatch / L⌋ rows per batch (missing rows are weight-0 padding),
 * so the number of batches depends on the buckets only. By default every batch of a bucket
 * is padded to L, so a whole epoch compiles at most ⌈maxLen / bucket⌉ training graphs.
 *
 * Tighter padding, same batches per bucket: with `sortWindow` w > 1 the shuffled examples of a
 * bucket are sorted by length in windows of w·B before they are cut into batches (the batches'
 * lengths then differ little inside each), and with `padTo` p a batch is only padded to its
 * longest example rounded up to a multiple of p. The number of steps and rows stays the same;
 * the padding cells, which cost as much compute as real tokens, mostly go (one training graph
 * per batch length: the multiples of p up to maxLen, and the bucket lengths). Mathematically a
 * trimmed batch gives the same loss and gradient as the padded one: padding carries weight 0
 * and, with causal attention, comes after every real token of its row. Sorting, though,
 * changes which examples train together (for the quick baseline, for the worse: README,
 * "Performance"); `splitByLength` pads less without that.
 */
export function sftBatches(examples: SftExample[], o: BatchOptions): LmBatch[] {
  const per = o.tokensPerBatch ?? 4096;
  const positive = (name: string, v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < 1) throw new Error(`sftBatches: ${name} must be a positive integer, got ${v}`);
    return v;
  };
  const step = positive('bucket', o.bucket, 128);
  const padTo = positive('padTo', o.padTo, step);
  const window = positive('sortWindow', o.sortWindow, 1);
  const roundUp = (n: number, m: number) => Math.min(o.maxLen, Math.ceil(n / m) * m);
  const byT = new Map<number, SftExample[]>();
  for (const e of examples) {
    const ex = { ids: e.ids.slice(0, o.maxLen + 1), weights: e.weights.slice(0, o.maxLen + 1) };
    if (ex.ids.length < 2) continue;
    const T = roundUp(ex.ids.length - 1, step);
    if (!byT.has(T)) byT.set(T, []);
    byT.get(T)!.push(ex);
  }
  const batches: LmBatch[] = [];
  for (const [bucketT, group] of [...byT.entries()].sort((a, b) => a[0] - b[0])) {
    const B = Math.max(1, Math.floor(per / bucketT));
    o.rng.shuffle(group);
    if (window > 1) {
      // Stable sort by length inside each window (ties keep the shuffled order).
      for (let w = 0; w < group.length; w += window * B) {
        const part = group.slice(w, w + window * B).sort((a, b) => a.ids.length - b.ids.length);
        group.splice(w, part.length, ...part);
      }
    }
    for (let i = 0; i < group.length; i += B) {
      const rows = group.slice(i, i + B);
      const T = Math.min(bucketT, roundUp(Math.max(...rows.map((e) => e.ids.length - 1)), padTo));
      const ids = new BigInt64Array(B * T).fill(BigInt(o.padId));
      const targets = new BigInt64Array(B * T).fill(BigInt(o.padId));
      const weights = new Float32Array(B * T);
      rows.forEach((e, b) => {
        const n = Math.min(T, e.ids.length - 1);
        for (let t = 0; t < n; t++) {
          ids[b * T + t] = BigInt(e.ids[t]);
          targets[b * T + t] = BigInt(e.ids[t + 1]);
          weights[b * T + t] = e.weights[t + 1];
        }
      });
      batches.push({ B, T, ids, targets, weights });
    }
  }
  return o.rng.shuffle(batches);
}

/** One part of a split batch and its share of the batch's loss weight. */
export interface BatchPart {
  batch: LmBatch;
  /** Σ weights of the part / Σ weights of the batch: the weight of the part's mean loss. */
  share: number;
}

/**
 * Splits a batch into `parts` micro-batches of ⌈B / parts⌉ rows by length — shortest rows
 * first — each trimmed to its longest row rounded up to a multiple of `padTo` (at most the
 * batch's T). A row's length is its last target of positive weight: positions after it carry
 * weight 0 and, with causal attention, change nothing before them, so trimming is exact. Parts
 * with no weight are left out. With the parts' mean losses weighted by `share` (Trainer.step's
 * shares), the step's loss and gradient are those of the whole batch, at a fraction of its
 * padding: the batch itself — which dialogues train together — does not change.
 *
 * A batch without any weight comes back whole (`share` 1), so a step over it stays possible.
 *
 *   const parts = splitByLength(batch, { parts: 2, padTo: 32, padId });
 *   await trainer.step(parts.map((p) => p.batch), parts.map((p) => p.share));
 */
export function splitByLength(batch: LmBatch, o: { parts: number; padTo: number; padId: number }): BatchPart[] {
  for (const [name, v] of [['parts', o.parts], ['padTo', o.padTo]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`splitByLength: ${name} must be a positive integer, got ${v}`);
  }
  const { B, T } = batch;
  const length = new Array<number>(B).fill(0);
  const weight = new Array<number>(B).fill(0);
  for (let r = 0; r < B; r++) {
    for (let t = 0; t < T; t++) {
      const w = batch.weights[r * T + t];
      if (w > 0) length[r] = t + 1;
      weight[r] += w;
    }
  }
  const total = weight.reduce((a, w) => a + w, 0);
  if ((o.parts === 1 && o.padTo >= T) || !(total > 0)) return [{ batch, share: 1 }];
  const pad = BigInt(o.padId);
  const order = [...Array(B).keys()].sort((a, b) => length[a] - length[b]);
  const rows = Math.ceil(B / o.parts);
  const out: BatchPart[] = [];
  for (let s = 0; s < B; s += rows) {
    const idx = order.slice(s, s + rows);
    const w = idx.reduce((a, r) => a + weight[r], 0);
    if (!(w > 0)) continue;
    const Tp = Math.min(T, Math.ceil(Math.max(...idx.map((r) => length[r])) / o.padTo) * o.padTo);
    // Rows past the last real one (a short final part) are weight-0 padding like the batch's own.
    const ids = new BigInt64Array(rows * Tp).fill(pad);
    const targets = new BigInt64Array(rows * Tp).fill(pad);
    const weights = new Float32Array(rows * Tp);
    idx.forEach((r, b) => {
      ids.set(batch.ids.subarray(r * T, r * T + Tp), b * Tp);
      targets.set(batch.targets.subarray(r * T, r * T + Tp), b * Tp);
      weights.set(batch.weights.subarray(r * T, r * T + Tp), b * Tp);
    });
    out.push({ batch: { B: rows, T: Tp, ids, targets, weights }, share: w / total });
  }
  return out;
}
