/**
 * Policy-gradient objectives on sampled responses: the clipped surrogate of PPO (Schulman et
 * al. 2017) over per-token advantages — with one update per rollout and sequence-level
 * leave-one-out advantages it is RLOO (Ahmadian et al. 2024) — optionally with PPO's clipped
 * value loss on the value head and an entropy bonus. One objective serves RLOO and PPO.
 *
 * A rollout batch is B right-padded rows of prompt + response; `mask` marks response tokens
 * as prediction targets (position t predicts token t+1, as in SFT batches). With `prefix`
 * (model/shared-prefix.ts) the rows are only `[prompt[-1], ...response]` and the prompts run
 * once per distinct prompt — the k samples of one prompt share it — which is exact and, at
 * HelpDesk lengths (~210-token prompts, ~35-token replies), several times cheaper. For each response
 * token with log-probability logπ under the current policy, logπ_old at sampling time,
 * advantage A, value V (value head at that position), V_old at sampling time and return R:
 *
 *   ratio   = exp(logπ − logπ_old)
 *   L_pg    = −mean_mask min(ratio · A, clip(ratio, 1 − ε, 1 + ε) · A)
 *   L_vf    = ½ · mean_mask max((V − R)², (clip(V, V_old − ε_v, V_old + ε_v) − R)²)   (TRL)
 *   H       = mean_mask (−Σ_v p_v log p_v)      entropy of the full next-token distribution
 *   L_kl    = mean_mask (exp(δ) − δ − 1),  δ = logπ_ref − logπ     (k3; only with a batch's `klLoss`)
 *   loss    = L_pg + vfCoef · L_vf − entCoef · H + β · L_kl
 *
 * Without `vfCoef` the value term is absent and only the language model trains; with it the
 * value head trains too (the model needs heads ['value'], the batch oldValues and returns).
 *
 * Metrics (TRL names): `policy/clipfrac_avg` (fraction of tokens where the ratio clip binds),
 * `policy/approxkl_avg` (mean ½(logπ − logπ_old)²), `loss/policy_avg` (L_pg),
 * `policy/entropy_avg` (H), `val/ratio` (mean ratio); with the value loss `loss/value_avg`
 * (L_vf) and `val/clipfrac_avg` (fraction where the clipped value term is the larger); with a
 * KL term `loss/kl_avg` (L_kl, before β).
 *
 *   const trainer = new Trainer(policy, trainConfig({ lr: 1e-5 }), policyObjective({ clip: 0.2, vfCoef: 0.1 }));
 */
import * as ops from '../engine/ops.js';
import type { Tensor } from '../engine/ir.js';
import type { LlamaModel } from '../model/model.js';
import { llamaForward, scalarHead } from '../model/llama.js';
import { sharedPrefixBatch, sharedPrefixForward, sharedPrefixInputs, type SharedPrefixBatch } from '../model/shared-prefix.js';
import type { Objective } from './trainer.js';

export interface RolloutBatch {
  B: number;
  T: number;
  /** Inputs (B·T). */
  ids: BigInt64Array;
  /** Next-token targets (B·T). */
  targets: BigInt64Array;
  /** 1 where the target is a response token (B·T). */
  mask: Float32Array;
  /** log π_old of each target at sampling time (B·T; 0 where mask is 0). */
  oldLogprobs: Float32Array;
  /** Advantage of each target (B·T; a sequence's advantage repeated over its tokens for RLOO). */
  advantages: Float32Array;
  /** Value-head output at sampling time (B·T), for the clipped value loss. */
  oldValues?: Float32Array;
  /** Value targets, e.g. GAE returns (B·T). */
  returns?: Float32Array;
  /**
   * A KL term in the loss instead of the reward (GRPO): log π_ref of each target (B·T) and its
   * weight β. The loss gains β · mean_mask k3, k3 = exp(logπ_ref − logπ) − (logπ_ref − logπ) − 1
   * under the current policy (≥ 0, unbiased for KL(π‖π_ref) on the policy's own samples).
   */
  klLoss?: { refLogprobs: Float32Array; coef: number };
  /** Shared prompts: then `ids` are the continuation rows (see the file header). */
  prefix?: RolloutPrefix;
}

