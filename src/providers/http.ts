/**
 * A small JSON-over-HTTP client for model APIs, shared by the OpenAI-compatible and Anthropic
 * providers. It does the four things every remote backend needs and nothing more:
 *
 * 1. **A timeout per attempt.** Each attempt gets its own `AbortController`; a server that
 *    accepts the connection and never answers fails after `timeoutMs` instead of hanging a run.
 * 2. **Retries with exponential backoff and jitter** on failures that are usually transient:
 *    connection errors, timeouts, HTTP 429 and 5xx. Attempt k (0-based) waits a random time in
 *    `[d/2, d]` with `d = min(retryMaxMs, retryBaseMs · 2^k)` ("equal jitter", so a crowd of
 *    clients does not retry in lockstep). A server's `Retry-After` (seconds or an HTTP date)
 *    or `retry-after-ms` header replaces the computed wait, capped at `retryMaxMs`. Other 4xx
 *    answers (bad request, bad key, unknown model) are never retried: asking again gets the
 *    same answer.
 * 3. **Errors that say what happened**, as one-line `ProviderError`s:
 *      openai: cannot connect to http://127.0.0.1:8000 (ECONNREFUSED, 3 attempts); is the server running?
 *      openai: POST http://127.0.0.1:8000/v1/chat/completions timed out after 60000 ms (3 attempts)
 *      openai: POST http://127.0.0.1:8000/v1/chat/completions failed with HTTP 404: model "x" not found
 *      openai: POST http://127.0.0.1:8000/v1/chat/completions answered with invalid JSON: <first 200 chars>
 *    `ProviderError.status` carries the HTTP status where there was one.
 * 4. **Secrets stay secret.** Headers (which carry API keys) are held in a private field, so
 *    logging or `JSON.stringify`-ing a client or a model shows no key. Error messages are built
 *    from the URL (without credentials or query string), the status and the server's message,
 *    and every secret string is scrubbed from them in case a server echoes the key back
 *    ("Incorrect API key provided: sk-…"). Errors carry no `cause`, request or headers.
 *
 * Simplified: no streaming responses (the providers ask for whole completions), no proxies
 * beyond what Node's `fetch` does, and invalid JSON in a 2xx answer is not retried.
 *
 * @example
 * ```ts
 * const http = new HttpJsonClient({ provider: 'openai', baseURL: 'http://127.0.0.1:8000',
 *   headers: { authorization: `Bearer ${key}` }, secrets: [key] });
 * const body = await http.post('/v1/chat/completions', { model: 'm', messages });
 * ```
 */
import type { z } from 'zod';
import { ProviderError } from './types.js';

export interface HttpClientConfig {
  /** Backend name that starts every error message, e.g. "openai". */
  provider: string;
  /** Server root, e.g. "http://127.0.0.1:8000"; request paths ("/v1/…") are appended to it. */
  baseURL: string;
  /** Headers sent with every request. They may hold API keys; they never appear in errors. */
  headers?: Record<string, string>;
  /** Strings scrubbed from every error message (API keys), in case a server echoes them. */
  secrets?: string[];
  /** Time limit of one attempt in ms, from sending the request to the last byte of the answer (default 60000). */
  timeoutMs?: number;
  /** Retries after the first attempt, on connection errors, timeouts, 429 and 5xx (default 2). */
  maxRetries?: number;
  /** Backoff before the first retry in ms; doubles on each further retry, with jitter (default 500). */
  retryBaseMs?: number;
  /** Longest wait between two attempts in ms, also the cap on a server's Retry-After (default 60000). */
  retryMaxMs?: number;
}

export const HTTP_DEFAULTS = { timeoutMs: 60_000, maxRetries: 2, retryBaseMs: 500, retryMaxMs: 60_000 } as const;

/** Error codes meaning "the server could not be reached at all". */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** The outcome of one attempt: a parsed body, or an error and whether trying again may help. */
type Attempt =
  | { ok: true; body: unknown }
  | { ok: false; error: (tries: string) => string; status?: number; retry: boolean; retryAfterMs?: number };

