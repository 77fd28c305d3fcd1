/**
 * Reward models: the Llama backbone plus a scalar head (`score.weight`, as Hugging Face's
 * LlamaForSequenceClassification), trained on preference pairs with the Bradley–Terry loss.
 *
 *   r(x, y)  = score · h_last          (the head on the last real token's final hidden state)
 *   loss     = mean softplus(−(r_chosen − r_rejected − margin))      (= −log σ(Δ − m))
 *            + centerCoef · mean((r_chosen + r_rejected)²)            (reward centering,
 *              Eisenstein et al. 2023, as TRL's `center_rewards_coefficient`)
 *            + lmCoef · mean over pairs of the chosen reply's mean token NLL  (a language-model
 *              term on the chosen replies through the kept lm_head: Yang et al. 2024's
 *              SFT regularizer of a reward model's hidden states, "GRM")
 *
 * A batch holds the distinct replies of its pairs, grouped by prompt, as a shared-prefix batch
 * (model/shared-prefix.ts): each prompt runs once and each distinct reply once, so the K-choose-2
 * comparisons of K replies to a prompt (InstructGPT) cost one prompt pass and K short rows
 * instead of 2·K(K−1)/2 full sequences. A one-hot mask picks each row's last real token (the
 * read-out is a multiply and a sum), and a (P, R) comparison matrix D with +1 at the chosen
 * row and −1 at the rejected row gives all reward gaps at once: Δ = D·r. Padding comparisons
 * (to keep few compiled shapes) carry weight 0. Metrics use TRL RewardTrainer's names over the
 * real comparisons: `accuracy`, `margin` (mean r_c − r_r), `min_reward`, `mean_reward`,
 * `max_reward` (over both sides), and the mean chosen and rejected rewards `rewards/chosen`,
 * `rewards/rejected`.
 *
 *   const batch = pairBatch(pairs, { padId });
 *   const trainer = new Trainer(model, cfg, rewardObjective({ centerCoef: 0.01 }));
 *   await trainer.step([batch]);
 */
import * as ops from '../engine/ops.js';
import type { LlamaModel } from '../model/model.js';
import type { Tensor } from '../engine/ir.js';
import { rewardHead } from '../model/llama.js';
import { sharedPrefixBatch, sharedPrefixFeeds, sharedPrefixForward, sharedPrefixInputs, type PromptGroup, type SharedPrefixBatch } from '../model/shared-prefix.js';
import type { Objective } from './trainer.js';
import { tokenCrossEntropy } from '../engine/losses.js';

/** One preference pair as token ids: a prompt and two replies to it. */
export interface TokenPair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /** Required reward gap (default 0). */
  margin?: number;
}

export interface PairBatch extends SharedPrefixBatch {
  /** Comparisons, padding included. */
  P: number;
  /** Real comparisons (the first `pairs` of P). */
  pairs: number;
  /** (R·Tr): read-out weights of each row's positions (see `Readout`). */
  last: Float32Array;
  /** (P·R): +1 at a pair's chosen row, −1 at its rejected row. */
  compare: Float32Array;
  /** (P) 1/pairs for real comparisons, 0 for padding. */
  weight: Float32Array;
  /** (P) margins. */
  margin: Float32Array;
  /** Row of each real pair's chosen and rejected reply. */
  chosenRow: Int32Array;
  rejectedRow: Int32Array;
  /** (R·Tr) next-token targets of the rows (row position j predicts row token j + 1; 0 where unused). */
  lmTargets: BigInt64Array;
  /** (R·Tr) language-model weights: each pair adds 1/(pairs · reply tokens) to its chosen reply's tokens (sum 1). */
  lmWeight: Float32Array;
}

/**
 * Where the reward is read: `'last'` — the head on the last token's hidden state (Hugging
 * Face's LlamaForSequenceClassification); `'mean'` — the mean of the head over the reply's
 * tokens (each position has seen the prompt and the reply so far), which hands every reply
 * token its own gradient and learns from fewer comparisons.
 */
export type Readout = 'last' | 'mean';

/** Read-out weights (R·Tr) of shared-prefix rows (`[prompt[-1], ...reply]`). */
export function readoutWeights(rows: { length: number }[], R: number, Tr: number, readout: Readout): Float32Array {
  const w = new Float32Array(R * Tr);
  rows.forEach((r, i) => {
    if (readout === 'last' || r.length === 1) w[i * Tr + r.length - 1] = 1;
    else for (let j = 1; j < r.length; j++) w[i * Tr + j] = 1 / (r.length - 1);
  });
  return w;
}

