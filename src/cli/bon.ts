/**
 * `alignlab bon`: best-of-n in the HelpDesk world — m samples per case from a policy, a reward
 * model picks, the world's gold says what that bought (src/lab/bon.ts, src/lab/goodhart.ts).
 *
 *   alignlab bon --model runs/latest/baseline --rm runs/rm --cases 16 --n 64 --json
 */
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { loadModel, missingRewardHead } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { generateCases, type Split } from '../world/index.js';
import { samplePool, rewardOf, powersUpTo } from '../lab/bon.js';
import { rewardReadout } from '../lab/rm.js';
import { bestOfN, fitGaoBon } from '../lab/goodhart.js';
import { writeJsonAtomic } from '../util/atomic.js';

const bon: Command = {
  path: ['bon'],
  summary: 'Best-of-n: a reward model picks among n samples per HelpDesk case; gold and proxy for every n ≤ N, with the Gao fit',
  options: {
    model: { type: 'string', required: true, describe: 'policy directory to sample from' },
    rm: { type: 'string', required: true, describe: 'reward-model directory that picks' },
    n: { type: 'number', default: 64, describe: 'pool size per case (n = 1, 2, 4, … up to it)' },
    cases: { type: 'number', default: 16, describe: 'world cases' },
    split: { type: 'string', default: 'validation', describe: 'world split of the cases' },
    'max-new': { type: 'number', default: 48, describe: 'most new tokens per reply' },
    seed: { type: 'number', default: 1, describe: 'random seed (cases, sampling)' },
    out: { type: 'string', describe: 'write the curve as JSON here' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const m = Number(o.n);
    if (!Number.isInteger(m) || m < 1) throw new UsageError(`bon: --n must be a positive integer, got ${o.n}`);
    const rmDir = String(o.rm);
    // Before any work: a directory without a trained reward head would load with a random one.
    const problem = missingRewardHead(rmDir, 'bon: --rm');
    if (problem) throw new UsageError(problem);
    const runtime = new Runtime({ threads: Number(o.threads), maxSessions: 24 });
    const policy = loadModel(String(o.model), { runtime });
    const tok = await loadTokenizer(String(o.model));
    const rm = loadModel(rmDir, { runtime, heads: ['reward'] });
    if (rm.cfg.vocabSize !== policy.cfg.vocabSize) throw new UsageError(`bon: the reward model's vocabulary (${rm.cfg.vocabSize}) differs from the policy's (${policy.cfg.vocabSize}); they must share a tokenizer`);
    const cases = generateCases({ seed: Number(o.seed), n: Number(o.cases), split: String(o.split) as Split });
    const pools = await samplePool(policy, tok, cases, { m, maxNewTokens: Number(o['max-new']), seed: Number(o.seed) });
    const scores = await rewardOf(rm, rewardReadout(rmDir), pools, tok.padTokenId ?? 0);
    await runtime.release();
    const points = bestOfN(pools.map((p, i) => ({ proxy: scores[i], gold: p.gold })), powersUpTo(m), { seed: Number(o.seed) });
    const worldProxy = bestOfN(pools.map((p, i) => ({ proxy: scores[i], gold: p.proxy })), powersUpTo(m), { seed: Number(o.seed) });
    let fit: ReturnType<typeof fitGaoBon> | null = null;
    try {
      fit = fitGaoBon(points.map((p) => ({ d: p.d, gold: p.gold.estimate })));
    } catch (e) {
      ctx.log(`no Gao fit: ${(e as Error).message}`);
    }
    const rows = points.map((p, i) => ({ n: p.n, kl: p.kl, klEstimate: p.klEstimate, gold: p.gold.estimate, goldCI: [p.gold.lo, p.gold.hi], rm: p.proxy.estimate, worldProxy: worldProxy[i].gold.estimate }));
    for (const r of rows) ctx.print(`n=${String(r.n).padStart(4)}  KL ${r.kl.toFixed(2)}  gold ${r.gold.toFixed(3)} [${r.goldCI[0].toFixed(3)}, ${r.goldCI[1].toFixed(3)}]  reward model ${r.rm.toFixed(3)}  customer rating ${r.worldProxy.toFixed(3)}`);
    if (fit) ctx.print(`Gao fit d(α − βd): α ${fit.alpha.toFixed(3)}, β ${fit.beta.toFixed(3)}, R² ${fit.r2.toFixed(3)}, d* ${fit.dStar.toFixed(2)}`);
    const result = { model: String(o.model), rm: rmDir, cases: cases.length, pool: m, points: rows, fit };
    if (o.out !== undefined) writeJsonAtomic(path.resolve(String(o.out)), result);
    return result;
  },
};

export default [bon];
