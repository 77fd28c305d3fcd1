/**
 * Jobs side by side in child processes are the jobs made in the calling process: RL runs equal
 * `runRl`'s, reward-model lists equal `trainRewardModel`'s one after the other.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyWorldModel } from './test-fixtures.js';
import { runRl, type RlRunOptions } from './rl.js';
import { runEach } from './side-by-side.js';
import { trainRewardModel, type RmRunOptions } from './rm.js';
import { collectPreferences, writePreferences } from '../prefs/index.js';
import { LocalModel } from '../providers/local.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { loadModel, saveModel } from '../model/checkpoint.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-rlpar-'));
  model = path.join(dir, 'model');
  await tinyWorldModel(model);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const strip = (rows: Record<string, number>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('time/'))));
const metrics = (out: string) => strip(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));

describe('runEach', () => {
  it('gives each run the metrics, history and parameters of the same run in the calling thread', async () => {
    const judgeDir = path.join(dir, 'judge');
    saveModel(judgeDir, loadModel(model, { heads: ['reward'], seed: 8 }));
    const a: RlRunOptions = { algo: 'ppo', model, reward: 'gold', judge: judgeDir, steps: 3, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, klCoef: 0.05, ppoEpochs: 2, seed: 3, out: '', threads: 1, probe: { n: 2, every: 2 } };
    const b: RlRunOptions = { algo: 'rloo', model, reward: 'proxy', steps: 2, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, seed: 5, out: '', threads: 1 };
    const here = [await runRl({ ...a, out: path.join(dir, 'a-here') }, { log: () => {} }), await runRl({ ...b, out: path.join(dir, 'b-here') }, { log: () => {} })];
    const lines: string[] = [];
    const there = await runEach(
      'rl',
      [
        { name: 'a', opts: { ...a, out: path.join(dir, 'a-there') } },
        { name: 'b', opts: { ...b, out: path.join(dir, 'b-there') } },
      ],
      { log: (m) => lines.push(m) },
    );
    for (const x of ['a', 'b']) {
      expect(metrics(path.join(dir, `${x}-there`))).toEqual(metrics(path.join(dir, `${x}-here`)));
      expect(Buffer.compare(fs.readFileSync(path.join(dir, `${x}-here`, 'model.safetensors')), fs.readFileSync(path.join(dir, `${x}-there`, 'model.safetensors')))).toBe(0);
    }
    // The returned results are runRl's (history and first probe included).
    expect(strip(there[0].history as Record<string, number>[])).toEqual(strip(here[0].history as Record<string, number>[]));
    expect(there[0].probeBefore).toEqual(here[0].probeBefore);
    expect(there[1].end).toEqual(here[1].end);
    // Log lines come back, prefixed with the run's name.
    expect(lines.some((l) => l.startsWith('[a] '))).toBe(true);
    expect(lines.some((l) => l.startsWith('[b] '))).toBe(true);
  }, 180_000);

  it('trains each list of reward models as trainRewardModel does, in order', async () => {
    const tok = await loadTokenizer(model);
    const prefs = path.join(dir, 'prefs.jsonl');
    writePreferences(prefs, await collectPreferences({ model: new LocalModel(loadModel(model), tok, 'local:tiny'), seed: 2, n: 8, k: 3, raters: 'careful', temperature: 1, maxTokens: 5 }));
    const opts = (name: string, seed: number, freezeLayers: number): RmRunOptions => ({ model, prefs, out: path.join(dir, name), epochs: 1, lr: 1e-3, batchPairs: 4, readout: 'mean', freezeLayers, seed, threads: 1 });
    const here = [await trainRewardModel(opts('rm0-here', 1, 0), { log: () => {} }), await trainRewardModel(opts('rm1-here', 7, 1), { log: () => {} })];
    const [there] = await runEach('rm', [{ name: 'one', opts: [opts('rm0-there', 1, 0), opts('rm1-there', 7, 1)] }], { log: () => {} });
    expect(there.length).toBe(2);
    const noTime = (r: Record<string, unknown>) => ({ ...r, out: undefined, seconds: undefined });
    for (const [i, x] of ['rm0', 'rm1'].entries()) {
      expect(noTime(there[i])).toEqual(noTime(here[i]));
      expect(Buffer.compare(fs.readFileSync(path.join(dir, `${x}-here`, 'model.safetensors')), fs.readFileSync(path.join(dir, `${x}-there`, 'model.safetensors')))).toBe(0);
    }
    // The two models differ (seed and frozen layers), so a list run out of order would not match.
    expect(Buffer.compare(fs.readFileSync(path.join(dir, 'rm0-here', 'model.safetensors')), fs.readFileSync(path.join(dir, 'rm1-here', 'model.safetensors')))).not.toBe(0);
  }, 180_000);

  it("a failing run rejects with its name and the worker's error", async () => {
    const bad: RlRunOptions = { algo: 'rloo', model: path.join(dir, 'no-such-model'), reward: 'proxy', steps: 1, prompts: 1, k: 2, maxNewTokens: 4, lr: 1e-3, seed: 1, out: path.join(dir, 'bad'), threads: 1 };
    await expect(runEach('rl', [{ name: 'broken', opts: bad }], { log: () => {} })).rejects.toThrow(/^broken: .*no-such-model/);
  }, 60_000);
});
