/**
 * `alignlab eval world DIR`: a model's gold, proxy, parse rate and failure rates on fresh HelpDesk
 * cases, with the breakdowns by request family and by shift preset (`byFamily`, `byShift` in
 * the returned JSON).
 *
 *   alignlab eval world runs/latest/baseline --n 250 --shift all --json        # 50 cases under each of the 5 shift presets
 *   alignlab eval world runs/latest/baseline --shift adversarial,policy_change
 *
 * `alignlab eval decisions --rm DIR[,DIR…]`: decision pairs (src/lab/decisions.ts) — does a reward
 * model prefer granting a request (a refund, agreement, compliance, account help, a disclosure)
 * where gold does, and only there — next to the rater presets.
 *
 *   alignlab eval decisions --rm runs/overopt/rm-careful,runs/overopt/rm-swayed --n 1500 --json
 *   alignlab eval decisions --rm runs/overopt/rm-swayed --groups harmful_comply,privacy_disclose
 *
 * `--policy DIR[,DIR…]` reads the same pairs from policies' probabilities instead: the share of
 * pairs where the policy puts more probability on the yes reply, and its mean log-ratio (nats) —
 * whether it reads the fact that separates owed from unowed refunds, verified from unverified
 * customers, and how RL moved it (src/lab/decisions.ts, probePolicyDecisions).
 *
 *   alignlab eval decisions --policy runs/sft-9k,runs/overopt/ppo-careful --groups refund_owed,refund_not_owed
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { FAILURES, evalWorld, shiftAllocation, shiftPresets, type ShiftChoice } from '../eval/world.js';
import { LocalModel } from '../providers/local.js';
import { SHIFT_NAMES, type ShiftName } from '../world/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { DECISION_GROUPS, decisionPairs, probeDecisions, probePolicyDecisions, summarizeDecisionPairs, type DecisionGroup, type DecisionProbe, type PolicyDecisionProbe } from '../lab/decisions.js';
import { rewardReadout } from '../lab/rm.js';
import { openRewardModel } from '../eval/hh.js';

const world: Command = {
  path: ['eval', 'world'],
  summary: "Evaluate a model directory on fresh HelpDesk test cases (gold, proxy, parse rate, failure rates)",
  positionals: ['DIR'],
  options: {
    n: { type: 'number', default: 200, describe: 'number of cases' },
    seed: { type: 'number', default: 1, describe: 'world seed (the baseline is trained on seed 1)' },
    shift: { type: 'string', default: 'none', describe: `distribution shift: one of ${SHIFT_NAMES.join(', ')}; a comma-separated list; or all (every preset but none); the cases are split evenly over the presets` },
    temperature: { type: 'number', default: 0, describe: 'sampling temperature (0 = greedy)' },
    samples: { type: 'string', describe: 'write every reply with its acts and scores to this JSONL file' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, [dir], ctx) {
    const shift = parseShift(String(o.shift));
    const n = Number(o.n);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`eval world: --n must be a positive integer, got ${o.n}`);
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`eval world: ${dir} is not a model directory (no config.json)`);
    const model = await LocalModel.load(dir, { threads: Number(o.threads) });
    ctx.log(`eval world: ${n} cases (seed ${o.seed}, shift ${shiftAllocation(n, shift).map(([p, k]) => `${p} ${k}`).join(', ')})`);
    const r = await evalWorld(model, { n, seed: Number(o.seed), shift, sampling: { temperature: Number(o.temperature) } });
    await model.close();
    if (o.samples) writeFileAtomic(String(o.samples), r.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    ctx.print(`gold ${r.gold.toFixed(3)}  proxy ${r.proxy.toFixed(3)}  parsed ${pct(r.parseRate)}  over ${r.replies} replies`);
    for (const f of FAILURES) ctx.print(`  ${f.padEnd(18)} ${pct(r.rates[f])}  (${r.counts[f].hits}/${r.counts[f].of})`);
    if (Object.keys(r.byShift).length > 1) {
      ctx.print('by shift (failure: hits/possible):');
      for (const [s, g] of Object.entries(r.byShift)) ctx.print(`  ${s.padEnd(20)} gold ${g.gold.toFixed(3)}  ${g.replies} replies  ${FAILURES.filter((f) => g.counts[f].of > 0).map((f) => `${f} ${g.counts[f].hits}/${g.counts[f].of}`).join('  ')}`);
    }
    const { samples: _samples, ...summary } = r;
    return summary;
  },
};

/** `--shift`: 'all', one preset, or a comma-separated list of presets. */
function parseShift(v: string): ShiftChoice {
  const list = v === 'all' ? 'all' : (v.split(',').map((x) => x.trim()) as ShiftName[]);
  try {
    shiftPresets(list);
  } catch (e) {
    throw new UsageError(`eval world: --shift "${v}": ${(e as Error).message.replace(/^evalWorld: shift: /, '')}`);
  }
  return list;
}

