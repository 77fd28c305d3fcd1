/**
 * Batched generation split across worker threads, one ONNX Runtime thread each.
 *
 * A decode step at batch 64 is a chain of ~200 small operators. With two intra-op threads
 * ONNX Runtime splits each operator between the cores and synchronizes after every one, and
 * the host's sampling and cache writes run on one core while the other waits. Splitting the
 * batch instead — each worker decodes its own rows with a single-threaded session — keeps both
 * cores busy with no synchronization inside a step: on the 2-core VM two workers of 32 rows ran
 * 9.6–11.5k tokens/s where one session on two threads ran 7.5–8.7k (reference config, 64 × 64,
 * alternating runs; see README, "Performance").
 *
 * `generate` hands a batch here when it has at least `MIN_ROWS_PER_WORKER` rows per worker,
 * its runtime has ≥ 2 threads on the CPU provider, and no `shouldStop` callback (a function
 * cannot cross threads). Each worker receives the parameters (copied through one shared
 * staging buffer per call), its contiguous rows (whole prompt groups) and their `rowStreams`,
 * so row b still samples from stream `sample-row-${b}` of the seed: results depend on the seed
 * and the batch, not on the split. ALIGNLAB_GEN_WORKERS=0 turns this off (decoding then runs in
 * the calling thread).
 *
 *   const out = await generate(model, prompts, opts); // splits itself when it pays
 */
import { Worker } from 'node:worker_threads';
import type { LlamaModel } from '../model/model.js';
import type { ParamSpec, HeadKind } from '../model/params.js';
import type { LlamaConfig } from '../model/config.js';
import type { GenerateOptions, Generation } from './generate.js';

/** Fewest rows per worker: a 16-row batch splits in two (not tuned; speedups were measured at 32–64 rows per call). */
export const MIN_ROWS_PER_WORKER = 8;

/** What a worker is asked to do (posted to it). */
export interface WorkerJob {
  id: number;
  cfg: LlamaConfig;
  heads: HeadKind[];
  specs: ParamSpec[];
  /** The parameters' flat buffer, staged in shared memory; the worker copies it before decoding. */
  params: SharedArrayBuffer;
  prompts: number[][];
  opts: Omit<GenerateOptions, 'shouldStop'>;
}

export type WorkerReply = { id: number; out: Generation[] } | { id: number; error: string };

/** How many workers a batch of `rows` gets from `generate` (1 = decode in the calling thread). */
export function workersFor(model: LlamaModel, rows: number, opts: GenerateOptions): number {
  if (process.env.ALIGNLAB_GEN_WORKERS === '0' || opts.shouldStop) return 1;
  const rt = model.runtime;
  if (rt.threads < 2 || rt.executionProviders.some((ep) => ep !== 'cpu')) return 1;
  return Math.max(1, Math.min(rt.threads, Math.floor(rows / MIN_ROWS_PER_WORKER)));
}

/**
 * The rows of each of `n` workers for a batch of `groups` × `k` group-major rows (k samples per
 * prompt): whole groups when there are at least n, else a share of every group's samples (a
 * best-of-n pool of one prompt splits its samples). Within a part every group has the same
 * number of rows, so each worker's batch is again uniformly grouped.
 */
export function workerParts(groups: number, k: number, n: number): number[][] {
  const share = (total: number, w: number) => [Math.floor((w * total) / n), Math.floor(((w + 1) * total) / n)];
  return Array.from({ length: n }, (_, w) => {
    if (groups >= n) {
      const [a, b] = share(groups, w);
      return Array.from({ length: (b - a) * k }, (_, i) => a * k + i);
    }
    const [a, b] = share(k, w);
    return Array.from({ length: groups }, (_, u) => Array.from({ length: b - a }, (_, i) => u * k + a + i)).flat();
  });
}

class GenWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (g: Generation[]) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor() {
    this.worker = new Worker(new URL('./parallel-worker.mjs', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.out);
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(new Error(`generation worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`generation worker exited (code ${code})`)));
  }

  get usable(): boolean {
    return this.failed === null;
  }

  run(job: WorkerJob): Promise<Generation[]> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(job);
    });
  }
}

const workers: GenWorker[] = [];
let nextJob = 0;

/** The first `n` workers, started on first use (and restarted if one died). */
function pool(n: number): GenWorker[] {
  for (let i = 0; i < n; i++) if (!workers[i]?.usable) workers[i] = new GenWorker();
  return workers.slice(0, n);
}

/** Shared staging buffers for parameters, by byte length, reused once a call's workers reply. */
const staging = new Map<number, SharedArrayBuffer[]>();

/**
 * Splits `prompts` — group-major rows, `k` samples per prompt (default 1) — into `n` parts
 * (`workerParts`) decoded by `n` workers; results in row order.
 */
export async function generateOnWorkers(model: LlamaModel, prompts: number[][], opts: GenerateOptions, n: number, k = 1): Promise<Generation[]> {
  const flat = model.params.flat;
  const bytes = flat.byteLength;
  const sab = staging.get(bytes)?.pop() ?? new SharedArrayBuffer(bytes);
  new Float32Array(sab).set(flat);
  const { shouldStop: _, ...plain } = opts;
  const B = prompts.length;
  const streams = opts.rowStreams ?? prompts.map((_, b) => b);
  const rowsOf = workerParts(B / k, k, n);
  const parts: Promise<Generation[]>[] = [];
  try {
    for (const [w, worker] of pool(n).entries()) {
      const rows = rowsOf[w];
      parts.push(
        worker.run({
          id: nextJob++,
          cfg: model.cfg,
          heads: model.heads,
          specs: model.params.specs,
          params: sab,
          prompts: rows.map((r) => prompts[r]),
          opts: { ...plain, rowStreams: rows.map((r) => streams[r]) },
        }),
      );
    }
    const done = await Promise.allSettled(parts);
    const bad = done.find((d) => d.status === 'rejected');
    if (bad) throw (bad as PromiseRejectedResult).reason;
    const out = new Array<Generation>(B);
    done.forEach((d, w) => (d as PromiseFulfilledResult<Generation[]>).value.forEach((g, i) => (out[rowsOf[w][i]] = g)));
    return out;
  } finally {
    // Every worker has copied the parameters once it replied (or failed).
    await Promise.allSettled(parts);
    let list = staging.get(bytes);
    if (!list) staging.set(bytes, (list = []));
    list.push(sab);
  }
}
