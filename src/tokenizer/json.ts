/**
 * Tiny helpers for reading untrusted JSON (tokenizer.json and friends) with errors that name the
 * file and the field, e.g. `tok/tokenizer.json: model.vocab: expected an object`.
 */

/** A JSON object read from a file; fields are checked where they are used. */
export type JsonObject = Record<string, unknown>;

/** An Error whose message starts with the location (file and field) of the problem. */
export function fieldError(where: string, message: string): Error {
  return new Error(`${where}: ${message}`);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, where: string): JsonObject {
  if (!isObject(value)) throw fieldError(where, `expected an object, got ${describe(value)}`);
  return value;
}

export function expectString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw fieldError(where, `expected a string, got ${describe(value)}`);
  return value;
}

export function expectArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw fieldError(where, `expected an array, got ${describe(value)}`);
  return value;
}

/** `value` when it is a boolean, `fallback` when it is absent or null; anything else is an error. */
export function optionalBoolean(value: unknown, fallback: boolean, where: string): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw fieldError(where, `expected a boolean, got ${describe(value)}`);
  return value;
}

/**
 * A tokenizer.json pattern: `{"String": "..."}` (a literal) or `{"Regex": "..."}` (Oniguruma
 * syntax). Returns which kind and the text.
 */
export function readPattern(value: unknown, where: string): { kind: 'String' | 'Regex'; text: string } {
  const obj = expectObject(value, where);
  if (typeof obj.String === 'string') return { kind: 'String', text: obj.String };
  if (typeof obj.Regex === 'string') return { kind: 'Regex', text: obj.Regex };
  throw fieldError(where, 'expected {"String": ...} or {"Regex": ...}');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Escape a literal string for use inside a JavaScript RegExp. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
