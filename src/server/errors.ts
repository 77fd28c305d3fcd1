/**
 * Errors of the OpenAI-compatible server, in OpenAI's shape, so that stock clients (the
 * `openai` npm and Python packages, LangChain, curl users) show them as they would show
 * OpenAI's own:
 *
 *   HTTP 400
 *   {"error": {"message": "'messages' is required", "type": "invalid_request_error", "param": "messages", "code": null}}
 *
 * `HttpError` is thrown anywhere in request handling and turned into that answer at the top.
 * `fromModelError` maps what a model throws: a `ProviderError` with a status keeps it (a model
 * signals "prompt longer than my context" with status 400, so the client sees a 400 and not a
 * 500); anything else is a 500 `server_error`.
 */
import { ProviderError } from '../providers/types.js';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    /** HTTP status code of the answer. */
    readonly status: number,
    message: string,
    /** The request field at fault, e.g. "messages[0].role" (OpenAI's `param`). */
    readonly param: string | null = null,
    /** A machine-readable code, e.g. "model_not_found". */
    readonly code: string | null = null,
    /** OpenAI's error type; by default derived from the status. */
    readonly type: string = errorType(status),
  ) {
    super(message);
  }
}

/** OpenAI's error `type` for a status: client faults are `invalid_request_error`. */
export function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The JSON body of an error answer. */
export function errorBody(e: HttpError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

/** Turns anything a model or handler threw into an HttpError with the right status. */
export function fromModelError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof ProviderError) {
    const status = e.status !== undefined && e.status >= 400 && e.status <= 599 ? e.status : 500;
    return new HttpError(status, e.message);
  }
  const message = e instanceof Error ? e.message : String(e);
  return new HttpError(500, `the model failed: ${message}`);
}
