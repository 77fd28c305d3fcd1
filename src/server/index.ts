/**
 * The OpenAI-compatible HTTP server: serve any `LanguageModel` to clients that speak OpenAI's
 * API (see server.ts for the endpoints, errors and batching).
 *
 * @example
 * ```ts
 * import { startServer } from './server/index.js';
 * const { url, close } = await startServer({ model, port: 8000 });
 * ```
 */
export { startServer, ServerConfigSchema, type ServerOptions, type RunningServer } from './server.js';
export { ChatBatcher, type BatcherConfig } from './batcher.js';
export { HttpError } from './errors.js';
