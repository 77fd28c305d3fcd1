/**
 * Reward models: the Llama backbone plus a scalar head (`score.weight`, as Hugging Face's
 * LlamaForSequenceClassification), trained on preference pairs with the Bradley–Terry loss.
 *
 *   r(x, y)  = score · h_last          (the head on the last real token's final hidden state)
 *   loss     = mean softplus(−(r_chosen − r_rejected − margin))      (= −log σ(Δ − m))
 *            + centerCoef · mean((r_chosen + r_rejected)²)            (reward centering,
 *              Eisenstein et al. 2023, as TRL's `center_rewards_coefficient`)
 *
 * A batch holds B pairs as 2B right-padded rows (chosen rows first); a one-hot row mask
 * picks each row's last real token, so the reward read-out is a multiply and a sum.
 * Metrics use TRL's names: `rewards/accuracies`, `rewards/margins`, `rewards/chosen`,
 * `rewards/rejected`.
 *
 *   const batch = pairBatch(pairs, { padId });
 *   const trainer = new Trainer(model, cfg, rewardObjective({ centerCoef: 0.01 }));
 *   await trainer.step([batch]);
 */
import * as ops from '../engine/ops.js';
import type { LlamaModel } from '../model/model.js';
import { llamaForward, scalarHead } from '../model/llama.js';
import type { Objective } from './trainer.js';

/** One preference pair as token ids (prompt + response, each side complete). */
export interface TokenPair {
  chosen: number[];
  rejected: number[];
  /** Required reward gap (default 0). */
  margin?: number;
}

export interface PairBatch {
  /** Number of pairs. */
  B: number;
  T: number;
  /** (2B·T): chosen rows, then rejected rows, right-padded. */
  ids: BigInt64Array;
  /** (2B·T): 1 at each row's last real token. */
  last: Float32Array;
  /** (B) margins. */
  margin: Float32Array;
}

/** Packs pairs into one batch; T is the longest side rounded up to a multiple of 32 (or given). */
export function pairBatch(pairs: TokenPair[], opts: { padId: number; T?: number; maxLen?: number }): PairBatch {
  const B = pairs.length;
  if (B === 0) throw new Error('pairBatch: no pairs');
  const rows = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)].map((r) => (opts.maxLen ? r.slice(0, opts.maxLen) : r));
  rows.forEach((r, i) => {
    if (r.length === 0) throw new Error(`pairBatch: pair ${i % B} has an empty ${i < B ? 'chosen' : 'rejected'} sequence`);
  });
  const T = opts.T ?? Math.ceil(Math.max(...rows.map((r) => r.length)) / 32) * 32;
  const ids = new BigInt64Array(2 * B * T).fill(BigInt(opts.padId));
  const last = new Float32Array(2 * B * T);
  rows.forEach((r, i) => {
    if (r.length > T) throw new Error(`pairBatch: a sequence of ${r.length} tokens does not fit T = ${T}`);
    r.forEach((t, j) => (ids[i * T + j] = BigInt(t)));
    last[i * T + r.length - 1] = 1;
  });
  return { B, T, ids, last, margin: Float32Array.from(pairs, (p) => p.margin ?? 0) };
}

export interface RewardObjectiveOptions {
  /** Weight of the reward-centering term (default 0: off). */
  centerCoef?: number;
}

/** The Bradley–Terry objective for a Trainer (trains the backbone and the reward head). */
export function rewardObjective(o: RewardObjectiveOptions = {}): Objective<PairBatch> {
  const center = o.centerCoef ?? 0;
  return async (model: LlamaModel, b: PairBatch) => {
    if (!model.heads.includes('reward')) throw new Error('reward model: the model has no reward head (load it with heads: ["reward"])');
    model.validateIds(b.ids);
    const { B, T } = b;
    const r = await model.objective(
      `rm:c${center}`,
      { ids: { shape: [2 * B, T], dtype: 'int64' }, last: { shape: [2 * B, T] }, margin: { shape: [B] } },
      ({ P, inp, cfg }) => {
        const { hidden } = llamaForward(cfg, P, { ids: inp.ids });
        const rewards = ops.reduceSum(ops.mul(scalarHead(P, 'reward', hidden, 2 * B, T), inp.last), [1]); // (2B)
        const [rc, rr] = ops.split(rewards, [B, B], 0);
        const bt = ops.reduceMean(ops.softplus(ops.neg(ops.sub(ops.sub(rc, rr), inp.margin))), [0]);
        const loss = center > 0 ? ops.add(bt, ops.scale(ops.reduceMean(ops.square(ops.add(rc, rr)), [0]), center)) : bt;
        return { loss, extras: { rewards } };
      },
      { ids: b.ids, last: b.last, margin: b.margin },
      'all',
    );
    const rw = r.extras.rewards as Float32Array;
    let acc = 0;
    let gap = 0;
    let sc = 0;
    let sr = 0;
    for (let i = 0; i < B; i++) {
      acc += rw[i] > rw[B + i] ? 1 : 0;
      gap += rw[i] - rw[B + i];
      sc += rw[i];
      sr += rw[B + i];
    }
    return {
      loss: r.loss,
      flat: r.flat,
      metrics: { 'rewards/accuracies': acc / B, 'rewards/margins': gap / B, 'rewards/chosen': sc / B, 'rewards/rejected': sr / B },
    };
  };
}

/** Rewards of complete sequences (prompt + response ids), in batches of `batchSize`. */
export async function scoreSequences(model: LlamaModel, seqs: number[][], opts: { padId: number; batchSize?: number }): Promise<number[]> {
  const out: number[] = [];
  const bs = opts.batchSize ?? 32;
  for (let i = 0; i < seqs.length; i += bs) {
    const chunk = seqs.slice(i, i + bs);
    const T = Math.ceil(Math.max(...chunk.map((s) => s.length)) / 32) * 32;
    const ids = new BigInt64Array(chunk.length * T).fill(BigInt(opts.padId));
    chunk.forEach((s, r) => s.forEach((t, j) => (ids[r * T + j] = BigInt(t))));
    const res = await model.forward({ B: chunk.length, T, ids }, { logits: false, heads: ['reward'] });
    const head = res.heads.reward!;
    chunk.forEach((s, r) => out.push(head[r * T + s.length - 1]));
  }
  return out;
}
