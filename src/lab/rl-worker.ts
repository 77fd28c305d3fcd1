/**
 * The worker side of `runRlEach` (rl-parallel.ts): one `runRl` per worker thread, with the
 * options it was started with; its log lines and then its result (or error) go back as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runRl, type RlRunOptions } from './rl.js';

if (!parentPort) throw new Error('rl-worker: must run as a worker thread');
const port = parentPort;
try {
  const result = await runRl(workerData as RlRunOptions, { log: (line) => port.postMessage({ log: line }) });
  port.postMessage({ result });
} catch (e) {
  port.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
