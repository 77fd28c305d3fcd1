import { describe, expect, it, afterAll } from 'vitest';
import { Graph, ShapeError, type Tensor } from './ir.js';
import * as ops from './ops.js';
import { gradcheck, type GradcheckInput } from './gradcheck.js';
import { Runtime } from './session.js';

const rt = new Runtime({ threads: 1 });
afterAll(() => rt.release());

const pos = (n: number) => Array.from({ length: n }, (_, i) => 0.5 + ((i * 7) % 11) / 10);
const f = (shape: number[], values?: number[]): GradcheckInput => ({ shape, values });

/** One row per operator (and composite): the function, its inputs. Every gradient is checked here. */
const cases: [string, (...x: Tensor[]) => Tensor, GradcheckInput[]][] = [
  ['Add (broadcast)', (a, b) => ops.add(a, b), [f([2, 3]), f([3])]],
  ['Sub (broadcast)', (a, b) => ops.sub(a, b), [f([2, 1, 3]), f([4, 1])]],
  ['Mul (broadcast)', (a, b) => ops.mul(a, b), [f([2, 3]), f([2, 1])]],
  ['Div', (a, b) => ops.div(a, b), [f([2, 3]), f([2, 3], pos(6))]],
  ['Pow 3', (a) => ops.pow(a, 3), [f([5])]],
  ['Pow 2', (a) => ops.pow(a, 2), [f([5])]],
  ['Pow -0.5', (a) => ops.pow(a, -0.5), [f([4], pos(4))]],
  ['Max', (a, b) => ops.max(a, b), [f([6], [0.1, -0.9, 0.5, 0.3, -0.2, 0.8]), f([6], [0.3, -0.5, 0.1, 0.7, -0.6, 0.2])]],
  ['Where', (a, b) => ops.where(ops.less(a, b), ops.mul(a, b), ops.sub(a, b)), [f([2, 3], [0.1, 0.5, -0.3, 0.9, -0.8, 0.4]), f([3], [0.3, -0.2, 0.0])]],
  ['Neg', (a) => ops.neg(a), [f([3])]],
  ['Exp', (a) => ops.exp(a), [f([2, 2])]],
  ['Log', (a) => ops.log(a), [f([4], pos(4))]],
  ['Sqrt', (a) => ops.sqrt(a), [f([4], pos(4))]],
  ['Reciprocal', (a) => ops.reciprocal(a), [f([4], pos(4))]],
  ['Sigmoid', (a) => ops.sigmoid(a), [f([5])]],
  ['Tanh', (a) => ops.tanh(a), [f([5])]],
  ['Softplus', (a) => ops.softplus(ops.scale(a, 4)), [f([6])]],
  ['Rsqrt (composite)', (a) => ops.rsqrt(a), [f([4], pos(4))]],
  ['SiLU (composite)', (a) => ops.silu(a), [f([6])]],
  ['Cast float→float', (a) => ops.cast(ops.mul(a, a), 'float32'), [f([3])]],
  ['ReduceSum', (a) => ops.reduceSum(a, [1]), [f([2, 3, 2])]],
  ['ReduceSum keepdims', (a) => ops.reduceSum(a, [0, 2], true), [f([2, 3, 2])]],
  ['ReduceMean', (a) => ops.reduceMean(a, [-1], true), [f([3, 4])]],
  ['ReduceMax', (a) => ops.reduceMax(a, [1]), [f([2, 3])]],
  ['Softmax', (a) => ops.softmax(a, -1), [f([2, 5])]],
  ['Softmax axis 0', (a) => ops.softmax(a, 0), [f([3, 2])]],
  ['LogSoftmax', (a) => ops.logSoftmax(a, 1), [f([2, 4])]],
  ['MatMul', (a, b) => ops.matmul(a, b), [f([3, 4]), f([4, 2])]],
  ['MatMul batched (broadcast B)', (a, b) => ops.matmul(a, b), [f([2, 3, 4]), f([4, 2])]],
  ['MatMul batched (broadcast A)', (a, b) => ops.matmul(a, b), [f([1, 3, 4]), f([2, 2, 4, 2])]],
  ['Gemm', (a, b) => ops.gemm(a, b), [f([3, 4]), f([4, 2])]],
  ['Gemm transB', (a, b) => ops.gemm(a, b, false, true), [f([3, 4]), f([2, 4])]],
  ['Gemm transA', (a, b) => ops.gemm(a, b, true, false), [f([4, 3]), f([4, 2])]],
  ['Gemm transA transB', (a, b) => ops.gemm(a, b, true, true), [f([4, 3]), f([2, 4])]],
  ['Reshape', (a) => ops.mul(ops.reshape(a, [3, -1]), ops.reshape(a, [3, 2])), [f([2, 3])]],
  ['Transpose', (a) => ops.mul(ops.transpose(a, [2, 0, 1]), a.graph.constant([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3])), [f([2, 3, 2])]],
  ['Concat', (a, b) => ops.concat([a, ops.exp(b), a], 1), [f([2, 2]), f([2, 3])]],
  ['Slice', (a) => ops.slice(a, [1, 0], [3, -1], [0, 1]), [f([4, 3])]],
  ['Split (all pieces used)', (a) => { const [p, q, r] = ops.split(a, [1, 3, 2], 1); return ops.concat([ops.exp(r), p, ops.mul(q, q)], 1); }, [f([2, 6])]],
  ['Split (one piece unused)', (a) => ops.split(a, [2, 1], 0)[1], [f([3, 2])]],
  ['Pad', (a) => ops.pad(a, [1, 0], [0, 2]), [f([2, 2])]],
  ['Expand', (a) => ops.expand(a, [2, 3, 4]), [f([3, 1])]],
  ['SoftmaxCrossEntropyLoss', (x, t) => ops.softmaxCrossEntropy(x, t).loss, [f([3, 5]), { shape: [3], dtype: 'int64', values: [4, 0, 4] }]],
  ['Gather (repeated rows)', (w, i) => ops.gather(w, i), [f([5, 3]), { shape: [2, 2], dtype: 'int64', values: [1, 3, 1, 4] }]],
];

describe('operator gradients match central finite differences', () => {
  for (const [name, fn, inputs] of cases) {
    it(name, async () => {
      const r = await gradcheck(fn, inputs, { runtime: rt });
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxRelErr, r.worst).toBeLessThan(2e-3);
    });
  }
});

describe('shape errors are caught when the graph is built', () => {
  const g = new Graph();
  const a = g.input('a', [2, 3]);
  const b = g.input('b', [4, 5]);
  it('names the op and the shapes', () => {
    expect(() => ops.matmul(a, b)).toThrowError(ShapeError);
    expect(() => ops.matmul(a, b)).toThrowError(/MatMul: inner dimensions differ \(3 vs 4\).*a\[2, 3\].*b\[4, 5\]/);
    expect(() => ops.add(a, b)).toThrowError(/Add: shapes \[2, 3\] and \[4, 5\] do not broadcast/);
    expect(() => ops.reshape(a, [4, 2])).toThrowError(/Reshape: cannot reshape 6 elements to \[4, 2\]/);
    expect(() => ops.gemm(a, b, false, true)).toThrowError(/Gemm: inner dimensions differ/);
    expect(() => ops.softmax(a, 2)).toThrowError(/Softmax: axis 2 out of range/);
    expect(() => ops.concat([a, b], 0)).toThrowError(/Concat: inputs disagree/);
  });
});
