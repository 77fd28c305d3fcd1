/**
 * Finite-difference gradient check: the trusted reference for every gradient in ops.ts.
 *
 * For a function f built with the graph builder, we form the scalar L = Σ f(x) ⊙ r with a fixed
 * random r (so every output element matters), derive ∂L/∂xᵢ with `grad`, run the graph in ONNX
 * Runtime, and compare each analytic derivative with the central difference
 * (L(x + εeᵢ) − L(x − εeᵢ)) / 2ε evaluated by running the same compiled graph on perturbed
 * inputs. Float32 arithmetic limits the agreement to about 1e-3 relative; the default
 * tolerance allows that.
 */
import { Graph, type Tensor, type DType } from './ir.js';
import * as ops from './ops.js';
import { grad } from './autodiff.js';
import { Runtime, type HostArray } from './session.js';

export interface GradcheckInput {
  shape: number[];
  dtype?: DType;
  /** Values; default: deterministic pseudo-random in [-1, 1]. */
  values?: number[];
  /** Whether to check the gradient for this input (default: float inputs). */
  check?: boolean;
}

export interface GradcheckResult {
  maxAbsErr: number;
  maxRelErr: number;
  worst: string;
  checked: number;
}

function pseudoRandom(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  });
}

function toHost(values: number[], dtype: DType): HostArray {
  if (dtype === 'int64') return BigInt64Array.from(values, (v) => BigInt(v));
  if (dtype === 'bool') return Uint8Array.from(values);
  if (dtype === 'int32') return Int32Array.from(values);
  return Float32Array.from(values);
}

/**
 * Checks the gradient of `f` at the given inputs; returns the worst errors. Use `eps` ≈ 1e-2 in
 * float32 (smaller steps drown in rounding error).
 */
export async function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: GradcheckInput[],
  opts: { eps?: number; runtime?: Runtime; seed?: number } = {},
): Promise<GradcheckResult> {
  const eps = opts.eps ?? 1e-2;
  const rt = opts.runtime ?? new Runtime({ threads: 1 });
  const g = new Graph();
  const xs = inputs.map((inp, i) => g.input(`x${i}`, inp.shape, inp.dtype ?? 'float32'));
  const y = f(...xs);
  const r = g.constant(pseudoRandom(y.size, 7 + (opts.seed ?? 0)), y.shape);
  const loss = ops.reduceSum(ops.mul(y, r), y.shape.map((_, i) => i));
  const checkIdx = inputs.map((_, i) => i).filter((i) => (inputs[i].check ?? (inputs[i].dtype ?? 'float32') === 'float32'));
  const grads = grad(loss, checkIdx.map((i) => xs[i]));
  g.output('loss', loss);
  grads.forEach((d, k) => g.output(`d${checkIdx[k]}`, d));
  const session = await rt.compile(g);

  const values = inputs.map((inp, i) => inp.values ?? pseudoRandom(xs[i].size, 101 + i + (opts.seed ?? 0)));
  const feeds = () => Object.fromEntries(inputs.map((inp, i) => [`x${i}`, toHost(values[i], inp.dtype ?? 'float32')]));
  const base = await session.run(feeds());

  let maxAbsErr = 0;
  let maxRelErr = 0;
  let worst = '';
  let checked = 0;
  for (const i of checkIdx) {
    const analytic = base[`d${i}`] as Float32Array;
    for (let j = 0; j < values[i].length; j++) {
      const orig = values[i][j];
      values[i][j] = orig + eps;
      const lp = (await session.run(feeds())).loss[0] as number;
      values[i][j] = orig - eps;
      const lm = (await session.run(feeds())).loss[0] as number;
      values[i][j] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const abs = Math.abs(numeric - analytic[j]);
      const rel = abs / Math.max(1, Math.abs(numeric), Math.abs(analytic[j]));
      checked++;
      if (rel > maxRelErr) {
        maxRelErr = rel;
        worst = `input ${i}[${j}]: analytic ${analytic[j]}, numeric ${numeric}`;
      }
      maxAbsErr = Math.max(maxAbsErr, abs);
    }
  }
  return { maxAbsErr, maxRelErr, worst, checked };
}
