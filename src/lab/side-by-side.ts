/**
 * Independent jobs side by side, one child process each: the per-preset reward-model trainings
 * and RL runs of the overoptimization lab.
 *
 * The lab trains, per rater preset, reward models on that preset's preferences and then one
 * policy against them; the presets share nothing within a phase. On a 2-core machine two jobs on
 * one ONNX Runtime thread each, side by side in two processes, beat the same jobs one after the
 * other on two threads:
 *   - RL (seed 3: 40 PPO steps and 9 probes per run): 260.6 s against 301.4 s (1.16×, paired,
 *     same machine state): a training step's ~200 small operators gain little from a second
 *     intra-op thread, two independent runs gain a whole core each;
 *   - reward models (one epoch on each preset's 600-prompt preferences of the lab's seed 1):
 *     64.8 s against 80.9 s (1.25×; their larger products use a second thread better, yet not
 *     as well as a second process).
 * Processes, not worker threads: two RL runs as worker threads of one process took 2.5× as long
 * per step as one run alone (the lab's seed 1: 214 s of PPO steps against 86 s), the threads
 * contending inside the one process's allocator.
 *
 * A job is exactly the in-process call with its options (`runRl`, or `trainRewardModel` —
 * `trainRewardModelDetailed` for an ensemble's members — for each model of a list, in order);
 * its results depend on its own thread count, not on what runs beside it. The child inherits the environment, so the malloc tunables of `bin/alignlab` too.
 * Log lines come back prefixed with the job's name. If a job fails, the others are stopped and
 * the first error is thrown.
 *
 *   const [careful, swayed] = await runEach('rl', [{ name: 'careful', opts: a }, { name: 'swayed', opts: b }], io);
 *   const [carefulRms, swayedRms] = await runEach('rm', [{ name: 'careful', opts: [rmA, rmA1] }, { name: 'swayed', opts: [rmB, rmB1] }], io);
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RlRunOptions } from './rl.js';
import type { RmRunOptions, trainRewardModelDetailed } from './rm.js';

/** What each kind of job takes and gives back. */
export interface Jobs {
  /** One `runRl` run. */
  rl: { opts: RlRunOptions; result: Record<string, unknown> };
  /** `trainRewardModel` for each entry, one after the other; the results in the same order. */
  rm: { opts: RmRunOptions[]; result: Record<string, unknown>[] };
  /** The same with `trainRewardModelDetailed` (held-out pairs and scores too: ensemble members). */
  rmDetailed: { opts: RmRunOptions[]; result: Awaited<ReturnType<typeof trainRewardModelDetailed>>[] };
}

export type JobKind = keyof Jobs;

/** The message a child receives. */
export interface JobMessage<K extends JobKind = JobKind> {
  kind: K;
  opts: Jobs[K]['opts'];
}

type Reply = { log: string } | { result: unknown } | { error: string };

export async function runEach<K extends JobKind>(kind: K, jobs: { name: string; opts: Jobs[K]['opts'] }[], io: { log: (m: string) => void }): Promise<Jobs[K]['result'][]> {
  const children: ChildProcess[] = [];
  const one = ({ name, opts }: { name: string; opts: Jobs[K]['opts'] }) =>
    new Promise<Jobs[K]['result']>((resolve, reject) => {
      const child = fork(fileURLToPath(new URL('./side-by-side-worker.mjs', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        f();
      };
      child.on('message', (m: Reply) => {
        if ('log' in m) io.log(`[${name}] ${m.log}`);
        else if ('result' in m) settle(() => resolve(m.result as Jobs[K]['result']));
        else settle(() => reject(new Error(`${name}: ${m.error}`)));
      });
      child.on('error', (e) => settle(() => reject(new Error(`${name}: ${kind} process failed: ${e.message}`))));
      child.on('exit', (code, signal) => settle(() => reject(new Error(`${name}: ${kind} process exited (${signal ?? `code ${code}`}) before its result`))));
      child.send({ kind, opts } satisfies JobMessage<K>);
    });
  try {
    return await Promise.all(jobs.map(one));
  } catch (e) {
    for (const c of children) if (c.exitCode === null) c.kill();
    throw e;
  }
}
