/**
 * Reward-model ensembles for uncertainty: N reward models trained alike on one preference file,
 * differing only in their seed (the head's initialisation and the order of the batches), all
 * holding out the same pairs. Where the members disagree about which reply is better, the
 * ensemble is unsure — the signal the `ensemble_disagreement` monitor reads during RL (Coste
 * et al. 2023; Eisenstein et al. 2023). Whether that signal is worth anything is measured here,
 * on the held-out pairs: does disagreement single out the pairs the ensemble gets wrong (against
 * the raters, and against the world's gold where the pairs carry it), better than the mean
 * model's own margin does?
 *
 *   const r = await trainRewardEnsemble({ model: 'runs/sft', prefs: 'prefs.jsonl', out: 'runs/rm-ens', members: 3, seed: 1 }, { log: console.error });
 *   r.ensemble.errorDetection.raters.disagreementAuroc   // 0.5 = no better than chance
 *   // RL against the ensemble: --reward runs/rm-ens/member-1 --observers runs/rm-ens/member-2,runs/rm-ens/member-3
 *
 * Member m (1-based) trains with seed `seed + 1000·(m − 1)` and the held-out split of `seed`,
 * so member 1 is exactly the reward model `train rm --seed <seed>` gives.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PreferencePair } from '../prefs/index.js';
import { goldDecided, preferenceAgreement, readTrainingPairs, tokenizePair, type PairMetrics } from './pairs.js';
import { rewardReadout, scorePairs, trainRewardModelDetailed, type RmRunOptions } from './rm.js';
import { loadModel, missingRewardHead } from '../model/checkpoint.js';
import { Runtime, defaultThreads } from '../engine/session.js';
import { runEach } from './side-by-side.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { hostInfo } from '../engine/host.js';

/** How well one uncertainty score separates the pairs the ensemble gets wrong from those it gets right. */
export interface ErrorDetection {
  /** Pairs judged (against the raters: all; against gold: those with differing gold). */
  pairs: number;
  /** Pairs the ensemble's mean reward orders wrongly. */
  errors: number;
  /**
   * P(disagreement of a wrong pair > that of a right pair), ties counting ½ (the area under the
   * ROC curve of disagreement as an error detector; Mann–Whitney). 0.5 = chance; null without
   * both wrong and right pairs.
   */
  disagreementAuroc: number | null;
  /** The same for the ensemble's own doubt, −|mean Δ| (a small margin): the baseline a single model already has. */
  marginAuroc: number | null;
  /**
   * What disagreement adds to the margin: its AUROC within each quarter of the pairs by |mean Δ|,
   * pooled (each quarter weighted by its wrong × right comparisons) — P(disagreement of a wrong
   * pair > that of a right pair with a margin alike). Members' spread grows with the margin, so
   * the plain AUROC can fall below 0.5 where this one is above it. Null without a quarter holding both.
   */
  disagreementAurocWithinMargin: number | null;
  /** Accuracy on the half of the pairs with the least disagreement, and on the other half (the middle pair of an odd count goes to the second). */
  accuracyConfident: number | null;
  accuracyUnsure: number | null;
}

export interface EnsembleMetrics {
  members: number;
  /** Held-out metrics of each member, and of the ensemble's mean reward. */
  memberMetrics: PairMetrics[];
  mean: PairMetrics;
  /** Disagreement of a pair: the members' standard deviation (population) of Δ = r_chosen − r_rejected. */
  disagreement: { mean: number; median: number; max: number };
  errorDetection: { raters: ErrorDetection; gold: ErrorDetection | null };
}

