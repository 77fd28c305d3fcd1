/**
 * Training a reward model on preference data (TRL JSONL): the backbone is initialised from a
 * policy directory (usually the SFT baseline), a fresh `score` head is added, and the
 * Bradley–Terry loss is minimized (train/reward.ts). A held-out tenth of the pairs measures
 * accuracy against the raters' labels and — where the pairs carry the world's gold rewards —
 * against gold preferences, the number that says whether the reward model learned what people
 * truly want or what the raters were swayed by.
 *
 * The run directory gets the reward model (config.json with the head recorded,
 * model.safetensors, tokenizer files), `metrics.jsonl` and `results.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer, saveTokenizer } from '../tokenizer/index.js';
import { Trainer, trainConfig } from '../train/trainer.js';
import { pairBatch, replyFeatures, rewardObjective, scoreReplies, type Readout, type TokenPair } from '../train/reward.js';
import { fitRewardHead, softplus } from '../train/reward-head.js';
import type { PromptGroup } from '../model/shared-prefix.js';
import { lowerLayerParams, type LlamaModel } from '../model/model.js';
import { heldoutSplit, preferenceAgreement, readTrainingPairs, tokenizePair, type PairMetrics } from './pairs.js';
import type { PreferencePair } from '../prefs/index.js';
import { appendJsonl, writeJsonAtomic } from '../util/atomic.js';
import { progress } from '../util/progress.js';
import { hostInfo } from '../engine/host.js';
import { Rng } from '../util/rng.js';

export interface RmRunOptions {
  /** Policy directory the backbone starts from. */
  model: string;
  /** Preference JSONL. */
  prefs: string;
  /** A bad line in `prefs`: 'throw' (default) refuses the file, naming the line; 'skip' reports it and leaves it out. */
  onError?: 'throw' | 'skip';
  out: string;
  epochs?: number;
  batchPairs?: number;
  lr?: number;
  centerCoef?: number;
  /** Weight of a language-model loss on the chosen replies (train/reward.ts; default 0). */
  lmCoef?: number;
  /** Reward read-out: 'last' token (default) or 'mean' over the reply (train/reward.ts). */
  readout?: Readout;
  /**
   * Margin from the judge's stated strength, as in Llama 2 (§3.2.2): the margin of a
   * "significantly better" pair; "better", "slightly better" and "negligibly better" get 2/3,
   * 1/3 and 0 of it (Llama 2's small and large settings are 1 and 3). A row's own `margin`
   * wins. Default 0 (no margin).
   */
  strengthMargin?: number;
  /** Leave pairs the judge called "negligibly better" (unsure) out of training; held-out keeps them. */
  dropUnsure?: boolean;
  /** Freeze the token embedding and this many lower layers (default 0): a cheaper step, fewer parameters to overfit. */
  freezeLayers?: number;
  /**
   * Rank of a prompt-conditioned reward head (`rewardHead`; default 0: the linear `score`
   * head): the head's weights become a function of the prompt's last hidden state.
   */
  headRank?: number;
  /**
   * After the fine-tuning `epochs`, fit the head afresh on the backbone's features, cached in one
   * pass (train/reward-head.ts: full-batch Adam over the training pairs). With `epochs: 0` the
   * backbone is the loaded policy's, frozen (then `lr`, `batchPairs`, `freezeLayers` and `lmCoef`
   * do not apply).
   */
  fitHead?: boolean;
  /** L2 penalty of the fitted head on standardized features (default 0.1). */
  headL2?: number;
  /** Full-batch iterations of the fitted head (default 300). */
  headIters?: number;
  seed: number;
  /**
   * Seed of the held-out split (default `seed`): members of an ensemble (rm-ensemble.ts) hold out
   * the same pairs while their own seeds give each its head initialisation and batch order.
   */
  splitSeed?: number;
  /**
   * Train on a bootstrap resample of the training prompts (as many drawn with replacement, each
   * with all its comparisons; from `seed`): bagging, so that members of an ensemble differ in
   * their data and not only in their initialisation and order. The held-out pairs are untouched.
   */
  bootstrap?: boolean;
  threads?: number;
}

/**
 * Tokenized pairs as prompt groups (first-seen order) of distinct replies, and where each pair's
 * two sides are ([group, chosen slot, rejected slot]): the k replies of a prompt make
 * k(k − 1)/2 pairs, and each reply is run once rather than k − 1 times.
 */
