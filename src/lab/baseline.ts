/**
 * The baseline assistant: HelpDesk corpus → byte-level BPE tokenizer → a small Llama trained
 * from scratch on the corpus's dialogues (supervised fine-tuning on the demonstrator
 * personas' replies). The persona mixture makes it imperfect in every direction the later
 * stages must fix: it over-refuses, agrees, promises and slips like its demonstrators.
 *
 * The run directory gets config.json + model.safetensors + tokenizer.json (a model directory
 * any alignlab command accepts), `run_config.json` (the resolved recipe), `metrics.jsonl`
 * (TRL-style `train/loss` per step) and `results.json`.
 *
 *   await trainBaseline({ profile: 'quick', seed: 1, out: 'runs/sft' }, { log });
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCorpus } from '../world/index.js';
import { trainBpe, saveTokenizer } from '../tokenizer/index.js';
import { llamaConfig, type LlamaConfigInput } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { saveModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { Trainer, trainConfig, type TrainConfig } from '../train/trainer.js';
import { chatExample, sftBatches, splitByLength } from '../train/sft.js';
import { Rng } from '../util/rng.js';
import { appendJsonl, writeJsonAtomic } from '../util/atomic.js';
import { progress } from '../util/progress.js';
import { hostInfo } from '../engine/host.js';

export interface BaselineRecipe {
  /** Dialogues in the corpus (one case each). */
  nCases: number;
  /** Tokenizer vocabulary size. */
  vocabSize: number;
  /** Model shape (vocabSize is filled from the tokenizer). */
  model: Omit<LlamaConfigInput, 'vocabSize'>;
  /**
   * Passes over the dialogues; a fraction trains the last pass only partly (its first batches
   * in that pass's shuffled order): the run takes round(epochs × batches per epoch) steps, at
   * least one.
   */
  epochs: number;
  /** Tokens per batch (B·T). */
  tokensPerBatch: number;
  /**
   * Dialogue lengths are grouped into buckets of this many tokens, which sets the rows per batch
   * and so the steps per epoch (sftBatches); absent: 128. A finer bucket pads less, but the same
   * epochs then take fewer (fuller) steps: at 64 the quick baseline trained 10–17 % faster and
   * came out worse (README, "Performance").
   */
  bucket?: number;
  /**
   * Each batch padded only to its longest dialogue rounded up to a multiple of this
   * (sftBatches' `padTo`); absent: to the bucket's length. With `sortWindow`, the way to pad
   * less without changing the steps (README, "Performance").
   */
  padTo?: number;
  /** Batches per length-sorted window inside a bucket (sftBatches' `sortWindow`); absent: 1, no sorting. */
  sortWindow?: number;
  /**
   * Micro-batches each batch is split into by length (splitByLength), each padded to a multiple
   * of `padTo`; the step's loss and gradient stay the whole batch's. Absent: 1.
   */
  split?: number;
  /** Loss weight of system/user tokens (assistant tokens weigh 1). */
  promptWeight: number;
  train: Partial<TrainConfig>;
}

export const BASELINE_PROFILES: Record<'quick' | 'full', BaselineRecipe> = {
  quick: {
    nCases: 3000,
    vocabSize: 1024,
    model: { dModel: 256, nLayers: 4, nHeads: 4, dFF: 688, maxSeqLen: 512 },
    epochs: 2,
    tokensPerBatch: 4096,
    bucket: 128,
    // Each batch in two parts by length, padded to 32: the same steps and gradients, a warm step
    // 11 % faster on the Zen 4 host. Sorting dialogues by length across batches (`sortWindow: 8`)
    // padded even less but trained worse on average (README, "Performance").
    padTo: 32,
    sortWindow: 1,
    split: 2,
    promptWeight: 0.1,
    train: { lr: 2e-3, warmupSteps: 20, weightDecay: 0.1, gradClip: 1 },
  },
  full: {
    nCases: 20000,
    vocabSize: 2048,
    model: { dModel: 384, nLayers: 6, nHeads: 6, dFF: 1024, maxSeqLen: 512 },
    epochs: 3,
    tokensPerBatch: 8192,
    bucket: 128,
    // Not measured at this size: whole batches padded to the bucket, as before.
    padTo: 128,
    sortWindow: 1,
    split: 1,
    promptWeight: 0.1,
    train: { lr: 1e-3, warmupSteps: 100, weightDecay: 0.1, gradClip: 1 },
  },
};

export interface BaselineResult {
  out: string;
  steps: number;
  finalLoss: number;
  parameters: number;
  trainTokens: number;
  seconds: number;
}