/** Area under the ROC curve of `score` for telling `positive` items from the rest (ties ½); null without both kinds. */
export function auroc(score: readonly number[], positive: readonly boolean[]): number | null {
  const idx = score.map((_, i) => i).sort((a, b) => score[a] - score[b]);
  // Mann–Whitney U from mid-ranks: U = Σ rank(positive) − n₊(n₊ + 1)/2.
  let rankSum = 0;
  let nPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && score[idx[j + 1]] === score[idx[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (positive[idx[t]]) (rankSum += mid), nPos++;
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** `auroc` within strata (`stratum[i]`), pooled over the strata by their positive × negative comparisons. */
export function stratifiedAuroc(score: readonly number[], positive: readonly boolean[], stratum: readonly number[]): number | null {
  let sum = 0;
  let weight = 0;
  for (const s of new Set(stratum)) {
    const ix = stratum.map((_, i) => i).filter((i) => stratum[i] === s);
    const a = auroc(ix.map((i) => score[i]), ix.map((i) => positive[i]));
    if (a === null) continue;
    const nPos = ix.filter((i) => positive[i]).length;
    const w = nPos * (ix.length - nPos);
    sum += a * w;
    weight += w;
  }
  return weight > 0 ? sum / weight : null;
}

function detection(disagreement: number[], meanDelta: number[], wrong: boolean[]): ErrorDetection {
  const errors = wrong.filter(Boolean).length;
  const byMargin = meanDelta.map((_, i) => i).sort((a, b) => Math.abs(meanDelta[a]) - Math.abs(meanDelta[b]) || a - b);
  const quarter = new Array<number>(meanDelta.length);
  byMargin.forEach((i, rank) => (quarter[i] = Math.floor((rank * 4) / byMargin.length)));
  const order = disagreement.map((_, i) => i).sort((a, b) => disagreement[a] - disagreement[b] || a - b);
  const half = Math.floor(order.length / 2);
  const acc = (ix: number[]) => (ix.length ? ix.filter((i) => !wrong[i]).length / ix.length : null);
  return {
    pairs: wrong.length,
    errors,
    disagreementAuroc: auroc(disagreement, wrong),
    marginAuroc: auroc(meanDelta.map((d) => -Math.abs(d)), wrong),
    disagreementAurocWithinMargin: stratifiedAuroc(disagreement, wrong, quarter),
    accuracyConfident: acc(order.slice(0, half)),
    accuracyUnsure: acc(order.slice(half)),
  };
}

/**
 * The ensemble's held-out read-out from each member's rewards of the same pairs (`scores[m]`,
 * both sides, in `pairs`' order). The ensemble's reward is the members' mean; a pair counts as
 * right when its chosen side gets the higher mean reward (as `preferenceAgreement` counts it).
 */
export function ensembleAgreement(scores: readonly { chosen: number[]; rejected: number[] }[], pairs: PreferencePair[], lengths?: { chosen: number[]; rejected: number[] }): EnsembleMetrics {
  if (scores.length < 2) throw new Error(`reward ensemble: needs at least 2 members' scores, got ${scores.length}`);
  scores.forEach((s, m) => {
    if (s.chosen.length !== pairs.length || s.rejected.length !== pairs.length) throw new Error(`reward ensemble: member ${m + 1} scored ${s.chosen.length}/${s.rejected.length} pairs, expected ${pairs.length}`);
  });
  const M = scores.length;
  const avg = (side: 'chosen' | 'rejected') => pairs.map((_, i) => scores.reduce((a, s) => a + s[side][i], 0) / M);
  const mean = { chosen: avg('chosen'), rejected: avg('rejected') };
  const meanDelta = pairs.map((_, i) => mean.chosen[i] - mean.rejected[i]);
  const disagreement = pairs.map((_, i) => {
    const d = scores.map((s) => s.chosen[i] - s.rejected[i]);
    const mu = d.reduce((a, x) => a + x, 0) / M;
    return Math.sqrt(d.reduce((a, x) => a + (x - mu) ** 2, 0) / M);
  });
  const sorted = [...disagreement].sort((a, b) => a - b);
  const n = sorted.length;
  const gold = pairs.map((_, i) => i).filter((i) => goldDecided(pairs[i]));
  return {
    members: M,
    memberMetrics: scores.map((s) => preferenceAgreement(s, pairs, lengths)),
    mean: preferenceAgreement(mean, pairs, lengths),
    disagreement: {
      mean: n ? sorted.reduce((a, x) => a + x, 0) / n : 0,
      median: n ? (n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2) : 0,
      max: n ? sorted[n - 1] : 0,
    },
    errorDetection: {
      raters: detection(disagreement, meanDelta, meanDelta.map((d) => !(d > 0))),
      gold: gold.length
        ? detection(
            gold.map((i) => disagreement[i]),
            gold.map((i) => meanDelta[i]),
            gold.map((i) => meanDelta[i] > 0 !== pairs[i].chosen_gold! > pairs[i].rejected_gold!),
          )
        : null,
    },
  };
}

export interface EnsembleRunOptions extends RmRunOptions {
  /** Members to train (≥ 2); each in `out/member-<m>`. */
  members: number;
}

/** The directory of member m (1-based) of an ensemble in `out`. */
export const memberDir = (out: string, m: number) => path.join(out, `member-${m}`);

/**
 * Trains `members` reward models (see the file comment) into `out/member-1 …` — with two or more
 * threads, side by side in child processes (side-by-side.ts), as many as there are threads or
 * members, each on threads / processes of them (member m in process (m − 1) mod P); with one
 * thread, or ALIGNLAB_PARALLEL_RUNS=0, one after another — then writes `out/results.json`
 * ({ kind: 'reward-ensemble', members, ensemble }) and `out/run_config.json`. Each member's own directory is a complete reward model.
 */
export async function trainRewardEnsemble(o: EnsembleRunOptions, io: { log: (m: string) => void }): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  if (!(Number.isInteger(o.members) && o.members >= 2)) throw new Error(`reward ensemble: members must be a whole number ≥ 2, got ${o.members}`);
  if (fs.existsSync(path.join(o.out, 'config.json'))) throw new Error(`reward ensemble: ${o.out} holds a model (config.json); an ensemble writes its members into member-1 … member-${o.members} of a directory of its own`);
  const { members, ...single } = o;
  const threads = o.threads ?? defaultThreads();
  const lanes = process.env.ALIGNLAB_PARALLEL_RUNS === '0' ? 1 : Math.max(1, Math.min(members, threads));
  // Member m (1-based) trains with its own seed; all split the pairs by o.seed (the same held-out set).
  const memberSeed = (m: number) => o.seed + 1000 * (m - 1);
  const memberOpts = (m: number, threads: number): RmRunOptions => ({ ...single, out: memberDir(o.out, m), seed: memberSeed(m), splitSeed: o.seed, threads });
  const runs: Awaited<ReturnType<typeof trainRewardModelDetailed>>[] = [];
  // Each member's ONNX Runtime threads: its process's share side by side, else all of them.
  const each = lanes > 1 ? Math.floor(threads / lanes) : threads;
  if (lanes > 1) {
    // Two processes of one thread each beat one process of two (side-by-side.ts).
    const lane = (l: number) => Array.from({ length: members }, (_, i) => i + 1).filter((m) => (m - 1) % lanes === l);
    io.log(`reward ensemble: ${members} members, ${lanes} side by side, ${each} thread${each > 1 ? 's' : ''} each`);
    const done = await runEach(
      'rmDetailed',
      Array.from({ length: lanes }, (_, l) => ({ name: `members ${lane(l).join(', ')}`, opts: lane(l).map((m) => memberOpts(m, each)) })),
      io,
    );
    for (let m = 1; m <= members; m++) runs.push(done[(m - 1) % lanes][Math.floor((m - 1) / lanes)]);
  } else {
    for (let m = 1; m <= members; m++) {
      io.log(`reward ensemble: member ${m} of ${members} (seed ${memberSeed(m)})`);
      runs.push(await trainRewardModelDetailed(memberOpts(m, each), { log: (s) => io.log(`[member ${m}] ${s}`) }));
    }
  }
  const { held, heldLengths } = runs[0];
  const ensemble = ensembleAgreement(
    runs.map((r) => r.heldScores),
    held,
    heldLengths,
  );
  const results = {
    kind: 'reward-ensemble',
    out: o.out,
    members: runs.map((r, m) => ({ dir: memberDir(o.out, m + 1), seed: memberSeed(m + 1), threads: each, heldout: r.results.heldout, steps: r.results.steps })),
    pairs: runs[0].results.pairs,
    ensemble,
    seconds: (performance.now() - t0) / 1000,
    host: hostInfo(),
  };
  writeJsonAtomic(path.join(o.out, 'run_config.json'), { kind: 'reward-ensemble', ...o });
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  return results;
}

/**
 * Reward models scored on every pair of a preference file (`eval rm`): each model's metrics as
 * `train rm` reports them on its held-out pairs (`PairMetrics`: against the raters' labels, and
 * against gold where the rows carry it), and with two or more models their ensemble's read-out.
 * Each directory must hold a trained reward head (checked before any scoring). The pairs are
 * read as a trainer reads them (`onError`: 'throw' refuses a bad line naming it, 'skip' reports it).
 *
 *   const r = await evaluateRewardModels(['runs/rm-ens/member-1', 'runs/rm-ens/member-2'], 'fresh-prefs.jsonl', { log: console.error });
 *   r.models[0].metrics.accuracyVsGold; r.ensemble?.errorDetection.gold?.disagreementAuroc
 */
export async function evaluateRewardModels(
  dirs: string[],
  prefs: string,
  o: { threads?: number; onError?: 'throw' | 'skip'; log: (m: string) => void },
): Promise<{ prefs: string; pairs: number; skipped: number; models: { dir: string; metrics: PairMetrics; truncated: number }[]; ensemble: EnsembleMetrics | null }> {
  if (dirs.length === 0) throw new Error('eval rm: no reward model given');
  for (const d of dirs) {
    const why = missingRewardHead(d, 'reward model');
    if (why) throw new Error(why);
  }
  const file = await readTrainingPairs(prefs, 'the evaluation', o.log, { onError: o.onError, min: 1 });
  const runtime = new Runtime({ threads: o.threads });
  const scores: { chosen: number[]; rejected: number[] }[] = [];
  const models: { dir: string; metrics: PairMetrics; truncated: number }[] = [];
  let lengths: { chosen: number[]; rejected: number[] } | undefined; // the first model's tokens
  try {
    for (const dir of dirs) {
      const model = loadModel(dir, { runtime });
      const tok = await loadTokenizer(dir);
      // Each model reads the pairs with its own tokenizer (members of one ensemble share one).
      const tokenized = file.pairs.map((p, i) => tokenizePair(tok, p, model.cfg.maxSeqLen, `${prefs}: paired row ${i + 1}`));
      const s = await scorePairs(model, tokenized, tok.padTokenId ?? 0, rewardReadout(dir));
      scores.push(s);
      const own = { chosen: tokenized.map((p) => p.chosen.length), rejected: tokenized.map((p) => p.rejected.length) };
      lengths ??= own;
      const metrics = preferenceAgreement(s, file.pairs, own);
      models.push({ dir, metrics, truncated: tokenized.filter((p) => p.truncated).length });
      o.log(`eval rm: ${dir}: accuracy ${metrics.accuracy.toFixed(3)} vs raters${metrics.accuracyVsGold === null ? '' : `, ${metrics.accuracyVsGold.toFixed(3)} vs gold (${metrics.goldPairs} pairs)`}`);
    }
  } finally {
    await runtime.release();
  }
  return { prefs, pairs: file.pairs.length, skipped: file.skipped, models, ensemble: dirs.length > 1 ? ensembleAgreement(scores, file.pairs, lengths) : null };
}