function pairGroups(pairs: readonly TokenPair[]): { groups: PromptGroup[]; where: (readonly [number, number, number])[] } {
  const groups: PromptGroup[] = [];
  const slots: Map<string, number>[] = [];
  const at = new Map<string, number>();
  const slotOf = (g: number, reply: number[]) => {
    const key = reply.join(',');
    let r = slots[g].get(key);
    if (r === undefined) slots[g].set(key, (r = groups[g].replies.push(reply) - 1));
    return r;
  };
  const where = pairs.map((p) => {
    const key = p.prompt.join(',');
    let g = at.get(key);
    if (g === undefined) {
      g = groups.length;
      at.set(key, g);
      groups.push({ prompt: p.prompt, replies: [] });
      slots.push(new Map());
    }
    return [g, slotOf(g, p.chosen), slotOf(g, p.rejected)] as const;
  });
  return { groups, where };
}

/** Rewards of both sides of tokenized pairs, each prompt run once per batch and each distinct reply to it once (scoreReplies). */
export async function scorePairs(model: LlamaModel, pairs: TokenPair[], padId: number, readout: Readout = 'last'): Promise<{ chosen: number[]; rejected: number[] }> {
  const { groups, where } = pairGroups(pairs);
  const scores = await scoreReplies(model, groups, { padId, readout });
  return { chosen: where.map(([g, c]) => scores[g][c]), rejected: where.map(([g, , r]) => scores[g][r]) };
}

const STRENGTH_LEVEL: Record<string, number> = { 'significantly better': 3, better: 2, 'slightly better': 1, 'negligibly better': 0 };

/** The margin of a pair from its stated strength (undefined strength: no margin). */
export function strengthMargin(strength: string | undefined, scale: number): number | undefined {
  if (strength === undefined || scale === 0) return undefined;
  const level = STRENGTH_LEVEL[strength];
  if (level === undefined) throw new Error(`unknown preference strength '${strength}' (expected ${Object.keys(STRENGTH_LEVEL).join(', ')})`);
  return (scale * level) / 3;
}

export async function trainRewardModel(o: RmRunOptions, io: { log: (m: string) => void }): Promise<Record<string, unknown>> {
  return (await trainRewardModelDetailed(o, io)).results;
}

/**
 * `trainRewardModel`, also returning the held-out pairs, their reply lengths in tokens and the
 * saved model's rewards of them (`heldScores`), for read-outs over several models (rm-ensemble.ts).
 */