/** The prompt half of a shared-prefix rollout batch (`ids` is its rowIds). */
export type RolloutPrefix = Pick<SharedPrefixBatch, 'G' | 'Tp' | 'prefixIds' | 'prefixPos' | 'prefixMask' | 'rowPos' | 'rowMask' | 'rowGroup'>;

/** Graph inputs and feeds of a rollout batch's token rows (plain or shared-prefix). */
function rowInputs(b: Pick<RolloutBatch, 'B' | 'T' | 'ids' | 'prefix'>): { inputs: Record<string, { shape: number[]; dtype?: 'int64' }>; feeds: Record<string, BigInt64Array | Float32Array> } {
  const { B, T } = b;
  if (!b.prefix) return { inputs: { ids: { shape: [B, T], dtype: 'int64' } }, feeds: { ids: b.ids } };
  const p = b.prefix;
  return {
    inputs: sharedPrefixInputs({ G: p.G, Tp: p.Tp, R: B, Tr: T }),
    feeds: { prefixIds: p.prefixIds, prefixPos: p.prefixPos, prefixMask: p.prefixMask, rowIds: b.ids, rowPos: p.rowPos, rowMask: p.rowMask, rowGroup: p.rowGroup },
  };
}

/** The forward pass of a rollout batch's rows: logits (B·T, V) and hidden states (B·T, d). */
function rowForward(cfg: Parameters<typeof llamaForward>[0], P: Parameters<typeof llamaForward>[1], inp: Record<string, Tensor>, shared: boolean) {
  return shared ? sharedPrefixForward(cfg, P, inp) : llamaForward(cfg, P, { ids: inp.ids });
}

/** log π(target) at every position of a rollout batch (B·T): reference and old-policy log-probs. */
export async function rolloutLogprobs(model: LlamaModel, b: Pick<RolloutBatch, 'B' | 'T' | 'ids' | 'targets' | 'prefix'>): Promise<Float32Array> {
  if (!b.prefix) return model.tokenLogprobs({ B: b.B, T: b.T, ids: b.ids, targets: b.targets });
  const { inputs, feeds } = rowInputs(b);
  const out = await model.evaluate('rollout-logprobs', { ...inputs, targets: { shape: [b.B * b.T], dtype: 'int64' } }, ({ P, inp, cfg }) => ({ logprobs: ops.neg(ops.softmaxCrossEntropy(sharedPrefixForward(cfg, P, inp).logits, inp.targets).loss) }), { ...feeds, targets: b.targets });
  return out.logprobs as Float32Array;
}

/** The value head at every position of a rollout batch (B·T). */
export async function rolloutValues(model: LlamaModel, b: Pick<RolloutBatch, 'B' | 'T' | 'ids' | 'prefix'>): Promise<Float32Array> {
  if (!model.heads.includes('value')) throw new Error("rolloutValues: the model has no value head (load it with heads: ['value'])");
  const { inputs, feeds } = rowInputs(b);
  const out = await model.evaluate('rollout-values', inputs, ({ P, inp, cfg }) => ({ values: scalarHead(P, 'value', rowForward(cfg, P, inp, !!b.prefix).hidden, b.B, b.T) }), feeds);
  return out.values as Float32Array;
}

export interface PolicyObjectiveOptions {
  /** Clip range ε of the probability ratio (default 0.2; TRL `cliprange`). */
  clip?: number;
  /** Weight of the value loss (default: no value loss; PPO uses 0.1, TRL `vf_coef`). */
  vfCoef?: number;
  /** Clip range ε_v of the value prediction around V_old (default 0.2; TRL `cliprange_value`). */
  cliprangeValue?: number;
  /** Weight of the entropy bonus (default 0). */
  entCoef?: number;
}

