/**
 * A deliberately naive, loop-by-loop implementation of the Hugging Face Llama forward pass in
 * float64, written independently of the graph code: the trusted reference the tests compare
 * the compiled model against. It follows the HF modeling code's math step by step (RMSNorm,
 * rotate-half RoPE, repeat_kv for grouped-query attention, causal softmax, SwiGLU) and shares
 * nothing with llama.ts except the parameter names. Slow; for tiny models only.
 */
import type { LlamaConfig } from './config.js';

type Get = (name: string) => Float32Array;

/** Logits (T × V) for one sequence of ids. */
export function referenceLogits(c: LlamaConfig, get: Get, ids: number[]): number[][] {
  const T = ids.length;
  const d = c.dModel;
  const hd = d / c.nHeads;
  const group = c.nHeads / c.nKVHeads;

  // y = x Wᵀ (+ b) with W stored (out, in)
  const linear = (x: number[], w: Float32Array, out: number, b?: Float32Array): number[] => {
    const inp = x.length;
    const y = new Array<number>(out).fill(0);
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inp; i++) s += x[i] * w[o * inp + i];
      y[o] = s;
    }
    return y;
  };
  const rms = (x: number[], w: Float32Array) => {
    const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
    const r = 1 / Math.sqrt(ms + c.normEps);
    return x.map((v, i) => v * r * w[i]);
  };
  const rope = (v: number[], pos: number) => {
    const half = hd / 2;
    const out = new Array<number>(hd);
    for (let j = 0; j < hd; j++) {
      const freq = 1 / Math.pow(c.ropeTheta, (2 * (j % half)) / hd);
      const ang = pos * freq;
      const rot = j < half ? -v[j + half] : v[j - half];
      out[j] = v[j] * Math.cos(ang) + rot * Math.sin(ang);
    }
    return out;
  };
  const opt = (name: string): Float32Array | undefined => {
    try {
      return get(name);
    } catch {
      return undefined;
    }
  };

  const emb = get('model.embed_tokens.weight');
  let h = ids.map((t) => Array.from(emb.subarray(t * d, (t + 1) * d)));
  for (let l = 0; l < c.nLayers; l++) {
    const p = `model.layers.${l}`;
    const x = h.map((r) => rms(r, get(`${p}.input_layernorm.weight`)));
    const q = x.map((r) => linear(r, get(`${p}.self_attn.q_proj.weight`), c.nHeads * hd, opt(`${p}.self_attn.q_proj.bias`)));
    const k = x.map((r) => linear(r, get(`${p}.self_attn.k_proj.weight`), c.nKVHeads * hd, opt(`${p}.self_attn.k_proj.bias`)));
    const v = x.map((r) => linear(r, get(`${p}.self_attn.v_proj.weight`), c.nKVHeads * hd, opt(`${p}.self_attn.v_proj.bias`)));
    const head = (row: number[], hIdx: number) => row.slice(hIdx * hd, (hIdx + 1) * hd);
    const z = Array.from({ length: T }, () => new Array<number>(c.nHeads * hd).fill(0));
    for (let hh = 0; hh < c.nHeads; hh++) {
      const kvh = Math.floor(hh / group);
      for (let i = 0; i < T; i++) {
        const qi = rope(head(q[i], hh), i);
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          const kj = rope(head(k[j], kvh), j);
          scores.push(qi.reduce((s, a, n) => s + a * kj[n], 0) / Math.sqrt(hd));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) {
          const vj = head(v[j], kvh);
          for (let n = 0; n < hd; n++) z[i][hh * hd + n] += (e[j] / sum) * vj[n];
        }
      }
    }
    const attnOut = z.map((r) => linear(r, get(`${p}.self_attn.o_proj.weight`), d));
    h = h.map((r, i) => r.map((val, n) => val + attnOut[i][n]));
    const y = h.map((r) => rms(r, get(`${p}.post_attention_layernorm.weight`)));
    const mlp = y.map((r) => {
      const gate = linear(r, get(`${p}.mlp.gate_proj.weight`), c.dFF);
      const up = linear(r, get(`${p}.mlp.up_proj.weight`), c.dFF);
      const act = gate.map((g, n) => (g / (1 + Math.exp(-g))) * up[n]);
      return linear(act, get(`${p}.mlp.down_proj.weight`), d);
    });
    h = h.map((r, i) => r.map((val, n) => val + mlp[i][n]));
  }
  const head = c.tieEmbeddings ? emb : get('lm_head.weight');
  return h.map((r) => linear(rms(r, get('model.norm.weight')), head, c.vocabSize));
}