export interface PairBatchOptions {
  /** Reward read-out (default 'last'). */
  readout?: Readout;
  padId: number;
  /** Model context: prompt + reply must fit. */
  maxSeqLen: number;
  /** Round lengths up to a multiple of this (default 32). */
  lengthMultiple?: number;
  /** Round prompt rows, reply rows and comparisons up to a multiple of this (default 8). */
  rowMultiple?: number;
  /**
   * Exact sizes instead of rounded ones (each at least what the pairs need): prefix length Tp,
   * row length Tr, prompt rows G, reply rows R and comparisons P. A training loop that fixes
   * all five compiles one graph and runs it at its steady speed from the second step on; a new
   * shape costs a graph build, a session and ONNX Runtime's slow first runs.
   */
  fixed?: { prefixLength?: number; rowLength?: number; prefixCount?: number; rowCount?: number; comparisons?: number };
}

/** Packs pairs into one shared-prefix batch: one prefix per distinct prompt, one row per distinct reply. */
export function pairBatch(pairs: TokenPair[], o: PairBatchOptions): PairBatch {
  const n = pairs.length;
  if (n === 0) throw new Error('pairBatch: no pairs');
  const groups: PromptGroup[] = [];
  const groupOf = new Map<string, { index: number; replies: Map<string, number> }>();
  const place = (prompt: number[], reply: number[]): [number, number] => {
    const pk = prompt.join(',');
    let g = groupOf.get(pk);
    if (!g) {
      g = { index: groups.length, replies: new Map() };
      groupOf.set(pk, g);
      groups.push({ prompt, replies: [] });
    }
    const rk = reply.join(',');
    let r = g.replies.get(rk);
    if (r === undefined) {
      r = groups[g.index].replies.length;
      groups[g.index].replies.push(reply);
      g.replies.set(rk, r);
    }
    return [g.index, r];
  };
  const sides = pairs.map((p, i) => {
    if (p.prompt.length === 0) throw new Error(`pairBatch: pair ${i} has an empty prompt`);
    return [place(p.prompt, p.chosen), place(p.prompt, p.rejected)];
  });
  const mult = o.rowMultiple ?? 8;
  const f = o.fixed ?? {};
  const b = sharedPrefixBatch(groups, { padId: o.padId, maxSeqLen: o.maxSeqLen, lengthMultiple: o.lengthMultiple, rowMultiple: mult, prefixLength: f.prefixLength, rowLength: f.rowLength, prefixCount: f.prefixCount, rowCount: f.rowCount });
  const rowIndex = new Map(b.rows.map((r, i) => [`${r.group}:${r.reply}`, i]));
  const row = ([g, r]: [number, number]) => rowIndex.get(`${g}:${r}`)!;
  const chosenRow = Int32Array.from(sides, (s) => row(s[0]));
  const rejectedRow = Int32Array.from(sides, (s) => row(s[1]));
  if (f.comparisons !== undefined && f.comparisons < n) throw new Error(`pairBatch: fixed.comparisons ${f.comparisons} is smaller than the batch's ${n} pairs`);
  const P = f.comparisons ?? Math.ceil(n / mult) * mult;
  const { R, Tr } = b;
  const last = readoutWeights(b.rows, R, Tr, o.readout ?? 'last');
  const compare = new Float32Array(P * R);
  const weight = new Float32Array(P);
  const margin = new Float32Array(P);
  const lmTargets = new BigInt64Array(R * Tr);
  const lmWeight = new Float32Array(R * Tr);
  for (let i = 0; i < n; i++) {
    compare[i * R + chosenRow[i]] += 1;
    compare[i * R + rejectedRow[i]] -= 1;
    weight[i] = 1 / n;
    margin[i] = pairs[i].margin ?? 0;
    const c = chosenRow[i];
    const tokens = b.rows[c].length - 1; // the reply's tokens, each predicted by the position before it
    for (let j = 0; j < tokens; j++) {
      lmTargets[c * Tr + j] = b.rowIds[c * Tr + j + 1];
      lmWeight[c * Tr + j] += 1 / (n * tokens);
    }
  }
  return { ...b, P, pairs: n, last, compare, weight, margin, chosenRow, rejectedRow, lmTargets, lmWeight };
}

export interface RewardObjectiveOptions {
  /** Weight of the reward-centering term (default 0: off). */
  centerCoef?: number;
  /** Weight of the language-model term on the chosen replies (default 0: off). */
  lmCoef?: number;
}