/** Entropy −Σ_v exp(lp)·lp of each row of log-probabilities: (N, V) → (N). */
function entropyOf(logprobs: Tensor): Tensor {
  return ops.neg(ops.reduceSum(ops.mul(ops.exp(logprobs), logprobs), [1]));
}

export function policyObjective(o: PolicyObjectiveOptions = {}): Objective<RolloutBatch> {
  const eps = o.clip ?? 0.2;
  const vfCoef = o.vfCoef;
  const cv = o.cliprangeValue ?? 0.2;
  const ent = o.entCoef ?? 0;
  for (const [k, v] of Object.entries({ clip: eps, vfCoef: vfCoef ?? 0, cliprangeValue: cv, entCoef: ent })) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`policyObjective: ${k} must be a finite number ≥ 0, got ${v}`);
  }
  const withValue = vfCoef !== undefined;
  return async (model: LlamaModel, b: RolloutBatch) => {
    model.validateIds(b.ids);
    if (b.prefix) model.validateIds(b.prefix.prefixIds);
    const { B, T } = b;
    const N = B * T;
    const rows = rowInputs(b);
    if (withValue) {
      if (!model.heads.includes('value')) throw new Error("policyObjective: the value loss needs a model with a value head (load it with heads: ['value'])");
      if (!b.oldValues || !b.returns) throw new Error('policyObjective: the value loss needs oldValues and returns in the batch');
    }
    const klLoss = b.klLoss;
    if (klLoss) {
      if (klLoss.refLogprobs.length !== N) throw new Error(`policyObjective: klLoss.refLogprobs has ${klLoss.refLogprobs.length} values, expected B·T = ${N}`);
      if (!Number.isFinite(klLoss.coef) || klLoss.coef < 0) throw new Error(`policyObjective: klLoss.coef must be a finite number ≥ 0, got ${klLoss.coef}`);
    }
    const r = await model.objective(
      `policy:c${eps}:v${vfCoef ?? '-'}:${cv}:e${ent}${klLoss ? ':kl' : ''}`,
      {
        ...rows.inputs,
        targets: { shape: [N], dtype: 'int64' },
        mask: { shape: [N] },
        oldLogprobs: { shape: [N] },
        advantages: { shape: [N] },
        ...(withValue ? { oldValues: { shape: [N] }, returns: { shape: [N] } } : {}),
        ...(klLoss ? { refLogprobs: { shape: [N] }, klCoef: { shape: [1] } } : {}),
      },
      ({ g, P, inp, cfg }) => {
        const { logits, hidden } = rowForward(cfg, P, inp, !!b.prefix);
        const sce = ops.softmaxCrossEntropy(logits, inp.targets);
        const logp = ops.neg(sce.loss); // (N)
        const count = ops.max(ops.reduceSum(inp.mask, [0]), g.scalar(1));
        const maskedMean = (x: Tensor) => ops.div(ops.reduceSum(ops.mul(x, inp.mask), [0]), count);
        // clip(x, lo, hi) = max(min(x, hi), lo) and min(x, y) = −max(−x, −y)
        const clamp = (x: Tensor, lo: Tensor, hi: Tensor) => ops.max(ops.neg(ops.max(ops.neg(x), ops.neg(hi))), lo);

        const diff = ops.mul(ops.sub(logp, inp.oldLogprobs), inp.mask);
        const ratio = ops.exp(diff);
        const clipped = clamp(ratio, g.scalar(1 - eps), g.scalar(1 + eps));
        const a = inp.advantages;
        const surrogate = ops.neg(ops.max(ops.neg(ops.mul(ratio, a)), ops.neg(ops.mul(clipped, a))));
        const pgLoss = ops.neg(maskedMean(surrogate));
        // The bonus needs a differentiable log-softmax; for the metric alone the cross-entropy
        // node's own log-probabilities suffice (no second pass over the vocabulary).
        const entropy = entropyOf(ent > 0 ? ops.logSoftmax(logits, -1) : sce.logprobs); // (N)
        let loss = ent > 0 ? ops.sub(pgLoss, ops.scale(maskedMean(entropy), ent)) : pgLoss;
        const extras: Record<string, Tensor> = { diff, ratio, entropy, pgLoss };
        if (withValue) {
          const v = ops.reshape(scalarHead(P, 'value', hidden, B, T), [N]);
          const vClipped = clamp(v, ops.sub(inp.oldValues, g.scalar(cv)), ops.add(inp.oldValues, g.scalar(cv)));
          const l1 = ops.square(ops.sub(v, inp.returns));
          const l2 = ops.square(ops.sub(vClipped, inp.returns));
          const vfLoss = ops.scale(maskedMean(ops.max(l1, l2)), 0.5);
          loss = ops.add(loss, ops.scale(vfLoss, vfCoef));
          Object.assign(extras, { vfLoss, values: v });
        }
        if (klLoss) {
          // k3 per token under the current policy; δ is 0 off the mask, so k3 is too.
          const delta = ops.mul(ops.sub(inp.refLogprobs, logp), inp.mask);
          const k3 = ops.sub(ops.sub(ops.exp(delta), delta), g.scalar(1));
          const klTerm = maskedMean(k3);
          loss = ops.add(loss, ops.mul(ops.reshape(inp.klCoef, []), klTerm));
          extras.klTerm = klTerm;
        }
        return { loss, extras };
      },
      {
        ...rows.feeds,
        targets: b.targets,
        mask: b.mask,
        oldLogprobs: b.oldLogprobs,
        advantages: b.advantages,
        ...(withValue ? { oldValues: b.oldValues!, returns: b.returns! } : {}),
        ...(klLoss ? { refLogprobs: klLoss.refLogprobs, klCoef: Float32Array.of(klLoss.coef) } : {}),
      },
      withValue ? 'all' : 'lm',
    );
    const diff = r.extras.diff as Float32Array;
    const ratio = r.extras.ratio as Float32Array;
    const entropy = r.extras.entropy as Float32Array;
    const values = r.extras.values as Float32Array | undefined;
    let n = 0;
    let clipped = 0;
    let approxkl = 0;
    let ratioSum = 0;
    let entSum = 0;
    let vClipped = 0;
    for (let i = 0; i < N; i++) {
      if (b.mask[i] === 0) continue;
      n++;
      approxkl += 0.5 * diff[i] * diff[i];
      ratioSum += ratio[i];
      entSum += entropy[i];
      const a = b.advantages[i];
      if ((a > 0 && ratio[i] > 1 + eps) || (a < 0 && ratio[i] < 1 - eps)) clipped++;
      if (values) {
        const old = b.oldValues![i];
        const R = b.returns![i];
        const vc = Math.min(Math.max(values[i], old - cv), old + cv);
        if ((vc - R) ** 2 > (values[i] - R) ** 2) vClipped++;
      }
    }
    const avg = (x: number) => (n ? x / n : 0);
    const metrics: Record<string, number> = {
      'policy/clipfrac_avg': avg(clipped),
      'policy/approxkl_avg': avg(approxkl),
      'loss/policy_avg': (r.extras.pgLoss as Float32Array)[0],
      'policy/entropy_avg': avg(entSum),
      'val/ratio': n ? ratioSum / n : 1,
    };
    if (klLoss) metrics['loss/kl_avg'] = (r.extras.klTerm as Float32Array)[0];
    if (values) {
      metrics['loss/value_avg'] = (r.extras.vfLoss as Float32Array)[0];
      metrics['val/clipfrac_avg'] = avg(vClipped);
    }
    return { loss: r.loss, flat: r.flat, metrics };
  };
}

