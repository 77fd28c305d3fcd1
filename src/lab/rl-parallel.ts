/**
 * Independent RL runs side by side, one child process each.
 *
 * The overoptimization lab trains one policy per rater preset against that preset's reward
 * model; the runs share nothing. On a 2-core machine two runs on one ONNX Runtime thread each,
 * side by side in two processes, finished the lab's RL phase (seed 3: 40 PPO steps and 9 probes
 * per run) in 260.6 s where the same runs one after the other on two threads took 301.4 s
 * (1.16×, paired, same machine state): a training step's ~200 small operators gain little from
 * a second intra-op thread, two independent runs gain a whole core each. Processes, not worker
 * threads: two runs as worker threads of one process took 2.5× as long per step as one run
 * alone (the lab's seed 1: 214 s of PPO steps against 86 s), the threads contending inside the
 * one process's allocator.
 *
 * Each run is exactly `runRl` with its options (a run's results depend on its own thread count,
 * not on what runs beside it); the child inherits the environment, so the malloc tunables of
 * `bin/alignlab` too. Log lines come back prefixed with the run's name. If a run fails, the
 * others are stopped and the first error is thrown.
 *
 *   const [careful, swayed] = await runRlEach([{ name: 'careful', opts: a }, { name: 'swayed', opts: b }], io);
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RlRunOptions } from './rl.js';

type Reply = { log: string } | { result: Record<string, unknown> } | { error: string };

export async function runRlEach(runs: { name: string; opts: RlRunOptions }[], io: { log: (m: string) => void }): Promise<Record<string, unknown>[]> {
  const children: ChildProcess[] = [];
  const one = ({ name, opts }: { name: string; opts: RlRunOptions }) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const child = fork(fileURLToPath(new URL('./rl-worker.mjs', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        f();
      };
      child.on('message', (m: Reply) => {
        if ('log' in m) io.log(`[${name}] ${m.log}`);
        else if ('result' in m) settle(() => resolve(m.result));
        else settle(() => reject(new Error(`${name}: ${m.error}`)));
      });
      child.on('error', (e) => settle(() => reject(new Error(`${name}: RL process failed: ${e.message}`))));
      child.on('exit', (code, signal) => settle(() => reject(new Error(`${name}: RL process exited (${signal ?? `code ${code}`}) before its result`))));
      child.send(opts);
    });
  try {
    return await Promise.all(runs.map(one));
  } catch (e) {
    for (const c of children) if (c.exitCode === null) c.kill();
    throw e;
  }
}
