/**
 * `LlamaModel`: a configuration, its parameters, and the compiled graphs that run it.
 *
 * Graphs are built and compiled once per shape signature (batch × length × hook spec) and then
 * cached by the runtime; parameters stay in host Float32Arrays and are fed to every run (no
 * copy: ONNX Runtime reads the views directly).
 *
 *   const model = LlamaModel.init(cfg, { seed: 1 });
 *   const { logits } = await model.forward([[1, 5, 7]]);          // (1·3, V) row-major
 *   const { loss, grads } = await model.lossAndGrads(batch);
 */
import { Graph, type DType, type Tensor } from '../engine/ir.js';
import { grad } from '../engine/autodiff.js';
import * as ops from '../engine/ops.js';
import { tokenCrossEntropy } from '../engine/losses.js';
import { Runtime, type HostArray } from '../engine/session.js';
import { type LlamaConfig } from './config.js';
import { ParamSet, llamaParamSpecs, rewardRankOf, type HeadKind } from './params.js';
import { llamaForward, paramInputs, scalarHead, type Params } from './llama.js';
import { type HookSpec, hookSpecKey } from './hooks.js';
import { Rng } from '../util/rng.js';

/** A batch of token sequences of equal length, row-major (B·T). */
export interface TokenBatch {
  B: number;
  T: number;
  ids: BigInt64Array;
}

/** A language-modelling batch: inputs, next-token targets and per-token loss weights, each (B·T). */
export interface LmBatch extends TokenBatch {
  targets: BigInt64Array;
  weights: Float32Array;
}

export interface ForwardOptions {
  hooks?: HookSpec;
  /** Values for the edit inputs the hook spec declares, keyed `hook:<name>:<kind>`. */
  edits?: Record<string, Float32Array>;
  /** Positions (B·T); default 0…T−1 per row. */
  positions?: BigInt64Array;
  /** 1 for real tokens, 0 for padding (B·T). */
  keyMask?: Float32Array;
  /** Also return the logits (default true); false skips the vocabulary projection. */
  logits?: boolean;
  /** Scalar heads to evaluate on the final hidden state. */
  heads?: HeadKind[];
}

export interface ForwardResult {
  /** (B·T, V) row-major, when requested. */
  logits?: Float32Array;
  /** Activations by hook name, in TransformerLens shapes. */
  cache: Record<string, { data: Float32Array; shape: number[] }>;
  /** Scalar head outputs (B·T) by head kind. */
  heads: Partial<Record<HeadKind, Float32Array>>;
}

export function toBatch(rows: number[][]): TokenBatch {
  const B = rows.length;
  const T = rows[0]?.length ?? 0;
  if (B === 0 || T === 0) throw new Error('toBatch: empty batch');
  const ids = new BigInt64Array(B * T);
  rows.forEach((r, b) => {
    if (r.length !== T) throw new Error(`toBatch: row ${b} has length ${r.length}, expected ${T} (pad rows to equal length)`);
    r.forEach((t, i) => (ids[b * T + i] = BigInt(t)));
  });
  return { B, T, ids };
}

/** The token embedding and the parameters of the lowest `n` decoder layers (for `freeze`). */
export function lowerLayerParams(model: LlamaModel, n: number): string[] {
  if (!Number.isInteger(n) || n < 0 || n > model.cfg.nLayers) throw new Error(`lowerLayerParams: n must be an integer in 0…${model.cfg.nLayers}, got ${n}`);
  const below = (name: string) => {
    const m = /^model\.layers\.(\d+)\./.exec(name);
    return m !== null && Number(m[1]) < n;
  };
  return model.params.specs.map((s) => s.name).filter((name) => name === 'model.embed_tokens.weight' || below(name));
}

export class LlamaModel {
  /** Distinguishes this architecture's compiled graphs in a runtime shared by several models. */
  private readonly graphKey: string;

  constructor(
    readonly cfg: LlamaConfig,
    readonly params: ParamSet,
    readonly runtime: Runtime = new Runtime(),
    readonly heads: HeadKind[] = [],
  ) {
    this.graphKey = JSON.stringify([cfg, heads, rewardRankOf(params.specs)]);
  }

  private readonly frozenNames = new Set<string>();

  /**
   * Freezes parameters (PyTorch's `requires_grad = False`): `objective` derives no gradient for
   * them — the backward pass stops below the lowest trained parameter — and returns zeros in
   * their place in the flat buffer, and a Trainer built afterwards leaves them untouched (no
   * update, no weight decay). Typical use: train only the top layers and a head on top of a
   * frozen lower network, e.g. `model.freeze(lowerLayerParams(model, 2))`.
   */
  freeze(names: Iterable<string>): void {
    for (const n of names) {
      if (!this.params.offsets.has(n)) throw new Error(`freeze: the model has no parameter '${n}'`);
      this.frozenNames.add(n);
    }
  }

  /** Names of the frozen parameters. */
  get frozen(): ReadonlySet<string> {
    return this.frozenNames;
  }

