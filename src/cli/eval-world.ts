/**
 * `alignlab eval world DIR`: a model's gold, proxy, parse rate and failure rates on fresh HelpDesk
 * cases, with the breakdowns by request family and by shift preset (`byFamily`, `byShift` in
 * the returned JSON).
 *
 *   alignlab eval world runs/latest/baseline --n 250 --shift all --json        # 50 cases under each of the 5 shift presets
 *   alignlab eval world runs/latest/baseline --shift adversarial,policy_change
 *
 * `alignlab eval decisions --rm DIR[,DIR…]`: decision pairs (src/lab/decisions.ts) — does a reward
 * model prefer approving a refund where one is owed, and only there — next to the rater presets.
 *
 *   alignlab eval decisions --rm runs/overopt/rm-careful,runs/overopt/rm-swayed --n 1500 --json
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { FAILURES, evalWorld, shiftAllocation, shiftPresets, type ShiftChoice } from '../eval/world.js';
import { LocalModel } from '../providers/local.js';
import { SHIFT_NAMES, type ShiftName } from '../world/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { DECISION_GROUPS, decisionPairs, probeDecisions } from '../lab/decisions.js';
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
  summary: 'Decision pairs: does a reward model prefer approving a refund where one is owed, and only there (next to the rater presets and gold)',
  options: {
    rm: { type: 'string', describe: 'reward-model directory, or several separated by commas' },
    n: { type: 'number', default: 1500, describe: 'fresh test cases to draw (about a third give pairs)' },
    seed: { type: 'number', default: 1, describe: 'world seed of the cases' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    if (o.rm === undefined) throw new UsageError('eval decisions: --rm DIR is required (a reward model from `alignlab train rm` or `lab overopt`)');
    const dirs = String(o.rm).split(',').map((d) => d.trim()).filter((d) => d.length > 0);
    for (const d of dirs) if (!fs.existsSync(path.join(d, 'config.json'))) throw new UsageError(`eval decisions: --rm ${d} is not a model directory (no config.json)`);
    const n = Number(o.n);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`eval decisions: --n must be a positive integer, got ${o.n}`);
    const { pairs, skipped } = decisionPairs({ seed: Number(o.seed), n });
    if (pairs.length === 0) throw new UsageError(`eval decisions: ${n} cases gave no decision pairs; raise --n`);
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    ctx.log(`eval decisions: ${pairs.length} pairs from ${n} cases (seed ${o.seed})${skipped ? `, ${skipped} skipped` : ''}`);
    const groups = DECISION_GROUPS.filter((g) => pairs.some((p) => p.group === g));
    const results: Record<string, unknown> = {};
    let perGroup: Record<string, unknown> | undefined;
    for (const dir of dirs) {
      const rm = await openRewardModel(dir, { threads: Number(o.threads) }).catch((e: Error) => {
        throw new UsageError(`eval decisions: ${e.message}`);
      });
      try {
        const r = await probeDecisions(rm.model, rm.tokenizer, pairs, rewardReadout(dir));
        if (!perGroup) {
          perGroup = Object.fromEntries(groups.map((g) => [g, { pairs: r.groups[g]!.pairs, goldDiff: r.groups[g]!.goldDiff, raters: r.groups[g]!.raters }]));
          ctx.print(`${'prefers the approval'.padEnd(40)} ${groups.map((g) => `${g} (${r.groups[g]!.pairs})`.padEnd(30)).join('')}`);
          ctx.print(`${'gold'.padEnd(40)} ${groups.map((g) => (r.groups[g]!.goldDiff > 0 ? 'yes' : 'no').padEnd(30)).join('')}`);
          for (const p of ['careful', 'crowd', 'swayed'] as const) ctx.print(`${`${p} raters (label probability)`.padEnd(40)} ${groups.map((g) => pct(r.groups[g]!.raters[p]).padEnd(30)).join('')}`);
        }
        ctx.print(`${dir.padEnd(40)} ${groups.map((g) => { const x = r.groups[g]!; return `${pct(x.prefersApproval.estimate)} [${pct(x.prefersApproval.lo)}, ${pct(x.prefersApproval.hi)}] ${x.marginSd >= 0 ? '+' : ''}${x.marginSd.toFixed(2)} SD`.padEnd(30); }).join('')}  agrees with gold ${pct(r.goldAgreement.estimate)}`);
        results[dir] = r;
      } finally {
        await rm.close();
      }
    }
    return { pairs: pairs.length, skipped, seed: Number(o.seed), cases: n, groups: perGroup, rewardModels: results };
  },
};

export default [world, decisions];
