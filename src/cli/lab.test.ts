/**
 * `alignlab lab overopt`: --set is parsed by its fields' types and every field's range is checked
 * (validateProfile) before any work — a refusal is a usage error that names the field, its value
 * and what it must be, and the output directory is not even created. The runs themselves are
 * tested in lab/overopt.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import commands from './lab.js';
import { UsageError } from './types.js';
import { OVEROPT_PROFILES } from '../lab/overopt.js';

const cmd = commands.find((c) => c.path.join(' ') === 'lab overopt')!;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-cli-lab-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const ctx = { json: true, log: () => {}, print: () => {} };
const defaults = { model: path.join(dir, 'no-such-model'), profile: 'quick', raters: 'careful,swayed', seed: 1, threads: 1 };
let runs = 0;
/** Runs the command with `--set set` into a fresh output directory; returns the directory and the run. */
const run = (set: string | undefined, o: Record<string, string | number> = {}) => {
  const out = path.join(dir, `out-${runs++}`);
  return { out, result: cmd.run({ ...defaults, out, ...(set === undefined ? {} : { set }), ...o }, [], ctx) };
};

describe('lab overopt --set', () => {
  it.each([
    ['algo=trpo', /^lab overopt: algo must be ppo, rloo or grpo, got "trpo"$/],
    ['probeEvery=0', /^lab overopt: probeEvery must be a whole number ≥ 1, got 0$/],
    ['probeCases=0', /probeCases must be a whole number ≥ 1 .*, got 0$/],
    ['rlSteps=2.5', /rlSteps must be a whole number ≥ 1, got 2.5$/],
    ['bonPool=0', /bonPool must be a whole number ≥ 1, got 0$/],
    ['prefK=1', /prefK must be a whole number ≥ 2 \(a pair needs two replies to one prompt\), got 1$/],
    ['algo=rloo,rlK=1', /rlK must be a whole number ≥ 2 with rloo .*, got 1$/],
    ['rlKlPenalty=loss', /^lab overopt: rlKlPenalty must be 'auto' with ppo \(a setting of the critic-free step\), got "loss"$/],
    ['rlLr=0', /rlLr must be a number > 0, got 0$/],
    ['klCoef=-0.1', /klCoef must be a number ≥ 0, got -0.1$/],
    ['evalCases=-3', /evalCases must be a whole number ≥ 1, got -3$/],
    ['rewardCombine=max', /rewardCombine must be first, mean or min, got "max"$/],
    ['rmEpochs=0,rmFitHead=false', /rmEpochs must be a whole number ≥ 1 \(0 trains nothing unless rmFitHead fits the head\), got 0$/],
  ])('--set %s is a usage error naming the field, and nothing is written', async (set, message) => {
    const { out, result } = run(set);
    await expect(result).rejects.toThrow(message);
    await expect(result).rejects.toBeInstanceOf(UsageError);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an unknown field is refused with the list of fields (inherited names too)', async () => {
    const fields = Object.keys(OVEROPT_PROFILES.quick).join(', ');
    for (const set of ['probeEvry=5', 'toString=1', '__proto__=1']) {
      const { out, result } = run(set);
      await expect(result).rejects.toThrow(`lab overopt: --set: unknown field "${set.split('=')[0]}" (fields: ${fields})`);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('a missing or empty value is refused, not read as 0', async () => {
    await expect(run('rlSteps').result).rejects.toThrow('lab overopt: --set rlSteps: expected rlSteps=value, got "rlSteps"');
    await expect(run('klTarget=').result).rejects.toThrow('lab overopt: --set klTarget: expected klTarget=value, got "klTarget="');
    await expect(run('rlLr=fast').result).rejects.toThrow('lab overopt: --set rlLr: expected a number, got "fast"');
    await expect(run('keepJudgeBest=1').result).rejects.toThrow('lab overopt: --set keepJudgeBest: expected true or false, got "1"');
  });

  it('valid overrides (and none) pass validation: the run then fails on the missing model, before writing anything', async () => {
    for (const [set, profile] of [[undefined, 'quick'], [undefined, 'full'], ['algo=rloo,rlK=2,rlSteps=40,rlLr=3e-5,klTarget=4,klMin=0.05', 'quick'], ['rmEpochs=0,rmHeadRank=4,rmFitHead=true,probeCases=8,probeEvery=1', 'full'], ['rewardCombine=min,ensembleExtra=2', 'quick'], ['algo=rloo,rlAdvantage=group-normalized,rlKlPenalty=loss', 'quick']] as const) {
      const { out, result } = run(set, { profile });
      await expect(result, `${profile} ${set}`).rejects.toThrow(/no-such-model: not a model directory/);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('the combinations are checked with the rater presets', async () => {
    // With careful raters the first extra member is the judge: an ensemble reward needs two.
    await expect(run('rewardCombine=mean,ensembleExtra=1').result).rejects.toThrow(/set ensembleExtra ≥ 2 .*got 1$/);
    await expect(run('rewardCombine=mean,ensembleExtra=1', { raters: 'swayed' }).result).rejects.toThrow(/no-such-model/);
    await expect(run(undefined, { raters: 'careful,careful' }).result).rejects.toThrow('lab overopt: rater presets must differ, got careful, careful');
  });
});
