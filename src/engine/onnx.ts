/**
 * ONNX emission: serializes a `Graph` to an ONNX ModelProto (protobuf wire format), opset 17.
 *
 * The encoder is a minimal protobuf writer for the handful of ONNX messages we need. Field
 * numbers follow onnx.proto (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4,
 * TensorProto.raw_data = 9, …). Constants are emitted as initializers with `raw_data`
 * (little-endian). Graph inputs and outputs carry their full static shapes.
 */
import { type AttrValue, type ConstTensor, type Graph, type Node, type Shape, type Tensor } from './ir.js';
import { onnxDTypeCode } from './ops.js';

export const OPSET = 17;
const IR_VERSION = 8;

/** Growable byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(1024);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned or negative 64-bit varint (negative values use ten bytes, two's complement). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    if (typeof v === 'number' && v >= 0 && v < 2 ** 31) {
      let n = v;
      while (n >= 0x80) {
        this.byte((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      this.byte(n);
      return;
    }
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  message(field: number, build: (w: Writer) => void): void {
    const w = new Writer();
    build(w);
    this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

function writeTensorType(w: Writer, dtype: number, shape: Shape): void {
  // TypeProto.tensor_type = 1 → { elem_type = 1, shape = 2 → { dim = 1 → { dim_value = 1 } } }
  w.message(1, (tt) => {
    tt.int(1, dtype);
    tt.message(2, (sh) => {
      for (const d of shape) sh.message(1, (dim) => dim.int(1, d));
    });
  });
}

function writeValueInfo(w: Writer, field: number, t: { name: string; shape: Shape; dtype: Tensor['dtype'] }): void {
  w.message(field, (vi) => {
    vi.string(1, t.name);
    vi.message(2, (tp) => writeTensorType(tp, onnxDTypeCode(t.dtype), t.shape));
  });
}

function writeTensor(w: Writer, field: number, name: string, c: ConstTensor): void {
  w.message(field, (tp) => {
    for (const d of c.shape) tp.int(1, d);
    tp.int(2, onnxDTypeCode(c.dtype));
    tp.string(8, name);
    tp.bytes(9, new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
  });
}

function writeAttr(w: Writer, name: string, v: AttrValue): void {
  // AttributeProto: name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20
  w.message(5, (a) => {
    a.string(1, name);
    if (typeof v === 'number') {
      a.int(3, v);
      a.int(20, 2);
    } else if (typeof v === 'string') {
      a.bytes(4, new TextEncoder().encode(v));
      a.int(20, 3);
    } else if (Array.isArray(v)) {
      for (const x of v) a.int(8, x);
      a.int(20, 7);
    } else if ('float' in v) {
      a.float(2, v.float);
      a.int(20, 1);
    } else if ('floats' in v) {
      for (const x of v.floats) a.float(7, x);
      a.int(20, 6);
    } else {
      writeTensor(a, 5, name, v);
      a.int(20, 4);
    }
  });
}

/**
 * The nodes that contribute to some graph output, in order. Gradient functions build the
 * gradient of every input of a node, including constants that need none (e.g. the rotary
 * tables); those dead branches are dropped here rather than executed.
 */
export function liveNodes(g: Graph): Node[] {
  const live = new Set<Tensor>(g.outputs.map((o) => o.tensor));
  const keep: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((t) => live.has(t))) continue;
    keep.push(n);
    for (const t of n.inputs) live.add(t);
  }
  return keep.reverse();
}

/** Serializes the graph as an ONNX model. Nodes and constants no output depends on are dropped. */
export function toOnnx(g: Graph, graphName = 'alignlab'): Uint8Array {
  const nodes = liveNodes(g);
  const used = new Set<Tensor>();
  for (const n of nodes) for (const t of n.inputs) used.add(t);
  for (const o of g.outputs) used.add(o.tensor);

  const w = new Writer();
  w.int(1, IR_VERSION);
  w.string(2, 'alignlab');
  w.message(7, (gw) => {
    nodes.forEach((n, i) => {
      gw.message(1, (nw) => {
        for (const t of n.inputs) nw.string(1, t.name);
        for (const t of n.outputs) nw.string(2, t.name);
        nw.string(3, `n${i}_${n.op}`);
        nw.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs)) writeAttr(nw, k, v);
        if (n.domain) nw.string(7, n.domain);
      });
    });
    gw.string(2, graphName);
    for (const [t, c] of g.constants) if (used.has(t)) writeTensor(gw, 5, t.name, c);
    for (const t of g.inputs) writeValueInfo(gw, 11, t);
    for (const o of g.outputs) writeValueInfo(gw, 12, { name: o.name, shape: o.tensor.shape, dtype: o.tensor.dtype });
  });
  w.message(8, (ow) => {
    ow.string(1, '');
    ow.int(2, OPSET);
  });
  return w.finish();
}
