/**
 * An OpenAI-compatible HTTP server over any `LanguageModel`, on `node:http` alone. Whatever
 * speaks OpenAI's API — the `openai` npm and Python clients, LangChain, evaluation harnesses,
 * chat UIs, alignlab's own `OpenAICompatibleModel` — can then use a local alignlab model (or
 * any other backend) unchanged.
 *
 *   GET  /v1/models                 the one model served, as {object: "list", data: [...]}
 *   GET  /v1/models/{name}          that model, or 404
 *   POST /v1/chat/completions       chat; `stream: true` answers over server-sent events
 *   POST /v1/completions            raw text continuation (models with `complete`); streams too
 *
 * Streams are `data: {chunk}\n\n` lines ending with `data: [DONE]\n\n` (responses.ts shapes
 * the chunks). Concurrent chat requests with the same sampling options are batched into one
 * `model.chatBatch` call (batcher.ts). Errors answer in OpenAI's shape
 * `{error: {message, type, param, code}}` (errors.ts):
 *
 *   400 invalid JSON, a missing or invalid field (named in `param`), a prompt longer than the
 *       model's context (the model throws ProviderError with status 400; any ProviderError
 *       status passes through), a feature the server refuses (n > 1, tools, …)
 *   404 an unknown path, or a `model` other than the one served
 *   405 a known path with the wrong method (with an `Allow` header)
 *   413 a body over `maxBodyBytes`
 *   500 the model failed in some other way
 *
 * Request bodies are never logged; `log` receives one line per request: method, path, status
 * and milliseconds. Without authentication the server binds to 127.0.0.1 by default: put it
 * behind a proxy with auth before exposing it.
 *
 * @example
 * ```ts
 * const server = await startServer({ model, port: 8000 });
 * // new OpenAI({ baseURL: server.url + '/v1', apiKey: 'unused' }).chat.completions.create({ model: model.id, messages })
 * await server.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { LanguageModel } from '../providers/types.js';
import { ChatBatcher } from './batcher.js';
import { errorBody, fromModelError, HttpError } from './errors.js';
import { parseChatRequest, parseCompletionRequest } from './requests.js';
import { chatChunks, chatCompletion, completionChunks, textCompletion } from './responses.js';

export const ServerConfigSchema = z
  .object({
    /** TCP port; 0 picks a free one (default 8000, like vLLM). */
    port: z.number().int().min(0).max(65535).default(8000),
    /** Interface to bind (default 127.0.0.1: this machine only). */
    host: z.string().min(1).default('127.0.0.1'),
    /** The name clients put in `model` and see in /v1/models (default: the model's id). */
    modelName: z.string().min(1).optional(),
    /** Largest accepted request body in bytes (default 1 MiB); larger bodies get 413. */
    maxBodyBytes: z.number().int().positive().default(1024 * 1024),
    /** How long the first chat request of a batch waits for companions, in ms (default 5). */
    batchWindowMs: z.number().min(0).default(5),
    /** Most conversations per chatBatch call (default 32). */
    maxBatch: z.number().int().positive().default(32),
    /** chatBatch calls running at once (default 1); while busy, waiting batches keep growing. */
    maxConcurrentBatches: z.number().int().positive().default(1),
  })
  .strict();

export type ServerOptions = z.input<typeof ServerConfigSchema> & {
  /** The model to serve. The caller keeps ownership: close() does not close it. */
  model: LanguageModel;
  /** Receives one line per request (method, path, status, ms); default: silent. */
  log?: (line: string) => void;
};

