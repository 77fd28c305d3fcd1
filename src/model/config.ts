/**
 * The Llama model configuration, its validation, and its mapping to Hugging Face's
 * `LlamaForCausalLM` config.json fields.
 */
import { z } from 'zod';

export const LlamaConfigSchema = z
  .object({
    /** Number of token ids (HF `vocab_size`). */
    vocabSize: z.number().int().positive(),
    /** Residual stream width (HF `hidden_size`). */
    dModel: z.number().int().positive(),
    /** Number of transformer blocks (HF `num_hidden_layers`). */
    nLayers: z.number().int().positive(),
    /** Query heads (HF `num_attention_heads`); head size is dModel / nHeads. */
    nHeads: z.number().int().positive(),
    /** Key/value heads for grouped-query attention (HF `num_key_value_heads`); default nHeads. */
    nKVHeads: z.number().int().positive().optional(),
    /** SwiGLU hidden width (HF `intermediate_size`). */
    dFF: z.number().int().positive(),
    /** Longest sequence the rotary tables cover (HF `max_position_embeddings`); default 2048. */
    maxSeqLen: z.number().int().positive().default(2048),
    /** RoPE base θ (HF `rope_theta`); default 10000. */
    ropeTheta: z.number().positive().default(10000),
    /** RMSNorm ε (HF `rms_norm_eps`); default 1e-5. */
    normEps: z.number().positive().default(1e-5),
    /** Share the input embedding with the output projection (HF `tie_word_embeddings`); default false. */
    tieEmbeddings: z.boolean().default(false),
    /** Biases on q/k/v projections, as in Qwen2 (HF `attention_bias`); default false. */
    attentionBias: z.boolean().default(false),
  })
  .strict();

export type LlamaConfigInput = z.input<typeof LlamaConfigSchema>;
export type LlamaConfig = Required<z.output<typeof LlamaConfigSchema>>;

/** Validates a config (unknown keys and bad values are errors naming the field). */
export function llamaConfig(input: unknown, where = 'model config'): LlamaConfig {
  const r = LlamaConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${where}: ${issues}`);
  }
  const c = r.data;
  const cfg: LlamaConfig = { ...c, nKVHeads: c.nKVHeads ?? c.nHeads };
  if (cfg.dModel % cfg.nHeads !== 0) throw new Error(`${where}: dModel ${cfg.dModel} is not divisible by nHeads ${cfg.nHeads}`);
  if ((cfg.dModel / cfg.nHeads) % 2 !== 0) throw new Error(`${where}: head size ${cfg.dModel / cfg.nHeads} must be even for rotary embeddings`);
  if (cfg.nHeads % cfg.nKVHeads !== 0) throw new Error(`${where}: nHeads ${cfg.nHeads} is not a multiple of nKVHeads ${cfg.nKVHeads}`);
  return cfg;
}

export const headDim = (c: LlamaConfig) => c.dModel / c.nHeads;

/** Hugging Face `config.json` for LlamaForCausalLM. */
export function toHfConfig(c: LlamaConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFF,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKVHeads,
    head_dim: headDim(c),
    max_position_embeddings: c.maxSeqLen,
    rope_theta: c.ropeTheta,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.tieEmbeddings,
    attention_bias: c.attentionBias,
    hidden_act: 'silu',
    initializer_range: 0.02,
    torch_dtype: 'float32',
    ...extra,
  };
}

/** Reads a Hugging Face config.json (Llama, Qwen2, Mistral-style fields) into a LlamaConfig. */
export function fromHfConfig(hf: Record<string, unknown>, where = 'config.json'): LlamaConfig {
  const need = (k: string) => {
    if (typeof hf[k] !== 'number') throw new Error(`${where}: missing numeric field "${k}"`);
    return hf[k] as number;
  };
  const modelType = String(hf.model_type ?? 'llama');
  if (!['llama', 'qwen2', 'mistral'].includes(modelType)) throw new Error(`${where}: unsupported model_type "${modelType}" (supported: llama, qwen2, mistral)`);
  const rs = hf.rope_scaling as { rope_type?: string; type?: string } | null | undefined;
  const ropeType = rs?.rope_type ?? rs?.type;
  if (rs && ropeType && ropeType !== 'default') throw new Error(`${where}: rope_scaling "${ropeType}" is not supported`);
  if (typeof hf.head_dim === 'number' && hf.head_dim !== need('hidden_size') / need('num_attention_heads')) {
    throw new Error(`${where}: head_dim ${hf.head_dim} differs from hidden_size / num_attention_heads (not supported)`);
  }
  return llamaConfig(
    {
      vocabSize: need('vocab_size'),
      dModel: need('hidden_size'),
      nLayers: need('num_hidden_layers'),
      nHeads: need('num_attention_heads'),
      nKVHeads: typeof hf.num_key_value_heads === 'number' ? hf.num_key_value_heads : undefined,
      dFF: need('intermediate_size'),
      maxSeqLen: typeof hf.max_position_embeddings === 'number' ? hf.max_position_embeddings : 2048,
      ropeTheta: typeof hf.rope_theta === 'number' ? hf.rope_theta : 10000,
      normEps: typeof hf.rms_norm_eps === 'number' ? hf.rms_norm_eps : 1e-5,
      tieEmbeddings: hf.tie_word_embeddings === true,
      attentionBias: hf.attention_bias === true || modelType === 'qwen2',
    },
    where,
  );
}
