/**
 * Direct Preference Optimization (Rafailov et al. 2023): learn from preference pairs with no
 * reward model and no sampling. The policy πθ is pushed to raise the log-probability of the
 * chosen response y_c over the rejected one y_r *relative to* a frozen reference π_ref (the
 * starting model), which plays the role of the KL leash in RLHF:
 *
 *   h     = [log πθ(y_c|x) − log π_ref(y_c|x)] − [log πθ(y_r|x) − log π_ref(y_r|x)]
 *   sigmoid (DPO):        loss = −log σ(β·h)                         = softplus(−β·h)
 *   conservative DPO (label smoothing ε, the labels are flipped with probability ε):
 *                         loss = (1 − ε)·softplus(−β·h) + ε·softplus(β·h)
 *   ipo (Azar et al. 2023): loss = (h − 1/(2β))²
 *
 * log π(y|x) sums the log-probabilities of the response tokens only (the prompt is masked).
 * For `ipo` the log-probabilities are averaged over the response tokens instead, as TRL does
 * (following the IPO authors); β then acts on per-token log-ratios.
 *
 * The reference log-probabilities are computed once per pair before training (`withReference`,
 * TRL's `precompute_ref_log_probs`) and fed to the graph as inputs, so the reference model
 * need not stay in memory.
 *
 * A batch holds B pairs as 2B right-padded rows, chosen rows first; row i is prompt + response
 * shifted by one (inputs and next-token targets, as in SFT batches) and `mask` is 1 where the
 * target is a response token. Metrics use TRL's names, with the implicit reward
 * r = β·(log πθ − log π_ref): `rewards/chosen`, `rewards/rejected`, `rewards/accuracies`
 * (share of pairs with r_c > r_r), `rewards/margins` (mean r_c − r_r), `logps/chosen`,
 * `logps/rejected` (policy log-probabilities).
 *
 *   const cfg = dpoConfig({ beta: 0.1 });
 *   const pairs = await withReference(model, tokenPairs, { padId });   // before any update
 *   const trainer = new Trainer(model, trainConfig({ lr: 1e-5 }), dpoObjective(cfg));
 *   const m = await trainer.step([dpoBatch(pairs.slice(0, 8), { padId })]);
 *   m['rewards/accuracies'];
 */
import { z } from 'zod';
import * as ops from '../engine/ops.js';
import type { LlamaModel } from '../model/model.js';
import { llamaForward } from '../model/llama.js';
import type { Objective } from './trainer.js';

export const DpoConfigSchema = z
  .object({
    /** β: the strength of the leash to the reference; larger stays closer (default 0.1). */
    beta: z.number().positive().default(0.1),
    /** 'sigmoid' (DPO) or 'ipo' (default 'sigmoid'). */
    lossType: z.enum(['sigmoid', 'ipo']).default('sigmoid'),
    /** ε of conservative DPO: assumed probability that a label is flipped, in [0, 0.5) (default 0: off; sigmoid only). */
    labelSmoothing: z.number().min(0).lt(0.5).default(0),
  })
  .strict()
  .refine((c) => c.lossType === 'sigmoid' || c.labelSmoothing === 0, { message: 'applies to the sigmoid loss only (set lossType sigmoid or labelSmoothing 0)', path: ['labelSmoothing'] });

export type DpoConfig = z.output<typeof DpoConfigSchema>;

/** Validates a DPO config (defaults filled in); errors name `where` and the field. */
export function dpoConfig(input: unknown = {}, where = 'dpo config'): DpoConfig {
  const r = DpoConfigSchema.safeParse(input);
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** One preference pair as token ids: the prompt (with the generation prompt) and each response. */
export interface DpoPair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /** Σ log π_ref(y_c|x) over the chosen response tokens (set by withReference). */
  refChosenLogps?: number;
  /** Σ log π_ref(y_r|x) over the rejected response tokens. */
  refRejectedLogps?: number;
}

export interface DpoBatch {
  /** Number of pairs. */
  B: number;
  T: number;
  /** (2B·T) inputs: chosen rows, then rejected rows, right-padded. */
  ids: BigInt64Array;
  /** (2B·T) next-token targets. */
  targets: BigInt64Array;
  /** (2B·T) 1 where the target is a response token. */
  mask: Float32Array;
  /** (2B) summed reference log-probabilities: chosen rows, then rejected rows. */
  refLogps: Float32Array;
  /**
   * (B) weight of each pair in the loss, default 1/B (the mean). Micro-batches of one optimizer
   * step use count/total so that the trainer's average over them is the mean over all pairs.
   */
  pairWeights: Float32Array;
}

function checkPair(p: DpoPair, i: number): void {
  if (p.prompt.length === 0) throw new Error(`dpo: pair ${i} has an empty prompt`);
  if (p.chosen.length === 0) throw new Error(`dpo: pair ${i} has an empty chosen response`);
  if (p.rejected.length === 0) throw new Error(`dpo: pair ${i} has an empty rejected response`);
}

