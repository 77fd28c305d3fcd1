/**
 * Every operator the engine knows: its shape rule (checked when the node is built) and its
 * gradient, both in one place. Each operator is one standard ONNX operator (opset 17), and each
 * gradient is written with these same operators, so the backward pass is plain ONNX that the
 * inference build of ONNX Runtime can execute (no com.microsoft training ops).
 *
 * ## Adding an operator
 * 1. Write the builder function: check the inputs, compute the output shape, call `emit`.
 * 2. Register its gradient with `defineGrad('OnnxOpName', (node, dy) => [...])`: given the
 *    node and the gradient of its (first) output, return one gradient per input (`undefined` for
 *    inputs that take none, e.g. integer indices). Use `unbroadcast` wherever an input was
 *    broadcast. Gradients must use only builder functions from this file.
 * 3. Add a row to the gradcheck table in `ops.test.ts`: it compares the gradient against central
 *    finite differences computed by running the forward graph in ONNX Runtime.
 *
 * Example — the whole of `Exp`:
 *
 *   export function exp(x: Tensor): Tensor { return unary('Exp', x); }
 *   defineGrad('Exp', (n, dy) => [mul(dy, n.outputs[0])]);        // d exp(x) = exp(x) dx
 *
 * Composite functions (`silu`, `rsqrt`, `rmsNorm`, …) are built from operators and need no
 * gradient of their own.
 */
import { type DType, type Node, type Shape, type AttrValue, Graph, ShapeError, Tensor, fmtShape, sameShape, shapeSize } from './ir.js';

// ---------------------------------------------------------------------------------------------
// Gradient registry

/**
 * Given the node and the gradient flowing into its first output, the gradient of each input.
 * Operators with several outputs (Split) also receive every output's gradient in `dys`
 * (undefined where an output is unused); `dy` is then the first defined one.
 */
export type GradFn = (node: Node, dy: Tensor, dys: (Tensor | undefined)[]) => (Tensor | undefined)[];
const gradients = new Map<string, GradFn>();

export function defineGrad(op: string, fn: GradFn): void {
  gradients.set(op, fn);
}

