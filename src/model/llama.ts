/**
 * The Llama forward pass (Hugging Face `LlamaForCausalLM` math), built as a graph.
 *
 *   h = embed(ids)
 *   for each block:  h = h + attn(rmsnorm(h));  h = h + mlp(rmsnorm(h))
 *   logits = lm_head(rmsnorm(h))
 *
 * RMSNorm: w ⊙ x / √(mean(x²) + ε). Attention: rotary position embeddings with Hugging Face's
 * rotate-half convention (q' = q cos + rotate_half(q) sin, rotate_half(x) = [−x₂, x₁]), causal
 * softmax(q kᵀ/√d_head) v, grouped-query attention by repeating each key/value head
 * nHeads/nKVHeads times. MLP: SwiGLU, down(silu(gate(x)) ⊙ up(x)).
 *
 * Activations are kept as (B·T, d) matrices so every projection is one Gemm with the weight in
 * its stored (out, in) layout (`x Wᵀ`); attention reshapes to (B, nh, T, hd). With many rows
 * the q/k/v and gate/up projections each run as one Gemm over concatenated weights (same math,
 * fewer and larger matrix products); the parameters stay separate, with Hugging Face names.
 *
 *   const g = new Graph();
 *   const P = paramInputs(g, llamaParamSpecs(cfg));
 *   const ids = g.input('ids', [B, T], 'int64');
 *   const { logits } = llamaForward(cfg, P, { ids });
 */
import { type Graph, type Tensor } from '../engine/ir.js';
import * as ops from '../engine/ops.js';
import { type LlamaConfig, headDim } from './config.js';
import { type ParamSpec, type ParamSet, type HeadKind, HEAD_PARAMS } from './params.js';
import { HookPoints, type HookSpec, hookNames } from './hooks.js';

export type Params = Record<string, Tensor>;

/** One graph input per parameter, named as in Hugging Face. */
export function paramInputs(g: Graph, specs: ParamSpec[]): Params {
  return Object.fromEntries(specs.map((s) => [s.name, g.input(s.name, s.shape)]));
}

/**
 * The parameters as constants (ONNX initializers) holding a copy of their current values: the
 * graph is then tied to these values, and ONNX Runtime packs each weight matrix into its
 * kernel layout once, when the session is created, instead of on every run.
 */
export function paramConstants(g: Graph, params: ParamSet): Params {
  return Object.fromEntries(params.specs.map((s) => [s.name, g.constant(params.get(s.name).slice(), s.shape)]));
}

export interface ForwardInputs {
  /** Token ids (B, T). */
  ids: Tensor;
  /** Position of each token (B, T); default 0…T−1 in every row. */
  positions?: Tensor;
  /**
   * 1 for keys that may be attended to, 0 for padding: (B, T), or (B, S + T) with a past of
   * S cached positions. Masked keys are never attended to.
   */
  keyMask?: Tensor;
  /**
   * Key/value cache per layer from earlier positions, each (B, nKVHeads, S, hd) with rotary
   * embeddings already applied to k. The new tokens attend to all S past positions (subject to
   * keyMask) and causally to each other.
   */
  past?: { k: Tensor; v: Tensor }[];
  /** Compute logits only at the last position of each row: (B, V) instead of (B·T, V). */
  lastOnly?: boolean;
}

export interface ForwardOutputs {
  /** Final normalized hidden state (B·T, d). */
  hidden: Tensor;
  /** Next-token logits (B·T, V), or (B, V) with `lastOnly`. */
  logits: Tensor;
  /** Activations requested by the hook spec, in TransformerLens shapes. */
  cache: { name: string; tensor: Tensor }[];
  /** This call's keys and values per layer, (B, nKVHeads, T, hd), to extend a KV cache. */
  present: { k: Tensor; v: Tensor }[];
}

