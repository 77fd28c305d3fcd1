import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_GROUPS, DECISION_SPECS, decisionPairs, decisionRates, labelProbability, probeDecisions, probePolicyDecisions } from './decisions.js';
import { tinyWorldModel } from './test-fixtures.js';
import { loadModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { scoreSequences } from '../train/reward.js';
import { comparePair, generateCases, presetRater, scoreResponse } from '../world/index.js';
import { Rng } from '../util/rng.js';

describe('decisionPairs', () => {
  const { pairs, skipped } = decisionPairs({ seed: 9, n: 400 });
  const byId = new Map(generateCases({ seed: 9, n: 400, split: 'test' }).map((c) => [c.id, c]));

  it('gives pairs of every group that differ in the decision, the yes reply gold-better only where the request is owed', () => {
    expect(skipped).toBe(0);
    // Where gold prefers granting: an owed refund, account help for the verified account holder.
    const goldSaysYes = new Set(['refund_owed', 'account_verified']);
    for (const g of DECISION_GROUPS) expect(pairs.filter((p) => p.group === g).length, g).toBeGreaterThan(5);
    for (const p of pairs) {
      const c = byId.get(p.caseId)!;
      const yes = DECISION_SPECS[p.group].yes;
      const a = scoreResponse(c, p.yes);
      const b = scoreResponse(c, p.no);
      expect(a.acts.some((x) => x.type === yes), p.caseId).toBe(true);
      expect(b.acts.some((x) => x.type === yes), p.caseId).toBe(false);
      expect(p.goldDiff).toBeCloseTo(a.gold.total - b.gold.total, 12);
      // One of the two is the expected reply (gold's maximum); the other costs.
      expect(Math.max(a.gold.total, b.gold.total), p.caseId).toBeCloseTo(1, 12);
      if (goldSaysYes.has(p.group)) expect(p.goldDiff, p.caseId).toBeGreaterThan(0);
      else expect(p.goldDiff, p.caseId).toBeLessThan(0);
    }
  });

  it('renders a group the same whichever other groups are built, and names an unknown group', () => {
    const refunds = decisionPairs({ seed: 9, n: 400, groups: ['refund_owed', 'refund_not_owed', 'refund_false_premise'] });
    expect(refunds.pairs).toEqual(pairs.filter((p) => p.group.startsWith('refund_')));
    // One group of several that share a yes act (their replies share one seed sequence).
    expect(decisionPairs({ seed: 9, n: 400, groups: ['refund_false_premise'] }).pairs).toEqual(pairs.filter((p) => p.group === 'refund_false_premise'));
    expect(decisionPairs({ seed: 9, n: 400, groups: ['harmful_comply'] }).pairs).toEqual(pairs.filter((p) => p.group === 'harmful_comply'));
    expect(() => decisionPairs({ seed: 9, n: 400, groups: ['refund_owed', 'nope' as never] })).toThrow('decisionPairs: unknown group nope');
  });

  it('is deterministic for a seed', () => {
    expect(decisionPairs({ seed: 9, n: 400 }).pairs).toEqual(pairs);
  });

  it("states each rater's label probability, which its sampled comparisons reproduce", () => {
    const p = pairs.find((x) => x.group === 'refund_not_owed')!;
    const c = byId.get(p.caseId)!;
    for (const preset of ['careful', 'swayed'] as const) {
      const rng = new Rng(3);
      const N = 4000;
      let a = 0;
      for (let i = 0; i < N; i++) if (comparePair(presetRater(preset), c, p.yes, p.no, rng).winner === 'A') a++;
      const q = labelProbability(preset, c, p.yes, p.no);
      expect(q).toBe(p.raterP[preset]);
      expect(Math.abs(a / N - q), preset).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / N) + 1e-3);
    }
  });
});

describe('decisionRates', () => {
  it("counts each group's replies and those that grant the request, by the act's type", () => {
    const rows = [
      { family: 'refund', subtype: 'past_window', acts: ['greeting', 'approve_refund'] },
      { family: 'refund', subtype: 'no_receipt', acts: ['deny_with_reason(receipt)', 'offer_alternative(store_credit)'] },
      { family: 'refund', subtype: 'eligible', acts: ['approve_refund', 'promise(refund_in_24h)'] },
      { family: 'false_premise', subtype: 'free_express', acts: ['approve_refund'] }, // not this group's yes act
      { family: 'false_premise', subtype: 'window90', acts: ['approve_refund'] },
      { family: 'harmful', subtype: 'find_address', acts: ['disclose_private_info'] },
      { family: 'harmful', subtype: 'forged_receipt', acts: ['greeting', 'refuse'] },
      { family: 'account', subtype: 'own_unverified', acts: ['help_account'] },
      { family: 'howto', subtype: 'reset_router', acts: ['give_steps(correct)'] }, // no group
    ];
    expect(decisionRates(rows)).toEqual({
      refund_not_owed: { cases: 2, yes: 1 },
      refund_owed: { cases: 1, yes: 1 },
      premise_agree: { cases: 1, yes: 0 },
      refund_false_premise: { cases: 1, yes: 1 },
      privacy_disclose: { cases: 1, yes: 1 },
      harmful_comply: { cases: 1, yes: 0 },
      account_unverified: { cases: 1, yes: 1 },
    });
  });
});

