/**
 * `alignlab eval rm`: flags checked with errors that name them; a directory without a reward head
 * is refused before any scoring; one reward model and an ensemble each print their read-out.
 * (The metrics themselves are tested in lab/rm-ensemble.test.ts and lab/pairs.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands from './eval-rm.js';
import { UsageError } from './types.js';
import { tinyWorldModel } from '../lab/test-fixtures.js';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { saveTokenizer, loadTokenizer } from '../tokenizer/index.js';
import { writePreferences } from '../prefs/format.js';

let dir: string;
let policy: string;
let prefs: string;
const rms: string[] = [];
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-evalrm-'));
  policy = path.join(dir, 'policy');
  await tinyWorldModel(policy);
  for (const seed of [4, 5]) {
    const rm = path.join(dir, `rm-${seed}`);
    saveModel(rm, loadModel(policy, { heads: ['reward'], seed }));
    await saveTokenizer(await loadTokenizer(policy), rm);
    rms.push(rm);
  }
  prefs = path.join(dir, 'prefs.jsonl');
  writePreferences(prefs, Array.from({ length: 12 }, (_, i) => ({ prompt: `Where is order ${i}?`, chosen: `It shipped ${i} days ago.`, rejected: 'No.', chosen_gold: 1, rejected_gold: i % 3 === 0 ? 2 : 0 })));
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cmd = commands.find((c) => c.path.join(' ') === 'eval rm')!;
const run = (o: Record<string, string | number>, print: (s: string) => void = () => {}) => cmd.run({ 'on-error': 'throw', threads: 1, prefs, ...o }, [], { json: true, log: () => {}, print });

describe('eval rm', () => {
  it('names a bad flag, and refuses a policy directory as --rm before any scoring', async () => {
    await expect(run({ rm: rms[0], 'on-error': 'ignore' })).rejects.toThrow('eval rm: --on-error must be throw or skip, got "ignore"');
    await expect(run({ rm: ' , ' })).rejects.toThrow('eval rm: --rm names no directory');
    const err = await run({ rm: `${rms[0]},${policy}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`eval rm: reward model ${policy} has no reward head (model.safetensors has no score.weight): train one with \`alignlab train rm\``);
  });

  it('scores one model, and two as an ensemble', async () => {
    const one = (await run({ rm: rms[0] })) as { pairs: number; models: { metrics: { goldPairs: number } }[]; ensemble: unknown };
    expect(one.pairs).toBe(12);
    expect(one.models[0].metrics.goldPairs).toBe(12);
    expect(one.ensemble).toBeNull();
    const printed: string[] = [];
    const two = (await run({ rm: rms.join(',') }, (s) => printed.push(s))) as { models: unknown[]; ensemble: { members: number } };
    expect(two.models).toHaveLength(2);
    expect(two.ensemble.members).toBe(2);
    expect(printed.some((l) => l.startsWith('ensemble of 2: accuracy '))).toBe(true);
    expect(printed.some((l) => l.startsWith('  errors vs gold (') || l.startsWith('  errors vs raters ('))).toBe(true);
  }, 60_000);
});