/** The Bradley–Terry objective for a Trainer (trains the backbone and the reward head). */
export function rewardObjective(o: RewardObjectiveOptions = {}): Objective<PairBatch> {
  const center = o.centerCoef ?? 0;
  const lmCoef = o.lmCoef ?? 0;
  if (!(Number.isFinite(lmCoef) && lmCoef >= 0)) throw new Error(`reward model: lmCoef must be a number ≥ 0, got ${lmCoef}`);
  return async (model: LlamaModel, b: PairBatch) => {
    if (!model.heads.includes('reward')) throw new Error('reward model: the model has no reward head (load it with heads: ["reward"])');
    model.validateIds(b.prefixIds);
    model.validateIds(b.rowIds);
    const { P, R, Tr } = b;
    const lmInputs: Record<string, { shape: number[]; dtype?: 'int64' }> = lmCoef > 0 ? { lmTargets: { shape: [R * Tr], dtype: 'int64' }, lmWeight: { shape: [R * Tr] } } : {};
    const r = await model.objective(
      `rm:c${center}:lm${lmCoef}`,
      { ...sharedPrefixInputs(b), last: { shape: [R, Tr] }, compare: { shape: [P, R] }, weight: { shape: [P] }, margin: { shape: [P] }, ...lmInputs },
      ({ P: W, inp, cfg }) => {
        const { hidden, logits } = sharedPrefixForward(cfg, W, inp);
        const rewards = ops.reduceSum(ops.mul(rewardHead(W, hidden, R, Tr), inp.last), [1], true); // (R, 1)
        const gap = ops.reshape(ops.matmul(inp.compare, rewards), [P]); // r_chosen − r_rejected
        const weighted = (x: Tensor) => ops.reduceSum(ops.mul(x, inp.weight), [0]); // mean over real pairs
        let loss = weighted(ops.softplus(ops.neg(ops.sub(gap, inp.margin))));
        const extras: Record<string, Tensor> = { rewards };
        if (center !== 0) {
          const sum = ops.reshape(ops.matmul(ops.square(inp.compare), rewards), [P]); // r_chosen + r_rejected
          loss = ops.add(loss, ops.scale(weighted(ops.square(sum)), center));
        }
        if (lmCoef > 0) {
          const nll = tokenCrossEntropy(logits, inp.lmTargets, inp.lmWeight).loss; // the weights sum to 1
          extras.lm = nll;
          loss = ops.add(loss, ops.scale(nll, lmCoef));
        }
        return { loss, extras };
      },
      { ...sharedPrefixFeeds(b), last: b.last, compare: b.compare, weight: b.weight, margin: b.margin, ...(lmCoef > 0 ? { lmTargets: b.lmTargets, lmWeight: b.lmWeight } : {}) },
      'all',
    );
    const rw = r.extras.rewards as Float32Array;
    let acc = 0;
    let gap = 0;
    let sc = 0;
    let sr = 0;
    let lo = Infinity;
    let hi = -Infinity;
    const n = b.pairs;
    for (let i = 0; i < n; i++) {
      const c = rw[b.chosenRow[i]];
      const j = rw[b.rejectedRow[i]];
      acc += c > j ? 1 : 0;
      gap += c - j;
      sc += c;
      sr += j;
      lo = Math.min(lo, c, j);
      hi = Math.max(hi, c, j);
    }
    return {
      loss: r.loss,
      flat: r.flat,
      metrics: { accuracy: acc / n, margin: gap / n, min_reward: lo, mean_reward: (sc + sr) / (2 * n), max_reward: hi, 'rewards/chosen': sc / n, 'rewards/rejected': sr / n, ...(lmCoef > 0 ? { 'loss/lm': (r.extras.lm as Float32Array)[0] } : {}) },
    };
  };
}

/** Rewards of complete sequences (prompt + response ids), in batches of `batchSize`. */
export async function scoreSequences(model: LlamaModel, seqs: number[][], opts: { padId: number; batchSize?: number }): Promise<number[]> {
  const out: number[] = [];
  const bs = opts.batchSize ?? 32;
  for (let i = 0; i < seqs.length; i += bs) {
    const chunk = seqs.slice(i, i + bs);
    const T = Math.min(model.cfg.maxSeqLen, Math.ceil(Math.max(...chunk.map((s) => s.length)) / 32) * 32);
    const ids = new BigInt64Array(chunk.length * T).fill(BigInt(opts.padId));
    chunk.forEach((s, r) => s.forEach((t, j) => (ids[r * T + j] = BigInt(t))));
    const res = await model.forward({ B: chunk.length, T, ids }, { logits: false, heads: ['reward'] });
    const head = res.heads.reward!;
    chunk.forEach((s, r) => out.push(head[r * T + s.length - 1]));
  }
  return out;
}

/**
 * Runs replies grouped by prompt as shared-prefix batches of about `rowsPerBatch` replies (each
 * prompt once per batch; a large group is split across batches). `run` gets each batch and
 * where each of its rows comes from (group, reply index).
 */
