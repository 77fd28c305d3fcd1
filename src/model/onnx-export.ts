/**
 * ONNX export of a Llama model for inference: one self-contained `.onnx` file that any ONNX
 * runtime (onnxruntime, onnxruntime-web, TensorRT, …) runs without alignlab.
 *
 *   inputs:   input_ids       int64 (B, T)   token ids, left-padded
 *             attention_mask  int64 (B, T)   1 = token, 0 = padding (Hugging Face's convention)
 *   output:   logits          float (B, T, V) next-token logits at every position
 *
 * The weights are initializers named as in Hugging Face (`model.layers.0.self_attn.q_proj.weight`,
 * …), so the graph is the same math as `LlamaModel.forward` (it is built by the same
 * `llamaForward`), opset 17, standard operators only.
 *
 * Shapes are static: alignlab's IR compiles one graph per shape, so a file is exported for a fixed
 * batch B and length T (pad shorter prompts on the left to T; longer ones need another export).
 *
 * Positions come from the mask inside the graph, so callers only feed ids and mask:
 *
 *   position_ids = cumsum(attention_mask, axis=1) − attention_mask
 *
 * which numbers the tokens of each row 0, 1, 2, … from its first real token (left padding gets
 * position 0 and is never attended to: the mask adds −1e9 to padded keys). A left-padded row
 * therefore gives exactly the logits of the unpadded sequence at its real positions; the logits
 * at padded positions are meaningless. (Hugging Face computes `cumsum − 1` and then overwrites the
 * padded positions; on real tokens the two agree.) Because rotary attention depends only on
 * position differences, what matters is that a row's real tokens are numbered contiguously, which
 * this gives for left and right padding alike; the alternative, a third `position_ids` input,
 * would only hand that duty to every caller.
 *
 * Limits: ONNX keeps initializers inside the protobuf, which caps a file at 2 GiB of weights
 * (about 500M float32 parameters); larger models are refused with a clear error.
 *
 * @example
 * ```ts
 * writeOnnxModel('runs/m/model.onnx', model, { batch: 1, seqLen: 64 });
 * // python: onnxruntime.InferenceSession('model.onnx').run(['logits'], {'input_ids': ids, 'attention_mask': mask})
 * ```
 */
import { Graph, Tensor } from '../engine/ir.js';
import * as ops from '../engine/ops.js';
import { toOnnx } from '../engine/onnx.js';
import { writeFileAtomic } from '../util/atomic.js';
import { llamaForward, type Params } from './llama.js';
import { llamaParamSpecs } from './params.js';
import type { LlamaModel } from './model.js';

export interface OnnxExportOptions {
  /** Rows per run, B (default 1). */
  batch?: number;
  /** Tokens per row, T (default 64, at most the model's maxSeqLen). */
  seqLen?: number;
}

/** What an exported file expects and returns. */
export interface OnnxSignature {
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
}

/** ONNX protobuf messages are limited to 2 GiB; leave room for the graph itself. */
const MAX_WEIGHT_BYTES = 2 ** 31 - 64 * 2 ** 20;

/**
 * The inference graph of `model` with its weights as named initializers, for a fixed batch and
 * length. See the file comment for the inputs and outputs.
 */
export function llamaOnnxGraph(model: LlamaModel, opts: OnnxExportOptions = {}): { graph: Graph; signature: OnnxSignature } {
  const c = model.cfg;
  const B = opts.batch ?? 1;
  const T = opts.seqLen ?? Math.min(64, c.maxSeqLen);
  if (!Number.isInteger(B) || B < 1) throw new Error(`ONNX export: batch must be a positive integer, got ${B}`);
  if (!Number.isInteger(T) || T < 1 || T > c.maxSeqLen) throw new Error(`ONNX export: seqLen must be an integer from 1 to the model's maxSeqLen ${c.maxSeqLen}, got ${T}`);
  const specs = llamaParamSpecs(c);
  const bytes = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes > MAX_WEIGHT_BYTES) throw new Error(`ONNX export: ${(bytes / 2 ** 30).toFixed(2)} GiB of float32 weights exceed what one ONNX file holds inline (2 GiB)`);

  const g = new Graph();
  // Initializers keep their Hugging Face names (the IR's own names are "prefix_N", never dotted,
  // so they cannot collide).
  const P: Params = {};
  for (const s of specs) {
    const t = new Tensor(g, s.name, s.shape, 'float32');
    g.constants.set(t, { kind: 'const', dtype: 'float32', shape: s.shape, data: model.params.get(s.name) });
    P[s.name] = t;
  }
  const ids = g.input('input_ids', [B, T], 'int64');
  const mask = g.input('attention_mask', [B, T], 'int64');
  // position_ids = cumsum(mask) − mask: 0, 1, 2, … from the first real token of each row.
  const [cumsum] = g.addNode('CumSum', [mask, g.scalar(1, 'int64')], {}, [{ shape: [B, T], dtype: 'int64' }]);
  const positions = ops.sub(cumsum, mask); // (B, T)
  const keyMask = ops.cast(mask, 'float32'); // (B, T)
  const { logits } = llamaForward(c, P, { ids, positions, keyMask });
  g.output('logits', ops.reshape(logits, [B, T, c.vocabSize])); // (B, T, V)
  return {
    graph: g,
    signature: {
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: [B, T] },
        { name: 'attention_mask', dtype: 'int64', shape: [B, T] },
      ],
      outputs: [{ name: 'logits', dtype: 'float32', shape: [B, T, c.vocabSize] }],
    },
  };
}

/** Serializes the inference graph of `model` to ONNX bytes. */
export function llamaToOnnx(model: LlamaModel, opts: OnnxExportOptions = {}): { bytes: Uint8Array; signature: OnnxSignature } {
  const { graph, signature } = llamaOnnxGraph(model, opts);
  return { bytes: toOnnx(graph, 'alignlab-llama'), signature };
}

/** Writes the ONNX file atomically; returns its signature and size. */
export function writeOnnxModel(file: string, model: LlamaModel, opts: OnnxExportOptions = {}): OnnxSignature & { bytes: number } {
  const { bytes, signature } = llamaToOnnx(model, opts);
  writeFileAtomic(file, bytes);
  return { ...signature, bytes: bytes.length };
}
