/**
 * Named activation points, with TransformerLens's names, that any run can read or edit.
 *
 * The model's forward calls `hooks.point(name, x, shape)` at every activation TransformerLens
 * names (`hook_embed`, `blocks.{i}.hook_resid_pre`, `blocks.{i}.attn.hook_pattern`, …). By
 * default a point is the identity and adds nothing to the graph. A `HookSpec` turns points on:
 *
 * - `cache: [names]` — the activation becomes an extra graph output `cache:<name>` in
 *   TransformerLens's shape, e.g. (batch, pos, d_model) for the residual stream,
 *   (batch, head, query_pos, key_pos) for attention patterns.
 * - `edits: { name: kind }` — the activation is changed through an extra graph input:
 *   - `replace`: input `hook:<name>:replace`, of the full activation shape, replaces it
 *     (activation patching);
 *   - `add`: input `hook:<name>:add`, of the activation's last dimension, is added at every
 *     position (steering by adding a vector, scaled as the caller likes);
 *   - `projectOut`: input `hook:<name>:projectOut`, a direction u of the last dimension,
 *     removes the component along u: x − (x·û)û (directional ablation).
 *
 * Edits apply before caching, so a cached value is what flowed on. Because edits are graph
 * inputs, one compiled session serves any vector or replacement: the model code never changes.
 *
 *   const spec = { cache: ['blocks.0.hook_resid_post'], edits: { 'blocks.1.hook_resid_pre': 'add' } };
 */
import type { Graph, Tensor } from '../engine/ir.js';
import * as ops from '../engine/ops.js';

export type EditKind = 'replace' | 'add' | 'projectOut';

export interface HookSpec {
  cache?: string[];
  edits?: Record<string, EditKind>;
}

/** All hook names a Llama model of `nLayers` exposes, in forward order. */
export function hookNames(nLayers: number): string[] {
  const names = ['hook_embed'];
  for (let i = 0; i < nLayers; i++) {
    const b = `blocks.${i}`;
    names.push(
      `${b}.hook_resid_pre`,
      `${b}.ln1.hook_scale`,
      `${b}.ln1.hook_normalized`,
      `${b}.attn.hook_q`,
      `${b}.attn.hook_k`,
      `${b}.attn.hook_v`,
      `${b}.attn.hook_rot_q`,
      `${b}.attn.hook_rot_k`,
      `${b}.attn.hook_attn_scores`,
      `${b}.attn.hook_pattern`,
      `${b}.attn.hook_z`,
      `${b}.hook_attn_out`,
      `${b}.hook_resid_mid`,
      `${b}.ln2.hook_scale`,
      `${b}.ln2.hook_normalized`,
      `${b}.mlp.hook_pre`,
      `${b}.mlp.hook_pre_linear`,
      `${b}.mlp.hook_post`,
      `${b}.hook_mlp_out`,
      `${b}.hook_resid_post`,
    );
  }
  names.push('ln_final.hook_scale', 'ln_final.hook_normalized');
  return names;
}

export function hookSpecKey(spec: HookSpec | undefined): string {
  if (!spec) return '';
  const cache = [...(spec.cache ?? [])].sort().join(',');
  const edits = Object.entries(spec.edits ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `c[${cache}]e[${edits}]`;
}

export class HookPoints {
  private readonly seen = new Set<string>();
  readonly cached: { name: string; tensor: Tensor }[] = [];

  constructor(
    private readonly g: Graph,
    private readonly spec: HookSpec = {},
    valid?: string[],
  ) {
    if (valid) {
      const ok = new Set(valid);
      for (const n of [...(spec.cache ?? []), ...Object.keys(spec.edits ?? {})]) {
        if (!ok.has(n)) throw new Error(`unknown hook point "${n}" (e.g. ${valid.slice(0, 4).join(', ')}, …)`);
      }
    }
  }

  /**
   * The activation `x` at hook `name`. `shape` is the TransformerLens shape of the activation;
   * x is reshaped to it only when the point is cached or edited.
   */
  point(name: string, x: Tensor, shape: number[]): Tensor {
    this.seen.add(name);
    const edit = this.spec.edits?.[name];
    const cache = this.spec.cache?.includes(name) ?? false;
    if (!edit && !cache) return x;
    let h = ops.reshape(x, shape);
    const last = shape[shape.length - 1];
    if (edit === 'replace') h = this.g.input(`hook:${name}:replace`, shape);
    else if (edit === 'add') h = ops.add(h, this.g.input(`hook:${name}:add`, [last]));
    else if (edit === 'projectOut') {
      const u = this.g.input(`hook:${name}:projectOut`, [last]);
      const unit = ops.mul(u, ops.rsqrt(ops.add(ops.reduceSum(ops.mul(u, u), [0], true), this.g.scalar(1e-12))));
      const coef = ops.reduceSum(ops.mul(h, unit), [shape.length - 1], true);
      h = ops.sub(h, ops.mul(coef, unit));
    }
    if (cache) this.cached.push({ name, tensor: h });
    return ops.reshape(h, x.shape);
  }

  /** Hook names requested but never reached by the forward (a typo or a wrong layer index). */
  unreached(): string[] {
    return [...(this.spec.cache ?? []), ...Object.keys(this.spec.edits ?? {})].filter((n) => !this.seen.has(n));
  }
}