/** Rollout rows as built by `rolloutRows`: a batch without advantages, and each row's last response position. */
export type RolloutRows = Omit<RolloutBatch, 'advantages'> & {
  /** Flat index (b·T + t) of each row's last response token. */
  last: number[];
};

/**
 * Packs prompts and their sampled responses (tokens with log π_old each, as `generate`
 * returns them) into rows with targets (the next tokens), a mask on the positions whose
 * target is a response token, and log π_old there.
 *
 * - `sharePrefix` (default true): a shared-prefix batch (file header) — one prefix per
 *   distinct prompt, rows `[prompt[-1], ...response]`; prompt lengths round up to a multiple
 *   of 64 and row lengths to 32, so few graph shapes compile across steps.
 * - otherwise: full right-padded rows of prompt + response, T the longest row minus one
 *   rounded up to a multiple of 64, at most maxSeqLen.
 */
export function rolloutRows(prompts: number[][], gens: { tokens: number[]; logprobs: number[] }[], o: { padId: number; maxSeqLen: number; sharePrefix?: boolean }): RolloutRows {
  const B = prompts.length;
  if (B === 0 || gens.length !== B) throw new Error(`rolloutRows: ${B} prompts and ${gens.length} responses (need as many, at least one)`);
  gens.forEach((g, b) => {
    if (g.tokens.length === 0) throw new Error(`rolloutRows: response ${b} is empty`);
    if (g.logprobs.length !== g.tokens.length) throw new Error(`rolloutRows: response ${b} has ${g.tokens.length} tokens but ${g.logprobs.length} log-probabilities`);
    if (prompts[b].length === 0) throw new Error(`rolloutRows: prompt ${b} is empty`);
  });
  const longest = Math.max(...prompts.map((p, b) => p.length + gens[b].tokens.length));
  if (longest - 1 > o.maxSeqLen) throw new Error(`rolloutRows: a prompt + response of ${longest} tokens exceeds the context length ${o.maxSeqLen}`);
  if (o.sharePrefix ?? true) return sharedRolloutRows(prompts, gens, o);
  const T = Math.min(Math.ceil((longest - 1) / 64) * 64, o.maxSeqLen);
  const ids = new BigInt64Array(B * T).fill(BigInt(o.padId));
  const targets = new BigInt64Array(B * T).fill(BigInt(o.padId));
  const mask = new Float32Array(B * T);
  const oldLogprobs = new Float32Array(B * T);
  const last: number[] = [];
  prompts.forEach((p, b) => {
    const seq = [...p, ...gens[b].tokens];
    for (let t = 0; t < seq.length - 1; t++) {
      ids[b * T + t] = BigInt(seq[t]);
      targets[b * T + t] = BigInt(seq[t + 1]);
    }
    gens[b].logprobs.forEach((lp, j) => {
      const pos = b * T + p.length - 1 + j;
      mask[pos] = 1;
      oldLogprobs[pos] = lp;
    });
    last.push(b * T + p.length - 2 + gens[b].tokens.length);
  });
  return { B, T, ids, targets, mask, oldLogprobs, last };
}