/** cos/sin tables (positions × head_dim) in float32 arithmetic, as Hugging Face computes them. */
export function ropeTables(c: LlamaConfig, nPos: number): { cos: Float32Array; sin: Float32Array } {
  const hd = headDim(c);
  const half = hd / 2;
  const f = Math.fround;
  const inv = Array.from({ length: half }, (_, j) => f(1 / f(c.ropeTheta ** f((2 * j) / hd))));
  const cos = new Float32Array(nPos * hd);
  const sin = new Float32Array(nPos * hd);
  for (let p = 0; p < nPos; p++) {
    for (let j = 0; j < hd; j++) {
      const a = f(p * inv[j % half]);
      cos[p * hd + j] = Math.cos(a);
      sin[p * hd + j] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/** The (hd × hd) matrix R with x R = rotate_half(x) = [−x₂, x₁]. */
function rotateHalfMatrix(g: Graph, hd: number): Tensor {
  const half = hd / 2;
  const r = new Float32Array(hd * hd);
  for (let j = 0; j < half; j++) {
    r[(j + half) * hd + j] = -1; // out[j] = −x[j+half]
    r[j * hd + (j + half)] = 1; // out[j+half] = x[j]
  }
  return g.constant(r, [hd, hd]);
}

/** RMSNorm over the last axis: w ⊙ x · rsqrt(mean(x²) + ε). Returns the scale too (for hooks). */
function rmsNorm(x: Tensor, w: Tensor, eps: number): { out: Tensor; scale: Tensor } {
  const scale = ops.rsqrt(ops.add(ops.reduceMean(ops.mul(x, x), [-1], true), x.graph.scalar(eps)));
  return { out: ops.mul(ops.mul(x, scale), w), scale };
}

/** x Wᵀ (+ b): a torch.nn.Linear with weight stored (out, in). */
function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = ops.gemm(x, w, false, true);
  return b ? ops.add(y, b) : y;
}

export function llamaForward(c: LlamaConfig, P: Params, inp: ForwardInputs, hookSpec?: HookSpec): ForwardOutputs {
  const g = inp.ids.graph;
  const [B, T] = inp.ids.shape;
  const d = c.dModel;
  const nh = c.nHeads;
  const nkv = c.nKVHeads;
  const hd = headDim(c);
  const BT = B * T;
  const hooks = new HookPoints(g, hookSpec, hookNames(c.nLayers));

  // Rotary tables for these positions: (T, 1, hd) shared by all rows, or (B, T, 1, hd) gathered.
  let cos: Tensor;
  let sin: Tensor;
  if (inp.positions) {
    const tab = ropeTables(c, c.maxSeqLen);
    cos = ops.reshape(ops.gather(g.constant(tab.cos, [c.maxSeqLen, hd]), inp.positions), [B, T, 1, hd]);
    sin = ops.reshape(ops.gather(g.constant(tab.sin, [c.maxSeqLen, hd]), inp.positions), [B, T, 1, hd]);
  } else {
    if (T > c.maxSeqLen) throw new Error(`sequence length ${T} exceeds maxSeqLen ${c.maxSeqLen}`);
    const tab = ropeTables(c, T);
    cos = g.constant(tab.cos, [T, 1, hd]);
    sin = g.constant(tab.sin, [T, 1, hd]);
  }
  const R = rotateHalfMatrix(g, hd);
  const rope = (x: Tensor, heads: number) => {
    // x: (B, T, heads, hd) → x cos + (x R) sin
    const rot = ops.reshape(ops.gemm(ops.reshape(x, [BT * heads, hd]), R), [B, T, heads, hd]);
    return ops.add(ops.mul(x, cos), ops.mul(rot, sin));
  };

  // Additive attention bias over S past + T new keys: causal among the new ones (T, S + T),
  // plus −1e9 on masked keys (B, 1, 1, S + T).
  const S = inp.past ? inp.past[0].k.shape[2] : 0;
  const causal = new Float32Array(T * (S + T));
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * (S + T) + S + j] = -1e9;
  let bias: Tensor = g.constant(causal, [T, S + T]);
  if (inp.keyMask) {
    const pad = ops.mul(ops.sub(g.scalar(1), ops.reshape(inp.keyMask, [B, 1, 1, S + T])), g.scalar(-1e9));
    bias = ops.add(bias, pad); // (B, 1, T, S + T)
  }
  const present: { k: Tensor; v: Tensor }[] = [];
  // Concatenating weights costs a copy per call; it pays off only when many rows share it
  // (training, prefill), not for a decode step of a few tokens.
  const fuse = BT >= 256;
  const attnScale = g.scalar(1 / Math.sqrt(hd));

  let h = ops.reshape(ops.gather(P['model.embed_tokens.weight'], inp.ids), [BT, d]); // (BT, d)
  h = hooks.point('hook_embed', h, [B, T, d]);

  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    const b = `blocks.${i}`;
    h = hooks.point(`${b}.hook_resid_pre`, h, [B, T, d]);

    // --- attention
    const n1 = rmsNorm(h, P[`${p}.input_layernorm.weight`], c.normEps);
    hooks.point(`${b}.ln1.hook_scale`, n1.scale, [B, T, 1]);
    const x = hooks.point(`${b}.ln1.hook_normalized`, n1.out, [B, T, d]);
    // q, k and v projections; with many rows, as one Gemm over the concatenated weights.
    const proj = (n: string) => P[`${p}.self_attn.${n}_proj.weight`];
    const projBias = (n: string) => P[`${p}.self_attn.${n}_proj.bias`];
    const [q2, k2, v2] = fuse
      ? ops.split(
          linear(x, ops.concat([proj('q'), proj('k'), proj('v')], 0), c.attentionBias ? ops.concat([projBias('q'), projBias('k'), projBias('v')], 0) : undefined),
          [nh * hd, nkv * hd, nkv * hd],
          1,
        )
      : (['q', 'k', 'v'] as const).map((n) => linear(x, proj(n), projBias(n)));
    let q = ops.reshape(q2, [B, T, nh, hd]);
    let k = ops.reshape(k2, [B, T, nkv, hd]);
    let v = ops.reshape(v2, [B, T, nkv, hd]);
    q = hooks.point(`${b}.attn.hook_q`, q, [B, T, nh, hd]);
    k = hooks.point(`${b}.attn.hook_k`, k, [B, T, nkv, hd]);
    v = hooks.point(`${b}.attn.hook_v`, v, [B, T, nkv, hd]);
    q = hooks.point(`${b}.attn.hook_rot_q`, rope(q, nh), [B, T, nh, hd]);
    k = hooks.point(`${b}.attn.hook_rot_k`, rope(k, nkv), [B, T, nkv, hd]);

    // Query heads are grouped by the key/value head they share (grouped-query attention):
    // (B, nh, T, hd) viewed as (B, nkv, rep·T, hd), so no key/value head is ever copied.
    const rep = nh / nkv;
    const L = S + T;
    const qg = ops.reshape(ops.transpose(ops.mul(q, attnScale), [0, 2, 1, 3]), [B, nkv, rep * T, hd]);
    const kNew = ops.transpose(k, [0, 2, 1, 3]); // (B, nkv, T, hd)
    const vNew = ops.transpose(v, [0, 2, 1, 3]); // (B, nkv, T, hd)
    present.push({ k: kNew, v: vNew });
    const past = inp.past?.[i];
    // A single new token against a cache: many (1 × hd)·(hd × S) products, which batched
    // MatMul runs slowly one by one; a broadcast multiply and a sum over hd does it in one pass.
    const oneToken = past !== undefined && T === 1;
    const qk = (keys: Tensor, n: number) =>
      oneToken
        ? ops.reduceSum(ops.mul(ops.reshape(qg, [B, nkv, rep, 1, hd]), ops.reshape(keys, [B, nkv, 1, n, hd])), [4]) // (B, nkv, rep, n)
        : ops.matmul(qg, ops.transpose(keys, [0, 1, 3, 2])); // (B, nkv, rep·T, n)
    let scoresG = qk(kNew, T);
    // With a cache, the past keys are read where they are (no concatenated copy of the cache).
    if (past) scoresG = ops.concat([qk(past.k, S), scoresG], -1); // (B, nkv, rep·T, S + T)
    let scores = ops.add(ops.reshape(scoresG, [B, nh, T, L]), bias); // (B, nh, T, S + T)
    scores = hooks.point(`${b}.attn.hook_attn_scores`, scores, [B, nh, T, L]);
    const pattern = hooks.point(`${b}.attn.hook_pattern`, ops.softmax(scores, -1), [B, nh, T, L]);
    const pg = ops.reshape(pattern, [B, nkv, rep * T, L]);
    let zg: Tensor; // (B, nkv, rep·T, hd)
    const pv = (probs: Tensor, values: Tensor, n: number) =>
      oneToken
        ? ops.reshape(ops.reduceSum(ops.mul(ops.reshape(probs, [B, nkv, rep, n, 1]), ops.reshape(values, [B, nkv, 1, n, hd])), [3]), [B, nkv, rep, hd])
        : ops.matmul(probs, values);
    if (past) {
      const [pPast, pNew] = ops.split(pg, [S, T], 3);
      zg = ops.add(pv(pPast, past.v, S), pv(pNew, vNew, T));
    } else zg = ops.matmul(pg, vNew);
    let z = ops.transpose(ops.reshape(zg, [B, nh, T, hd]), [0, 2, 1, 3]); // (B, T, nh, hd)
    z = hooks.point(`${b}.attn.hook_z`, z, [B, T, nh, hd]);
    let attnOut = linear(ops.reshape(z, [BT, nh * hd]), P[`${p}.self_attn.o_proj.weight`]); // (BT, d)
    attnOut = hooks.point(`${b}.hook_attn_out`, attnOut, [B, T, d]);
    h = hooks.point(`${b}.hook_resid_mid`, ops.add(h, attnOut), [B, T, d]);

    // --- MLP (SwiGLU)
    const n2 = rmsNorm(h, P[`${p}.post_attention_layernorm.weight`], c.normEps);
    hooks.point(`${b}.ln2.hook_scale`, n2.scale, [B, T, 1]);
    const y = hooks.point(`${b}.ln2.hook_normalized`, n2.out, [B, T, d]);
    // gate and up projections; with many rows, as one Gemm over the concatenated weights.
    const [gatePre, upPre] = fuse
      ? ops.split(linear(y, ops.concat([P[`${p}.mlp.gate_proj.weight`], P[`${p}.mlp.up_proj.weight`]], 0)), [c.dFF, c.dFF], 1)
      : [linear(y, P[`${p}.mlp.gate_proj.weight`]), linear(y, P[`${p}.mlp.up_proj.weight`])];
    const gate = hooks.point(`${b}.mlp.hook_pre`, gatePre, [B, T, c.dFF]);
    const up = hooks.point(`${b}.mlp.hook_pre_linear`, upPre, [B, T, c.dFF]);
    const act = hooks.point(`${b}.mlp.hook_post`, ops.mul(ops.silu(gate), up), [B, T, c.dFF]);
    const mlpOut = hooks.point(`${b}.hook_mlp_out`, linear(act, P[`${p}.mlp.down_proj.weight`]), [B, T, d]);
    h = hooks.point(`${b}.hook_resid_post`, ops.add(h, mlpOut), [B, T, d]);
  }

  const nf = rmsNorm(h, P['model.norm.weight'], c.normEps);
  hooks.point('ln_final.hook_scale', nf.scale, [B, T, 1]);
  const hidden = hooks.point('ln_final.hook_normalized', nf.out, [B, T, d]);
  const lmHead = c.tieEmbeddings ? P['model.embed_tokens.weight'] : P['lm_head.weight'];
  const last = inp.lastOnly ? ops.reshape(ops.slice(ops.reshape(hidden, [B, T, d]), [T - 1], [T], [1]), [B, d]) : hidden;
  const logits = linear(last, lmHead); // (BT, V) or (B, V)
  return { hidden, logits, cache: hooks.cached, present };
}