/** Row length of prompt + response as (input, target) positions. */
const rowLength = (prompt: number[], response: number[]) => prompt.length + response.length - 1;

/**
 * Packs rows (prompt + response) into inputs, targets and a response mask. T defaults to the
 * longest row rounded up to a multiple of 64, capped at maxT.
 */
function packRows(rows: { prompt: number[]; response: number[] }[], padId: number, T?: number, maxT = Infinity): { T: number; ids: BigInt64Array; targets: BigInt64Array; mask: Float32Array } {
  const longest = Math.max(...rows.map((r) => rowLength(r.prompt, r.response)));
  const len = T ?? Math.min(Math.ceil(longest / 64) * 64, maxT);
  if (longest > len) throw new Error(`dpo: a prompt + response of ${longest + 1} tokens does not fit ${T === undefined && len === maxT ? `the model's context (${maxT} positions)` : `T = ${len}`}`);
  const n = rows.length * len;
  const ids = new BigInt64Array(n).fill(BigInt(padId));
  const targets = new BigInt64Array(n).fill(BigInt(padId));
  const mask = new Float32Array(n);
  rows.forEach((r, b) => {
    const seq = [...r.prompt, ...r.response];
    for (let t = 0; t < seq.length - 1; t++) {
      ids[b * len + t] = BigInt(seq[t]);
      targets[b * len + t] = BigInt(seq[t + 1]);
      if (t >= r.prompt.length - 1) mask[b * len + t] = 1;
    }
  });
  return { T: len, ids, targets, mask };
}

/**
 * Packs pairs (each with its reference log-probabilities) into one batch. T is `opts.T`, or the
 * longest row rounded up to a multiple of 64 (few compiled shapes) and capped at `opts.maxT`
 * (pass the model's maxSeqLen).
 */
export function dpoBatch(pairs: DpoPair[], opts: { padId: number; T?: number; maxT?: number; pairWeights?: ArrayLike<number> }): DpoBatch {
  const B = pairs.length;
  if (B === 0) throw new Error('dpoBatch: no pairs');
  pairs.forEach((p, i) => {
    checkPair(p, i);
    if (p.refChosenLogps === undefined || p.refRejectedLogps === undefined) throw new Error(`dpoBatch: pair ${i} has no reference log-probabilities (compute them with withReference before training)`);
  });
  if (opts.pairWeights && opts.pairWeights.length !== B) throw new Error(`dpoBatch: ${opts.pairWeights.length} pair weights for ${B} pairs`);
  const rows = [...pairs.map((p) => ({ prompt: p.prompt, response: p.chosen })), ...pairs.map((p) => ({ prompt: p.prompt, response: p.rejected }))];
  const { T, ids, targets, mask } = packRows(rows, opts.padId, opts.T, opts.maxT);
  const refLogps = Float32Array.from([...pairs.map((p) => p.refChosenLogps!), ...pairs.map((p) => p.refRejectedLogps!)]);
  const pairWeights = opts.pairWeights ? Float32Array.from(opts.pairWeights) : new Float32Array(B).fill(1 / B);
  return { B, T, ids, targets, mask, refLogps, pairWeights };
}

/** The DPO / IPO / conservative-DPO objective for a Trainer (trains the language-model parameters). */
export function dpoObjective(cfg: DpoConfig = dpoConfig()): Objective<DpoBatch> {
  const { beta, lossType, labelSmoothing: ls } = cfg;
  const average = lossType === 'ipo';
  return async (model: LlamaModel, b: DpoBatch) => {
    model.validateIds(b.ids);
    const { B, T } = b;
    const R = 2 * B;
    const r = await model.objective(
      `dpo:${lossType}:${beta}:${ls}`,
      {
        ids: { shape: [R, T], dtype: 'int64' },
        targets: { shape: [R * T], dtype: 'int64' },
        mask: { shape: [R * T] },
        refLogps: { shape: [R] },
        pairWeights: { shape: [B] },
      },
      ({ g, P, inp, cfg: c }) => {
        const { logits } = llamaForward(c, P, { ids: inp.ids });
        const tokenLogps = ops.neg(ops.softmaxCrossEntropy(logits, inp.targets).loss); // (2B·T)
        let logps = ops.reduceSum(ops.reshape(ops.mul(tokenLogps, inp.mask), [R, T]), [1]); // (2B)
        let ref = inp.refLogps;
        if (average) {
          const count = ops.max(ops.reduceSum(ops.reshape(inp.mask, [R, T]), [1]), g.scalar(1)); // (2B)
          logps = ops.div(logps, count);
          ref = ops.div(ref, count);
        }
        const [pc, pr] = ops.split(logps, [B, B], 0);
        const [rc, rr] = ops.split(ref, [B, B], 0);
        const h = ops.sub(ops.sub(pc, rc), ops.sub(pr, rr)); // (B)
        let perPair: typeof h;
        if (lossType === 'ipo') perPair = ops.square(ops.sub(h, g.scalar(1 / (2 * beta))));
        else {
          perPair = ops.softplus(ops.scale(h, -beta));
          if (ls > 0) perPair = ops.add(ops.scale(perPair, 1 - ls), ops.scale(ops.softplus(ops.scale(h, beta)), ls));
        }
        return { loss: ops.reduceSum(ops.mul(perPair, inp.pairWeights), [0]), extras: { logps, ref } };
      },
      { ids: b.ids, targets: b.targets, mask: b.mask, refLogps: b.refLogps, pairWeights: b.pairWeights },
    );
    const lp = r.extras.logps as Float32Array;
    const ref = r.extras.ref as Float32Array;
    const m = { chosen: 0, rejected: 0, accuracies: 0, margins: 0, lc: 0, lr: 0 };
    for (let i = 0; i < B; i++) {
      const w = b.pairWeights[i];
      const rwc = beta * (lp[i] - ref[i]);
      const rwr = beta * (lp[B + i] - ref[B + i]);
      m.chosen += w * rwc;
      m.rejected += w * rwr;
      m.accuracies += w * (rwc > rwr ? 1 : 0);
      m.margins += w * (rwc - rwr);
      m.lc += w * lp[i];
      m.lr += w * lp[B + i];
    }
    return {
      loss: r.loss,
      flat: r.flat,
      metrics: {
        'rewards/chosen': m.chosen,
        'rewards/rejected': m.rejected,
        'rewards/accuracies': m.accuracies,
        'rewards/margins': m.margins,
        'logps/chosen': m.lc,
        'logps/rejected': m.lr,
      },
    };
  };
}

/**
 * Summed log-probabilities of the chosen and rejected responses of every pair under `model`
 * (a forward pass, no gradient), in micro-batches of `batchPairs` pairs; T per micro-batch is
 * the longest row rounded up to 64, capped at the model's context.
 */
export async function pairLogps(model: LlamaModel, pairs: DpoPair[], opts: { padId: number; batchPairs?: number }): Promise<{ chosen: number[]; rejected: number[] }> {
  pairs.forEach(checkPair);
  const bp = opts.batchPairs ?? 8;
  const chosen: number[] = [];
  const rejected: number[] = [];
  for (let s = 0; s < pairs.length; s += bp) {
    const chunk = pairs.slice(s, s + bp);
    const rows = [...chunk.map((p) => ({ prompt: p.prompt, response: p.chosen })), ...chunk.map((p) => ({ prompt: p.prompt, response: p.rejected }))];
    const { T, ids, targets, mask } = packRows(rows, opts.padId, undefined, model.cfg.maxSeqLen);
    const lp = await model.tokenLogprobs({ B: rows.length, T, ids, targets });
    const sums = rows.map((_, r) => {
      let s = 0;
      for (let t = 0; t < T; t++) if (mask[r * T + t]) s += lp[r * T + t];
      return s;
    });
    chosen.push(...sums.slice(0, chunk.length));
    rejected.push(...sums.slice(chunk.length));
  }
  return { chosen, rejected };
}

/** The pairs with `refChosenLogps` / `refRejectedLogps` filled in from the (frozen) reference model. */
export async function withReference(reference: LlamaModel, pairs: DpoPair[], opts: { padId: number; batchPairs?: number }): Promise<DpoPair[]> {
  const { chosen, rejected } = await pairLogps(reference, pairs, opts);
  return pairs.map((p, i) => ({ ...p, refChosenLogps: chosen[i], refRejectedLogps: rejected[i] }));
}

/**
 * Implicit rewards r = β·(log πθ − log π_ref) of each pair's two responses, from summed policy
 * log-probabilities (pairLogps) and the pairs' reference log-probabilities; per-token averages
 * for `ipo`, as in training. r_c > r_r means the policy prefers the chosen response.
 */
export function implicitRewards(policy: { chosen: number[]; rejected: number[] }, pairs: DpoPair[], cfg: DpoConfig): { chosen: number[]; rejected: number[] } {
  const norm = (n: number) => (cfg.lossType === 'ipo' ? n : 1);
  const reward = (lp: number, ref: number | undefined, n: number, i: number) => {
    if (ref === undefined) throw new Error(`implicitRewards: pair ${i} has no reference log-probabilities`);
    return (cfg.beta * (lp - ref)) / norm(n);
  };
  return {
    chosen: pairs.map((p, i) => reward(policy.chosen[i], p.refChosenLogps, p.chosen.length, i)),
    rejected: pairs.map((p, i) => reward(policy.rejected[i], p.refRejectedLogps, p.rejected.length, i)),
  };
}
