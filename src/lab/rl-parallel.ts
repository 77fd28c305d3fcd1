/**
 * Independent RL runs side by side, one worker thread each.
 *
 * The overoptimization lab trains one policy per rater preset against that preset's reward
 * model; the runs share nothing. On a 2-core machine two runs on one ONNX Runtime thread each,
 * side by side, finished the lab's RL phase (seed 3: 40 PPO steps and 9 probes per run) in
 * 260.6 s where the same runs one after the other on two threads took 301.4 s (1.16×, paired,
 * same machine state): a training step's ~200 small operators gain little from a second
 * intra-op thread, two independent runs gain a whole core each.
 *
 * Each run is exactly `runRl` with its options (a run's results depend on its own thread count,
 * not on what runs beside it); log lines come back prefixed with the run's name. If a run fails,
 * the others are stopped and the first error is thrown.
 *
 *   const [careful, swayed] = await runRlEach([{ name: 'careful', opts: a }, { name: 'swayed', opts: b }], io);
 */
import { Worker } from 'node:worker_threads';
import type { RlRunOptions } from './rl.js';

type Reply = { log: string } | { result: Record<string, unknown> } | { error: string };

export async function runRlEach(runs: { name: string; opts: RlRunOptions }[], io: { log: (m: string) => void }): Promise<Record<string, unknown>[]> {
  const workers: Worker[] = [];
  const one = ({ name, opts }: { name: string; opts: RlRunOptions }) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const w = new Worker(new URL('./rl-worker.mjs', import.meta.url), { workerData: opts });
      workers.push(w);
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        f();
        void w.terminate();
      };
      w.on('message', (m: Reply) => {
        if ('log' in m) io.log(`[${name}] ${m.log}`);
        else if ('result' in m) settle(() => resolve(m.result));
        else settle(() => reject(new Error(`${name}: ${m.error}`)));
      });
      w.on('error', (e) => settle(() => reject(new Error(`${name}: RL worker failed: ${e.message}`))));
      w.on('exit', (code) => settle(() => reject(new Error(`${name}: RL worker exited (code ${code}) before its result`))));
    });
  try {
    return await Promise.all(runs.map(one));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
}