export function gradientOf(op: string): GradFn | undefined {
  return gradients.get(op);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function emit(op: string, inputs: Tensor[], attrs: Record<string, AttrValue>, shape: Shape, dtype: DType): Tensor {
  return inputs[0].graph.addNode(op, inputs, attrs, [{ shape, dtype }])[0];
}

function fail(op: string, msg: string, ...xs: Tensor[]): never {
  const shapes = xs.map((x) => `${x.name}${fmtShape(x.shape)} ${x.dtype}`).join(', ');
  throw new ShapeError(`${op}: ${msg}${shapes ? ` (inputs: ${shapes})` : ''}`);
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcast of two shapes, or a ShapeError naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape, ...inputs: Tensor[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) fail(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`, ...inputs);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function requireFloat(op: string, ...xs: Tensor[]): void {
  for (const x of xs) if (x.dtype !== 'float32') fail(op, `expects float32, got ${x.dtype}`, x);
}

/** Sums `dy` over the axes along which a tensor of `shape` was broadcast to dy's shape. */
export function unbroadcast(dy: Tensor, shape: Shape): Tensor {
  if (sameShape(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? reduceSum(dy, axes, true) : dy;
  return reshape(summed, shape);
}

// ---------------------------------------------------------------------------------------------
// Elementwise binary (numpy broadcasting)

function binary(op: string, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) fail(op, `dtype mismatch ${a.dtype} vs ${b.dtype}`, a, b);
  return emit(op, [a, b], {}, broadcastShapes(op, a.shape, b.shape, a, b), a.dtype);
}

export function add(a: Tensor, b: Tensor): Tensor {
  return binary('Add', a, b);
}
defineGrad('Add', (n, dy) => [unbroadcast(dy, n.inputs[0].shape), unbroadcast(dy, n.inputs[1].shape)]);

export function sub(a: Tensor, b: Tensor): Tensor {
  return binary('Sub', a, b);
}
defineGrad('Sub', (n, dy) => [unbroadcast(dy, n.inputs[0].shape), unbroadcast(neg(dy), n.inputs[1].shape)]);

export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('Mul', a, b);
}
defineGrad('Mul', (n, dy) => {
  const [a, b] = n.inputs;
  return [unbroadcast(mul(dy, b), a.shape), unbroadcast(mul(dy, a), b.shape)];
});

export function div(a: Tensor, b: Tensor): Tensor {
  return binary('Div', a, b);
}
defineGrad('Div', (n, dy) => {
  const [a, b] = n.inputs;
  const y = n.outputs[0];
  // d(a/b) = da/b − (a/b²) db = da/b − y/b db
  const dyOverB = div(dy, b);
  return [unbroadcast(dyOverB, a.shape), unbroadcast(neg(mul(dyOverB, y)), b.shape)];
});

/** x ** p for a constant scalar exponent p. */
export function pow(x: Tensor, p: number): Tensor {
  requireFloat('Pow', x);
  return emit('Pow', [x, x.graph.scalar(p)], {}, x.shape, x.dtype);
}
defineGrad('Pow', (n, dy) => {
  const x = n.inputs[0];
  const p = scalarValue(n.inputs[1]);
  const dx = p === 2 ? mul(dy, mul(x, x.graph.scalar(2))) : mul(dy, mul(pow(x, p - 1), x.graph.scalar(p)));
  return [dx, undefined];
});

function scalarValue(t: Tensor): number {
  const c = t.graph.constants.get(t);
  if (!c || c.data.length !== 1) throw new ShapeError(`expected a scalar constant, got ${t}`);
  return Number(c.data[0]);
}

/** Elementwise maximum of two tensors (gradient goes to the larger; ties to the first). */
export function max(a: Tensor, b: Tensor): Tensor {
  return binary('Max', a, b);
}
defineGrad('Max', (n, dy) => {
  const [a, b] = n.inputs;
  const takeA = greaterOrEqual(a, b);
  const zero = dy.graph.scalar(0);
  return [unbroadcast(where(takeA, dy, zero), a.shape), unbroadcast(where(takeA, zero, dy), b.shape)];
});

// Comparisons and logic: no gradient.
export function equal(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) fail('Equal', `dtype mismatch ${a.dtype} vs ${b.dtype}`, a, b);
  return emit('Equal', [a, b], {}, broadcastShapes('Equal', a.shape, b.shape, a, b), 'bool');
}
export function less(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) fail('Less', `dtype mismatch ${a.dtype} vs ${b.dtype}`, a, b);
  return emit('Less', [a, b], {}, broadcastShapes('Less', a.shape, b.shape, a, b), 'bool');
}
export function greaterOrEqual(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) fail('GreaterOrEqual', `dtype mismatch ${a.dtype} vs ${b.dtype}`, a, b);
  return emit('GreaterOrEqual', [a, b], {}, broadcastShapes('GreaterOrEqual', a.shape, b.shape, a, b), 'bool');
}

/** cond ? a : b, elementwise with broadcasting over all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  if (cond.dtype !== 'bool') fail('Where', 'condition must be bool', cond);
  if (a.dtype !== b.dtype) fail('Where', `dtype mismatch ${a.dtype} vs ${b.dtype}`, a, b);
  const shape = broadcastShapes('Where', cond.shape, broadcastShapes('Where', a.shape, b.shape, cond, a, b), cond, a, b);
  return emit('Where', [cond, a, b], {}, shape, a.dtype);
}
defineGrad('Where', (n, dy) => {
  const [cond, a, b] = n.inputs;
  const zero = dy.graph.scalar(0);
  return [undefined, unbroadcast(where(cond, dy, zero), a.shape), unbroadcast(where(cond, zero, dy), b.shape)];
});

// ---------------------------------------------------------------------------------------------
// Elementwise unary

function unary(op: string, x: Tensor): Tensor {
  requireFloat(op, x);
  return emit(op, [x], {}, x.shape, x.dtype);
}

export function neg(x: Tensor): Tensor {
  return unary('Neg', x);
}
defineGrad('Neg', (_n, dy) => [neg(dy)]);

export function exp(x: Tensor): Tensor {
  return unary('Exp', x);
}
defineGrad('Exp', (n, dy) => [mul(dy, n.outputs[0])]);

export function log(x: Tensor): Tensor {
  return unary('Log', x);
}
defineGrad('Log', (n, dy) => [div(dy, n.inputs[0])]);

export function sqrt(x: Tensor): Tensor {
  return unary('Sqrt', x);
}
defineGrad('Sqrt', (n, dy) => [div(mul(dy, dy.graph.scalar(0.5)), n.outputs[0])]);

export function reciprocal(x: Tensor): Tensor {
  return unary('Reciprocal', x);
}
defineGrad('Reciprocal', (n, dy) => {
  const y = n.outputs[0];
  return [neg(mul(dy, mul(y, y)))];
});

export function sigmoid(x: Tensor): Tensor {
  return unary('Sigmoid', x);
}
defineGrad('Sigmoid', (n, dy) => {
  const y = n.outputs[0];
  return [mul(dy, mul(y, sub(y.graph.scalar(1), y)))];
});

export function tanh(x: Tensor): Tensor {
  return unary('Tanh', x);
}
defineGrad('Tanh', (n, dy) => {
  const y = n.outputs[0];
  return [mul(dy, sub(y.graph.scalar(1), mul(y, y)))];
});

/** softplus(x) = log(1 + eˣ), computed stably by ONNX Runtime; −log σ(x) = softplus(−x). */
export function softplus(x: Tensor): Tensor {
  return unary('Softplus', x);
}
defineGrad('Softplus', (n, dy) => [mul(dy, sigmoid(n.inputs[0]))]);

/** Changes dtype. Gradients flow only between float types. */
export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return emit('Cast', [x], { to: onnxDTypeCode(to) }, x.shape, to);
}
defineGrad('Cast', (n, dy) => [n.inputs[0].dtype === 'float32' ? cast(dy, 'float32') : undefined]);

export function onnxDTypeCode(d: DType): number {
  return { float32: 1, int32: 6, int64: 7, bool: 9 }[d];
}

// Composites (no gradient of their own).

/** 1/√x */
export function rsqrt(x: Tensor): Tensor {
  return reciprocal(sqrt(x));
}

/** SiLU (swish): x·σ(x). */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

export function square(x: Tensor): Tensor {
  return mul(x, x);
}

export function scale(x: Tensor, s: number): Tensor {
  return mul(x, x.graph.scalar(s));
}

// ---------------------------------------------------------------------------------------------
// Reductions

function reducedShape(op: string, x: Tensor, axes: number[], keepdims: boolean): { axes: number[]; shape: number[] } {
  const ax = [...new Set(axes.map((a) => normAxis(op, a, x.rank)))].sort((a, b) => a - b);
  const shape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
  return { axes: ax, shape };
}

/** Sum over `axes` (ONNX ReduceSum, axes given as an input since opset 13). */
export function reduceSum(x: Tensor, axes: number[], keepdims = false): Tensor {
  const r = reducedShape('ReduceSum', x, axes, keepdims);
  return emit('ReduceSum', [x, x.graph.ints(r.axes)], { keepdims: keepdims ? 1 : 0 }, r.shape, x.dtype);
}
defineGrad('ReduceSum', (n, dy) => {
  const x = n.inputs[0];
  const axes = [...(n.inputs[1].graph.constants.get(n.inputs[1])!.data as BigInt64Array)].map(Number);
  return [expand(reshape(dy, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))), x.shape), undefined];
});

/** Mean over `axes` (ONNX ReduceMean; axes is an attribute up to opset 17). */
export function reduceMean(x: Tensor, axes: number[], keepdims = false): Tensor {
  requireFloat('ReduceMean', x);
  const r = reducedShape('ReduceMean', x, axes, keepdims);
  return emit('ReduceMean', [x], { axes: r.axes, keepdims: keepdims ? 1 : 0 }, r.shape, x.dtype);
}
defineGrad('ReduceMean', (n, dy) => {
  const x = n.inputs[0];
  const axes = n.attrs.axes as number[];
  const count = axes.reduce((c, a) => c * x.shape[a], 1);
  const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return [expand(reshape(scale(dy, 1 / count), keep), x.shape)];
});

/** Max over `axes`. The gradient is split evenly between tied maxima. */
export function reduceMax(x: Tensor, axes: number[], keepdims = false): Tensor {
  requireFloat('ReduceMax', x);
  const r = reducedShape('ReduceMax', x, axes, keepdims);
  return emit('ReduceMax', [x], { axes: r.axes, keepdims: keepdims ? 1 : 0 }, r.shape, x.dtype);
}
defineGrad('ReduceMax', (n, dy) => {
  const x = n.inputs[0];
  const axes = n.attrs.axes as number[];
  const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const isMax = cast(equal(x, reshape(n.outputs[0], keep)), 'float32');
  const ties = reduceSum(isMax, axes, true);
  return [mul(div(isMax, ties), reshape(dy, keep))];
});

/** Softmax along one axis (opset 13 semantics). */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloat('Softmax', x);
  return emit('Softmax', [x], { axis: normAxis('Softmax', axis, x.rank) }, x.shape, x.dtype);
}
defineGrad('Softmax', (n, dy) => {
  // dx = y ⊙ (dy − Σ_axis dy ⊙ y)
  const y = n.outputs[0];
  const axis = n.attrs.axis as number;
  return [mul(y, sub(dy, reduceSum(mul(dy, y), [axis], true)))];
});

/** log(softmax(x)) along one axis, computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloat('LogSoftmax', x);
  return emit('LogSoftmax', [x], { axis: normAxis('LogSoftmax', axis, x.rank) }, x.shape, x.dtype);
}
defineGrad('LogSoftmax', (n, dy) => {
  // dx = dy − softmax(x) ⊙ Σ_axis dy
  const y = n.outputs[0];
  const axis = n.attrs.axis as number;
  return [sub(dy, mul(exp(y), reduceSum(dy, [axis], true)))];
});

// ---------------------------------------------------------------------------------------------
// Matrix products

/**
 * Batched matrix product with numpy semantics for ranks ≥ 2: (…, m, k) @ (…, k, n) → (…, m, n),
 * batch dimensions broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat('MatMul', a, b);
  if (a.rank < 2 || b.rank < 2) fail('MatMul', 'inputs must have rank ≥ 2', a, b);
  const [m, k] = a.shape.slice(-2);
  const [k2, nn] = b.shape.slice(-2);
  if (k !== k2) fail('MatMul', `inner dimensions differ (${k} vs ${k2})`, a, b);
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2), a, b);
  return emit('MatMul', [a, b], {}, [...batch, m, nn], a.dtype);
}
defineGrad('MatMul', (n, dy) => {
  const [a, b] = n.inputs;
  // dA = dY Bᵀ, dB = Aᵀ dY, each summed over broadcast batch dimensions.
  return [unbroadcast(matmul(dy, transposeLast2(b)), a.shape), unbroadcast(matmul(transposeLast2(a), dy), b.shape)];
});

function transposeLast2(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

/**
 * 2-D product with optional transposes: op(A) · op(B), op = transpose when the flag is set.
 * The linear layers use `gemm(x, W, false, true)` for x Wᵀ with W stored (out, in) as in
 * Hugging Face; the backward pass then needs no explicit transposes at all.
 */
export function gemm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  requireFloat('Gemm', a, b);
  if (a.rank !== 2 || b.rank !== 2) fail('Gemm', 'inputs must be 2-D', a, b);
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, nn] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) fail('Gemm', `inner dimensions differ (${k} vs ${k2}; transA=${transA}, transB=${transB})`, a, b);
  return emit('Gemm', [a, b], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 }, [m, nn], a.dtype);
}
defineGrad('Gemm', (n, dy) => {
  const [a, b] = n.inputs;
  const tA = n.attrs.transA === 1;
  const tB = n.attrs.transB === 1;
  if (!tA && !tB) return [gemm(dy, b, false, true), gemm(a, dy, true, false)];
  if (!tA && tB) return [gemm(dy, b), gemm(dy, a, true, false)];
  if (tA && !tB) return [gemm(b, dy, false, true), gemm(a, dy)];
  return [gemm(b, dy, true, true), gemm(dy, a, true, true)];
});

// ---------------------------------------------------------------------------------------------
// Shape manipulation

/** Reshape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) fail('Reshape', `more than one -1 in target shape ${fmtShape(shape)}`, x);
  const prod = shapeSize(known);
  const out = shape.map((d) => (d === -1 ? (prod === 0 ? 0 : x.size / prod) : d));
  if (shapeSize(out) !== x.size || !out.every(Number.isInteger)) fail('Reshape', `cannot reshape ${x.size} elements to ${fmtShape(shape)}`, x);
  if (sameShape(out, x.shape)) return x;
  return emit('Reshape', [x, x.graph.ints(out)], {}, out, x.dtype);
}
defineGrad('Reshape', (n, dy) => [reshape(dy, n.inputs[0].shape), undefined]);

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) fail('Transpose', `invalid permutation [${perm.join(', ')}]`, x);
  return emit('Transpose', [x], { perm: [...perm] }, perm.map((p) => x.shape[p]), x.dtype);
}
defineGrad('Transpose', (n, dy) => {
  const perm = n.attrs.perm as number[];
  const inv = perm.map((_, i) => perm.indexOf(i));
  return [transpose(dy, inv)];
});

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError('Concat: no inputs');
  const ax = normAxis('Concat', axis, xs[0].rank);
  const shape = [...xs[0].shape];
  for (const x of xs.slice(1)) {
    if (x.rank !== xs[0].rank || x.dtype !== xs[0].dtype || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      fail('Concat', `inputs disagree outside axis ${ax}`, ...xs);
    }
    shape[ax] += x.shape[ax];
  }
  return emit('Concat', xs, { axis: ax }, shape, xs[0].dtype);
}
defineGrad('Concat', (n, dy) => {
  const ax = n.attrs.axis as number;
  let start = 0;
  return n.inputs.map((x) => {
    const g = slice(dy, [start], [start + x.shape[ax]], [ax]);
    start += x.shape[ax];
    return g;
  });
});

/** Slice with unit steps: x[starts:ends] along `axes` (negative indices count from the end). */
export function slice(x: Tensor, starts: number[], ends: number[], axes: number[]): Tensor {
  if (starts.length !== ends.length || starts.length !== axes.length) fail('Slice', 'starts, ends and axes differ in length', x);
  const shape = [...x.shape];
  const ax = axes.map((a) => normAxis('Slice', a, x.rank));
  const st: number[] = [];
  const en: number[] = [];
  ax.forEach((a, i) => {
    const d = x.shape[a];
    const s = Math.min(Math.max(starts[i] < 0 ? starts[i] + d : starts[i], 0), d);
    const e = Math.min(Math.max(ends[i] < 0 ? ends[i] + d : ends[i], 0), d);
    if (e < s) fail('Slice', `empty or reversed range ${starts[i]}:${ends[i]} on axis ${a}`, x);
    st.push(s);
    en.push(e);
    shape[a] = e - s;
  });
  const g = x.graph;
  return emit('Slice', [x, g.ints(st), g.ints(en), g.ints(ax)], {}, shape, x.dtype);
}
defineGrad('Slice', (n, dy) => {
  // The gradient is dy placed back into zeros of the input's shape: a constant Pad.
  const x = n.inputs[0];
  const c = (t: Tensor) => [...(t.graph.constants.get(t)!.data as BigInt64Array)].map(Number);
  const [st, ax] = [c(n.inputs[1]), c(n.inputs[3])];
  const before = new Array(x.rank).fill(0);
  const after = new Array(x.rank).fill(0);
  ax.forEach((a, i) => {
    before[a] = st[i];
    after[a] = x.shape[a] - st[i] - dy.shape[a];
  });
  return [pad(dy, before, after), undefined, undefined, undefined];
});

/**
 * Splits `x` along `axis` into pieces of the given sizes (one ONNX Split node). The gradient
 * is the Concat of the pieces' gradients (zeros for unused pieces) — one copy, where separate
 * Slices would cost a zero-padded copy per piece.
 */
export function split(x: Tensor, sizes: number[], axis: number): Tensor[] {
  const ax = normAxis('Split', axis, x.rank);
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax]) fail('Split', `sizes [${sizes.join(', ')}] do not add up to dimension ${x.shape[ax]} of axis ${ax}`, x);
  const outs = sizes.map((n) => ({ shape: x.shape.map((d, i) => (i === ax ? n : d)), dtype: x.dtype }));
  return x.graph.addNode('Split', [x, x.graph.ints(sizes)], { axis: ax }, outs);
}
defineGrad('Split', (n, _dy, dys) => {
  const ax = n.attrs.axis as number;
  const parts = n.outputs.map((o, i) => dys[i] ?? fill(o.graph, o.shape, 0));
  return [concat(parts, ax), undefined];
});

/** Zero padding: `before[i]` and `after[i]` zeros on each side of axis i. */
export function pad(x: Tensor, before: number[], after: number[]): Tensor {
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  return emit('Pad', [x, x.graph.ints([...before, ...after])], { mode: 'constant' }, shape, x.dtype);
}
defineGrad('Pad', (n, dy) => {
  const x = n.inputs[0];
  const pads = [...(n.inputs[1].graph.constants.get(n.inputs[1])!.data as BigInt64Array)].map(Number);
  const axes = x.shape.map((_, i) => i);
  return [slice(dy, pads.slice(0, x.rank), axes.map((a) => pads[a] + x.shape[a]), axes), undefined];
});

/** Broadcast `x` to `shape` (numpy rules). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes('Expand', x.shape, shape, x);
  if (!sameShape(out, shape)) fail('Expand', `cannot expand to ${fmtShape(shape)}`, x);
  if (sameShape(x.shape, shape)) return x;
  return emit('Expand', [x, x.graph.ints(shape)], {}, out, x.dtype);
}
defineGrad('Expand', (n, dy) => [unbroadcast(dy, n.inputs[0].shape), undefined]);

/**
 * Gather rows along axis 0: data (V, …) indexed by int64 `indices` of any shape → (…indices, …).
 * This is the embedding lookup.
 *
 * Its gradient sums the rows of dy that picked each row of data: onehot(indices)ᵀ · dy, one
 * Gemm over a (rows × V) one-hot matrix. The natural ScatterND(reduction=add) is not used: in
 * ONNX Runtime 1.30 with two threads it loses updates when indices repeat (measured: embedding
 * gradients off by up to 6e-3 and different on every run; see the determinism test in
 * train/trainer.test.ts). The one-hot costs rows × V floats of memory, fine for the vocabularies
 * trained here; very large vocabularies would want a chunked version.
 */
export function gather(data: Tensor, indices: Tensor): Tensor {
  if (indices.dtype !== 'int64') fail('Gather', 'indices must be int64', indices);
  return emit('Gather', [data, indices], { axis: 0 }, [...indices.shape, ...data.shape.slice(1)], data.dtype);
}
defineGrad('Gather', (n, dy) => {
  const [data, indices] = n.inputs;
  const rows = indices.size;
  const V = data.shape[0];
  const width = shapeSize(data.shape.slice(1));
  const vocab = data.graph.constant(Array.from({ length: V }, (_, i) => i), [V], 'int64');
  const onehot = cast(equal(reshape(indices, [rows, 1]), vocab), 'float32'); // (rows, V)
  const upd = reshape(dy, [rows, width]);
  return [reshape(gemm(onehot, upd, true, false), data.shape), undefined];
});

/** A tensor of `shape` filled with `value` (an Expand of a shared scalar: no large constant). */
export function fill(g: Graph, shape: readonly number[], value: number): Tensor {
  return expand(g.scalar(value), shape);
}

/**
 * Per-row softmax cross-entropy: −log softmax(logits)[target] for logits (N, V) and int64
 * targets (N). One ONNX SoftmaxCrossEntropyLoss node (reduction 'none'); its second output, the
 * log-probabilities (N, V), makes the gradient cheap: ∂/∂logits = (softmax − onehot) · dy,
 * written as exp(logp) · dy with −dy scatter-added at each target (ScatterElements, add).
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor): { loss: Tensor; logprobs: Tensor } {
  requireFloat('SoftmaxCrossEntropyLoss', logits);
  if (logits.rank !== 2) fail('SoftmaxCrossEntropyLoss', 'logits must be (N, V)', logits);
  if (targets.dtype !== 'int64' || targets.rank !== 1 || targets.shape[0] !== logits.shape[0]) fail('SoftmaxCrossEntropyLoss', `targets must be int64 (${logits.shape[0]})`, logits, targets);
  const [N, V] = logits.shape;
  const [loss, logprobs] = logits.graph.addNode('SoftmaxCrossEntropyLoss', [logits, targets], { reduction: 'none' }, [
    { shape: [N], dtype: 'float32' },
    { shape: [N, V], dtype: 'float32' },
  ]);
  return { loss, logprobs };
}
defineGrad('SoftmaxCrossEntropyLoss', (n, dy) => {
  const [logits, targets] = n.inputs;
  const N = logits.shape[0];
  const col = reshape(dy, [N, 1]);
  const soft = mul(exp(n.outputs[1]), col); // softmax · dy
  const idx = reshape(targets, [N, 1]);
  return [emit('ScatterElements', [soft, idx, neg(col)], { axis: 1, reduction: 'add' }, logits.shape, 'float32'), undefined];
});
