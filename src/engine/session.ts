/**
 * Execution: compiles a `Graph` to ONNX and runs it on ONNX Runtime's CPU execution provider.
 *
 * `Runtime` holds the session options (thread count, execution providers) and a cache of
 * compiled sessions keyed by a caller-chosen signature (e.g. "train:B16:T128"): the graph is
 * built and compiled once per shape signature and reused for every later step.
 *
 * Execution providers: the CPU provider is the default and the only one tested here. The npm
 * package `onnxruntime-node` also ships CUDA (Linux x64) and DirectML/WebGPU builds; a user turns
 * them on with `new Runtime({ executionProviders: ['cuda', 'cpu'] })` or the environment
 * variable `ALIGNLAB_EP=cuda` (comma separated), after letting onnxruntime-node's install
 * script fetch its CUDA binaries (`npm rebuild onnxruntime-node --onnxruntime-node-install=auto`).
 */
import * as ort from 'onnxruntime-node';
import { type DType, type Graph, type Shape, shapeSize } from './ir.js';
import { toOnnx } from './onnx.js';

export type HostArray = Float32Array | BigInt64Array | Int32Array | Uint8Array;

/** A host-side tensor: data plus shape. */
export interface HostTensor {
  data: HostArray;
  shape: Shape;
}

export interface RuntimeOptions {
  /** Intra-op threads (default: ALIGNLAB_THREADS or the number of cores, at most 2 here). */
  threads?: number;
  /** ONNX Runtime execution providers in priority order (default ['cpu'] or ALIGNLAB_EP). */
  executionProviders?: string[];
  /** Write ONNX Runtime's per-operator profile (Chrome trace JSON) with this file prefix. */
  profilePrefix?: string;
  /**
   * Most compiled sessions kept (default 12); the least recently used is released beyond
   * that (once no run is in flight). Each session owns its plan's buffers (and an arena, when
   * on), so unbounded shape variety would otherwise grow memory without limit.
   */
  maxSessions?: number;
  /**
   * ONNX Runtime's per-session CPU memory arena. Default: off when glibc keeps freed large
   * blocks for reuse (the malloc tunables `bin/alignlab` sets; `npm test` runs without them), on otherwise.
   * Measured on this 2-core machine with the tunables: a 12-step PPO run took 53 s and peaked at
   * 5.0 GB RSS with the arena off, 62 s and 12.6 GB with it on (every session's arena keeps its
   * own peak); without the tunables the arena is faster (an RM epoch: 29 s on, 76 s off).
   */
  memArena?: boolean;
}

