/**
 * `alignlab eval sweep MODEL`: trace a model's curve on the over-refusal / harmful-compliance
 * and helpfulness / harmlessness planes by sweeping a refusal-bias knob (src/eval/sweep.ts):
 * n candidate replies per HelpDesk test case (first customer turn), and for each λ the one
 * maximizing base + λ·refused, with base a reward model's score (--rm) or 0.
 *
 *   alignlab eval sweep runs/latest/rlhf/policy --rm runs/latest/rlhf/rm --cases 200 --n 4 --out sweep.json
 *   alignlab eval sweep openai:http://127.0.0.1:8000#my-model --lambdas -1,0,1 --out sweep-mine.json
 *   alignlab eval compare runs/latest sweep.json sweep-mine.json --out planes.svg
 *
 * MODEL is a model spec as in `eval xstest` (src/cli/eval-tasks.ts): a model directory,
 * local:DIR, openai:BASE_URL#MODEL, openai:MODEL or anthropic:MODEL. The reward model reads the
 * replies as text with its own tokenizer, so it works with any MODEL. --out writes the whole
 * sweep (every candidate with its scores, every λ's picks and numbers); `eval compare` draws it
 * as a curve.
 */
import * as path from 'node:path';
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { openModel, parseModelSpec } from './eval-tasks.js';
import { DEFAULT_LAMBDAS, rewardModelScorer, sweepConfig, sweepRefusalBias, type CandidateScorer } from '../eval/sweep.js';
import { openRewardModel } from '../eval/hh.js';
import { rewardReadout } from '../lab/rm.js';
import { SHIFT_NAMES } from '../world/index.js';
import { writeFileAtomic } from '../util/atomic.js';

const NAME = 'eval sweep';

/** "-2,-1,0.5" → [-2, -1, 0.5]; one message naming the bad entry. */
export function parseLambdas(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  return parts.map((s, i) => {
    const x = Number(s);
    if (s === '' || !Number.isFinite(x)) throw new UsageError(`${NAME}: --lambdas entry ${i + 1} ("${s}") is not a number; expected a comma-separated list such as -2,-1,0,1,2`);
    return x;
  });
}