function sharedRolloutRows(prompts: number[][], gens: { tokens: number[]; logprobs: number[] }[], o: { padId: number; maxSeqLen: number }): RolloutRows {
  // Group rows by prompt, keeping the rollout's row order: row b is reply `slot[b]` of group `groupOf[b]`.
  const groups: { prompt: number[]; replies: number[][] }[] = [];
  const byKey = new Map<string, number>();
  const order: number[] = [];
  prompts.forEach((p, b) => {
    const key = p.join(',');
    let g = byKey.get(key);
    if (g === undefined) {
      g = groups.length;
      byKey.set(key, g);
      groups.push({ prompt: p, replies: [] });
    }
    groups[g].replies.push(gens[b].tokens);
    order.push(g);
  });
  const Tp = Math.ceil(Math.max(1, ...groups.map((g) => g.prompt.length - 1)) / 64) * 64;
  const re = sharedPrefixBatch(groups, { padId: o.padId, maxSeqLen: o.maxSeqLen, lengthMultiple: 32, prefixLength: Tp });
  // sharedPrefixBatch lists rows group by group; map them back to rollout order.
  const seen = new Array<number>(groups.length).fill(0);
  const firstRow: number[] = [];
  let acc = 0;
  for (const g of groups) {
    firstRow.push(acc);
    acc += g.replies.length;
  }
  const src = order.map((g) => firstRow[g] + seen[g]++);
  const B = prompts.length;
  const T = re.Tr;
  const S = re.Tp + T;
  const ids = new BigInt64Array(B * T);
  const rowPos = new BigInt64Array(B * T);
  const rowMask = new Float32Array(B * S);
  const rowGroup = new Float32Array(B * re.G);
  const targets = new BigInt64Array(B * T).fill(BigInt(o.padId));
  const mask = new Float32Array(B * T);
  const oldLogprobs = new Float32Array(B * T);
  const last: number[] = [];
  src.forEach((r, b) => {
    ids.set(re.rowIds.subarray(r * T, (r + 1) * T), b * T);
    rowPos.set(re.rowPos.subarray(r * T, (r + 1) * T), b * T);
    rowMask.set(re.rowMask.subarray(r * S, (r + 1) * S), b * S);
    rowGroup.set(re.rowGroup.subarray(r * re.G, (r + 1) * re.G), b * re.G);
    gens[b].tokens.forEach((t, j) => {
      targets[b * T + j] = BigInt(t);
      mask[b * T + j] = 1;
      oldLogprobs[b * T + j] = gens[b].logprobs[j];
    });
    last.push(b * T + gens[b].tokens.length - 1);
  });
  const prefix: RolloutPrefix = { G: re.G, Tp: re.Tp, prefixIds: re.prefixIds, prefixPos: re.prefixPos, prefixMask: re.prefixMask, rowPos, rowMask, rowGroup };
  return { B, T, ids, targets, mask, oldLogprobs, last, prefix };
}