export async function trainBaseline(
  opts: { profile: 'quick' | 'full'; seed: number; out: string; threads?: number; recipe?: Partial<BaselineRecipe> },
  io: { log: (m: string) => void },
): Promise<BaselineResult> {
  const recipe: BaselineRecipe = { ...BASELINE_PROFILES[opts.profile], ...opts.recipe };
  // nCases and tokensPerBatch are required; the batching fields may be absent.
  for (const key of ['nCases', 'tokensPerBatch', 'bucket', 'padTo', 'sortWindow', 'split'] as const) {
    const v = recipe[key];
    const optional = key !== 'nCases' && key !== 'tokensPerBatch';
    if (!(optional && v === undefined) && (!Number.isInteger(v) || v! < 1)) throw new Error(`trainBaseline: recipe.${key} must be a positive integer, got ${v}`);
  }
  if (!(Number.isFinite(recipe.epochs) && recipe.epochs > 0)) throw new Error(`trainBaseline: recipe.epochs must be a positive number, got ${recipe.epochs}`);
  const t0 = performance.now();
  fs.mkdirSync(opts.out, { recursive: true });
  const metricsFile = path.join(opts.out, 'metrics.jsonl');
  fs.rmSync(metricsFile, { force: true });

  io.log(`baseline: building the HelpDesk corpus (${recipe.nCases} dialogues, seed ${opts.seed})`);
  const corpus = buildCorpus({ seed: opts.seed, nCases: recipe.nCases });
  const dialogueTexts = corpus.dialogues.map((d) => d.messages.map((m) => m.content).join('\n'));
  io.log(`baseline: training a ${recipe.vocabSize}-token BPE tokenizer`);
  const tok = trainBpe([...corpus.documents, ...dialogueTexts], { vocabSize: recipe.vocabSize });
  await saveTokenizer(tok, opts.out);

  const cfg = llamaConfig({ ...recipe.model, vocabSize: tok.vocabSize });
  const runtime = new Runtime({ threads: opts.threads });
  const model = LlamaModel.init(cfg, { seed: opts.seed, runtime });
  const rng = new Rng(opts.seed).fork('sft-data');
  const examples = corpus.dialogues.map((d) => chatExample(tok, d.messages, recipe.promptWeight));
  const padId = tok.padTokenId ?? 0;
  const epochBatches = () => sftBatches(examples, { tokensPerBatch: recipe.tokensPerBatch, maxLen: cfg.maxSeqLen, padId, bucket: recipe.bucket, padTo: recipe.padTo, sortWindow: recipe.sortWindow, rng });
  const perEpoch = epochBatches().length;
  if (perEpoch === 0) throw new Error(`trainBaseline: the corpus gave no training batch (${examples.length} dialogues, none of two tokens or more)`);
  const totalSteps = Math.max(1, Math.round(perEpoch * recipe.epochs));
  const tc = trainConfig({ ...recipe.train, totalSteps });
  const trainer = new Trainer(model, tc);
  writeJsonAtomic(path.join(opts.out, 'run_config.json'), { kind: 'sft-baseline', profile: opts.profile, seed: opts.seed, recipe, model: cfg, train: tc });
  io.log(`baseline: ${model.params.size.toLocaleString()} parameters, ${examples.length} dialogues, ${totalSteps} steps`);

  const bar = progress('sft', totalSteps);
  let loss = NaN;
  let tokens = 0;
  while (trainer.stepCount < totalSteps) {
    for (const batch of epochBatches()) {
      if (trainer.stepCount >= totalSteps) break;
      const parts = (recipe.split ?? 1) > 1 ? splitByLength(batch, { parts: recipe.split!, padTo: recipe.padTo ?? recipe.bucket ?? 128, padId }) : [{ batch, share: 1 }];
      const m = await trainer.step(parts.map((p) => p.batch), parts.map((p) => p.share));
      loss = m['train/loss'];
      tokens += parts.reduce((s, p) => s + p.batch.B * p.batch.T, 0);
      appendJsonl(metricsFile, { ...m, 'train/epoch': trainer.stepCount / perEpoch });
      bar.tick({ loss });
    }
  }
  bar.done();
  saveModel(opts.out, model);
  const result: BaselineResult = { out: opts.out, steps: trainer.stepCount, finalLoss: loss, parameters: model.params.size, trainTokens: tokens, seconds: (performance.now() - t0) / 1000 };
  writeJsonAtomic(path.join(opts.out, 'results.json'), { ...result, host: hostInfo() });
  await runtime.release();
  return result;
}
