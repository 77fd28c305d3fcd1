/**
 * The graph IR: typed tensors with static shapes, and the nodes that produce them.
 *
 * A `Graph` records a computation the way ONNX does — a list of nodes, each an ONNX operator
 * (`MatMul`, `Add`, `Softmax`, …) with its inputs, outputs and attributes — but every value
 * carries its full static shape and dtype, checked when the node is built. Shapes are static
 * because alignlab compiles one ONNX graph per shape signature (batch × sequence length) and
 * caches the session; static shapes make shape errors catchable at build time and let the
 * autodiff reduce broadcast gradients with axes known in advance.
 *
 * Operators themselves (shape rules and gradients) live in `ops.ts`; this file is only the
 * container. Example:
 *
 *   const g = new Graph();
 *   const x = g.input('x', [2, 3]);
 *   const y = ops.exp(x);          // a node 'Exp' with output shape [2, 3]
 *   g.output('y', y);
 */

export type DType = 'float32' | 'int64' | 'int32' | 'bool';
export type Shape = readonly number[];

/** ONNX attribute values: numbers are ints unless wrapped by `float()`; arrays of ints; strings; tensors. */
export type AttrValue = number | { float: number } | number[] | { floats: number[] } | string | ConstTensor;

/** Literal tensor data (ONNX initializers and `Constant` attributes). */
export interface ConstTensor {
  kind: 'const';
  dtype: DType;
  shape: Shape;
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    /** The ONNX value name: unique in the graph. */
    readonly name: string,
    readonly shape: Shape,
    readonly dtype: DType,
    /** The node that produced this tensor; undefined for graph inputs and constants. */
    readonly node?: Node,
  ) {}

  get size(): number {
    return shapeSize(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(', ')}]`;
  }
}

export interface Node {
  op: string;
  inputs: Tensor[];
  outputs: Tensor[];
  attrs: Record<string, AttrValue>;
  /** ONNX domain; '' is the default (ai.onnx) domain. */
  domain: string;
}

/** Thrown when a node is built with inputs of the wrong shape or dtype. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: { name: string; tensor: Tensor }[] = [];
  /** Constant tensors emitted as ONNX initializers. */
  readonly constants = new Map<Tensor, ConstTensor>();
  private counter = 0;
  private readonly names = new Set<string>();
  /** Scalar constants are shared: one initializer per (dtype, value). */
  private readonly scalarCache = new Map<string, Tensor>();

  /** A fresh unique value name with a readable prefix. */
  freshName(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new ShapeError(`duplicate value name "${name}" in graph`);
    this.names.add(name);
    return name;
  }

  /** A graph input (fed at run time). */
  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    checkShape(shape, `input "${name}"`);
    const t = new Tensor(this, this.claim(name), [...shape], dtype);
    this.inputs.push(t);
    return t;
  }

  /** Marks `tensor` as a graph output under `name` (an Identity node renames it when needed). */
  output(name: string, tensor: Tensor): void {
    if (tensor.graph !== this) throw new ShapeError(`output "${name}": tensor belongs to another graph`);
    if (this.outputs.some((o) => o.name === name)) throw new ShapeError(`duplicate output "${name}"`);
    let t = tensor;
    if (t.name !== name) {
      t = this.addNode('Identity', [tensor], {}, [{ shape: tensor.shape, dtype: tensor.dtype }], name)[0];
    }
    this.outputs.push({ name, tensor: t });
  }

  /** A constant tensor (an ONNX initializer). */
  constant(data: Float32Array | BigInt64Array | Int32Array | Uint8Array | number[], shape: Shape, dtype: DType = 'float32'): Tensor {
    checkShape(shape, 'constant');
    const size = shapeSize(shape);
    let typed: ConstTensor['data'];
    if (Array.isArray(data)) {
      if (dtype === 'float32') typed = Float32Array.from(data);
      else if (dtype === 'int64') typed = BigInt64Array.from(data, (v) => BigInt(v));
      else if (dtype === 'int32') typed = Int32Array.from(data);
      else typed = Uint8Array.from(data, (v) => (v ? 1 : 0));
    } else typed = data;
    if (typed.length !== size) throw new ShapeError(`constant: ${typed.length} values for shape [${shape.join(', ')}]`);
    const t = new Tensor(this, this.freshName('const'), [...shape], dtype);
    this.constants.set(t, { kind: 'const', dtype, shape: [...shape], data: typed });
    return t;
  }

  /** A shared scalar constant of shape [] (broadcasts against anything). */
  scalar(value: number, dtype: DType = 'float32'): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      t = this.constant([value], [], dtype);
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** A 1-D int64 constant (axes, shapes, indices). */
  ints(values: readonly number[]): Tensor {
    return this.constant([...values], [values.length], 'int64');
  }

  /**
   * Appends a node. `outs` gives each output's shape and dtype (already checked by the caller in
   * ops.ts). Returns the output tensors.
   */
  addNode(op: string, inputs: Tensor[], attrs: Record<string, AttrValue>, outs: { shape: Shape; dtype: DType }[], outName?: string, domain = ''): Tensor[] {
    for (const x of inputs) if (x.graph !== this) throw new ShapeError(`${op}: input ${x.name} belongs to another graph`);
    const node: Node = { op, inputs, outputs: [], attrs, domain };
    node.outputs = outs.map((o, i) => {
      checkShape(o.shape, op);
      const name = outName && i === 0 ? this.claim(outName) : this.freshName(op.toLowerCase());
      return new Tensor(this, name, [...o.shape], o.dtype, node);
    });
    this.nodes.push(node);
    return node.outputs;
  }
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

function checkShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${where}: invalid dimension ${d} in shape ${fmtShape(shape)}`);
  }
}
