/**
 * The command dispatcher: finds the command by its words, parses and validates flags, runs it,
 * and prints. With `--json` the last stdout line is the command's result as one JSON object
 * (`{"error": …}` on failure); progress and logs go to stderr. Errors print one line, never a
 * stack trace (set ALIGNLAB_DEBUG=1 for the trace).
 */
import { type Command, type CommandContext, UsageError } from './types.js';
import modelCommands from './model.js';
import benchCommands from './bench.js';
import evalRefusalCommands from './eval-refusal.js';
import tokenizerCommands from './tokenizer.js';
import worldCommands from './world.js';
import serveCommands from './serve.js';
import trainCommands from './train.js';
import evalWorldCommands from './eval-world.js';
import generateCommands from './generate.js';
import runCommands from './run.js';
import prefsCommands from './prefs.js';
import reportCommands from './report.js';
import evalCompareCommands from './eval-compare.js';
import evalTasksCommands from './eval-tasks.js';
import labCommands from './lab.js';
import bonCommands from './bon.js';
import evalSweepCommands from './eval-sweep.js';
import evalRmCommands from './eval-rm.js';

export const COMMANDS: Command[] = [...modelCommands, ...benchCommands, ...evalRefusalCommands, ...tokenizerCommands, ...worldCommands, ...serveCommands, ...trainCommands, ...evalWorldCommands, ...generateCommands, ...runCommands, ...prefsCommands, ...reportCommands, ...evalCompareCommands, ...evalTasksCommands, ...labCommands, ...bonCommands, ...evalSweepCommands, ...evalRmCommands];

type Opts = Record<string, string | number | boolean | undefined>;

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  let best: { cmd: Command; rest: string[] } | undefined;
  for (const cmd of COMMANDS) {
    if (cmd.path.every((w, i) => argv[i] === w) && (!best || cmd.path.length > best.cmd.path.length)) {
      best = { cmd, rest: argv.slice(cmd.path.length) };
    }
  }
  return best;
}

export function parseArgs(cmd: Command, argv: string[]): { opts: Opts; positionals: string[]; json: boolean } {
  const opts: Opts = {};
  const positionals: string[] = [];
  let json = false;
  const name = cmd.path.join(' ');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') {
      positionals.push(a);
      continue;
    }
    let [key, value] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (key === 'json') {
      json = true;
      continue;
    }
    const spec = cmd.options[key];
    if (!spec) throw new UsageError(`${name}: unknown option --${key} (options: ${Object.keys(cmd.options).map((k) => `--${k}`).join(', ') || 'none'}, --json)`);
    if (spec.type === 'boolean') {
      opts[key] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${name}: --${key} needs a value`);
    }
    if (spec.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`${name}: --${key} expects a number, got "${value}"`);
      opts[key] = n;
    } else opts[key] = value;
  }
  for (const [key, spec] of Object.entries(cmd.options)) {
    if (opts[key] === undefined && spec.default !== undefined) opts[key] = spec.default;
    if (opts[key] === undefined && spec.required) throw new UsageError(`${name}: missing required option --${key} (${spec.describe})`);
  }
  const want = cmd.positionals ?? [];
  const variadic = want.length > 0 && want[want.length - 1].endsWith('...');
  const required = want.filter((p) => !p.startsWith('[')).length;
  if (positionals.length < required) throw new UsageError(`${name}: missing argument ${want[positionals.length]}`);
  if (!variadic && positionals.length > want.length) throw new UsageError(`${name}: unexpected argument "${positionals[want.length]}"`);
  return { opts, positionals, json };
}

function usage(cmd?: Command): string {
  if (!cmd) {
    const lines = COMMANDS.map((c) => `  alignlab ${[...c.path, ...(c.positionals ?? [])].join(' ').padEnd(34)} ${c.summary}`);
    return `alignlab — a toolkit and laboratory for AI alignment\n\nCommands:\n${lines.join('\n')}\n\nEvery command takes --json: its last stdout line is then one JSON object with the results.`;
  }
  const opts = Object.entries(cmd.options).map(([k, s]) => `  --${k.padEnd(16)} ${s.describe}${s.default !== undefined ? ` (default ${s.default})` : ''}${s.required ? ' (required)' : ''}`);
  return `alignlab ${[...cmd.path, ...(cmd.positionals ?? [])].join(' ')}\n  ${cmd.summary}\n\n${[...opts, '  --json             print the result as one JSON object (last stdout line)'].join('\n')}`;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  const found = findCommand(argv);
  if (!found || argv.includes('--help') || argv.includes('-h')) {
    const text = usage(found?.cmd);
    if (found || argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(text + '\n');
      return 0;
    }
    process.stderr.write(`alignlab: unknown command "${argv.join(' ')}"\n\n${text}\n`);
    return 2;
  }
  try {
    const { opts, positionals, json } = parseArgs(found.cmd, found.rest);
    const ctx: CommandContext = {
      json,
      log: (m) => process.stderr.write(m + '\n'),
      print: (t) => {
        if (!json) process.stdout.write(t + '\n');
      },
    };
    const result = await found.cmd.run(opts, positionals, ctx);
    if (json) process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`alignlab: ${err.message}\n`);
    if (process.env.ALIGNLAB_DEBUG) process.stderr.write(`${err.stack}\n`);
    if (wantsJson) process.stdout.write(JSON.stringify({ error: err.message }) + '\n');
    return err instanceof UsageError ? 2 : 1;
  }
}