export interface RunningServer {
  /** Root URL, e.g. "http://127.0.0.1:8000" (clients use url + "/v1" as their base URL). */
  url: string;
  /** The bound port (useful with port 0). */
  port: number;
  /** The batcher's counters: chatBatch calls made and conversations they carried. */
  stats: ChatBatcher['stats'];
  /** Stops accepting connections, lets requests in flight finish, then resolves. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, rest: string) => Promise<void>;

/** Starts the server; resolves once it is listening. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { model, log, ...rest } = options;
  if (!model || typeof model.chat !== 'function') throw new Error('startServer: `model` must be a LanguageModel (an object with a chat method)');
  const parsed = ServerConfigSchema.safeParse(rest);
  if (!parsed.success) {
    throw new Error(`startServer: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  }
  const cfg = parsed.data;
  const name = cfg.modelName ?? model.id;
  const created = Math.floor(Date.now() / 1000);
  const batcher = new ChatBatcher(model, { windowMs: cfg.batchWindowMs, maxBatch: cfg.maxBatch, maxConcurrent: cfg.maxConcurrentBatches });

  const modelCard = { id: name, object: 'model', created, owned_by: 'alignlab' };

  const checkModel = (requested: string) => {
    if (requested !== name) throw new HttpError(404, `The model '${requested}' does not exist; this server serves '${name}'`, 'model', 'model_not_found');
  };

  const chat: Handler = async (req, res) => {
    const r = parseChatRequest(await readJson(req, cfg.maxBodyBytes));
    checkModel(r.model);
    const completion = await batcher.submit(r.messages, r.opts);
    if (r.stream) sendEvents(res, chatChunks(name, completion, r.includeUsage));
    else sendJson(res, 200, chatCompletion(name, completion));
  };

  const complete: Handler = async (req, res) => {
    const r = parseCompletionRequest(await readJson(req, cfg.maxBodyBytes));
    checkModel(r.model);
    const fn = model.complete?.bind(model);
    if (!fn) throw new HttpError(400, `the model '${name}' does not do raw text completion; use /v1/chat/completions`, 'model', 'unsupported_endpoint');
    const completions = await Promise.all(r.prompts.map((p) => fn(p, r.opts)));
    if (r.stream) sendEvents(res, completionChunks(name, completions, r.includeUsage));
    else sendJson(res, 200, textCompletion(name, completions));
  };

  const routes: Record<string, Record<string, Handler>> = {
    '/v1/models': { GET: async (_req, res) => sendJson(res, 200, { object: 'list', data: [modelCard] }) },
    '/v1/models/*': {
      GET: async (_req, res, raw) => {
        const id = safeDecode(raw);
        if (id !== name) throw new HttpError(404, `The model '${id}' does not exist; this server serves '${name}'`, 'model', 'model_not_found');
        sendJson(res, 200, modelCard);
      },
    },
    '/v1/chat/completions': { POST: chat },
    '/v1/completions': { POST: complete },
  };

  let closing = false;
  const server = createServer((req, res) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (closing) res.setHeader('connection', 'close');
    const respond = async () => {
      const { route, rest: tail } = findRoute(routes, path);
      if (!route) {
        throw new HttpError(404, `unknown path ${path} (this server answers GET /v1/models, POST /v1/chat/completions and POST /v1/completions)`, null, 'unknown_url');
      }
      const handler = route[method];
      if (!handler) {
        const allowed = Object.keys(route).join(', ');
        res.setHeader('allow', allowed);
        throw new HttpError(405, `method ${method} is not allowed on ${path} (use ${allowed})`, null, 'method_not_allowed');
      }
      await handler(req, res, tail);
    };
    respond()
      .catch((e) => {
        const err = fromModelError(e);
        if (res.headersSent) res.destroy();
        else sendJson(res, err.status, errorBody(err));
      })
      .finally(() => {
        log?.(`${method} ${path} ${res.statusCode} ${Math.round(performance.now() - started)} ms`);
        // While closing, a kept-alive connection must not outlive its last answer.
        if (closing && res.writableFinished) setImmediate(() => server.closeIdleConnections());
        else if (closing) res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${cfg.host}:${cfg.port}: ${e.code === 'EADDRINUSE' ? 'the port is already in use' : e.message} (${e.code ?? 'error'})`));
    });
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  const hostInURL = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;

  return {
    url: `http://${hostInURL}:${port}`,
    port,
    stats: batcher.stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** The route for a path: an exact match first, then a "/prefix/*" entry with the remainder (which may hold slashes). */
function findRoute(routes: Record<string, Record<string, Handler>>, path: string): { route?: Record<string, Handler>; rest: string } {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (routes[clean]) return { route: routes[clean], rest: '' };
  for (const [pattern, route] of Object.entries(routes)) {
    if (!pattern.endsWith('/*')) continue;
    const prefix = pattern.slice(0, -1);
    if (clean.startsWith(prefix) && clean.length > prefix.length) return { route, rest: clean.slice(prefix.length) };
  }
  return { rest: '' };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Reads and parses a JSON body, refusing more than `limit` bytes (413) and invalid JSON (400). */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `the request body is larger than the limit of ${limit} bytes`, null, 'request_too_large');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // discard the body so the client can read the answer
    throw tooLarge();
  }
  // Events rather than `for await`: leaving an async iterator early would destroy the socket
  // before the 413 could be sent.
  const chunks = await new Promise<Buffer[]>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void parts.push(chunk);
      req.off('data', onData);
      req.resume();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(parts));
    req.once('error', reject);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'the request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON (${(e as Error).message})`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

/** Server-sent events: one `data:` line per chunk, then `data: [DONE]`. */
function sendEvents(res: ServerResponse, chunks: object[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end('data: [DONE]\n\n');
}
