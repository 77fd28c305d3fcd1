/**
 * Reverse-mode automatic differentiation over the graph IR.
 *
 * `grad(y, xs)` appends the backward pass to the same graph: it walks the nodes in reverse
 * topological order (the graph's node list is already topological, since a node can only use
 * values that exist), asks each operator's registered gradient (ops.ts) for the gradients of its
 * inputs, and sums the contributions of values used more than once. Only nodes on a path from
 * some x to y are differentiated. The result is ordinary ONNX, so forward, loss, backward and
 * optimizer can all run as one ONNX Runtime session.
 *
 *   const g = new Graph();
 *   const x = g.input('x', [3]);
 *   const y = ops.reduceSum(ops.mul(x, x), [0]);
 *   const [dx] = grad(y, [x]);           // 2x
 */
import { type Tensor, ShapeError, sameShape, fmtShape } from './ir.js';
import { add, fill, gradientOf } from './ops.js';

/**
 * Gradients of `y` with respect to each of `xs`. `y` must be a scalar unless a seed gradient
 * `dy` of y's shape is given. An x that y does not depend on gets a zero gradient.
 */
export function grad(y: Tensor, xs: Tensor[], dy?: Tensor): Tensor[] {
  const g = y.graph;
  if (!dy) {
    if (y.size !== 1) throw new ShapeError(`grad: output ${y} is not a scalar; pass a seed gradient`);
    dy = fill(g, y.shape, 1);
  } else if (!sameShape(dy.shape, y.shape)) {
    throw new ShapeError(`grad: seed gradient ${fmtShape(dy.shape)} does not match output ${fmtShape(y.shape)}`);
  }

  // Forward pass over the node list: which values depend on some x (and so need gradients)?
  const dependsOnX = new Set<Tensor>(xs);
  const end = y.node ? g.nodes.indexOf(y.node) + 1 : 0;
  const nodes = g.nodes.slice(0, end);
  for (const n of nodes) {
    if (n.inputs.some((t) => dependsOnX.has(t))) for (const o of n.outputs) dependsOnX.add(o);
  }

  const grads = new Map<Tensor, Tensor>([[y, dy]]);
  const accumulate = (t: Tensor, d: Tensor) => {
    if (!sameShape(d.shape, t.shape)) throw new ShapeError(`grad: gradient ${fmtShape(d.shape)} for ${t} has the wrong shape`);
    const prev = grads.get(t);
    grads.set(t, prev ? add(prev, d) : d);
  };

  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    const dOuts = n.outputs.map((o) => grads.get(o));
    const dOut = dOuts.find((d) => d !== undefined);
    if (!dOut || !n.inputs.some((t) => dependsOnX.has(t))) continue;
    const fn = gradientOf(n.op);
    if (!fn) throw new ShapeError(`grad: no gradient registered for operator ${n.op}`);
    const dIns = fn(n, dOut, dOuts);
    n.inputs.forEach((t, j) => {
      const d = dIns[j];
      if (d && dependsOnX.has(t) && t.dtype === 'float32') accumulate(t, d);
    });
  }
  return xs.map((x) => grads.get(x) ?? fill(g, x.shape, 0));
}