/** The given rows of a rollout batch, in that order, as a new batch (minibatches, micro-batches). */
export function selectRows(b: RolloutBatch, rows: number[]): RolloutBatch {
  const { T } = b;
  for (const r of rows) if (!Number.isInteger(r) || r < 0 || r >= b.B) throw new Error(`selectRows: row ${r} is outside 0…${b.B - 1}`);
  const pick = <A extends Float32Array | BigInt64Array>(x: A, width = T): A => {
    const out = new (x.constructor as new (n: number) => A)(rows.length * width);
    rows.forEach((r, i) => out.set(x.subarray(r * width, (r + 1) * width) as never, i * width));
    return out;
  };
  return {
    B: rows.length,
    T,
    ids: pick(b.ids),
    targets: pick(b.targets),
    mask: pick(b.mask),
    oldLogprobs: pick(b.oldLogprobs),
    advantages: pick(b.advantages),
    ...(b.oldValues ? { oldValues: pick(b.oldValues) } : {}),
    ...(b.returns ? { returns: pick(b.returns) } : {}),
    ...(b.klLoss ? { klLoss: { refLogprobs: pick(b.klLoss.refLogprobs), coef: b.klLoss.coef } } : {}),
    ...(b.prefix ? { prefix: selectPrefix(b.prefix, rows, T) } : {}),
  };
}