async function eachReplyBatch(model: LlamaModel, groups: PromptGroup[], opts: { padId: number; rowsPerBatch?: number }, run: (b: SharedPrefixBatch, source: (row: number) => [number, number]) => Promise<void>): Promise<void> {
  const per = opts.rowsPerBatch ?? 64;
  const items = groups.flatMap((g, gi) => g.replies.map((_, ri) => ({ gi, ri })));
  for (let i = 0; i < items.length; i += per) {
    const sub = new Map<number, { prompt: number[]; replies: number[][]; index: number[] }>();
    for (const { gi, ri } of items.slice(i, i + per)) {
      const s = sub.get(gi) ?? { prompt: groups[gi].prompt, replies: [], index: [] };
      s.replies.push(groups[gi].replies[ri]);
      s.index.push(ri);
      sub.set(gi, s);
    }
    const parts = [...sub.entries()];
    const b = sharedPrefixBatch(parts.map(([, s]) => s), { padId: opts.padId, maxSeqLen: model.cfg.maxSeqLen, lengthMultiple: 32, rowMultiple: 8 });
    model.validateIds(b.prefixIds);
    model.validateIds(b.rowIds);
    await run(b, (row) => {
      const r = b.rows[row];
      const [gi, s] = parts[r.group];
      return [gi, s.index[r.reply]];
    });
  }
}

/**
 * Rewards of replies grouped by prompt, each prompt run once (shared-prefix batches of about
 * `rowsPerBatch` replies): the fast path for scoring k samples or a best-of-n pool per prompt.
 * Returns one array per group, in reply order.
 */
export async function scoreReplies(model: LlamaModel, groups: PromptGroup[], opts: { padId: number; rowsPerBatch?: number; readout?: Readout }): Promise<number[][]> {
  const out = groups.map((g) => new Array<number>(g.replies.length));
  await eachReplyBatch(model, groups, opts, async (b, source) => {
    const res = await model.evaluate(
      'rewards',
      { ...sharedPrefixInputs(b), weights: { shape: [b.R, b.Tr] } },
      ({ P, inp, cfg }) => ({ reward: ops.reduceSum(ops.mul(rewardHead(P, sharedPrefixForward(cfg, P, inp).hidden, b.R, b.Tr), inp.weights), [1]) }),
      { ...sharedPrefixFeeds(b), weights: readoutWeights(b.rows, b.R, b.Tr, opts.readout ?? 'last') },
    );
    const reward = res.reward as Float32Array;
    b.rows.forEach((_, row) => {
      const [gi, ri] = source(row);
      out[gi][ri] = reward[row];
    });
  });
  return out;
}

/** What a reward head reads of each reply (`replyFeatures`), replies numbered group by group. */
export interface ReplyFeatures {
  /** Hidden size. */
  d: number;
  /** (n·d) final hidden state of the prompt's last token (the same for every reply to a prompt). */
  prompt: Float32Array;
  /** (n·d) the reply's final hidden states weighted by the read-out (its mean, or its last token). */
  reply: Float32Array;
  /** Index of reply `ri` of group `gi`: `index[gi][ri]`. */
  index: number[][];
}

/**
 * The features a reward head is linear in (see `rewardHead`): with these, the head's reward of a
 * reply is (w + Vᵀ(U·prompt + u))·reply + (U·prompt + u)·v, because the read-out is a weighted
 * sum of positions. `fitRewardHead` trains a head on them with the backbone frozen.
 */
export async function replyFeatures(model: LlamaModel, groups: PromptGroup[], opts: { padId: number; rowsPerBatch?: number; readout?: Readout }): Promise<ReplyFeatures> {
  const d = model.cfg.dModel;
  const index: number[][] = [];
  let n = 0;
  for (const g of groups) index.push(g.replies.map(() => n++));
  const prompt = new Float32Array(n * d);
  const reply = new Float32Array(n * d);
  await eachReplyBatch(model, groups, opts, async (b, source) => {
    const res = await model.evaluate(
      'reply-features',
      { ...sharedPrefixInputs(b), weights: { shape: [b.R, b.Tr, 1] } },
      ({ P, inp, cfg }) => {
        const hidden = ops.reshape(sharedPrefixForward(cfg, P, inp).hidden, [b.R, b.Tr, d]);
        return { prompt: ops.reshape(ops.slice(hidden, [0], [1], [1]), [b.R, d]), reply: ops.reduceSum(ops.mul(hidden, inp.weights), [1]) };
      },
      { ...sharedPrefixFeeds(b), weights: readoutWeights(b.rows, b.R, b.Tr, opts.readout ?? 'last') },
    );
    const p = res.prompt as Float32Array;
    const r = res.reply as Float32Array;
    b.rows.forEach((_, row) => {
      const [gi, ri] = source(row);
      const at = index[gi][ri] * d;
      prompt.set(p.subarray(row * d, (row + 1) * d), at);
      reply.set(r.subarray(row * d, (row + 1) * d), at);
    });
  });
  return { d, prompt, reply, index };
}