export interface DecodeInputs {
  /** One new token per row (B, 1). */
  ids: Tensor;
  /** Its position (B, 1). */
  positions: Tensor;
  /** (B, S + 1): 1 for cached positions to attend to, 0 for empty or padded slots; last, the new token (1). */
  keyMask: Tensor;
  /**
   * Key/value cache per layer as chunks along the position axis, each (B, nKVHeads, S_j, hd)
   * with rotary embeddings applied to k; S = Σ S_j. Chunks are read where they lie: a cache
   * that grows chunk by chunk is never copied, and a step reads only the chunks it lists. A
   * chunk may instead have U rows, U dividing B: it is then shared by groups of B/U consecutive
   * rows (k samples of one prompt read its keys/values once).
   */
  past: { k: Tensor[]; v: Tensor[] }[];
}

/**
 * One decoding step: `llamaForward` for T = 1 new token per row over a KV cache, written for
 * speed (it runs once per generated token). Same math, with these differences in form only:
 * no hook points; RMSNorm as x / √(mean(x²) + ε) · w, the pattern ONNX Runtime fuses into one
 * kernel; rows kept as (B, ·) matrices, since with T = 1 the head transposes are reshapes; and
 * attention scores against each cache chunk and against the new key, concatenated (small), then
 * one softmax and z = Σ_j P_j V_j + p_new v_new, so no key or value is ever copied. Returns the
 * next-token logits (B, V) and the new keys/values per layer, (B, nKVHeads, 1, hd).
 *
 *   const { logits, present } = llamaDecodeStep(cfg, P, { ids, positions, keyMask, past });
 */
