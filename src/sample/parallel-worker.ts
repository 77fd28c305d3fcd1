/**
 * The worker side of parallel generation (see parallel.ts): one single-threaded runtime, a
 * model per architecture with its own copy of the parameters, jobs decoded one at a time (a
 * job overwrites that copy, so two may not overlap).
 */
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../engine/session.js';
import { LlamaModel } from '../model/model.js';
import { ParamSet } from '../model/params.js';
import { generate } from './generate.js';
import type { WorkerJob, WorkerReply } from './parallel.js';

if (!parentPort) throw new Error('parallel-worker: must run as a worker thread');
const port = parentPort;
// Sessions per (rows, prompt length, cache size): generous, since recompiling costs more than a
// session's few buffers (weights are inputs, not part of the session).
const runtime = new Runtime({ threads: 1, maxSessions: 32 });
/** Models by architecture and parameter layout, most recently used last; at most 4 kept. */
const models = new Map<string, LlamaModel>();

function modelFor(job: WorkerJob): LlamaModel {
  const key = JSON.stringify([job.cfg, job.heads, job.specs.map((s) => [s.name, s.shape])]);
  let m = models.get(key);
  if (m) models.delete(key);
  else m = new LlamaModel(job.cfg, new ParamSet(job.specs), runtime, job.heads);
  models.set(key, m);
  while (models.size > 4) models.delete(models.keys().next().value as string);
  return m;
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (job: WorkerJob) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      const model = modelFor(job);
      model.params.flat.set(new Float32Array(job.params, 0, model.params.flat.length));
      reply = { id: job.id, out: await generate(model, job.prompts, job.opts) };
    } catch (e) {
      reply = { id: job.id, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
});
