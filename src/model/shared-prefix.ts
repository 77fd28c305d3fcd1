/**
 * Shared-prefix batches: many continuations of one prompt run the prompt once.
 *
 * RLHF works on groups — k sampled replies per prompt (RLOO, PPO), K-choose-2 comparisons of
 * the replies to one prompt (reward models), best-of-n pools of hundreds of replies. In the
 * HelpDesk world a prompt is ~210 tokens and a reply ~35, so running every (prompt + reply)
 * row in full spends most of the compute on identical prompt tokens. Causal attention makes
 * the prompt's keys and values independent of what follows, so a batch can instead:
 *
 *   1. run the G distinct prefixes, left-padded:        (G, Tp) → keys/values (G, nkv, Tp, hd)
 *   2. copy each row's prefix keys/values to the row:    past = onehot(R, G) · kv
 *   3. run the R continuation rows over that past:       (R, Tr) with keyMask (R, Tp + Tr)
 *
 * Step 2 is a matrix product with a one-hot (R, G) matrix, so gradients flow back into the
 * prefix pass by the ordinary product rule: a training objective over the rows (reward-model
 * loss, policy gradient) is exact, not an approximation. With k = 4 replies of 35 tokens to a
 * 210-token prompt, a group costs 210 + 4·36 token passes instead of 4·245.
 *
 * A row starts with the prefix's last token: `[prompt[-1], ...reply]`, so row position j
 * predicts row token j + 1 — every reply token's log-probability, and the hidden state at the
 * reply's last token, live in the row pass. The prefix is `prompt[:-1]`.
 *
 *   const b = sharedPrefixBatch([{ prompt, replies: [r1, r2, r3, r4] }], { padId });
 *   // in a graph: const { hidden, logits } = sharedPrefixForward(cfg, P, inputsOf(b));
 */
import * as ops from '../engine/ops.js';
import type { Tensor } from '../engine/ir.js';
import { headDim, type LlamaConfig } from './config.js';
import { llamaForward, type Params } from './llama.js';

export interface PromptGroup {
  /** Prompt token ids (at least one). */
  prompt: number[];
  /** Continuations of the prompt (each may be empty). */
  replies: number[][];
}

export interface SharedPrefixBatch {
  /** Prefix rows (distinct prompts, padding included). */
  G: number;
  /** Prefix length (left-padded). */
  Tp: number;
  /** Continuation rows (padding included). */
  R: number;
  /** Continuation length (right-padded). */
  Tr: number;
  /** (G·Tp) prefix ids, left-padded. */
  prefixIds: BigInt64Array;
  /** (G·Tp) positions of prefix tokens (0 at padding). */
  prefixPos: BigInt64Array;
  /** (G·Tp) 1 at real prefix tokens. */
  prefixMask: Float32Array;
  /** (R·Tr) row ids: [prompt[-1], ...reply], right-padded. */
  rowIds: BigInt64Array;
  /** (R·Tr) positions of row tokens. */
  rowPos: BigInt64Array;
  /** (R·(Tp + Tr)) keys a row may attend to: its prefix's real tokens and its own real tokens. */
  rowMask: Float32Array;
  /** (R·G) one-hot: the prefix of each row. */
  rowGroup: Float32Array;
  /** Real rows: group index and reply index of each (padding rows are absent). */
  rows: { group: number; reply: number; length: number }[];
  /** Flat index in (R·Tr) of the first row position of row r is r·Tr. */
}

export interface SharedPrefixOptions {
  padId: number;
  /** Round Tp and Tr up to a multiple of this (default 32): fewer compiled shapes. */
  lengthMultiple?: number;
  /** Round R (continuation rows) up to a multiple of this (default 1); padding rows attend to nothing real. */
  rowMultiple?: number;
  /** Round G (prefix rows) up to a multiple of this (default 1). */
  prefixMultiple?: number;
  /** Model context (maxSeqLen): the longest prompt + reply must fit. */
  maxSeqLen: number;
  /** Prefix length to use (at least the longest prompt − 1); default: rounded up as above. */
  prefixLength?: number;
  /** Row length to use (at least the longest reply + 1); default: rounded up as above. */
  rowLength?: number;
  /** Exact number of prefix rows G (at least the number of groups); default: rounded up as above. */
  prefixCount?: number;
  /** Exact number of continuation rows R (at least the number of replies); default: rounded up as above. */
  rowCount?: number;
}

const roundUp = (x: number, m: number) => Math.ceil(Math.max(1, x) / m) * m;

