/**
 * The child-process side of `runEach` (side-by-side.ts): receives one job as its first message,
 * runs it, and sends back its log lines and then its result (or error).
 */
import { runRl } from './rl.js';
import { trainRewardModel, trainRewardModelDetailed } from './rm.js';
import type { JobMessage } from './side-by-side.js';

const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, undefined, {}, () => resolve()));
if (!process.send) throw new Error('side-by-side-worker: must run as a child process with an IPC channel (child_process.fork)');
process.once('message', async (job: JobMessage) => {
  const io = { log: (line: string) => void send({ log: line }) };
  try {
    let result: unknown;
    if (job.kind === 'rl') result = await runRl((job as JobMessage<'rl'>).opts, io);
    else if (job.kind === 'rm') {
      const out: Record<string, unknown>[] = [];
      for (const o of (job as JobMessage<'rm'>).opts) out.push(await trainRewardModel(o, io));
      result = out;
    } else if (job.kind === 'rmDetailed') {
      const out: unknown[] = [];
      for (const o of (job as JobMessage<'rmDetailed'>).opts) out.push(await trainRewardModelDetailed(o, io));
      result = out;
    } else throw new Error(`side-by-side-worker: unknown job kind ${JSON.stringify((job as { kind: unknown }).kind)}`);
    await send({ result });
  } catch (e) {
    await send({ error: e instanceof Error ? e.message : String(e) });
  }
  process.disconnect();
});