export function llamaDecodeStep(c: LlamaConfig, P: Params, inp: DecodeInputs): { logits: Tensor; present: { k: Tensor; v: Tensor }[] } {
  const g = inp.ids.graph;
  const [B] = inp.ids.shape;
  const d = c.dModel;
  const nh = c.nHeads;
  const nkv = c.nKVHeads;
  const hd = headDim(c);
  const rep = nh / nkv;
  const sizes = inp.past[0].k.map((x) => x.shape[2]);
  const L = sizes.reduce((a, n) => a + n, 0) + 1;
  if (inp.keyMask.shape[1] !== L) throw new Error(`llamaDecodeStep: keyMask covers ${inp.keyMask.shape[1]} keys, the cache ${L - 1} + 1`);

  const tab = ropeTables(c, c.maxSeqLen);
  const cos = ops.reshape(ops.gather(g.constant(tab.cos, [c.maxSeqLen, hd]), inp.positions), [B, 1, hd]);
  const sin = ops.reshape(ops.gather(g.constant(tab.sin, [c.maxSeqLen, hd]), inp.positions), [B, 1, hd]);
  const R = rotateHalfMatrix(g, hd);
  const rope = (x: Tensor, heads: number) => {
    // x: (B, heads·hd) → x cos + (x R) sin, (B, heads, hd)
    const rot = ops.reshape(ops.gemm(ops.reshape(x, [B * heads, hd]), R), [B, heads, hd]);
    return ops.add(ops.mul(ops.reshape(x, [B, heads, hd]), cos), ops.mul(rot, sin));
  };
  const norm = (x: Tensor, w: Tensor) => ops.mul(ops.div(x, ops.sqrt(ops.add(ops.reduceMean(ops.pow(x, 2), [-1], true), g.scalar(c.normEps)))), w);
  const bias = ops.reshape(ops.mul(ops.sub(g.scalar(1), inp.keyMask), g.scalar(-1e9)), [B, 1, 1, L]); // masked keys get −1e9
  const attnScale = g.scalar(1 / Math.sqrt(hd));

  // A chunk of U < B rows is shared by groups of k = B/U consecutive rows (row b reads chunk row
  // ⌊b/k⌋): the group's k·rep queries per head go into one product with that row, so a prompt
  // sampled k times is read once per step, not k times. `a` is (B, nkv, rep, n), the result
  // (B, nkv, rep, m) of `product(a′, kv)` with a′ the (U, nkv, k·rep, n) regrouping of `a`.
  const grouped = (a: Tensor, kv: Tensor, product: (a: Tensor, kv: Tensor) => Tensor): Tensor => {
    const U = kv.shape[0];
    if (U === B) return product(a, kv);
    const k = B / U;
    const n = a.shape[3];
    const out = product(ops.reshape(ops.transpose(ops.reshape(a, [U, k, nkv, rep, n]), [0, 2, 1, 3, 4]), [U, nkv, k * rep, n]), kv);
    const m = out.shape[3];
    return ops.reshape(ops.transpose(ops.reshape(out, [U, nkv, k, rep, m]), [0, 2, 1, 3, 4]), [B, nkv, rep, m]);
  };
  for (const layer of inp.past) {
    for (const x of [...layer.k, ...layer.v]) {
      if (B % x.shape[0] !== 0) throw new Error(`llamaDecodeStep: a cache chunk has ${x.shape[0]} rows, which does not divide the batch of ${B}`);
    }
  }
  let h = ops.reshape(ops.gather(P['model.embed_tokens.weight'], inp.ids), [B, d]); // (B, d)
  const present: { k: Tensor; v: Tensor }[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    const x = norm(h, P[`${p}.input_layernorm.weight`]);
    const proj = (n: string) => linear(x, P[`${p}.self_attn.${n}_proj.weight`], P[`${p}.self_attn.${n}_proj.bias`]);
    const q = ops.reshape(ops.mul(rope(proj('q'), nh), attnScale), [B, nkv, rep, hd]); // grouped by KV head
    const kNew = ops.reshape(rope(proj('k'), nkv), [B, nkv, 1, hd]);
    const vNew = ops.reshape(proj('v'), [B, nkv, 1, hd]);
    present.push({ k: kNew, v: vNew });
    const { k: pastK, v: pastV } = inp.past[i];
    // Against the new key and value, a product per (row, head) of length hd: elementwise.
    const scoreNew = ops.reduceSum(ops.mul(q, kNew), [3], true); // (B, nkv, rep, 1)
    const scores = ops.concat([...pastK.map((kc) => grouped(q, kc, (a, kv) => ops.matmul(a, ops.transpose(kv, [0, 1, 3, 2])))), scoreNew], -1); // (B, nkv, rep, L)
    const probs = ops.split(ops.softmax(ops.add(scores, bias), -1), [...sizes, 1], 3);
    let z = ops.mul(probs[sizes.length], vNew); // (B, nkv, rep, hd)
    pastV.forEach((vc, j) => (z = ops.add(z, grouped(probs[j], vc, ops.matmul))));
    h = ops.add(h, linear(ops.reshape(z, [B, nh * hd]), P[`${p}.self_attn.o_proj.weight`]));

    const y = norm(h, P[`${p}.post_attention_layernorm.weight`]);
    const act = ops.mul(ops.silu(linear(y, P[`${p}.mlp.gate_proj.weight`])), linear(y, P[`${p}.mlp.up_proj.weight`]));
    h = ops.add(h, linear(act, P[`${p}.mlp.down_proj.weight`]));
  }
  const lmHead = c.tieEmbeddings ? P['model.embed_tokens.weight'] : P['lm_head.weight'];
  return { logits: linear(norm(h, P['model.norm.weight']), lmHead), present };
}

