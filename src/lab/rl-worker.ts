/**
 * The child-process side of `runRlEach` (rl-parallel.ts): receives one `runRl`'s options as its
 * first message, runs it, and sends back its log lines and then its result (or error).
 */
import { runRl, type RlRunOptions } from './rl.js';

const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, undefined, {}, () => resolve()));
if (!process.send) throw new Error('rl-worker: must run as a child process with an IPC channel (child_process.fork)');
process.once('message', async (opts: RlRunOptions) => {
  try {
    const result = await runRl(opts, { log: (line) => void send({ log: line }) });
    await send({ result });
  } catch (e) {
    await send({ error: e instanceof Error ? e.message : String(e) });
  }
  process.disconnect();
});
