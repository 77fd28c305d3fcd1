/**
 * `alignlab eval world DIR`: a model's gold, proxy, parse rate and failure rates on fresh HelpDesk
 * cases, with the breakdowns by request family and by shift preset (`byFamily`, `byShift` in
 * the returned JSON).
 *
 *   alignlab eval world runs/latest/baseline --n 250 --shift all --json        # 50 cases under each of the 5 shift presets
 *   alignlab eval world runs/latest/baseline --shift adversarial,policy_change
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { FAILURES, evalWorld, shiftAllocation, shiftPresets, type ShiftChoice } from '../eval/world.js';
import { LocalModel } from '../providers/local.js';
import { SHIFT_NAMES, type ShiftName } from '../world/index.js';
import { writeFileAtomic } from '../util/atomic.js';

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

export default [world];