/**
 * The reward head on rows `[prompt[-1], ...reply]` (shared-prefix rows: position 0 is the
 * prompt's last token): (R·Tr, d) → (R, Tr) per-position rewards. Without conditioning
 * parameters it is `scalarHead`; with a rank-k conditioned head (REWARD_COND_PARAMS) each row's
 * a = U·h₀ + u (k) adds a·(V·h_t + v) at every position t: the head's weight vector becomes
 * w + Vᵀa, a function of the prompt.
 */
export function rewardHead(P: Params, hidden: Tensor, R: number, Tr: number): Tensor {
  const base = scalarHead(P, 'reward', hidden, R, Tr);
  if (!P['score.cond_u.weight']) return base;
  const k = P['score.cond_u.weight'].shape[0];
  const d = hidden.shape[hidden.shape.length - 1];
  const first = ops.reshape(ops.slice(ops.reshape(hidden, [R, Tr, d]), [0], [1], [1]), [R, d]); // h₀ of each row
  const a = ops.reshape(linear(first, P['score.cond_u.weight'], P['score.cond_u.bias']), [R, 1, k]);
  const b = ops.reshape(linear(hidden, P['score.cond_v.weight'], P['score.cond_v.bias']), [R, Tr, k]);
  return ops.add(base, ops.reduceSum(ops.mul(b, a), [2]));
}

/** A scalar head on the final hidden state: (B·T, d) → (B, T). */
export function scalarHead(P: Params, kind: HeadKind, hidden: Tensor, B: number, T: number): Tensor {
  const hp = HEAD_PARAMS[kind];
  return ops.reshape(linear(hidden, P[hp.weight], hp.bias ? P[hp.bias] : undefined), [B, T]);
}