export async function trainRewardModelDetailed(
  o: RmRunOptions,
  io: { log: (m: string) => void },
): Promise<{ results: Record<string, unknown> & { heldout: PairMetrics; pairs: { train: number; heldout: number; skipped: number }; steps: number }; held: PreferencePair[]; heldLengths: { chosen: number[]; rejected: number[] }; heldScores: { chosen: number[]; rejected: number[] } }> {
  const t0 = performance.now();
  // Options are checked before any work, each naming what is wrong.
  const whole = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new Error(`reward model: ${name} must be a whole number ≥ ${min}, got ${v}`);
  };
  const atLeast = (name: string, v: number | undefined, min: number, strict = false) => {
    if (v !== undefined && !(Number.isFinite(v) && (strict ? v > min : v >= min))) throw new Error(`reward model: ${name} must be a number ${strict ? '>' : '≥'} ${min}, got ${v}`);
  };
  whole('batchPairs', o.batchPairs, 1);
  whole('freezeLayers', o.freezeLayers, 0);
  whole('headRank', o.headRank, 0);
  whole('headIters', o.headIters, 1);
  if (o.splitSeed !== undefined && !Number.isInteger(o.splitSeed)) throw new Error(`reward model: splitSeed must be a whole number, got ${o.splitSeed}`);
  atLeast('lr', o.lr, 0, true);
  atLeast('centerCoef', o.centerCoef, 0);
  atLeast('lmCoef', o.lmCoef, 0);
  atLeast('strengthMargin', o.strengthMargin, 0);
  atLeast('headL2', o.headL2, 0);
  if (o.onError !== undefined && o.onError !== 'throw' && o.onError !== 'skip') throw new Error(`reward model: onError must be 'throw' or 'skip', got ${JSON.stringify(o.onError)}`);
  const file = await readTrainingPairs(o.prefs, 'a reward model', io.log, { onError: o.onError });
  const epochs = o.epochs ?? 2;
  if (!(Number.isInteger(epochs) && epochs >= 0)) throw new Error(`reward model: epochs must be a whole number ≥ 0, got ${o.epochs}`);
  if (epochs === 0 && !o.fitHead) throw new Error('reward model: epochs 0 trains nothing; fitHead fits the head on the frozen backbone');
  if (epochs === 0 && (o.lmCoef ?? 0) > 0) throw new Error('reward model: with epochs 0 the backbone stays frozen; lmCoef does not apply');
  const runtime = new Runtime({ threads: o.threads });
  const model = loadModel(o.model, { runtime, heads: ['reward'], seed: o.seed, rewardRank: o.headRank ?? 0 });
  if (o.freezeLayers) model.freeze(lowerLayerParams(model, o.freezeLayers));
  const tok = await loadTokenizer(o.model);
  const padId = tok.padTokenId ?? 0;
  // Comparisons of replies to one prompt stay together: they share rows in a batch (each reply
  // is scored once), and the held-out tenth is whole prompts, so no held-out reply was seen.
  // With another split seed, the batch order still comes from this model's own seed's stream.
  const split = heldoutSplit(file.pairs, o.splitSeed ?? o.seed, o.prefs);
  const { heldIdx } = split;
  const rng = o.splitSeed === undefined || o.splitSeed === o.seed ? split.rng : heldoutSplit(file.pairs, o.seed, o.prefs).rng;
  let trainIdx = split.trainIdx;
  const maxLen = model.cfg.maxSeqLen;
  const tokenized = file.pairs.map((p, i) => ({ ...tokenizePair(tok, p, maxLen, `${o.prefs}: paired row ${i + 1}`), margin: p.margin ?? strengthMargin(p.strength, o.strengthMargin ?? 0) }));
  if (o.dropUnsure) {
    const before = trainIdx.length;
    trainIdx = trainIdx.filter((i) => file.pairs[i].strength !== 'negligibly better');
    if (trainIdx.length === 0) throw new Error(`${o.prefs}: all ${before} training pairs are marked "negligibly better"; nothing is left to train on without them (dropUnsure)`);
  }
  const held = heldIdx.map((i) => file.pairs[i]);
  const train = trainIdx.map((i) => file.pairs[i]);
  const byPrompt = new Map<string, TokenPair[]>();
  for (const i of trainIdx) {
    const key = tokenized[i].prompt.join(',');
    byPrompt.set(key, [...(byPrompt.get(key) ?? []), tokenized[i]]);
  }
  const distinct = [...byPrompt.values()];
  const draw = new Rng(o.seed).fork('rm-bootstrap');
  const trainTok = o.bootstrap ? distinct.map(() => distinct[draw.int(distinct.length)]) : distinct;
  const trainPairs = trainTok.reduce((a, g) => a + g.length, 0);
  const nHeldGroups = new Set(heldIdx.map((i) => tokenized[i].prompt.join(','))).size;
  const bp = o.batchPairs ?? 16;
  // A batch is a fixed number of whole prompt groups (about `bp` comparisons) with the same
  // rows, reply length and comparisons every step; only the prefix length varies, in steps of
  // 32, because each epoch's shuffled groups are sorted by prompt length within runs of eight
  // batches (length bucketing), so a batch's prompts are alike. Training then compiles a handful
  // of graphs (a new shape costs a build, a session and ONNX Runtime's slow first runs: the
  // earlier free shapes compiled 18 graphs in 28 steps), and pads little (a global prefix length
  // would be the longest prompt's, 304 tokens where the median is 189).
  const repliesOf = (g: TokenPair[]) => new Set(g.flatMap((p) => [p.chosen.join(','), p.rejected.join(',')])).size;
  const groupsPerBatch = Math.max(1, Math.min(trainTok.length, Math.round((bp * trainTok.length) / trainPairs)));
  const round = (x: number, m: number) => Math.ceil(x / m) * m;
  const promptLen = (j: number) => trainTok[j][0].prompt.length - 1;
  const maxOf = (xs: number[]) => xs.reduce((a, x) => Math.max(a, x), 0); // no spread: large files
  const fixed = {
    rowLength: round(maxOf(trainTok.flat().map((p) => Math.max(p.chosen.length, p.rejected.length) + 1)), 8),
    prefixCount: groupsPerBatch,
    rowCount: groupsPerBatch * maxOf(trainTok.map(repliesOf)),
    comparisons: groupsPerBatch * maxOf(trainTok.map((g) => g.length)),
  };
  const batchesOf = (order: number[]) => {
    const run = groupsPerBatch * 8;
    const sorted: number[] = [];
    for (let i = 0; i < order.length; i += run) sorted.push(...order.slice(i, i + run).sort((x, y) => promptLen(x) - promptLen(y) || x - y));
    const out: number[][] = [];
    for (let i = 0; i < sorted.length; i += groupsPerBatch) out.push(sorted.slice(i, i + groupsPerBatch));
    return rng.shuffle(out).map((b) => ({ pairs: b.flatMap((j) => trainTok[j]), prefixLength: Math.min(maxLen - 1, round(Math.max(...b.map(promptLen)), 32)) }));
  };
  const perEpoch = Math.ceil(trainTok.length / groupsPerBatch);
  const trainer = new Trainer(model, trainConfig({ lr: o.lr ?? 3e-5, totalSteps: Math.max(1, perEpoch * epochs), warmupSteps: Math.min(10, perEpoch), weightDecay: 0 }), rewardObjective({ centerCoef: o.centerCoef ?? 0.01, lmCoef: o.lmCoef ?? 0 }));
  fs.mkdirSync(o.out, { recursive: true });
  const metricsFile = path.join(o.out, 'metrics.jsonl');
  fs.rmSync(metricsFile, { force: true });
  writeJsonAtomic(path.join(o.out, 'run_config.json'), { kind: 'reward-model', ...o, train: trainer.cfg, pairs: { train: train.length, heldout: held.length } });
  const drawn = o.bootstrap ? ` (a bootstrap resample: ${trainPairs} pairs of ${new Set(trainTok).size} distinct prompts)` : '';
  io.log(`reward model: ${train.length} training pairs (${distinct.length} prompts)${drawn}, ${held.length} held out (${nHeldGroups} prompts), ${perEpoch * epochs} steps${o.fitHead ? `, then a head fitted on the backbone's features (rank ${o.headRank ?? 0})` : ''}`);

  const bar = epochs > 0 ? progress('rm', perEpoch * epochs) : undefined;
  for (let e = 0; bar && e < epochs; e++) {
    for (const batch of batchesOf(rng.shuffle(trainTok.map((_, i) => i)))) {
      const m = await trainer.step([pairBatch(batch.pairs, { padId, maxSeqLen: maxLen, readout: o.readout, fixed: { ...fixed, prefixLength: batch.prefixLength } })]);
      appendJsonl(metricsFile, { ...m, 'train/epoch': trainer.stepCount / perEpoch });
      bar.tick({ loss: m['train/loss'], acc: m.accuracy });
    }
  }
  bar?.done();

  if (o.fitHead) {
    // One pass of the (fine-tuned or loaded) backbone for the features, then the head alone (train/reward-head.ts).
    const flat = trainTok.flat();
    const { groups, where } = pairGroups(flat);
    const feats = await replyFeatures(model, groups, { padId, readout: o.readout });
    const pairs = flat.map((p, i) => ({ chosen: feats.index[where[i][0]][where[i][1]], rejected: feats.index[where[i][0]][where[i][2]], margin: p.margin }));
    const fit = fitRewardHead(feats, pairs, {
      rank: o.headRank ?? 0,
      l2: o.headL2,
      iters: o.headIters,
      centerCoef: o.centerCoef ?? 0.01,
      seed: o.seed,
      onIter: (it, loss, acc) => appendJsonl(metricsFile, { 'head/iter': it, 'head/loss': loss, 'head/accuracy': acc }),
    });
    for (const [name, value] of Object.entries(fit.params)) model.params.get(name).set(value);
    // The Bradley–Terry loss of the training pairs alone (no margin, centering or penalty).
    const pairLoss = pairs.reduce((sum, p) => sum + softplus(fit.reward(p.rejected) - fit.reward(p.chosen)), 0) / pairs.length;
    appendJsonl(metricsFile, { 'head/pair_loss': pairLoss });
    io.log(`reward model: head fitted: training loss ${fit.loss.toFixed(3)} (pairs alone ${pairLoss.toFixed(3)}), accuracy ${fit.accuracy.toFixed(3)}`);
  }

  // Held-out evaluation: against the raters' labels and against the world's gold.
  const heldScores = await scorePairs(model, heldIdx.map((i) => tokenized[i]), padId, o.readout);
  const heldTok = heldIdx.map((i) => tokenized[i]);
  const heldLengths = { chosen: heldTok.map((p) => p.chosen.length), rejected: heldTok.map((p) => p.rejected.length) };
  const heldout = preferenceAgreement(heldScores, held, heldLengths);
  saveModel(o.out, model, { extraConfig: { alignlab_reward_readout: o.readout ?? 'last' } });
  await saveTokenizer(tok, o.out);
  const results = {
    out: o.out,
    pairs: { train: train.length, heldout: held.length, skipped: file.skipped, ...(o.bootstrap ? { bootstrapPairs: trainPairs, bootstrapPrompts: new Set(trainTok).size } : {}) },
    heldout,
    steps: trainer.stepCount,
    seconds: (performance.now() - t0) / 1000,
    host: hostInfo(),
  };
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  await runtime.release();
  return { results, held, heldLengths, heldScores };
}

/** The reward read-out a reward-model directory was trained with (config.json; default 'last'). */
export function rewardReadout(dir: string): Readout {
  const raw = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { alignlab_reward_readout?: unknown };
  const r = raw.alignlab_reward_readout ?? 'last';
  if (r !== 'last' && r !== 'mean') throw new Error(`${dir}/config.json: alignlab_reward_readout must be "last" or "mean", got ${JSON.stringify(r)}`);
  return r;
}
