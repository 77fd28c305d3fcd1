/**
 * The language-model trainer: weighted token cross-entropy, AdamW, global-norm clipping,
 * warmup + cosine schedule, gradient accumulation, NaN/Inf guards, and checkpoints that resume
 * bit-identically.
 *
 * One optimizer step = `gradAccum` micro-batches: each runs the compiled forward+backward graph
 * (model.lossAndGrads), gradients are averaged on the host, clipped to `gradClip` global norm,
 * and AdamW updates the flat parameter buffer in place.
 *
 *   const trainer = new Trainer(model, trainConfig({ lr: 1e-3, totalSteps: 100 }));
 *   const metrics = await trainer.step([batch]);   // { 'train/loss', 'train/grad_norm', 'train/learning_rate' }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { AdamW, learningRate } from '../engine/optim.js';
import { type LlamaModel, type LmBatch } from '../model/model.js';
import { saveModel, loadModel } from '../model/checkpoint.js';
import { readSafetensors, writeSafetensors, floatTensor } from '../model/safetensors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { Runtime } from '../engine/session.js';

export const TrainConfigSchema = z
  .object({
    /** Peak learning rate (default 3e-4). */
    lr: z.number().positive().default(3e-4),
    /** Linear warmup steps (default 0). */
    warmupSteps: z.number().int().nonnegative().default(0),
    /** Total optimizer steps: the cosine schedule ends here (default 1000). */
    totalSteps: z.number().int().positive().default(1000),
    /** Final learning rate as a fraction of lr (default 0.1). */
    minLrRatio: z.number().min(0).max(1).default(0.1),
    /** Global gradient-norm clip; 0 disables (default 1.0). */
    gradClip: z.number().nonnegative().default(1.0),
    /** Micro-batches per optimizer step (default 1). */
    gradAccum: z.number().int().positive().default(1),
    /** AdamW β₁ (default 0.9). */
    beta1: z.number().min(0).lt(1).default(0.9),
    /** AdamW β₂ (default 0.95). */
    beta2: z.number().min(0).lt(1).default(0.95),
    /** AdamW ε (default 1e-8). */
    eps: z.number().positive().default(1e-8),
    /** Decoupled weight decay on matrices (default 0.1). */
    weightDecay: z.number().nonnegative().default(0.1),
  })
  .strict();

export type TrainConfig = z.output<typeof TrainConfigSchema>;

export function trainConfig(input: unknown = {}, where = 'train config'): TrainConfig {
  const r = TrainConfigSchema.safeParse(input);
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Training stopped because a loss or gradient was NaN or infinite. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
}

/**
 * What a trainer minimizes: for one micro-batch, the loss, the gradient as a flat buffer in
 * parameter order (a prefix of the parameters; see LlamaModel.objective) and extra metrics.
 */
export type Objective<Batch> = (model: LlamaModel, batch: Batch) => Promise<{ loss: number; flat: Float32Array; metrics?: Record<string, number> }>;

/** Next-token cross-entropy (pretraining, SFT). */
export const lmObjective: Objective<LmBatch> = (model, batch) => model.lossAndGrads(batch);

export class Trainer<Batch = LmBatch> {
  readonly optimizer: AdamW;
  /** Optimizer steps taken so far. */
  stepCount = 0;
  private readonly grad: Float32Array;

  constructor(
    readonly model: LlamaModel,
    readonly cfg: TrainConfig,
    readonly objective: Objective<Batch> = lmObjective as unknown as Objective<Batch>,
  ) {
    this.optimizer = new AdamW(model.params.size, { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay }, model.params.decayMask(), model.frozenMask());
    this.grad = new Float32Array(model.params.size);
  }