export class HttpJsonClient {
  readonly provider: string;
  /** The server root as shown in messages: no credentials, no query, no trailing slash. */
  readonly origin: string;
  /** Scheme and host only, e.g. http://127.0.0.1:8000 (for "cannot connect" messages). */
  readonly host: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  // Private (#) so that console.log, util.inspect and JSON.stringify of a client never show them.
  readonly #baseURL: string;
  readonly #headers: Record<string, string>;
  readonly #secrets: string[];

  constructor(config: HttpClientConfig) {
    this.provider = config.provider;
    let parsed: URL;
    try {
      parsed = new URL(config.baseURL);
    } catch {
      const shown = config.baseURL.includes('@') ? '' : ` "${config.baseURL}"`; // never echo a URL that may hold a password
      throw new ProviderError(config.provider, `baseURL${shown} is not a valid URL (expected e.g. http://127.0.0.1:8000)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ProviderError(config.provider, `baseURL must start with http:// or https:// (got ${parsed.protocol})`);
    }
    if (parsed.username || parsed.password) {
      // Not echoed: the URL holds a password. fetch refuses such URLs anyway.
      throw new ProviderError(config.provider, 'baseURL must not contain a user name or password; pass credentials through the API key environment variable');
    }
    this.#baseURL = config.baseURL.replace(/\/+$/, '');
    this.host = `${parsed.protocol}//${parsed.host}`;
    this.origin = `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
    this.#headers = { ...config.headers };
    this.#secrets = collectSecrets(config.headers ?? {}, config.secrets ?? []);
    this.timeoutMs = config.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
    this.maxRetries = config.maxRetries ?? HTTP_DEFAULTS.maxRetries;
    this.retryBaseMs = config.retryBaseMs ?? HTTP_DEFAULTS.retryBaseMs;
    this.retryMaxMs = config.retryMaxMs ?? HTTP_DEFAULTS.retryMaxMs;
  }

  /** POSTs `body` as JSON to `path` and returns the parsed JSON answer. */
  post(path: string, body: unknown): Promise<unknown> {
    return this.request('POST', path, body);
  }

  /** GETs `path` and returns the parsed JSON answer. */
  get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  /** One logical request: attempts, waits between them, and a ProviderError when all failed. */
  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(method, path, body);
      if (result.ok) return result.body;
      const attempts = attempt + 1;
      if (!result.retry || attempt >= this.maxRetries) {
        throw this.error(result.error(attempts > 1 ? `${attempts} attempts` : ''), result.status);
      }
      await sleep(this.backoffMs(attempt, result.retryAfterMs));
    }
  }

  /** Wait before retry number `attempt + 1`: the server's Retry-After if given, else jittered exponential backoff. */
  backoffMs(attempt: number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.retryMaxMs);
    const d = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt);
    return d / 2 + (Math.random() * d) / 2;
  }

  /**
   * The error for an answer that parsed as JSON but lacks what the provider needs, e.g.
   * `openai: http://…/v1/chat/completions answered with an unexpected shape: expected choices[0].message; got {"foo":1}`.
   */
  shapeError(path: string, expected: string, body: unknown): ProviderError {
    let shown: string;
    try {
      shown = JSON.stringify(body)?.slice(0, 200) ?? String(body);
    } catch {
      shown = String(body).slice(0, 200);
    }
    return this.error(`${this.origin}${path.split('?')[0]} answered with an unexpected shape: expected ${expected}; got ${shown}`);
  }

  /** A ProviderError whose message has every secret scrubbed out. */
  error(message: string, status?: number): ProviderError {
    let clean = message;
    for (const s of this.#secrets) clean = clean.split(s).join('[redacted]');
    return new ProviderError(this.provider, clean, status);
  }

  async #attempt(method: 'GET' | 'POST', path: string, body: unknown): Promise<Attempt> {
    const shownURL = `${this.origin}${path.split('?')[0]}`; // no query string: it may hold a key
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let res: Response | undefined;
    let text: string;
    try {
      res = await fetch(this.#baseURL + path, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...this.#headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      text = await res.text(); // the timeout covers reading the body too
    } catch (e) {
      if (controller.signal.aborted) {
        return { ok: false, retry: true, error: (n) => `${method} ${shownURL} timed out after ${this.timeoutMs} ms${n && ` (${n})`}` };
      }
      const code = errorCode(e);
      if (code === undefined) {
        // Not a network failure (e.g. fetch refused to build the request): trying again cannot help.
        return { ok: false, retry: false, error: () => `${method} ${shownURL}: the request could not be sent (${e instanceof Error ? e.message : String(e)})` };
      }
      if (!res && CONNECT_CODES.has(code)) {
        return { ok: false, retry: true, error: (n) => `cannot connect to ${this.host} (${code}${n && `, ${n}`}); is the server running?` };
      }
      const when = res ? 'while reading the answer' : 'before an answer arrived';
      return { ok: false, retry: true, error: (n) => `${method} ${shownURL}: the connection failed ${when} (${code}${n && `, ${n}`})` };
    } finally {
      clearTimeout(timer);
    }

    if (res.status === 429 || res.status >= 500) {
      return {
        ok: false,
        retry: true,
        status: res.status,
        retryAfterMs: parseRetryAfter(res.headers),
        error: (n) => `${method} ${shownURL} failed with HTTP ${res.status}${n && ` (${n})`}: ${serverMessage(text, res.statusText)}`,
      };
    }
    if (res.status < 200 || res.status >= 300) {
      return { ok: false, retry: false, status: res.status, error: () => `${method} ${shownURL} failed with HTTP ${res.status}: ${serverMessage(text, res.statusText)}` };
    }
    try {
      return { ok: true, body: JSON.parse(text) };
    } catch {
      const head = text.length > 200 ? `${text.slice(0, 200)}…` : text;
      return { ok: false, retry: false, error: () => `${method} ${shownURL} answered with invalid JSON: ${head || '(empty body)'}` };
    }
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping results in input order.
 * The first failure rejects the whole call and stops launching new items.
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}

/** Validates a provider config; unknown keys and bad values become one ProviderError naming the fields. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, provider: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new ProviderError(provider, `invalid config: ${issues}`);
  }
  return r.data;
}

/** The secret strings to scrub: explicit ones plus the values of credential headers (and the token after "Bearer "). */
function collectSecrets(headers: Record<string, string>, explicit: string[]): string[] {
  const out = new Set(explicit.filter((s) => s.length > 0));
  for (const [name, value] of Object.entries(headers)) {
    if (!/^(authorization|proxy-authorization|x-api-key|api-key)$/i.test(name) || !value) continue;
    out.add(value);
    const token = value.replace(/^(Bearer|Basic)\s+/i, '');
    if (token) out.add(token);
  }
  // Longest first, so a header value is scrubbed whole before its token part.
  return [...out].sort((a, b) => b.length - a.length);
}

/** The system error code in a fetch failure (undici nests it in `cause`), or undefined when there is none. */
function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const obj = cur as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof obj.code === 'string') return obj.code;
    if (Array.isArray(obj.errors) && obj.errors.length > 0) cur = obj.errors[0];
    else cur = obj.cause;
  }
  return undefined;
}

/** The server's own words for an error: OpenAI/llama.cpp `{error: {message}}`, Ollama `{error: "…"}`, vLLM `{message}`, FastAPI `{detail}`. */
function serverMessage(text: string, statusText: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const err = j.error as Record<string, unknown> | string | undefined;
    if (typeof err === 'string') return err;
    if (err && typeof err.message === 'string') return err.message;
    if (typeof j.message === 'string') return j.message;
    if (typeof j.detail === 'string') return j.detail;
  } catch {
    // not JSON: show the raw text below
  }
  const raw = text.trim();
  if (!raw) return statusText || '(empty body)';
  return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
}

/** Milliseconds a 429/503 asks us to wait: `retry-after-ms`, or `Retry-After` as seconds or an HTTP date. */
export function parseRetryAfter(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
