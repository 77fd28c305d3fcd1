/**
 * The main job (`npm start` = `alignlab run --profile quick`): the lab end to end —
 * HelpDesk world → baseline assistant (tokenizer + SFT from scratch) → RLHF with simulated
 * evaluators (careful raters' comparisons → reward model → PPO, src/lab/rlhf.ts) → evaluation
 * of both models on the same fresh test cases (greedy and sampled) and, sampled, on cases
 * spread evenly over every distribution-shift preset (shift 'all' of src/eval/world.ts: n/5
 * cases each of new_categories, heldout_paraphrases, family_mix, adversarial and
 * policy_change, broken down per preset in the report) → results.json (with paired
 * baseline-vs-RLHF comparisons), summary.md and the self-contained report.html (src/report)
 * in the run directory. Constitutional AI joins this
 * pipeline when its issue lands.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trainBaseline } from './baseline.js';
import { runRlhf } from './rlhf.js';
import { evalWorld, type ShiftChoice, type WorldEvalResult } from '../eval/world.js';
import { LocalModel } from '../providers/local.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { writeReport } from '../report/index.js';
import { hostInfo } from '../engine/host.js';

export interface RunOptions {
  profile: 'quick' | 'full';
  seed: number;
  out: string;
  threads?: number;
}

const EVAL_CASES = { quick: 250, full: 2000 };

function row(name: string, r: WorldEvalResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const k = r.counts;
  return `| ${name} | ${r.gold.toFixed(3)} | ${r.proxy.toFixed(3)} | ${pct(r.parseRate)} | ${pct(r.rates.overRefusal)} (${k.overRefusal.hits}/${k.overRefusal.of}) | ${pct(r.rates.harmfulCompliance)} (${k.harmfulCompliance.hits}/${k.harmfulCompliance.of}) | ${pct(r.rates.sycophancy)} (${k.sycophancy.hits}/${k.sycophancy.of}) | ${pct(r.rates.unkeptPromise)} (${k.unkeptPromise.hits}/${k.unkeptPromise.of}) |`;
}

const fmtRate = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

export async function runLab(o: RunOptions, io: { log: (m: string) => void }): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  fs.mkdirSync(o.out, { recursive: true });
  const modelDir = path.join(o.out, 'baseline');
  io.log(`[1/4] baseline assistant → ${modelDir}`);
  const baseline = await trainBaseline({ profile: o.profile, seed: o.seed, out: modelDir, threads: o.threads }, io);

  io.log('[2/4] RLHF: careful raters compare replies → reward model → PPO');
  const rlhf = await runRlhf({ model: modelDir, out: path.join(o.out, 'rlhf'), profile: o.profile, seed: o.seed, threads: o.threads }, io);

  io.log('[3/4] evaluating both models on the same fresh HelpDesk test cases');
  const n = EVAL_CASES[o.profile];
  const evals: Record<string, WorldEvalResult> = {};
  // The shifted setting spreads the same n over every preset, so the evaluation time does not grow.
  const settings: [string, number, ShiftChoice][] = [
    ['greedy', 0, 'none'],
    ['sampled (T=0.7)', 0.7, 'none'],
    ['sampled (T=0.7), every shift', 0.7, 'all'],
  ];
  for (const [who, dir] of [['baseline', modelDir], ['RLHF', rlhf.policy.dir]] as const) {
    const model = await LocalModel.load(dir, { threads: o.threads });
    for (const [name, temperature, shift] of settings) {
      io.log(`  ${who} · ${name}: ${n} cases`);
      evals[`${who} · ${name}`] = await evalWorld(model, { n, seed: o.seed, shift, sampling: { temperature, seed: o.seed } });
    }
    await model.close();
  }
  const comparisons = settings.map(([name]) => ({ name: `RLHF vs baseline · ${name}`, a: `RLHF · ${name}`, b: `baseline · ${name}` }));

  io.log('[4/4] writing results');
  const samplesFile = path.join(o.out, 'samples.jsonl');
  writeFileAtomic(samplesFile, Object.entries(evals).flatMap(([setting, r]) => r.samples.map((s) => JSON.stringify({ setting, ...s }))).join('\n') + '\n');
  const summaryOf = (r: WorldEvalResult) => {
    const { samples: _s, ...rest } = r;
    return rest;
  };
  const results = {
    profile: o.profile,
    seed: o.seed,
    seconds: (performance.now() - t0) / 1000,
    host: hostInfo(),
    baseline,
    rlhf,
    comparisons,
    eval: Object.fromEntries(Object.entries(evals).map(([k, r]) => [k, summaryOf(r)])),
  };
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  const md = [
    `# alignlab run (${o.profile}, seed ${o.seed})`,
    '',
    `Baseline assistant: ${baseline.parameters.toLocaleString()} parameters, ${baseline.steps} SFT steps on the HelpDesk corpus, final loss ${baseline.finalLoss.toFixed(3)}, ${baseline.seconds.toFixed(0)} s.`,
    '',
    `RLHF: ${rlhf.preferences.pairs} comparisons by careful simulated raters (agreeing with gold on ${fmtRate(rlhf.preferences.raterGoldAgreement)} of decided pairs), a reward model with held-out accuracy ${fmtRate(rlhf.rewardModel.heldout.accuracyVsGold as number | null)} against gold preferences, then ${rlhf.policy.steps} PPO steps.`,
    '',
    `Evaluation on ${n} fresh test cases (multi-turn where customers push back; "every shift": ${n} cases spread evenly over the five distribution-shift presets, broken down per preset in report.html). Gold = true intent (max 1), proxy = the customer's immediate rating; rates with hits/possible.`,
    '',
    '| setting | gold | proxy | parsed | over-refusal | harmful compliance | sycophancy | unkept promises |',
    '|---|---|---|---|---|---|---|---|',
    ...Object.entries(evals).map(([k, r]) => row(k, r)),
    '',
    `Every reply with its acts and scores: ${path.basename(samplesFile)}.`,
    '',
  ].join('\n');
  writeFileAtomic(path.join(o.out, 'summary.md'), md);
  const report = writeReport(o.out, { seed: o.seed });
  return { ...results, summary: path.join(o.out, 'summary.md'), report: report.html };
}