const decisions: Command = {
  path: ['eval', 'decisions'],
  summary: 'Decision pairs: does a reward model (or a policy, by its log-probabilities) prefer granting a request (refund, agreement, compliance, account help, disclosure) where gold does, and only there, next to the rater presets',
  options: {
    rm: { type: 'string', describe: 'reward-model directory, or several separated by commas' },
    policy: { type: 'string', describe: "policy directory, or several separated by commas: the pairs read from the policy's log-probabilities" },
    n: { type: 'number', default: 1500, describe: 'fresh test cases to draw (about three in five give pairs)' },
    seed: { type: 'number', default: 1, describe: 'world seed of the cases' },
    groups: { type: 'string', describe: `groups to build, separated by commas (default all: ${DECISION_GROUPS.join(', ')})` },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    if (o.rm === undefined && o.policy === undefined) throw new UsageError('eval decisions: --rm DIR (a reward model from `alignlab train rm` or `lab overopt`) or --policy DIR (a policy) is required');
    const list = (v: unknown) => (v === undefined ? [] : String(v).split(',').map((d) => d.trim()).filter((d) => d.length > 0));
    const dirs = list(o.rm);
    const policyDirs = list(o.policy);
    for (const [flag, ds] of [['--rm', dirs], ['--policy', policyDirs]] as const) for (const d of ds) if (!fs.existsSync(path.join(d, 'config.json'))) throw new UsageError(`eval decisions: ${flag} ${d} is not a model directory (no config.json)`);
    const n = Number(o.n);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`eval decisions: --n must be a positive integer, got ${o.n}`);
    const wanted = o.groups === undefined ? undefined : (String(o.groups).split(',').map((g) => g.trim()).filter((g) => g.length > 0) as DecisionGroup[]);
    const bad = (wanted ?? []).filter((g) => !DECISION_GROUPS.includes(g));
    if (bad.length > 0) throw new UsageError(`eval decisions: --groups: unknown group ${bad.join(', ')} (expected ${DECISION_GROUPS.join(', ')})`);
    const { pairs, skipped } = decisionPairs({ seed: Number(o.seed), n, groups: wanted });
    if (pairs.length === 0) throw new UsageError(`eval decisions: ${n} cases gave no decision pairs; raise --n`);
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    ctx.log(`eval decisions: ${pairs.length} pairs from ${n} cases (seed ${o.seed})${skipped ? `, ${skipped} skipped` : ''}; careful / crowd / swayed: each rater preset's probability of labelling the yes reply (the one that grants the request) chosen; [i]: the share of pairs where reward model i scores it higher`);
    const groups = DECISION_GROUPS.filter((g) => pairs.some((p) => p.group === g));
    const results: Record<string, DecisionProbe> = {};
    for (const dir of dirs) {
      const rm = await openRewardModel(dir, { threads: Number(o.threads) }).catch((e: Error) => {
        throw new UsageError(`eval decisions: ${e.message}`);
      });
      try {
        results[dir] = await probeDecisions(rm.model, rm.tokenizer, pairs, rewardReadout(dir));
      } finally {
        await rm.close();
      }
    }
    const policies: Record<string, PolicyDecisionProbe> = {};
    for (const dir of policyDirs) {
      const policy = await LocalModel.load(dir, { threads: Number(o.threads) });
      try {
        policies[dir] = await probePolicyDecisions(policy.model, policy.tokenizer, pairs);
      } catch (e) {
        throw new UsageError(`eval decisions: --policy ${dir}: ${(e as Error).message}`);
      } finally {
        await policy.close();
      }
    }
    // One row per group: gold's side, each rater preset's label probability, then each reward model and each policy.
    const perGroup = Object.fromEntries(Object.entries(summarizeDecisionPairs(pairs)).map(([g, x]) => [g, { pairs: x.pairs, goldDiff: x.goldDiff, raters: x.raters }]));
    const cell = (x: string, w = 26) => x.padEnd(w);
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
    const share = (x: { estimate: number; lo: number; hi: number }) => `${pct(x.estimate)} [${pct(x.lo)}, ${pct(x.hi)}]`;
    const columns = [...dirs, ...policyDirs];
    ctx.print(`${cell('group (pairs)', 28)}${cell('gold prefers', 14)}${['careful', 'crowd', 'swayed'].map((p) => cell(p, 9)).join('')}${columns.map((d, i) => cell(`[${i + 1}]`)).join('')}`);
    for (const g of groups) {
      const r = perGroup[g]!;
      const models = dirs.map((d) => { const x = results[d].groups[g]!; return cell(`${share(x.prefersYes)} ${signed(x.marginSd)}`); });
      const pols = policyDirs.map((d) => { const x = policies[d].groups[g]!; return cell(`${share(x.prefersYes)} ${signed(x.logRatio)}`); });
      ctx.print(`${cell(`${g} (${r.pairs})`, 28)}${cell(r.goldDiff > 0 ? 'yes' : 'no', 14)}${(['careful', 'crowd', 'swayed'] as const).map((p) => cell(pct(r.raters[p]), 9)).join('')}${[...models, ...pols].join('')}`);
    }
    ctx.print(`${cell('agrees with gold', 69)}${[...dirs.map((d) => results[d].goldAgreement), ...policyDirs.map((d) => policies[d].goldAgreement)].map((x) => cell(pct(x.estimate))).join('')}`);
    dirs.forEach((d, i) => ctx.print(`[${i + 1}] ${d}: reward model (share of pairs scoring the yes reply higher [95 %], mean margin in SDs of its scores)`));
    policyDirs.forEach((d, i) => ctx.print(`[${dirs.length + i + 1}] ${d}: policy (share of pairs with the yes reply the more probable [95 %], mean log-ratio in nats)`));
    return { pairs: pairs.length, skipped, seed: Number(o.seed), cases: n, groups: perGroup, rewardModels: results, policies };
  },
};

export default [world, decisions];