/** The prefixes the selected rows use (only those run), and the rows' position, mask and group. */
function selectPrefix(p: RolloutPrefix, rows: number[], T: number): RolloutPrefix {
  const groupOfRow = (r: number) => p.rowGroup.subarray(r * p.G, (r + 1) * p.G).indexOf(1);
  const used = [...new Set(rows.map(groupOfRow))].sort((a, b) => a - b);
  const G = used.length;
  const S = p.Tp + T;
  const take = <A extends Float32Array | BigInt64Array>(x: A, idx: number[], width: number): A => {
    const out = new (x.constructor as new (n: number) => A)(idx.length * width);
    idx.forEach((r, i) => out.set(x.subarray(r * width, (r + 1) * width) as never, i * width));
    return out;
  };
  const rowGroup = new Float32Array(rows.length * G);
  rows.forEach((r, i) => (rowGroup[i * G + used.indexOf(groupOfRow(r))] = 1));
  return {
    G,
    Tp: p.Tp,
    prefixIds: take(p.prefixIds, used, p.Tp),
    prefixPos: take(p.prefixPos, used, p.Tp),
    prefixMask: take(p.prefixMask, used, p.Tp),
    rowPos: take(p.rowPos, rows, T),
    rowMask: take(p.rowMask, rows, S),
    rowGroup,
  };
}

/**
 * RLOO advantages: for k samples of one prompt with total rewards R₁…R_k,
 * A_i = R_i − mean_{j≠i} R_j (the leave-one-out baseline). `rewards` is grouped by prompt.
 */
export function rlooAdvantages(rewards: number[], k: number): number[] {
  if (k < 2 || rewards.length % k !== 0) throw new Error(`rlooAdvantages: need k ≥ 2 samples per prompt and a multiple of k rewards (k = ${k}, ${rewards.length} rewards)`);
  const out: number[] = [];
  for (let p = 0; p < rewards.length; p += k) {
    const group = rewards.slice(p, p + k);
    const sum = group.reduce((a, x) => a + x, 0);
    for (const r of group) out.push(r - (sum - r) / (k - 1));
  }
  return out;
}

/**
 * GRPO advantages (Shao et al. 2024, "outcome supervision"): for k samples of one prompt with
 * rewards R₁…R_k, A_i = (R_i − mean R) / (SD R + 1e-4), SD the sample SD (n − 1, as TRL's
 * GRPOTrainer computes it). A prompt whose k rewards are equal gives every reply 0.
 */
export function groupNormalizedAdvantages(rewards: number[], k: number): number[] {
  if (k < 2 || rewards.length % k !== 0) throw new Error(`groupNormalizedAdvantages: need k ≥ 2 samples per prompt and a multiple of k rewards (k = ${k}, ${rewards.length} rewards)`);
  const out: number[] = [];
  for (const { group, mean, sd } of rewardGroups(rewards, k)) for (const r of group) out.push((r - mean) / (sd + 1e-4));
  return out;
}

/** Each prompt's k rewards with their mean and sample SD (n − 1). */
export function rewardGroups(rewards: readonly number[], k: number): { group: number[]; mean: number; sd: number }[] {
  const out: { group: number[]; mean: number; sd: number }[] = [];
  for (let p = 0; p < rewards.length; p += k) {
    const group = rewards.slice(p, p + k);
    const mean = group.reduce((a, x) => a + x, 0) / group.length;
    const sd = Math.sqrt(group.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, group.length - 1));
    out.push({ group, mean, sd });
  }
  return out;
}

/**
 * TRL's `objective/*` metrics of one rollout: mean score, mean per-reply KL, the KL penalty
 * (`non_score_reward` = −β·KL), their sum (`rlhf_reward`), the mean summed −log π of each reply
 * (`entropy`), β, and the mean reply length in tokens.
 */
export function objectiveMetrics(scores: readonly number[], klPerReply: readonly number[], beta: number, gens: readonly { tokens: number[]; logprobs: number[] }[]): Record<string, number> {
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  const kl = mean(klPerReply);
  return {
    'objective/scores': mean(scores),
    'objective/kl': kl,
    'objective/non_score_reward': -beta * kl,
    'objective/rlhf_reward': mean(scores) - beta * kl,
    'objective/entropy': mean(gens.map((g) => g.logprobs.reduce((s, lp) => s - lp, 0))),
    'objective/kl_coef': beta,
    'objective/response_length': mean(gens.map((g) => g.tokens.length)),
  };
}