const sweep: Command = {
  path: ['eval', 'sweep'],
  summary: 'Trace a model on the over-refusal/harmful-compliance plane: best-of-n with a refusal bias λ (base + λ·refused), swept',
  positionals: ['MODEL'],
  options: {
    cases: { type: 'number', default: 200, describe: 'HelpDesk test cases (first customer turn each)' },
    n: { type: 'number', default: 4, describe: 'candidate replies sampled per case' },
    lambdas: { type: 'string', default: DEFAULT_LAMBDAS.join(','), describe: 'comma-separated refusal biases λ (in units of the reward model score; without --rm only the sign matters)' },
    rm: { type: 'string', describe: 'reward-model directory whose score is base(reply) (default: base = 0, ties go to the earlier sample)' },
    temperature: { type: 'number', default: 0.7, describe: 'sampling temperature of the candidates' },
    'max-tokens': { type: 'number', default: 96, describe: 'most new tokens per candidate' },
    seed: { type: 'number', default: 1, describe: 'world seed (cases); the sampling seeds derive from it' },
    shift: { type: 'string', default: 'none', describe: `distribution shift of the cases: ${SHIFT_NAMES.join(', ')}` },
    bootstrap: { type: 'number', default: 1000, describe: 'bootstrap resamples per interval (0: none)' },
    out: { type: 'string', describe: 'write the sweep (candidates, picks, numbers) as JSON for `eval compare`' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime threads (local models and the reward model)' },
    concurrency: { type: 'number', default: 8, describe: 'requests in flight (HTTP models)' },
    'api-key-env': { type: 'string', describe: 'environment variable with the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY)' },
  },
  async run(o, [spec], ctx) {
    let cfg;
    try {
      cfg = sweepConfig({
        cases: Number(o.cases),
        n: Number(o.n),
        lambdas: parseLambdas(String(o.lambdas)),
        temperature: Number(o.temperature),
        maxTokens: Number(o['max-tokens']),
        seed: Number(o.seed),
        shift: String(o.shift) as never,
        B: Number(o.bootstrap),
      });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${NAME}: ${(e as Error).message} (flags: --cases, --n, --temperature, --max-tokens, --seed, --shift, --bootstrap)`);
    }
    const threads = Number(o.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`${NAME}: --threads must be a positive integer, got ${o.threads}`);
    const concurrency = Number(o.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`${NAME}: --concurrency must be a positive integer, got ${o.concurrency}`);
    try {
      parseModelSpec(spec!);
    } catch (e) {
      throw new UsageError(`${NAME}: MODEL ${(e as Error).message.replace(/^--model /, '')}`);
    }

    let scorer: CandidateScorer | undefined;
    let closeRm = async () => {};
    const rmDir = o.rm === undefined ? undefined : String(o.rm);
    if (rmDir !== undefined) {
      let rm: Awaited<ReturnType<typeof openRewardModel>> | undefined;
      try {
        rm = await openRewardModel(rmDir, { threads });
        scorer = rewardModelScorer(rm.model, rm.tokenizer, { readout: rewardReadout(rmDir) });
      } catch (e) {
        await rm?.close();
        throw new UsageError(`${NAME}: --rm ${(e as Error).message}`);
      }
      closeRm = rm.close;
    }
    const opened = await openModel(spec!, { threads, concurrency, apiKeyEnv: o['api-key-env'] === undefined ? undefined : String(o['api-key-env']) });
    ctx.log(`${NAME}: ${cfg.cases} cases × ${cfg.n} candidates at T = ${cfg.temperature} from ${opened.model.id}; base = ${rmDir ? `reward model ${rmDir}` : '0'}; λ ∈ {${cfg.lambdas.join(', ')}}`);
    let r;
    try {
      r = await sweepRefusalBias(opened.model, { ...cfg, scorer, base: rmDir ? `reward-model:${rmDir}` : 'none', onProgress: (j, n) => ctx.log(`${NAME}: sampled round ${j}/${n}`) });
    } finally {
      await opened.close();
      await closeRm();
    }

    const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
    const n3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
    const ci = (iv: { lo: number; hi: number }, f: (x: number) => string) => (Number.isFinite(iv.lo) ? ` [${f(iv.lo)}, ${f(iv.hi)}]` : '');
    const head = ['λ', 'over-refusal', 'harmful compliance', 'helpfulness', 'harmlessness', 'gold', 'refused (classifier)', 'first sample'];
    const rows = r.points.map((p) => [
      String(p.lambda),
      `${pct(p.overRefusal)}${ci(p.intervals.overRefusal, pct)}`,
      `${pct(p.harmfulCompliance)}${ci(p.intervals.harmfulCompliance, pct)}`,
      `${n3(p.helpfulness)}${ci(p.intervals.helpfulness, n3)}`,
      n3(p.harmlessness),
      `${n3(p.gold)}${ci(p.intervals.gold, n3)}`,
      pct(p.refusalRate),
      pct(p.metrics['sweep/first_sample']!),
    ]);
    const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j]!.length)));
    const line = (row: string[]) => row.map((x, j) => x.padEnd(widths[j]!)).join('  ').trimEnd();
    ctx.print(line(head));
    for (const row of rows) ctx.print(line(row));

    let out: string | undefined;
    if (o.out !== undefined) {
      out = path.resolve(String(o.out));
      writeFileAtomic(out, JSON.stringify(r) + '\n');
      ctx.print(`sweep: ${out} (draw it with: alignlab eval compare ${String(o.out)} …)`);
    }
    return {
      config: r.config,
      points: r.points.map(({ picked: _p, world: _w, ...p }) => p),
      ...(out ? { out } : {}),
    };
  },
};

export default [sweep];
