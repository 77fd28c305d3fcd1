/**
 * `alignlab serve`: serve a local alignlab model over an OpenAI-compatible HTTP API.
 *
 *   alignlab serve runs/sft [--port 8000] [--host 127.0.0.1] [--json]
 *
 * Any OpenAI client can then talk to the model, e.g.
 *
 *   curl http://127.0.0.1:8000/v1/chat/completions -H 'content-type: application/json' \
 *     -d '{"model": "<id from /v1/models>", "messages": [{"role": "user", "content": "Hi"}]}'
 *
 * The command prints the URL and serves until Ctrl-C (SIGINT) or SIGTERM; it then stops
 * accepting connections, lets requests in flight finish, releases the model, and returns
 * `{url, model, batches, conversations}`. A second Ctrl-C exits at once. One line per request
 * (method, path, status, time; never the content) goes to stderr.
 */
import { existsSync } from 'node:fs';
import { LocalModel } from '../providers/local.js';
import { startServer } from '../server/index.js';
import { type Command, UsageError } from './types.js';

const serve: Command = {
  path: ['serve'],
  summary: 'Serve a model directory over an OpenAI-compatible HTTP API (chat, completions, streaming)',
  positionals: ['DIR'],
  options: {
    port: { type: 'number', default: 8000, describe: 'TCP port to listen on (0 picks a free one)' },
    host: { type: 'string', default: '127.0.0.1', describe: 'interface to bind; 0.0.0.0 exposes the unauthenticated server to the network' },
  },
  async run(opts, positionals, ctx) {
    const dir = positionals[0];
    const port = Number(opts.port);
    const host = String(opts.host);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`serve: --port must be an integer from 0 to 65535 (got ${opts.port})`);
    if (!existsSync(dir)) throw new UsageError(`serve: ${dir}: no such model directory`);

    const model = await LocalModel.load(dir);
    let server;
    try {
      server = await startServer({ model, port, host, log: ctx.log });
    } catch (e) {
      await model.close?.();
      throw new UsageError(`serve: ${(e as Error).message}`);
    }
    ctx.print(`serving ${model.id} at ${server.url}/v1 (Ctrl-C to stop)`);
    if (ctx.json) ctx.log(`serving ${model.id} at ${server.url}/v1 (Ctrl-C to stop)`);

    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    ctx.log('serve: stopping (requests in flight finish first; Ctrl-C again to exit now)');
    await server.close();
    await model.close?.();
    return { url: server.url, model: model.id, batches: server.stats.batches, conversations: server.stats.conversations };
  },
};

export default [serve];