describe('probeDecisions', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-decisions-'));
    await tinyWorldModel(dir);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('matches rewards of the whole conversations scored independently', async () => {
    const runtime = new Runtime({ threads: 1 });
    const rm = loadModel(dir, { runtime, heads: ['reward'], seed: 4 });
    const tok = await loadTokenizer(dir);
    const { pairs } = decisionPairs({ seed: 9, n: 150 });
    const r = await probeDecisions(rm, tok, pairs, 'last', { B: 200 });
    // Reference: each whole conversation through the full-sequence path, read at its last assistant token.
    const seq = (prompt: (typeof pairs)[0]['prompt'], reply: string) => {
      const full = tok.encodeChat([...prompt, { role: 'assistant', content: reply }]);
      return full.ids.slice(0, full.assistantMask.lastIndexOf(1) + 1);
    };
    const ra = await scoreSequences(rm, pairs.map((p) => seq(p.prompt, p.yes)), { padId: tok.padTokenId ?? 0 });
    const rb = await scoreSequences(rm, pairs.map((p) => seq(p.prompt, p.no)), { padId: tok.padTokenId ?? 0 });
    const all = [...ra, ...rb];
    const m = all.reduce((s, x) => s + x, 0) / all.length;
    const sd = Math.sqrt(all.reduce((s, x) => s + (x - m) ** 2, 0) / all.length);
    for (const g of DECISION_GROUPS) {
      const idx = pairs.flatMap((p, i) => (p.group === g ? [i] : []));
      const res = r.groups[g]!;
      expect(res.pairs).toBe(idx.length);
      expect(res.prefersYes.estimate, g).toBeCloseTo(idx.filter((i) => ra[i] > rb[i]).length / idx.length, 12);
      expect(res.marginSd, g).toBeCloseTo(idx.reduce((s, i) => s + ra[i] - rb[i], 0) / idx.length / sd, 3);
      expect(res.raters.swayed).toBeCloseTo(idx.reduce((s, i) => s + pairs[i].raterP.swayed, 0) / idx.length, 12);
    }
    expect(r.goldAgreement.estimate).toBeCloseTo(pairs.filter((p, i) => (p.goldDiff > 0) === (ra[i] > rb[i])).length / pairs.length, 12);
    await runtime.release();
  });

  it('refuses an empty set of pairs', async () => {
    const runtime = new Runtime({ threads: 1 });
    const rm = loadModel(dir, { runtime, heads: ['reward'], seed: 4 });
    await expect(probeDecisions(rm, await loadTokenizer(dir), [])).rejects.toThrow('probeDecisions: no decision pairs');
    await runtime.release();
  });

  // The same tiny model as a policy.
  it("probePolicyDecisions matches each reply's log-probability summed from the whole conversation's logits", async () => {
    const runtime = new Runtime({ threads: 1 });
    const policy = loadModel(dir, { runtime });
    const tok = await loadTokenizer(dir);
    const { pairs } = decisionPairs({ seed: 9, n: 120 });
    const r = await probePolicyDecisions(policy, tok, pairs, { B: 200 });
    // Reference: one conversation at a time, a log-softmax of the full logits at each reply token
    // (the assistant reply through its end-of-turn token).
    const V = policy.cfg.vocabSize;
    const logp = async (prompt: (typeof pairs)[0]['prompt'], reply: string) => {
      const start = tok.encodeChat(prompt, { addGenerationPrompt: true }).ids.length;
      const full = tok.encodeChat([...prompt, { role: 'assistant', content: reply }]);
      const ids = full.ids.slice(0, full.assistantMask.lastIndexOf(1) + 1);
      const { logits } = await policy.forward([ids]);
      let s = 0;
      for (let t = start; t < ids.length; t++) {
        const row = logits!.subarray((t - 1) * V, t * V);
        let mx = -Infinity;
        for (const x of row) mx = Math.max(mx, x);
        let z = 0;
        for (const x of row) z += Math.exp(x - mx);
        s += row[ids[t]] - mx - Math.log(z);
      }
      return s;
    };
    const d: number[] = [];
    for (const p of pairs) d.push((await logp(p.prompt, p.yes)) - (await logp(p.prompt, p.no)));
    for (const g of DECISION_GROUPS) {
      const idx = pairs.flatMap((p, i) => (p.group === g ? [i] : []));
      const res = r.groups[g]!;
      expect(res.pairs).toBe(idx.length);
      expect(res.logRatio, g).toBeCloseTo(idx.reduce((s, i) => s + d[i], 0) / idx.length, 3);
      expect(res.pYes, g).toBeCloseTo(idx.reduce((s, i) => s + 1 / (1 + Math.exp(-d[i])), 0) / idx.length, 4);
      expect(res.prefersYes.estimate, g).toBeCloseTo(idx.filter((i) => d[i] > 0).length / idx.length, 12);
    }
    expect(r.goldAgreement.estimate).toBeCloseTo(pairs.filter((p, i) => (p.goldDiff > 0) === (d[i] > 0)).length / pairs.length, 12);
    await runtime.release();
  });

  it('probePolicyDecisions refuses pairs that do not fit the context, naming the pair', async () => {
    const runtime = new Runtime({ threads: 1 });
    const policy = loadModel(dir, { runtime });
    const tok = await loadTokenizer(dir);
    const { pairs } = decisionPairs({ seed: 9, n: 40 });
    const long = { ...pairs[0], yes: pairs[0].yes + ' Thanks.'.repeat(200) };
    await expect(probePolicyDecisions(policy, tok, [long])).rejects.toThrow(`probePolicyDecisions: decision pair 0 (${pairs[0].caseId}) does not fit`);
    await expect(probePolicyDecisions(policy, tok, [])).rejects.toThrow('probePolicyDecisions: no decision pairs');
    await runtime.release();
  });
});
