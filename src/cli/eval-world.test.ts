/** `alignlab eval decisions`: the decision pairs (src/lab/decisions.ts, tested there) through the command. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands from './eval-world.js';
import { DECISION_GROUPS, decisionPairs, probeDecisions, probePolicyDecisions } from '../lab/decisions.js';
import { tinyWorldModel } from '../lab/test-fixtures.js';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';

describe('eval decisions', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-eval-decisions-'));
    await tinyWorldModel(dir);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints the same numbers per reward model, and names a directory that is not one', async () => {
    const runtime = new Runtime({ threads: 1 });
    const rmDir = path.join(dir, 'rm');
    saveModel(rmDir, loadModel(dir, { runtime, heads: ['reward'], seed: 4 }));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(dir, f), path.join(rmDir, f));
    const cmd = commands.find((c) => c.path.join(' ') === 'eval decisions')!;
    const printed: string[] = [];
    const ctx = { json: true, log: () => {}, print: (m: string) => printed.push(m) };
    const out = (await cmd.run({ rm: rmDir, n: 150, seed: 9, threads: 1 }, [], ctx)) as { pairs: number; rewardModels: Record<string, { groups: Record<string, { prefersYes: { estimate: number } }> }> };
    const { pairs } = decisionPairs({ seed: 9, n: 150 });
    const direct = await probeDecisions(loadModel(rmDir, { runtime }), await loadTokenizer(rmDir), pairs);
    expect(out.pairs).toBe(pairs.length);
    for (const g of DECISION_GROUPS) expect(out.rewardModels[rmDir].groups[g].prefersYes.estimate, g).toBe(direct.groups[g]!.prefersYes.estimate);
    expect(printed).toContain(`[1] ${rmDir}: reward model (share of pairs scoring the yes reply higher [95 %], mean margin in SDs of its scores)`);
    const row = printed.find((l) => l.startsWith('refund_owed ('))!;
    expect(row).toContain(`${(100 * direct.groups.refund_owed!.prefersYes.estimate).toFixed(0)}% [`);
    await expect(cmd.run({ rm: dir, n: 150, seed: 9, threads: 1 }, [], ctx)).rejects.toThrow(`${dir}: not a reward model`);
    await expect(cmd.run({ rm: path.join(dir, 'nope'), n: 150, seed: 9, threads: 1 }, [], ctx)).rejects.toThrow('is not a model directory (no config.json)');
    await expect(cmd.run({ n: 150, seed: 9, threads: 1 }, [], ctx)).rejects.toThrow('eval decisions: --rm DIR (a reward model from `alignlab train rm` or `lab overopt`) or --policy DIR (a policy) is required');
    await expect(cmd.run({ rm: rmDir, n: 150, seed: 9, groups: 'refund_owed,refunds', threads: 1 }, [], ctx)).rejects.toThrow('eval decisions: --groups: unknown group refunds');
    const one = (await cmd.run({ rm: rmDir, n: 150, seed: 9, groups: 'privacy_disclose', threads: 1 }, [], ctx)) as typeof out;
    expect(Object.keys(one.rewardModels[rmDir].groups)).toEqual(['privacy_disclose']);
    expect(one.rewardModels[rmDir].groups.privacy_disclose.prefersYes.estimate).toBe(direct.groups.privacy_disclose!.prefersYes.estimate);
    await runtime.release();
  });

  it("reads a policy's side from its log-probabilities, next to a reward model", async () => {
    const runtime = new Runtime({ threads: 1 });
    const rmDir = path.join(dir, 'rm');
    const cmd = commands.find((c) => c.path.join(' ') === 'eval decisions')!;
    const printed: string[] = [];
    const ctx = { json: true, log: () => {}, print: (m: string) => printed.push(m) };
    type Out = { policies: Record<string, { groups: Record<string, { logRatio: number; prefersYes: { estimate: number } }> }>; rewardModels: Record<string, unknown> };
    const out = (await cmd.run({ rm: rmDir, policy: dir, n: 150, seed: 9, groups: 'refund_owed,refund_not_owed', threads: 1 }, [], ctx)) as Out;
    const { pairs } = decisionPairs({ seed: 9, n: 150, groups: ['refund_owed', 'refund_not_owed'] });
    const direct = await probePolicyDecisions(loadModel(dir, { runtime }), await loadTokenizer(dir), pairs);
    expect(Object.keys(out.rewardModels)).toEqual([rmDir]);
    expect(Object.keys(out.policies[dir].groups)).toEqual(['refund_owed', 'refund_not_owed']);
    expect(out.policies[dir].groups.refund_not_owed.logRatio).toBe(direct.groups.refund_not_owed!.logRatio);
    expect(printed).toContain(`[2] ${dir}: policy (share of pairs with the yes reply the more probable [95 %], mean log-ratio in nats)`);
    const row = printed.find((l) => l.startsWith('refund_owed ('))!;
    const x = direct.groups.refund_owed!;
    expect(row).toContain(`${(100 * x.prefersYes.estimate).toFixed(0)}% [`);
    expect(row.trimEnd().endsWith(`${x.logRatio >= 0 ? '+' : ''}${x.logRatio.toFixed(2)}`)).toBe(true);
    await expect(cmd.run({ policy: path.join(dir, 'nope'), n: 150, seed: 9, threads: 1 }, [], ctx)).rejects.toThrow(`eval decisions: --policy ${path.join(dir, 'nope')} is not a model directory (no config.json)`);
    await runtime.release();
  });
});
