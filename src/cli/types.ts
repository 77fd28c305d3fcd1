/**
 * The contract every CLI command follows (see DESIGN.md, "Conventions every command follows").
 *
 * A command is a plain object: it declares its options, and `run` returns the result object.
 * The dispatcher (src/cli/main.ts) parses argv, validates the options, calls `run`, and then
 * prints: with `--json`, the returned object as the last stdout line; otherwise `ctx.print`
 * output only. Progress and logs always go to stderr through `ctx.log`.
 */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  /** Default value when the flag is absent; omit for required options (set `required`). */
  default?: string | number | boolean;
  required?: boolean;
  describe: string;
}

export interface CommandContext {
  /** True when `--json` was given: human-readable printing should be skipped. */
  json: boolean;
  /** A line of progress or logging, to stderr. */
  log(msg: string): void;
  /** Human-readable output, to stdout (suppressed under --json). */
  print(text: string): void;
}

export interface Command {
  /** Words that select the command, e.g. ['world', 'sample']. */
  path: string[];
  summary: string;
  /** Names of positional arguments, e.g. ['DIR']; a trailing '...' marks a variadic one. */
  positionals?: string[];
  options: Record<string, OptionSpec>;
  run(opts: Record<string, string | number | boolean | undefined>, positionals: string[], ctx: CommandContext): Promise<Record<string, unknown>>;
}

/** A user-facing error: printed as one line (no stack trace), exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