  /**
   * One optimizer step over `micro` (gradAccum micro-batches, whose mean losses count equally).
   * With `shares` — each micro-batch's weight in the step's loss, summing to 1, e.g. the parts
   * of one batch split by length (sft.ts, splitByLength) — any number of micro-batches make the
   * step, and loss, gradient and metrics are their share-weighted sums. Returns flat metrics.
   */
  async step(micro: Batch[], shares?: number[]): Promise<Record<string, number>> {
    if (shares) {
      const sum = shares.reduce((a, s) => a + s, 0);
      if (shares.length !== micro.length || micro.length === 0 || shares.some((s) => !(s >= 0)) || Math.abs(sum - 1) > 1e-6) {
        throw new Error(`step: shares must be ${micro.length} non-negative numbers summing to 1, got [${shares.join(', ')}]`);
      }
    } else if (micro.length !== this.cfg.gradAccum) throw new Error(`step: got ${micro.length} micro-batches, gradAccum is ${this.cfg.gradAccum}`);
    // Without shares, the mean over micro-batches (computed as before: loss sum / n); one
    // micro-batch is the whole step (its share is 1) and is taken as it is, like its gradient.
    const n = micro.length;
    const weighted = shares !== undefined && n > 1;
    const step = this.stepCount + 1;
    let lossSum = 0;
    let grad: Float32Array | undefined;
    const extra: Record<string, number> = {};
    for (const [i, batch] of micro.entries()) {
      const r = await this.objective(this.model, batch);
      if (!Number.isFinite(r.loss)) throw new DivergenceError(`step ${step}: loss is ${r.loss}`);
      lossSum += weighted ? r.loss * shares![i] : r.loss;
      for (const [k, v] of Object.entries(r.metrics ?? {})) extra[k] = (extra[k] ?? 0) + (weighted ? v * shares![i] : v / n);
      if (n === 1) grad = r.flat; // no copy in the common case
      else {
        if (!grad) grad = this.grad.fill(0);
        const scale = weighted ? shares![i] : 1 / n;
        for (let j = 0; j < r.flat.length; j++) grad[j] += r.flat[j] * scale;
      }
    }
    const g = grad!;
    let sumsq = 0;
    for (let i = 0; i < g.length; i++) sumsq += g[i] * g[i];
    if (!Number.isFinite(sumsq)) throw new DivergenceError(`step ${step}: gradient of ${this.nonFiniteTensor(g)} contains NaN or Inf`);
    const norm = Math.sqrt(sumsq);
    const clip = this.cfg.gradClip > 0 && norm > this.cfg.gradClip ? this.cfg.gradClip / (norm + 1e-6) : 1;
    const lr = learningRate(this.cfg, this.stepCount);
    this.optimizer.step(this.model.params.flat, g, lr, clip);
    this.stepCount = step;
    return { 'train/loss': weighted ? lossSum : lossSum / n, 'train/grad_norm': norm, 'train/learning_rate': lr, 'train/step': step, ...extra };
  }

  /** The first parameter whose gradient (in the flat buffer) is not finite. */
  private nonFiniteTensor(g: Float32Array): string {
    for (const s of this.model.params.specs) {
      const off = this.model.params.offsets.get(s.name)!;
      const n = this.model.params.get(s.name).length;
      for (let i = off; i < Math.min(off + n, g.length); i++) if (!Number.isFinite(g[i])) return s.name;
    }
    return '(unknown)';
  }

  /**
   * Saves model, optimizer and trainer state into `dir` so that `Trainer.resume` continues
   * bit-identically. `extra` carries the caller's state (e.g. the data RNG). The names of the
   * frozen parameters (`model.freeze`) go into trainer_state.json as `frozen`, in parameter
   * order, so the resumed optimizer leaves the same parameters untouched. The directory is
   * written beside and renamed into place, so a kill mid-save leaves the previous checkpoint.
   */
  saveCheckpoint(dir: string, extra: Record<string, unknown> = {}): void {
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    saveModel(tmp, this.model);
    writeSafetensors(path.join(tmp, 'optimizer.safetensors'), {
      exp_avg: { dtype: 'F32', shape: [this.optimizer.state.m.length], data: this.optimizer.state.m },
      exp_avg_sq: { dtype: 'F32', shape: [this.optimizer.state.v.length], data: this.optimizer.state.v },
    });
    const frozen = this.model.params.specs.map((s) => s.name).filter((n) => this.model.frozen.has(n));
    writeJsonAtomic(path.join(tmp, 'trainer_state.json'), { step: this.stepCount, adamStep: this.optimizer.state.step, trainConfig: this.cfg, frozen, extra });
    const old = `${dir}.old-${process.pid}`;
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
  }

  /**
   * Restores a trainer (and its model, heads included, with the same parameters frozen) from a
   * checkpoint directory; `objective` as given to the constructor. A checkpoint written before
   * `frozen` was recorded resumes with nothing frozen.
   */
  static resume<B = LmBatch>(dir: string, runtime?: Runtime, objective?: Objective<B>): { trainer: Trainer<B>; extra: Record<string, unknown> } {
    const stateFile = path.join(dir, 'trainer_state.json');
    if (!fs.existsSync(stateFile)) throw new Error(`${dir}: not a training checkpoint (no trainer_state.json)`);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { step: number; adamStep: number; trainConfig: unknown; frozen?: unknown; extra: Record<string, unknown> };
    const frozen = state.frozen ?? [];
    if (!Array.isArray(frozen) || !frozen.every((n): n is string => typeof n === 'string')) throw new Error(`${stateFile}: frozen: expected an array of parameter names`);
    const model = loadModel(dir, { runtime });
    for (const n of frozen) if (!model.params.offsets.has(n)) throw new Error(`${stateFile}: frozen parameter '${n}' is not a parameter of the checkpoint's model`);
    model.freeze(frozen); // before the Trainer builds its optimizer from model.frozenMask()
    const trainer = new Trainer<B>(model, trainConfig(state.trainConfig, stateFile), objective);
    const opt = readSafetensors(path.join(dir, 'optimizer.safetensors'));
    trainer.optimizer.state.m.set(floatTensor(opt, 'exp_avg', [model.params.size]));
    trainer.optimizer.state.v.set(floatTensor(opt, 'exp_avg_sq', [model.params.size]));
    trainer.optimizer.state.step = state.adamStep;
    trainer.stepCount = state.step;
    return { trainer, extra: state.extra };
  }
}
