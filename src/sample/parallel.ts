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
 * staging buffer per call), its rows — whole prompt groups of similar prompt lengths, cut so
 * the workers' work is balanced (`workerParts`) — and their `rowStreams`, so row b still
 * samples from stream `sample-row-${b}` of the seed: results depend on the seed and the batch,
 * not on the split. ALIGNLAB_GEN_WORKERS=0 turns this off (decoding then runs in
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
 * The rows of each of `n` workers for a batch of `groupLengths.length` prompt groups × `k`
 * group-major rows (k samples per prompt; `groupLengths[u]` = group u's prompt length).
 *
 * With at least n groups, each worker gets whole groups: the groups sorted by prompt length
 * (stably) and cut into n runs so that the costliest worker's rows × longest prompt is as small
 * as it can be. A worker pads its prompts to its own longest, and both its prefill and a
 * decode step's reading of the prompt cache grow with rows × that length, so parts of similar
 * lengths pad less than contiguous rows, and the cut balances the workers' time rather than
 * their row counts. The cost leaves out the per-row work of a decode step that does not grow
 * with the prompt (the layer products), so prompts that are short next to the replies can
 * leave the worker with the many short rows slower — measured only on HelpDesk prompts
 * (121–300 tokens, replies of ~40). Fewer groups than workers (a best-of-n pool of one
 * prompt): a share of every group's samples each. Within a part every group has the same number
 * of rows, so each worker's batch is again uniformly grouped; rows are listed in ascending order
 * within a part.
 */
export function workerParts(groupLengths: readonly number[], k: number, n: number): number[][] {
  const groups = groupLengths.length;
  const rowsOfGroups = (us: readonly number[]) => us.flatMap((u) => Array.from({ length: k }, (_, i) => u * k + i)).sort((a, b) => a - b);
  if (groups < n) {
    const share = (total: number, w: number) => [Math.floor((w * total) / n), Math.floor(((w + 1) * total) / n)];
    return Array.from({ length: n }, (_, w) => {
      const [a, b] = share(k, w);
      return Array.from({ length: groups }, (_, u) => Array.from({ length: b - a }, (_, i) => u * k + a + i)).flat();
    });
  }
  const order = groupLengths.map((_, u) => u).sort((a, b) => groupLengths[a] - groupLengths[b] || a - b);
  // cost(i, j) of sorted groups i…j−1: rows × longest prompt (the last, as they are sorted).
  const cost = (i: number, j: number) => (j - i) * k * groupLengths[order[j - 1]];
  // best[w][j]: the smallest largest cost cutting the first j sorted groups into w + 1 runs; cut[w][j]: where the last run starts.
  const best = Array.from({ length: n }, () => new Array<number>(groups + 1).fill(Infinity));
  const cut = Array.from({ length: n }, () => new Array<number>(groups + 1).fill(0));
  for (let j = 1; j <= groups; j++) best[0][j] = cost(0, j);
  for (let w = 1; w < n; w++) {
    for (let j = w + 1; j <= groups; j++) {
      for (let i = w; i < j; i++) {
        const c = Math.max(best[w - 1][i], cost(i, j));
        if (c < best[w][j]) {
          best[w][j] = c;
          cut[w][j] = i;
        }
      }
    }
  }
  const parts: number[][] = new Array(n);
  let j = groups;
  for (let w = n - 1; w >= 0; w--) {
    const i = w === 0 ? 0 : cut[w][j];
    parts[w] = rowsOfGroups(order.slice(i, j));
    j = i;
  }
  return parts;
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
 * (`workerParts`: by prompt length, balancing the workers' work) decoded by `n` workers; results
 * in row order.
 */
export async function generateOnWorkers(model: LlamaModel, prompts: number[][], opts: GenerateOptions, n: number, k = 1): Promise<Generation[]> {
  const flat = model.params.flat;
  const bytes = flat.byteLength;
  const sab = staging.get(bytes)?.pop() ?? new SharedArrayBuffer(bytes);
  new Float32Array(sab).set(flat);
  const { shouldStop: _, ...plain } = opts;
  const B = prompts.length;
  const streams = opts.rowStreams ?? prompts.map((_, b) => b);
  const rowsOf = workerParts(Array.from({ length: B / k }, (_, u) => prompts[u * k].length), k, n);
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