  /** One byte per parameter in the flat buffer: 1 where frozen. */
  frozenMask(): Uint8Array {
    const m = new Uint8Array(this.params.size);
    for (const n of this.frozenNames) m.fill(1, this.params.offsets.get(n)!, this.params.offsets.get(n)! + this.params.get(n).length);
    return m;
  }

  /** A randomly initialised model (HF initializer_range 0.02; norms at 1). */
  static init(cfg: LlamaConfig, opts: { seed: number; heads?: HeadKind[]; rewardRank?: number; runtime?: Runtime }): LlamaModel {
    const params = new ParamSet(llamaParamSpecs(cfg, opts.heads ?? [], { rewardRank: opts.rewardRank })).initialize(new Rng(opts.seed).fork('init'));
    return new LlamaModel(cfg, params, opts.runtime, opts.heads ?? []);
  }

  private feeds(): Record<string, HostArray> {
    return Object.fromEntries(this.params.views);
  }

  /** Throws when a token id is outside the vocabulary (a clear error instead of a crash). */
  validateIds(ids: BigInt64Array): void {
    const V = BigInt(this.cfg.vocabSize);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0n || ids[i] >= V) throw new Error(`token id ${ids[i]} at position ${i} is outside the vocabulary (0…${this.cfg.vocabSize - 1})`);
    }
  }

  /** Runs the forward pass; returns logits, cached activations and head values. */
  async forward(batch: TokenBatch | number[][], opts: ForwardOptions = {}): Promise<ForwardResult> {
    const b = Array.isArray(batch) ? toBatch(batch) : batch;
    this.validateIds(b.ids);
    const wantLogits = opts.logits ?? true;
    const heads = opts.heads ?? [];
    for (const h of heads) if (!this.heads.includes(h)) throw new Error(`model has no ${h} head`);
    if (heads.includes('reward') && rewardRankOf(this.params.specs) > 0) throw new Error('forward: a prompt-conditioned reward head needs to know where the prompt ends; score replies with scoreReplies or PromptCache.rewards');
    const key = [this.graphKey, 'fwd', b.B, b.T, hookSpecKey(opts.hooks), !!opts.positions, !!opts.keyMask, wantLogits, heads.join('+')].join(':');
    const session = await this.runtime.cached(key, () => {
      const g = new Graph();
      const P = paramInputs(g, this.params.specs);
      const ids = g.input('ids', [b.B, b.T], 'int64');
      const positions = opts.positions ? g.input('positions', [b.B, b.T], 'int64') : undefined;
      const keyMask = opts.keyMask ? g.input('keyMask', [b.B, b.T]) : undefined;
      const out = llamaForward(this.cfg, P, { ids, positions, keyMask }, opts.hooks);
      if (wantLogits) g.output('logits', out.logits);
      for (const c of out.cache) g.output(`cache:${c.name}`, c.tensor);
      for (const h of heads) g.output(`head:${h}`, scalarHead(P, h, out.hidden, b.B, b.T));
      return g;
    });
    const feeds: Record<string, HostArray> = { ...this.feeds(), ids: b.ids, ...(opts.edits ?? {}) };
    if (opts.positions) feeds.positions = opts.positions;
    if (opts.keyMask) feeds.keyMask = opts.keyMask;
    const res = await session.run(feeds);
    const result: ForwardResult = { cache: {}, heads: {} };
    if (wantLogits) result.logits = res.logits as Float32Array;
    for (const o of session.outputs) {
      if (o.name.startsWith('cache:')) result.cache[o.name.slice(6)] = { data: res[o.name] as Float32Array, shape: [...o.shape] };
      if (o.name.startsWith('head:')) result.heads[o.name.slice(5) as HeadKind] = res[o.name] as Float32Array;
    }
    return result;
  }

  /**
   * The general training mechanism: compiles (once per name and input shapes) a graph that
   * runs `build` — which may call llamaForward, scalarHead and any operators — to a scalar
   * loss, derives the gradient of every trained parameter, and returns the loss, the gradients
   * as one flat buffer in parameter order, and any extra outputs `build` names. `params` picks
   * the trained parameters: 'lm' (everything but scalar heads) or 'all'; both are prefixes of
   * the parameter order, so `flat` lines up with `params.flat`. Frozen parameters (`freeze`)
   * get no gradient: their part of `flat` is zeros.
   *
   *   const r = await model.objective('rm', { ids: { shape: [B, T], dtype: 'int64' } },
   *     ({ P, inp }) => ({ loss: myLoss(P, inp.ids) }), { ids }, 'all');
   */
  async objective(
    name: string,
    inputs: Record<string, { shape: number[]; dtype?: DType }>,
    build: (ctx: { g: Graph; P: Params; inp: Record<string, Tensor>; cfg: LlamaConfig }) => { loss: Tensor; extras?: Record<string, Tensor> },
    feeds: Record<string, HostArray>,
    params: 'lm' | 'all' = 'lm',
  ): Promise<{ loss: number; flat: Float32Array; grads: Record<string, Float32Array>; extras: Record<string, HostArray> }> {
    const specs = params === 'all' ? this.params.specs : this.params.specs.filter((s) => !s.name.startsWith('v_head.') && !s.name.startsWith('score.'));
    const shapes = Object.entries(inputs).map(([k, v]) => `${k}:${v.dtype ?? 'float32'}[${v.shape}]`).join(',');
    const frozen = specs.filter((s) => this.frozenNames.has(s.name)).map((s) => s.name);
    const session = await this.runtime.cached(`${this.graphKey}:objective:${name}:${params}:${shapes}:frozen[${frozen.join(',')}]`, () => {
      const g = new Graph();
      const P = paramInputs(g, this.params.specs);
      const inp = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, g.input(k, v.shape, v.dtype ?? 'float32')]));
      const { loss, extras } = build({ g, P, inp, cfg: this.cfg });
      const trained = specs.filter((s) => !this.frozenNames.has(s.name));
      const grads = new Map(grad(loss, trained.map((s) => P[s.name])).map((d, i) => [trained[i].name, d]));
      g.output('loss', loss);
      g.output('grad', ops.concat(specs.map((s) => grads.get(s.name) ? ops.reshape(grads.get(s.name)!, [-1]) : ops.fill(g, [this.params.get(s.name).length], 0)), 0));
      for (const [k, t] of Object.entries(extras ?? {})) g.output(`extra:${k}`, t);
      return g;
    });
    const res = await session.run({ ...this.feeds(), ...feeds });
    const flat = res.grad as Float32Array;
    const grads: Record<string, Float32Array> = {};
    for (const s of specs) {
      const off = this.params.offsets.get(s.name)!;
      grads[s.name] = flat.subarray(off, off + this.params.get(s.name).length);
    }
    const extras: Record<string, HostArray> = {};
    for (const o of session.outputs) if (o.name.startsWith('extra:')) extras[o.name.slice(6)] = res[o.name];
    return { loss: (res.loss as Float32Array)[0], flat, grads, extras };
  }

  /**
   * The forward-only sibling of `objective`: compiles (once per name and input shapes) a graph
   * that runs `build` and returns the tensors it names, e.g. rewards or log-probs of a
   * shared-prefix batch (model/shared-prefix.ts).
   */
  async evaluate(
    name: string,
    inputs: Record<string, { shape: number[]; dtype?: DType }>,
    build: (ctx: { g: Graph; P: Params; inp: Record<string, Tensor>; cfg: LlamaConfig }) => Record<string, Tensor>,
    feeds: Record<string, HostArray>,
  ): Promise<Record<string, HostArray>> {
    const shapes = Object.entries(inputs).map(([k, v]) => `${k}:${v.dtype ?? 'float32'}[${v.shape}]`).join(',');
    const session = await this.runtime.cached(`${this.graphKey}:evaluate:${name}:${shapes}`, () => {
      const g = new Graph();
      const P = paramInputs(g, this.params.specs);
      const inp = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, g.input(k, v.shape, v.dtype ?? 'float32')]));
      for (const [k, t] of Object.entries(build({ g, P, inp, cfg: this.cfg }))) g.output(k, t);
      return g;
    });
    return session.run({ ...this.feeds(), ...feeds });
  }

  /**
   * Loss and gradient of every language-model parameter for one batch (weighted token
   * cross-entropy, see engine/losses.ts), through `objective`. Scalar-head parameters, which
   * come last, get no gradient from this loss and are not covered by `flat`.
   */
  async lossAndGrads(batch: LmBatch): Promise<{ loss: number; flat: Float32Array; grads: Record<string, Float32Array> }> {
    this.validateIds(batch.ids);
    const { B, T } = batch;
    return this.objective(
      'lm',
      { ids: { shape: [B, T], dtype: 'int64' }, targets: { shape: [B * T], dtype: 'int64' }, weights: { shape: [B * T] } },
      ({ P, inp, cfg }) => ({ loss: tokenCrossEntropy(llamaForward(cfg, P, { ids: inp.ids }).logits, inp.targets, inp.weights).loss }),
      { ids: batch.ids, targets: batch.targets, weights: batch.weights },
    );
  }

  /**
   * log p(target | prefix) for every position of a batch (B·T), computed in the graph (PPO's
   * reference and old-policy log-probabilities, DPO, scoring).
   */
  async tokenLogprobs(batch: TokenBatch & { targets: BigInt64Array }): Promise<Float32Array> {
    this.validateIds(batch.ids);
    const { B, T } = batch;
    const session = await this.runtime.cached(`${this.graphKey}:logprobs:${B}:${T}`, () => {
      const g = new Graph();
      const P = paramInputs(g, this.params.specs);
      const ids = g.input('ids', [B, T], 'int64');
      const targets = g.input('targets', [B * T], 'int64');
      const { logits } = llamaForward(this.cfg, P, { ids });
      g.output('logprobs', ops.neg(ops.softmaxCrossEntropy(logits, targets).loss));
      return g;
    });
    return (await session.run({ ...this.feeds(), ids: batch.ids, targets: batch.targets })).logprobs as Float32Array;
  }
}
