/**
 * `alignlab bon`: the reward model that picks must be one — a directory without a trained reward
 * head is refused before any sampling, naming it — and a reward model runs to the curve.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands from './bon.js';
import { UsageError } from './types.js';
import { tinyWorldModel } from '../lab/test-fixtures.js';
import { loadModel, saveModel } from '../model/checkpoint.js';

let dir: string;
let policy: string;
let rm: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-bon-'));
  policy = path.join(dir, 'policy');
  await tinyWorldModel(policy);
  rm = path.join(dir, 'rm');
  saveModel(rm, loadModel(policy, { heads: ['reward'], seed: 4 }));
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ctx = { json: true, log: () => {}, print: () => {} };
const cmd = commands.find((c) => c.path.join(' ') === 'bon')!;
const run = (o: Record<string, string | number>) => cmd.run({ n: 2, cases: 1, split: 'validation', 'max-new': 4, seed: 1, threads: 1, model: policy, ...o }, [], ctx);

describe('bon', () => {
  it('refuses a policy directory as --rm before any work, naming it, and writes nothing', async () => {
    const out = path.join(dir, 'refused.json');
    const err = await run({ rm: policy, out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`bon: --rm ${policy} has no reward head (model.safetensors has no score.weight): train one with \`alignlab train rm\``);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a reward model picks: the curve for n = 1, 2, written to --out', async () => {
    const out = path.join(dir, 'curve.json');
    const r = (await run({ rm, out })) as { rm: string; pool: number; points: { n: number }[] };
    expect(r.rm).toBe(rm);
    expect(r.points.map((p) => p.n)).toEqual([1, 2]);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)));
  }, 60_000);
});
