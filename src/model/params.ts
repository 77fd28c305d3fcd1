/**
 * Parameters as named Float32Arrays over one flat buffer.
 *
 * `ParamSet` keeps every parameter of a model as a view into a single Float32Array, in a fixed
 * order with Hugging Face names. The flat buffer makes the optimizer one loop over contiguous
 * memory and makes checkpoints and RNG-free copies trivial; the named views are what the graph
 * inputs, safetensors files and interpretability tools see.
 */
import { type LlamaConfig, headDim } from './config.js';
import { Rng } from '../util/rng.js';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** How to initialise: normal(0, std) or a constant. */
  init: { normal: number } | { constant: number };
  /** Whether AdamW applies weight decay (matrices yes; norms, biases no). */
  decay: boolean;
}

export class ParamSet {
  readonly specs: ParamSpec[];
  readonly flat: Float32Array;
  readonly views: Map<string, Float32Array> = new Map();
  readonly offsets: Map<string, number> = new Map();

  constructor(specs: ParamSpec[], flat?: Float32Array) {
    this.specs = specs;
    const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    if (flat && flat.length !== total) throw new Error(`ParamSet: flat buffer has ${flat.length} values, expected ${total}`);
    this.flat = flat ?? new Float32Array(total);
    let off = 0;
    for (const s of specs) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (this.views.has(s.name)) throw new Error(`ParamSet: duplicate parameter "${s.name}"`);
      this.views.set(s.name, this.flat.subarray(off, off + n));
      this.offsets.set(s.name, off);
      off += n;
    }
  }

  get size(): number {
    return this.flat.length;
  }

  get(name: string): Float32Array {
    const v = this.views.get(name);
    if (!v) throw new Error(`unknown parameter "${name}"`);
    return v;
  }

  spec(name: string): ParamSpec {
    const s = this.specs.find((p) => p.name === name);
    if (!s) throw new Error(`unknown parameter "${name}"`);
    return s;
  }

  /** Fills every parameter from its init rule, drawing from one RNG stream in spec order. */
  initialize(rng: Rng): this {
    for (const s of this.specs) {
      const v = this.get(s.name);
      if ('normal' in s.init) rng.fillNormal(v, s.init.normal);
      else v.fill(s.init.constant);
    }
    return this;
  }

  clone(): ParamSet {
    return new ParamSet(this.specs, Float32Array.from(this.flat));
  }

  /** Per-element weight-decay mask (1 where decayed). */
  decayMask(): Uint8Array {
    const m = new Uint8Array(this.size);
    for (const s of this.specs) if (s.decay) m.fill(1, this.offsets.get(s.name)!, this.offsets.get(s.name)! + this.get(s.name).length);
    return m;
  }
}

/** Optional scalar heads on the final hidden state. */
export type HeadKind = 'value' | 'reward';

/** Parameter names of the scalar heads: TRL's value head and HF's sequence-classification head. */
export const HEAD_PARAMS: Record<HeadKind, { weight: string; bias?: string }> = {
  value: { weight: 'v_head.summary.weight', bias: 'v_head.summary.bias' },
  reward: { weight: 'score.weight' },
};

/**
 * The prompt-conditioned part of a reward head of rank k (`rewardRank`): two k×d projections
 * with biases. A reply's per-token reward becomes (w + Vᵀ(U·h_p + u))·h_t + (U·h_p + u)·v, with
 * h_p the final hidden state of the prompt's last token: the head's weights depend on the prompt.
 */
export const REWARD_COND_PARAMS = ['score.cond_u.weight', 'score.cond_u.bias', 'score.cond_v.weight', 'score.cond_v.bias'] as const;

/** The rank of a parameter list's prompt-conditioned reward head (0: none). */
export function rewardRankOf(specs: readonly ParamSpec[]): number {
  return specs.find((s) => s.name === 'score.cond_u.weight')?.shape[0] ?? 0;
}

/**
 * The parameters of LlamaForCausalLM with Hugging Face names and shapes (weights stored
 * (out, in) as in torch.nn.Linear), plus any requested scalar heads; a reward head of
 * `rewardRank` k > 0 is prompt-conditioned (REWARD_COND_PARAMS).
 */
export function llamaParamSpecs(c: LlamaConfig, heads: HeadKind[] = [], opts: { rewardRank?: number } = {}): ParamSpec[] {
  const hd = headDim(c);
  const std = 0.02;
  const w = (name: string, shape: number[]): ParamSpec => ({ name, shape, init: { normal: std }, decay: true });
  const ones = (name: string, n: number): ParamSpec => ({ name, shape: [n], init: { constant: 1 }, decay: false });
  const zeros = (name: string, n: number): ParamSpec => ({ name, shape: [n], init: { constant: 0 }, decay: false });
  const specs: ParamSpec[] = [w('model.embed_tokens.weight', [c.vocabSize, c.dModel])];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    specs.push(ones(`${p}.input_layernorm.weight`, c.dModel));
    specs.push(w(`${p}.self_attn.q_proj.weight`, [c.nHeads * hd, c.dModel]));
    specs.push(w(`${p}.self_attn.k_proj.weight`, [c.nKVHeads * hd, c.dModel]));
    specs.push(w(`${p}.self_attn.v_proj.weight`, [c.nKVHeads * hd, c.dModel]));
    if (c.attentionBias) {
      specs.push(zeros(`${p}.self_attn.q_proj.bias`, c.nHeads * hd));
      specs.push(zeros(`${p}.self_attn.k_proj.bias`, c.nKVHeads * hd));
      specs.push(zeros(`${p}.self_attn.v_proj.bias`, c.nKVHeads * hd));
    }
    specs.push(w(`${p}.self_attn.o_proj.weight`, [c.dModel, c.nHeads * hd]));
    specs.push(ones(`${p}.post_attention_layernorm.weight`, c.dModel));
    specs.push(w(`${p}.mlp.gate_proj.weight`, [c.dFF, c.dModel]));
    specs.push(w(`${p}.mlp.up_proj.weight`, [c.dFF, c.dModel]));
    specs.push(w(`${p}.mlp.down_proj.weight`, [c.dModel, c.dFF]));
  }
  specs.push(ones('model.norm.weight', c.dModel));
  if (!c.tieEmbeddings) specs.push(w('lm_head.weight', [c.vocabSize, c.dModel]));
  for (const h of heads) {
    const hp = HEAD_PARAMS[h];
    specs.push({ name: hp.weight, shape: [1, c.dModel], init: { normal: std }, decay: true });
    if (hp.bias) specs.push(zeros(hp.bias, 1));
  }
  const k = opts.rewardRank ?? 0;
  if (!(Number.isInteger(k) && k >= 0)) throw new Error(`rewardRank must be an integer ≥ 0, got ${k}`);
  if (k > 0) {
    if (!heads.includes('reward')) throw new Error('rewardRank > 0 needs the reward head');
    specs.push(w('score.cond_u.weight', [k, c.dModel]), zeros('score.cond_u.bias', k), w('score.cond_v.weight', [k, c.dModel]), zeros('score.cond_v.bias', k));
  }
  return specs;
}