/** True when glibc's malloc is tuned to keep large freed blocks (see `bin/alignlab`). */
export function mallocKeepsLargeBlocks(): boolean {
  return process.platform === 'linux' && (process.env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.mmap_threshold');
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', int64: 'int64', int32: 'int32', bool: 'bool' };

export function defaultThreads(): number {
  const env = Number(process.env.ALIGNLAB_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return 2;
}

/**
 * A compiled graph, ready to run. The runtime may `drop` it (cache eviction): its native
 * session — weights of the plan and, with the arena on, the memory arena — is released as soon
 * as no run is in flight, and a later `run` by someone still holding it reopens the session from
 * the kept ONNX bytes (slower, never wrong). Relying on garbage collection instead let evicted
 * sessions pile up: V8 does not see their native memory (an RL run reached 12.6 GB).
 */
export class CompiledGraph {
  private session: ort.InferenceSession | null;
  private opening: Promise<ort.InferenceSession> | null = null;
  private inflight = 0;
  private dropped = false;

  constructor(
    session: ort.InferenceSession,
    readonly inputs: { name: string; shape: Shape; dtype: DType }[],
    readonly outputs: { name: string; shape: Shape; dtype: DType }[],
    private readonly reopen: () => Promise<ort.InferenceSession>,
  ) {
    this.session = session;
  }

  /** True while the native session is open (false after a drop, until the next run). */
  get open(): boolean {
    return this.session !== null;
  }

  /**
   * Runs the graph. `feeds` maps input names to host arrays (shapes are the graph's own).
   * Returns the outputs as host arrays. Missing or wrongly sized inputs are reported by name.
   */
  async run(feeds: Record<string, HostArray>): Promise<Record<string, HostArray>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const inp of this.inputs) {
      const data = feeds[inp.name];
      if (!data) throw new Error(`run: missing input "${inp.name}" (${inp.dtype}[${inp.shape.join(', ')}])`);
      const n = shapeSize(inp.shape);
      if (data.length !== n) throw new Error(`run: input "${inp.name}" has ${data.length} values, expected ${n} for shape [${inp.shape.join(', ')}]`);
      ortFeeds[inp.name] = new ort.Tensor(ORT_TYPE[inp.dtype], data as never, inp.shape as number[]);
    }
    this.inflight++;
    try {
      const session = this.session ?? (await (this.opening ??= this.reopen().finally(() => (this.opening = null))));
      this.session = session;
      this.dropped = false;
      const res = await session.run(ortFeeds);
      const out: Record<string, HostArray> = {};
      for (const o of this.outputs) out[o.name] = res[o.name].data as HostArray;
      return out;
    } finally {
      this.inflight--;
      if (this.dropped && this.inflight === 0) await this.free();
    }
  }

  /** Releases the native session now, or when the runs in flight finish; a later run reopens it. */
  async drop(): Promise<void> {
    this.dropped = true;
    if (this.inflight === 0) await this.free();
  }

  private async free(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.dropped = false;
    if (s) await s.release();
  }
}

export class Runtime {
  readonly threads: number;
  readonly executionProviders: string[];
  readonly profilePrefix?: string;
  readonly maxSessions: number;
  readonly memArena: boolean;
  private readonly cache = new Map<string, Promise<CompiledGraph>>();

  constructor(opts: RuntimeOptions = {}) {
    this.threads = opts.threads ?? defaultThreads();
    this.executionProviders = opts.executionProviders ?? (process.env.ALIGNLAB_EP ? process.env.ALIGNLAB_EP.split(',') : ['cpu']);
    this.profilePrefix = opts.profilePrefix;
    this.maxSessions = opts.maxSessions ?? 12;
    this.memArena = opts.memArena ?? !mallocKeepsLargeBlocks();
  }

  /** Compiles a graph into a session (not cached). */
  async compile(g: Graph): Promise<CompiledGraph> {
    const bytes = toOnnx(g);
    const open = () => ort.InferenceSession.create(bytes, {
      executionProviders: this.executionProviders,
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: this.memArena,
      enableMemPattern: true,
      ...(this.profilePrefix ? { enableProfiling: true, profileFilePrefix: this.profilePrefix } : {}),
    });
    return new CompiledGraph(
      await open(),
      g.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
      g.outputs.map((o) => ({ name: o.name, shape: o.tensor.shape, dtype: o.tensor.dtype })),
      open,
    );
  }

  /** The session for `key`, building the graph with `build` the first time only. */
  cached(key: string, build: () => Graph): Promise<CompiledGraph> {
    let s = this.cache.get(key);
    if (s) {
      // Most recently used goes last.
      this.cache.delete(key);
      this.cache.set(key, s);
      return s;
    }
    s = this.compile(build());
    this.cache.set(key, s);
    s.catch(() => this.cache.delete(key));
    while (this.cache.size > this.maxSessions) {
      // Released once idle; a caller still holding it between runs (a decode loop) reopens it.
      const oldKey = this.cache.keys().next().value as string;
      const old = this.cache.get(oldKey)!;
      this.cache.delete(oldKey);
      old.then((c) => c.drop()).catch(() => {});
    }
    return s;
  }

  /** Releases the session cached under `key`, if any (once idle, as for an LRU eviction). */
  evict(key: string): void {
    const s = this.cache.get(key);
    if (!s) return;
    this.cache.delete(key);
    s.then((c) => c.drop()).catch(() => {});
  }

  /** The keys of the cached sessions, least recently used first. */
  keys(): string[] {
    return [...this.cache.keys()];
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  async release(): Promise<void> {
    const sessions = await Promise.allSettled([...this.cache.values()]);
    this.cache.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.drop();
  }
}
