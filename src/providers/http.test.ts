/**
 * HttpJsonClient against a scripted local HTTP server: retries (503 then success, 429 with
 * Retry-After), no retry on other 4xx, timeouts, malformed JSON, a server that is down, and
 * the API key never showing up in anything an error carries.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpJsonClient, mapWithConcurrency, parseRetryAfter } from './http.js';
import { ProviderError } from './types.js';

type Reply = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A local server answering request n (0-based) with replies[min(n, last)]; records bodies and times. */
async function scripted(...replies: Reply[]) {
  const seen: { at: number; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const n = seen.length;
      seen.push({ at: performance.now(), headers: req.headers, body });
      replies[Math.min(n, replies.length - 1)](req, res, n);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  opened.push(close);
  return { url, seen, close };
}
const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c()));
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const client = (baseURL: string, extra: Partial<ConstructorParameters<typeof HttpJsonClient>[0]> = {}) =>
  new HttpJsonClient({ provider: 'test', baseURL, retryBaseMs: 1, ...extra });

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

describe('HttpJsonClient', () => {
  it('posts JSON with its headers and returns the parsed answer', async () => {
    const s = await scripted(json(200, { ok: true }));
    const body = await client(s.url, { headers: { 'x-custom': 'yes' } }).post('/v1/thing', { a: 1 });
    expect(body).toEqual({ ok: true });
    expect(JSON.parse(s.seen[0].body)).toEqual({ a: 1 });
    expect(s.seen[0].headers['content-type']).toBe('application/json');
    expect(s.seen[0].headers['x-custom']).toBe('yes');
  });

  it('retries after 503 and then succeeds', async () => {
    const s = await scripted(json(503, { error: { message: 'loading' } }), json(503, { error: { message: 'loading' } }), json(200, { ok: 1 }));
    expect(await client(s.url, { maxRetries: 2 }).post('/x', {})).toEqual({ ok: 1 });
    expect(s.seen).toHaveLength(3);
  });

  it('gives up after maxRetries with the status and the server message', async () => {
    const s = await scripted(json(500, { error: { message: 'CUDA out of memory' } }));
    const e = await failure(client(s.url, { maxRetries: 2 }).post('/v1/chat/completions', {}));
    expect(e.message).toBe(`test: POST ${s.url}/v1/chat/completions failed with HTTP 500 (3 attempts): CUDA out of memory`);
    expect(e.status).toBe(500);
    expect(s.seen).toHaveLength(3);
  });

  it('waits as long as Retry-After says before retrying a 429', async () => {
    const s = await scripted(json(429, { error: 'slow down' }, { 'retry-after': '1' }), json(200, { ok: 1 }));
    await client(s.url, { retryBaseMs: 1 }).post('/x', {});
    const waited = s.seen[1].at - s.seen[0].at;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(3000);
  });

  it('does not retry other 4xx answers', async () => {
    const s = await scripted(json(404, { error: { message: 'model "nope" not found' } }));
    const e = await failure(client(s.url, { maxRetries: 3 }).post('/v1/chat/completions', {}));
    expect(e.message).toBe(`test: POST ${s.url}/v1/chat/completions failed with HTTP 404: model "nope" not found`);
    expect(e.status).toBe(404);
    expect(s.seen).toHaveLength(1);
  });

  it('shows plain-text and Ollama-style error bodies', async () => {
    const text = await scripted((_q, res) => {
      res.writeHead(400);
      res.end('bad things');
    });
    expect((await failure(client(text.url).post('/x', {}))).message).toMatch(/HTTP 400: bad things$/);
    const ollama = await scripted(json(400, { error: 'model requires more system memory' }));
    expect((await failure(client(ollama.url).post('/x', {}))).message).toMatch(/HTTP 400: model requires more system memory$/);
  });

  it('times out an attempt that gets no answer, and retries it', async () => {
    const s = await scripted(() => {
      /* never answers */
    });
    const started = performance.now();
    const e = await failure(client(s.url, { timeoutMs: 100, maxRetries: 1 }).post('/slow', {}));
    expect(e.message).toBe(`test: POST ${s.url}/slow timed out after 100 ms (2 attempts)`);
    expect(s.seen).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('reports invalid JSON with the first 200 characters of the answer', async () => {
    const html = `<html><body>${'Bad gateway page. '.repeat(30)}</body></html>`;
    const s = await scripted((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html);
    });
    const e = await failure(client(s.url).post('/v1/completions', {}));
    expect(e.message).toBe(`test: POST ${s.url}/v1/completions answered with invalid JSON: ${html.slice(0, 200)}…`);
    expect(s.seen).toHaveLength(1);
  });

  it('says it cannot connect when the server is down', async () => {
    const s = await scripted(json(200, {}));
    await s.close(); // the port is now closed
    const e = await failure(client(s.url, { maxRetries: 0 }).get('/v1/models'));
    expect(e.message).toBe(`test: cannot connect to ${s.url} (ECONNREFUSED); is the server running?`);
    const retried = await failure(client(s.url, { maxRetries: 1 }).get('/v1/models'));
    expect(retried.message).toContain(`cannot connect to ${s.url} (ECONNREFUSED, 2 attempts)`);
  });

  it('keeps the API key out of every error and out of the client itself', async () => {
    const key = 'sk-test-VERY-SECRET-4242';
    const echoKey: Reply = (req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }));
    };
    const s = await scripted(echoKey);
    const down = await scripted(json(200, {}));
    await down.close();
    const silent = await scripted(() => {});
    const make = (url: string) => client(url, { headers: { authorization: `Bearer ${key}` }, maxRetries: 0, timeoutMs: 100 });

    expect(s.seen).toHaveLength(0);
    const errors = [
      await failure(make(s.url).post('/v1/chat/completions', { q: 1 })),
      await failure(make(down.url).post('/v1/chat/completions', { q: 1 })),
      await failure(make(silent.url).post('/v1/chat/completions', { q: 1 })),
    ];
    expect(s.seen[0].headers.authorization).toBe(`Bearer ${key}`); // it was sent…
    expect(errors[0].message).toContain('Incorrect API key provided: [redacted]');
    for (const e of errors) {
      // …but appears nowhere in the error: message, stack, own properties, cause.
      const everything = [e.message, e.stack, JSON.stringify(e, Object.getOwnPropertyNames(e)), inspect(e, { showHidden: true, depth: 10 }), String(e.cause ?? '')].join('\n');
      expect(everything).not.toContain('VERY-SECRET');
    }
    const c = make(s.url);
    expect(inspect(c, { showHidden: true, depth: 10 }) + JSON.stringify(c)).not.toContain('VERY-SECRET');
  });

  it('keeps query strings and URL credentials out of messages', async () => {
    const s = await scripted(json(400, { error: { message: 'nope' } }));
    const e = await failure(client(s.url).post('/x?key=abc', {}));
    expect(e.message).toBe(`test: POST ${s.url}/x failed with HTTP 400: nope`);
    let thrown: unknown;
    try {
      client(s.url.replace('http://', 'http://user:pa55word@'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProviderError);
    expect((thrown as Error).message).toMatch(/must not contain a user name or password/);
    expect((thrown as Error).message).not.toContain('pa55word');
  });

  it('computes jittered exponential backoff within [d/2, d]', () => {
    const c = new HttpJsonClient({ provider: 't', baseURL: 'http://127.0.0.1:1', retryBaseMs: 100, retryMaxMs: 1000 });
    for (let k = 0; k < 6; k++) {
      const d = Math.min(1000, 100 * 2 ** k);
      for (let i = 0; i < 20; i++) {
        const w = c.backoffMs(k);
        expect(w).toBeGreaterThanOrEqual(d / 2);
        expect(w).toBeLessThanOrEqual(d);
      }
    }
    expect(c.backoffMs(0, 5000)).toBe(1000); // Retry-After is capped at retryMaxMs
    expect(c.backoffMs(3, 250)).toBe(250);
  });

  it('reads Retry-After as seconds, as an HTTP date, and retry-after-ms', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '150', 'retry-after': '2' }))).toBe(150);
    const date = parseRetryAfter(new Headers({ 'retry-after': new Date(Date.now() + 10_000).toUTCString() }))!;
    expect(date).toBeGreaterThan(8000);
    expect(date).toBeLessThanOrEqual(10_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() => client('ftp://example.com')).toThrow(/must start with http:\/\/ or https:\/\//);
    expect(() => client('not a url')).toThrow(/not a valid URL/);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps order and never exceeds the limit', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (x) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, x * 5));
      active--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});
