/**
 * Prepacked decode graphs for parameters that stay the same from one call to the next.
 *
 * The decode graph takes the weights as inputs, so it follows a training loop's updates
 * without recompiling; ONNX Runtime then packs every weight matrix into its matrix kernel's
 * layout again on every run. Compiled with the weights as constants (initializers), it packs
 * them once, when the session is created: on this 2-core machine the 28 layer products of the
 * reference config (32 rows, one thread) took 1.77 ms per run with the weights as inputs and
 * 1.13 ms as initializers (measured in isolation; README, "Performance").
 *
 * When a model decodes a shape again with exactly the parameters of its previous call —
 * evaluation, serving, best-of-n, benchmarks —, `frozenParams` returns a tag for those values
 * and a copy of them; the caller compiles its decode graph with that copy as constants
 * (`paramConstants`) under a session key that includes the tag. A training loop changes the
 * parameters between calls and never pays for a compilation: the first call with new values
 * gets `null` and runs the input-weight graph, and every change of values retires the old
 * tag's sessions, so a graph holding stale weights is never run.
 *
 * Cost per call: one byte comparison of the parameters with the kept copy, and a copy when
 * they changed. Memory: that copy, plus each prepacked session's initializers and packed
 * weights, so models above `MAX_FROZEN_BYTES` always take the weights as inputs and a runtime
 * keeps at most `maxFrozenSessions` prepacked sessions. ALIGNLAB_FROZEN=0 turns it off.
 *
 *   const frozen = frozenParams(model, base);     // null until `base` comes again with these values
 *   const key = frozen ? `${base}:${frozen.tag}` : base;
 *   if (frozen) keepFrozenSession(model.runtime, key, model.params.flat.byteLength);
 *   const Pm = frozen ? paramConstants(g, frozen.params) : paramInputs(g, model.params.specs);
 */
import type { Runtime } from '../engine/session.js';
import type { LlamaModel } from '../model/model.js';
import { ParamSet } from '../model/params.js';

/** Largest parameter buffer that gets prepacked sessions (bytes). */
export const MAX_FROZEN_BYTES = 64 * 2 ** 20;
/**
 * Memory allowed to a runtime's prepacked sessions. Each holds about three copies of the
 * parameters (the ONNX bytes kept for reopening, ONNX Runtime's initializers, the packed
 * weights): 16 sessions of a 16 MB model.
 */
export const FROZEN_BUDGET_BYTES = 768 * 2 ** 20;

/**
 * Most prepacked sessions a runtime keeps for parameters of `paramBytes` bytes (a decode shape
 * uses one per cache capacity): within the memory budget and half the runtime's session cache.
 */
export function maxFrozenSessions(runtime: Runtime, paramBytes: number): number {
  return Math.max(1, Math.min(Math.floor(runtime.maxSessions / 2), Math.floor(FROZEN_BUDGET_BYTES / (3 * paramBytes))));
}

interface Snapshot {
  params: ParamSet;
  tag: string | null;
  /** Shapes decoded with these values (cleared when they change). */
  shapes: Set<string>;
}

/** Most shapes remembered per snapshot (the set starts over beyond it). */
const MAX_SHAPES = 256;

const snapshots = new WeakMap<ParamSet, Snapshot>();
/** Prepacked session keys per runtime, least recently used first. */
const sessions = new WeakMap<Runtime, string[]>();
let nextTag = 0;

/**
 * A tag and a copy of `model`'s parameters when they hold the same values as at this
 * function's previous call for the same parameter set and `shape` (the caller's key for its
 * graph shape) was already asked for with these values; null otherwise (and always when the
 * model is too large or ALIGNLAB_FROZEN=0). A shape used once per parameter version, as in a
 * sweep over prompt lengths, is not worth a compilation.
 */
export function frozenParams(model: LlamaModel, shape: string): { tag: string; params: ParamSet } | null {
  if (process.env.ALIGNLAB_FROZEN === '0') return null;
  const live = model.params;
  if (live.flat.byteLength > MAX_FROZEN_BYTES) return null;
  let snap = snapshots.get(live);
  if (snap && bytesEqual(snap.params.flat, live.flat)) {
    if (snap.shapes.has(shape)) {
      snap.tag ??= `frozen${nextTag++}`;
      return { tag: snap.tag, params: snap.params };
    }
  } else if (snap) {
    if (snap.tag) retire(model.runtime, snap.tag);
    snap.params.flat.set(live.flat);
    snap.tag = null;
    snap.shapes.clear();
  } else {
    snapshots.set(live, (snap = { params: new ParamSet(live.specs, live.flat.slice()), tag: null, shapes: new Set() }));
  }
  if (snap.shapes.size >= MAX_SHAPES) snap.shapes.clear();
  snap.shapes.add(shape);
  return null;
}

/**
 * Records a use of the prepacked session `key` for parameters of `paramBytes` bytes; the least
 * recently used beyond `maxFrozenSessions` are released.
 */
export function keepFrozenSession(runtime: Runtime, key: string, paramBytes: number): void {
  let keys = sessions.get(runtime);
  if (!keys) sessions.set(runtime, (keys = []));
  const i = keys.indexOf(key);
  if (i >= 0) keys.splice(i, 1);
  keys.push(key);
  while (keys.length > maxFrozenSessions(runtime, paramBytes)) runtime.evict(keys.shift()!);
}

/** Releases every prepacked session compiled for `tag` (its values changed). */
function retire(runtime: Runtime, tag: string): void {
  const keys = sessions.get(runtime);
  if (!keys) return;
  const suffix = `:${tag}`;
  for (const k of keys.filter((k) => k.endsWith(suffix))) {
    runtime.evict(k);
    keys.splice(keys.indexOf(k), 1);
  }
}

function bytesEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
