/** `alignlab eval world DIR`: a model's gold, proxy, parse rate and failure rates on fresh HelpDesk cases. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { evalWorld } from '../eval/world.js';
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
    shift: { type: 'string', default: 'none', describe: `distribution shift: ${SHIFT_NAMES.join(', ')}` },
    temperature: { type: 'number', default: 0, describe: 'sampling temperature (0 = greedy)' },
    samples: { type: 'string', describe: 'write every reply with its acts and scores to this JSONL file' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, [dir], ctx) {
    const shift = String(o.shift) as ShiftName;
    if (!SHIFT_NAMES.includes(shift)) throw new UsageError(`eval world: unknown --shift "${shift}" (one of ${SHIFT_NAMES.join(', ')})`);
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new UsageError(`eval world: ${dir} is not a model directory (no config.json)`);
    const model = await LocalModel.load(dir, { threads: Number(o.threads) });
    ctx.log(`eval world: ${o.n} cases (seed ${o.seed}, shift ${shift})`);
    const r = await evalWorld(model, { n: Number(o.n), seed: Number(o.seed), shift, sampling: { temperature: Number(o.temperature) } });
    await model.close();
    if (o.samples) writeFileAtomic(String(o.samples), r.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    ctx.print(`gold ${r.gold.toFixed(3)}  proxy ${r.proxy.toFixed(3)}  parsed ${pct(r.parseRate)}  over ${r.replies} replies`);
    for (const [f, v] of Object.entries(r.rates)) ctx.print(`  ${f.padEnd(18)} ${pct(v)}  (${r.counts[f as keyof typeof r.counts].hits}/${r.counts[f as keyof typeof r.counts].of})`);
    const { samples: _samples, ...summary } = r;
    return summary;
  },
};

export default [world];
