/**
 * `alignlab train ppo|rloo`: the ensemble-reward and held-out-judge flags are checked before any
 * model is loaded, with errors that name the flag, and a directory given as a reward model must
 * hold a trained reward head (the runs themselves are tested in lab/rl.test.ts).
 * `alignlab train rm --ensemble N`: the member count is checked, and the members' read-out printed.
 * `alignlab train sft`: its recipe flags are checked and reach trainBaseline (mocked here; the
 * batching they set is tested in train/sft.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import commands from './train.js';
import { trainBaseline } from '../lab/baseline.js';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { saveModel } from '../model/checkpoint.js';
import { UsageError } from './types.js';
import { tinyWorldModel } from '../lab/test-fixtures.js';
import { writePreferences } from '../prefs/format.js';

vi.mock('../lab/baseline.js', () => ({
  trainBaseline: vi.fn(async (o: { out: string }) => ({ out: o.out, steps: 1, finalLoss: 1, parameters: 1, trainTokens: 1, seconds: 0 })),
}));

const ctx = { json: true, log: () => {}, print: () => {} };
const defaults = { reward: 'rm', 'reward-combine': 'first', probe: 8, 'probe-every': 5, 'kl-estimator': 'k1', steps: 1, prompts: 1, k: 2, 'kl-coef': 0.05, 'kl-horizon': 10000, 'kl-min': 0, lr: 1e-5, 'warmup-steps': 0, 'ppo-epochs': 1, lam: 0.95, advantage: 'leave-one-out', 'kl-penalty': 'reward', 'max-new': 4, seed: 1, 'case-seed': 1, out: 'unused', threads: 1, model: 'no-such-model' };

// A policy (no reward head) and a reward model, tiny and untrained, without tokenizers: a run
// that gets past the checks stops where it loads the policy's tokenizer, before writing anything.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-train-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cfg = llamaConfig({ vocabSize: 16, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, maxSeqLen: 32 });
const policy = path.join(tmp, 'policy');
const rmDir = path.join(tmp, 'rm');
saveModel(policy, LlamaModel.init(cfg, { seed: 1 }));
saveModel(rmDir, LlamaModel.init(cfg, { seed: 2, heads: ['reward'] }));

describe.each(['ppo', 'rloo'])('train %s', (algo) => {
  const cmd = commands.find((c) => c.path.join(' ') === `train ${algo}`)!;
  const run = (o: Record<string, string | number>) => cmd.run({ ...defaults, ...o }, [], ctx);

  it('refuses an unknown --reward-combine, and an ensemble without observers', async () => {
    await expect(run({ 'reward-combine': 'max' })).rejects.toThrow(/--reward-combine must be first, mean or min, got "max"/);
    await expect(run({ 'reward-combine': 'min' })).rejects.toThrow(/--reward-combine min optimizes an ensemble: give --observers/);
  });

  it('refuses a judge that is optimized against: the reward, or with an ensemble one of its members', async () => {
    await expect(run({ judge: './rm' })).rejects.toThrow(/--judge \.\/rm is optimized against \(--reward\)/);
    await expect(run({ 'reward-combine': 'mean', observers: 'a,b', judge: 'b' })).rejects.toThrow(/--judge b is optimized against \(--reward or --observers\)/);
    // An observer that only watches (first) may also be the judge; the run then fails on the missing model.
    await expect(run({ observers: 'a,b', judge: 'b' })).rejects.toThrow(/no-such-model/);
  });

  it.runIf(algo === 'ppo')('--loo-baseline needs --k 2 or more', async () => {
    await expect(run({ 'loo-baseline': 1, k: 1 })).rejects.toThrow(/--loo-baseline compares each reply with the other replies to its prompt: give --k 2 or more, got 1/);
    await expect(run({ 'loo-baseline': 1, k: 2 })).rejects.toThrow(/no-such-model/);
  });

  it.runIf(algo === 'rloo')('--advantage and --kl-penalty take only their named settings', async () => {
    await expect(run({ advantage: 'mean' })).rejects.toThrow('train rloo: --advantage must be leave-one-out or group-normalized, got "mean"');
    await expect(run({ 'kl-penalty': 'both' })).rejects.toThrow('train rloo: --kl-penalty must be reward or loss, got "both"');
    await expect(run({ advantage: 'group-normalized', 'kl-penalty': 'loss' })).rejects.toThrow(/no-such-model/);
  });

  it.runIf(algo === 'ppo')('--lam must be in [0, 1]', async () => {
    await expect(run({ lam: 1.5 })).rejects.toThrow('train ppo: --lam (GAE λ) must be in [0, 1], got 1.5');
    await expect(run({ lam: -0.1 })).rejects.toThrow(/--lam \(GAE λ\) must be in \[0, 1\], got -0.1/);
    await expect(run({ lam: 1 })).rejects.toThrow(/no-such-model/);
  });

  it('--standardize-reward needs a reward model', async () => {
    await expect(run({ 'standardize-reward': 1, reward: 'gold' })).rejects.toThrow(/--standardize-reward standardizes a reward model's scores; --reward gold is the world's own/);
    await expect(run({ 'standardize-reward': 1, reward: 'proxy' })).rejects.toThrow(/--reward proxy is the world's own/);
    await expect(run({ 'standardize-reward': 1 })).rejects.toThrow(/no-such-model/);
  });

  it('--kl-horizon must be a number of samples above 0', async () => {
    await expect(run({ 'kl-horizon': 0 })).rejects.toThrow(`train ${algo}: --kl-horizon must be a number of samples > 0, got 0`);
    await expect(run({ 'kl-horizon': 'soon' })).rejects.toThrow(/--kl-horizon must be a number of samples > 0, got soon/);
    await expect(run({ 'kl-target': 5, 'kl-horizon': 128 })).rejects.toThrow(/no-such-model/);
  });

  it('--kl-min is a floor in [0, --kl-coef] on the adaptive controller', async () => {
    await expect(run({ 'kl-target': 4, 'kl-min': 0.06 })).rejects.toThrow(`train ${algo}: --kl-min must be a number in [0, --kl-coef = 0.05], got 0.06`);
    await expect(run({ 'kl-target': 4, 'kl-min': 'low' })).rejects.toThrow(/--kl-min must be a number in \[0, --kl-coef = 0.05\], got low/);
    await expect(run({ 'kl-min': 0.05 })).rejects.toThrow(`train ${algo}: --kl-min is the adaptive controller's floor: give --kl-target too`);
    await expect(run({ 'kl-target': 4, 'kl-min': 0.05 })).rejects.toThrow(/no-such-model/);
  });

  it('--case-seed must be a whole number', async () => {
    await expect(run({ 'case-seed': 1.5 })).rejects.toThrow(`train ${algo}: --case-seed must be a whole number, got 1.5`);
    await expect(run({ 'case-seed': 2 })).rejects.toThrow(/no-such-model/);
  });

  it('refuses a policy directory as --reward, --observers or --judge before any work, naming it; a reward model passes', async () => {
    const out = path.join(tmp, `out-${algo}`);
    const noHead = (role: string) => `runRl: ${role} ${policy} has no reward head (model.safetensors has no score.weight): train one with \`alignlab train rm\``;
    await expect(run({ model: policy, reward: policy, out })).rejects.toThrow(noHead('reward'));
    await expect(run({ model: policy, reward: rmDir, observers: `${rmDir},${policy}`, out })).rejects.toThrow(noHead('observer'));
    await expect(run({ model: policy, reward: 'gold', judge: policy, out })).rejects.toThrow(noHead('judge'));
    expect(fs.existsSync(out)).toBe(false);
    // With reward models in every role the run gets past the check: here to the policy's missing tokenizer.
    await expect(run({ model: policy, reward: rmDir, observers: rmDir, out })).rejects.toThrow(/policy\/tokenizer\.json: not found/);
    await expect(run({ model: policy, reward: 'proxy', observers: rmDir, judge: rmDir, out })).rejects.toThrow(/policy\/tokenizer\.json: not found/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--monitor-config must be a JSON object file; --stop-on reaches runRl, which checks the names', async () => {
    const bad = path.join(os.tmpdir(), `alignlab-monitor-config-${algo}.json`);
    await expect(run({ 'monitor-config': bad + '.missing' })).rejects.toThrow(/--monitor-config .*\.missing does not exist/);
    fs.writeFileSync(bad, '{"klGrowth": ');
    await expect(run({ 'monitor-config': bad })).rejects.toThrow(/--monitor-config .*: invalid JSON/);
    fs.writeFileSync(bad, '[1]');
    await expect(run({ 'monitor-config': bad })).rejects.toThrow(/expected a JSON object of monitor configs/);
    fs.writeFileSync(bad, '{"klGrowth": {"budget": 0}}');
    await expect(run({ model: policy, reward: 'gold', 'monitor-config': bad })).rejects.toThrow(/kl_growth monitor config/);
    await expect(run({ model: policy, reward: 'gold', 'stop-on-alarm': 1, 'stop-on': 'kl_growth,klgrowth' })).rejects.toThrow(/stopOn: unknown monitor "klgrowth"/);
    fs.rmSync(bad);
  });

  it('--keep-judge-best needs --judge and --probe', async () => {
    await expect(run({ 'keep-judge-best': 1 })).rejects.toThrow(/--keep-judge-best picks the probe step the judge scores highest: give --judge DIR and --probe N too/);
    await expect(run({ 'keep-judge-best': 1, judge: 'j', probe: 0 })).rejects.toThrow(/--keep-judge-best .* give --judge DIR and --probe N too/);
    await expect(run({ 'keep-judge-best': 1, judge: 'j' })).rejects.toThrow(/no-such-model/);
  });
});

describe('train sft', () => {
  const cmd = commands.find((c) => c.path.join(' ') === 'train sft')!;
  const run = (o: Record<string, string | number>) => cmd.run({ profile: 'quick', seed: 1, out: 'unused', threads: 1, ...o }, [], ctx);

  it('refuses a --cases, --batch-tokens, --bucket, --pad-to, --sort-window or --split that is not a positive integer, or --epochs that is not a positive number, naming the flag', async () => {
    await expect(run({ bucket: 0 })).rejects.toThrow(/train sft: --bucket must be a positive integer, got 0/);
    await expect(run({ 'pad-to': 0 })).rejects.toThrow(/train sft: --pad-to must be a positive integer, got 0/);
    await expect(run({ 'sort-window': 2.5 })).rejects.toThrow(/train sft: --sort-window must be a positive integer, got 2.5/);
    await expect(run({ split: -2 })).rejects.toThrow(/train sft: --split must be a positive integer, got -2/);
    await expect(run({ bucket: 48.5 })).rejects.toThrow(/--bucket must be a positive integer, got 48.5/);
    await expect(run({ epochs: -1 })).rejects.toThrow(/--epochs must be a positive number, got -1/);
    await expect(run({ epochs: 'two' })).rejects.toThrow(/--epochs must be a positive number, got two/);
    await expect(run({ 'batch-tokens': 100.5 })).rejects.toThrow(/--batch-tokens must be a positive integer, got 100.5/);
    await expect(run({ cases: 'many' })).rejects.toThrow(/--cases must be a positive integer, got many/);
    expect(trainBaseline).not.toHaveBeenCalled();
  });

  it('passes --cases, --epochs, --batch-tokens, --bucket, --pad-to, --sort-window and --split on as the recipe, and only those given', async () => {
    await run({ bucket: 64, cases: 10 });
    expect(trainBaseline).toHaveBeenLastCalledWith(expect.objectContaining({ profile: 'quick', seed: 1, out: 'unused', recipe: { nCases: 10, bucket: 64 } }), expect.anything());
    await run({ 'pad-to': 128, 'sort-window': 1, split: 1 });
    expect(trainBaseline).toHaveBeenLastCalledWith(expect.objectContaining({ recipe: { padTo: 128, sortWindow: 1, split: 1 } }), expect.anything());
    await run({ epochs: 3 });
    expect(trainBaseline).toHaveBeenLastCalledWith(expect.objectContaining({ recipe: { epochs: 3 } }), expect.anything());
    await run({ epochs: 1.75, 'batch-tokens': 3584 });
    expect(trainBaseline).toHaveBeenLastCalledWith(expect.objectContaining({ recipe: { epochs: 1.75, tokensPerBatch: 3584 } }), expect.anything());
  });
});

describe('train rm --ensemble', () => {
  const cmd = commands.find((c) => c.path.join(' ') === 'train rm')!;
  const rmDefaults = { 'on-error': 'throw', epochs: 1, 'batch-pairs': 8, lr: 1e-3, 'center-coef': 0.01, 'lm-coef': 0, readout: 'last', 'strength-margin': 0, 'drop-unsure': false, 'freeze-layers': 0, 'head-rank': 0, 'fit-head': false, 'head-l2': 0.1, 'head-iters': 300, seed: 1, threads: 1 };

  it('refuses a member count that is not a whole number ≥ 1, before any work', async () => {
    for (const bad of [0, 1.5, -2]) {
      const out = path.join(tmp, `ens-${bad}`);
      const err = await cmd.run({ ...rmDefaults, model: policy, prefs: 'no-such.jsonl', out, ensemble: bad }, [], ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`train rm: --ensemble must be a whole number ≥ 1, got ${bad}`);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('trains the members and prints the read-out and how to optimize against them', async () => {
    const model = path.join(tmp, 'world-policy');
    await tinyWorldModel(model);
    const prefs = path.join(tmp, 'ens-prefs.jsonl');
    writePreferences(prefs, Array.from({ length: 30 }, (_, i) => ({ prompt: `Where is order ${i % 15}?`, chosen: `It shipped ${i} days ago.`, rejected: 'No.', chosen_gold: 1, rejected_gold: i % 5 === 0 ? 2 : 0 })));
    const out = path.join(tmp, 'ens');
    const printed: string[] = [];
    const r = (await cmd.run({ ...rmDefaults, model, prefs, out, ensemble: 3 }, [], { ...ctx, print: (s: string) => printed.push(s) })) as { members: { dir: string }[] };
    expect(r.members.map((m) => m.dir)).toEqual([1, 2, 3].map((m) => path.join(out, `member-${m}`)));
    expect(printed[0]).toMatch(/^ensemble of 3: accuracy \d\.\d{3} vs raters \(members \d\.\d{3}, \d\.\d{3}, \d\.\d{3}\)/);
    expect(printed.some((l) => l.startsWith('  errors vs raters ('))).toBe(true);
    expect(printed[printed.length - 1]).toBe(`  RL against it: --reward ${path.join(out, 'member-1')} --observers ${path.join(out, 'member-2')},${path.join(out, 'member-3')} [--reward-combine mean|min]`);
  }, 120_000);
});