/** Packs prompt groups into one shared-prefix batch (see the file header). */
export function sharedPrefixBatch(groups: PromptGroup[], o: SharedPrefixOptions): SharedPrefixBatch {
  if (groups.length === 0) throw new Error('sharedPrefixBatch: no groups');
  const lm = o.lengthMultiple ?? 32;
  const rm = o.rowMultiple ?? 1;
  groups.forEach((g, i) => {
    if (g.prompt.length === 0) throw new Error(`sharedPrefixBatch: group ${i} has an empty prompt`);
    for (const r of g.replies) {
      if (g.prompt.length + r.length > o.maxSeqLen) throw new Error(`sharedPrefixBatch: group ${i}: prompt (${g.prompt.length}) + reply (${r.length}) tokens exceed the context of ${o.maxSeqLen}`);
    }
  });
  const exact = (what: string, given: number | undefined, need: number, fallback: number, unit: string): number => {
    if (given === undefined) return fallback;
    if (given < need) throw new Error(`sharedPrefixBatch: ${what} ${given} is smaller than the batch needs (${need} ${unit})`);
    return given;
  };
  const G = exact('prefixCount', o.prefixCount, groups.length, roundUp(groups.length, o.prefixMultiple ?? 1), 'groups');
  const needTp = Math.max(...groups.map((g) => g.prompt.length - 1));
  if (o.prefixLength !== undefined && o.prefixLength < needTp) throw new Error(`sharedPrefixBatch: prefixLength ${o.prefixLength} is shorter than the longest prompt (${needTp} + 1 tokens)`);
  const Tp = o.prefixLength ?? roundUp(needTp, lm);
  const rows = groups.flatMap((g, group) => g.replies.map((r, reply) => ({ group, reply, length: r.length + 1 })));
  if (rows.length === 0) throw new Error('sharedPrefixBatch: no replies');
  const R = exact('rowCount', o.rowCount, rows.length, roundUp(rows.length, rm), 'replies');
  const needTr = Math.max(...rows.map((r) => r.length));
  const Tr = exact('rowLength', o.rowLength, needTr, roundUp(needTr, lm), 'tokens: the longest reply + 1');
  const pad = BigInt(o.padId);

  const prefixIds = new BigInt64Array(G * Tp).fill(pad);
  const prefixPos = new BigInt64Array(G * Tp);
  const prefixMask = new Float32Array(G * Tp);
  groups.forEach((g, i) => {
    const L = g.prompt.length - 1;
    for (let j = 0; j < L; j++) {
      const at = i * Tp + Tp - L + j;
      prefixIds[at] = BigInt(g.prompt[j]);
      prefixPos[at] = BigInt(j);
      prefixMask[at] = 1;
    }
  });
  const rowIds = new BigInt64Array(R * Tr).fill(pad);
  const rowPos = new BigInt64Array(R * Tr);
  const rowMask = new Float32Array(R * (Tp + Tr));
  const rowGroup = new Float32Array(R * G);
  rows.forEach((r, i) => {
    const g = groups[r.group];
    const seq = [g.prompt[g.prompt.length - 1], ...g.replies[r.reply]];
    const start = g.prompt.length - 1;
    for (let j = 0; j < Tr; j++) {
      if (j < seq.length) rowIds[i * Tr + j] = BigInt(seq[j]);
      rowPos[i * Tr + j] = BigInt(Math.min(start + j, o.maxSeqLen - 1));
    }
    rowMask.set(prefixMask.subarray(r.group * Tp, (r.group + 1) * Tp), i * (Tp + Tr));
    for (let j = 0; j < seq.length; j++) rowMask[i * (Tp + Tr) + Tp + j] = 1;
    rowGroup[i * G + r.group] = 1;
  });
  // Padding rows: group 0's prefix (any real one), attending only to their own first token.
  for (let i = rows.length; i < R; i++) {
    rowGroup[i * G] = 1;
    rowMask[i * (Tp + Tr) + Tp] = 1;
  }
  // Padding prefixes attend to their last position so attention stays well defined.
  for (let i = groups.length; i < G; i++) prefixMask[i * Tp + Tp - 1] = 1;
  return { G, Tp, R, Tr, prefixIds, prefixPos, prefixMask, rowIds, rowPos, rowMask, rowGroup, rows };
}

/** Graph input shapes of a shared-prefix batch (for `LlamaModel.objective` / `evaluate`). */
export function sharedPrefixInputs(b: Pick<SharedPrefixBatch, 'G' | 'Tp' | 'R' | 'Tr'>): Record<string, { shape: number[]; dtype?: 'int64' }> {
  return {
    prefixIds: { shape: [b.G, b.Tp], dtype: 'int64' },
    prefixPos: { shape: [b.G, b.Tp], dtype: 'int64' },
    prefixMask: { shape: [b.G, b.Tp] },
    rowIds: { shape: [b.R, b.Tr], dtype: 'int64' },
    rowPos: { shape: [b.R, b.Tr], dtype: 'int64' },
    rowMask: { shape: [b.R, b.Tp + b.Tr] },
    rowGroup: { shape: [b.R, b.G] },
  };
}

/** Host feeds of a shared-prefix batch, named as `sharedPrefixInputs`. */
export function sharedPrefixFeeds(b: SharedPrefixBatch): Record<string, BigInt64Array | Float32Array> {
  return { prefixIds: b.prefixIds, prefixPos: b.prefixPos, prefixMask: b.prefixMask, rowIds: b.rowIds, rowPos: b.rowPos, rowMask: b.rowMask, rowGroup: b.rowGroup };
}

/**
 * The forward pass of a shared-prefix batch: hidden states (R·Tr, d) and next-token logits
 * (R·Tr, V) of the continuation rows. `inp` holds the tensors named by `sharedPrefixInputs`.
 */
export function sharedPrefixForward(c: LlamaConfig, P: Params, inp: Record<string, Tensor>): { hidden: Tensor; logits: Tensor } {
  const [G, Tp] = inp.prefixIds.shape;
  const [R] = inp.rowIds.shape;
  const nkv = c.nKVHeads;
  const hd = headDim(c);
  const pre = llamaForward(c, P, { ids: inp.prefixIds, positions: inp.prefixPos, keyMask: inp.prefixMask });
  // past of row r = kv of its prefix: (R, G) · (G, nkv·Tp·hd) → (R, nkv, Tp, hd)
  const spread = (x: Tensor) => ops.reshape(ops.matmul(inp.rowGroup, ops.reshape(x, [G, nkv * Tp * hd])), [R, nkv, Tp, hd]);
  const past = pre.present.map((p) => ({ k: spread(p.k), v: spread(p.v) }));
  const out = llamaForward(c, P, { ids: inp.rowIds, positions: inp.rowPos, keyMask: inp.rowMask, past });
  return { hidden: out.hidden, logits: out.logits };
}
