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
  /** Lengths are padded up to a multiple of this (default 128); see sftBatches. */
  bucket?: number;
  rng: Rng;
}

/**
 * Batches of similar-length examples (shuffled order of batches), each a full LmBatch. Lengths
 * are bucketed to multiples of `bucket` (default 128) and every batch of a bucket has the same
 * B = ⌊tokensPerBatch / T⌋ rows (missing rows are weight-0 padding), so a whole epoch compiles
 * at most ⌈maxLen / bucket⌉ training graphs — each compiled graph keeps its own memory arena.
 */
export function sftBatches(examples: SftExample[], o: BatchOptions): LmBatch[] {
  const per = o.tokensPerBatch ?? 4096;
  const step = o.bucket ?? 128;
  if (!Number.isInteger(step) || step < 1) throw new Error(`sftBatches: bucket must be a positive integer, got ${o.bucket}`);
  const bucket = (n: number) => Math.min(o.maxLen, Math.ceil(n / step) * step);
  const byT = new Map<number, SftExample[]>();
  for (const e of examples) {
    const ex = { ids: e.ids.slice(0, o.maxLen + 1), weights: e.weights.slice(0, o.maxLen + 1) };
    if (ex.ids.length < 2) continue;
    const T = bucket(ex.ids.length - 1);
    if (!byT.has(T)) byT.set(T, []);
    byT.get(T)!.push(ex);
  }
  const batches: LmBatch[] = [];
  for (const [T, group] of [...byT.entries()].sort((a, b) => a[0] - b[0])) {
    const B = Math.max(1, Math.floor(per / T));
    o.rng.shuffle(group);
    for (let i = 0; i < group.length; i += B) {
      const ids = new BigInt64Array(B * T).fill(BigInt(o.padId));
      const targets = new BigInt64Array(B * T).fill(BigInt(o.padId));
      const weights = new Float32Array(B * T);
      group.slice(i, i + B).forEach((e, b) => {
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
