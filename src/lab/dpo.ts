/**
 * DPO on preference data (TRL JSONL): the policy starts from a model directory (usually the SFT
 * baseline), which also serves as the frozen reference; its log-probabilities of every pair's
 * two responses are computed once before training (train/dpo.ts). The pairs of a held-out tenth
 * of the prompts (so no held-out reply was trained on) measure the implicit reward
 * r = β·(log πθ − log π_ref) against the raters' labels and — where the pairs carry the world's
 * gold rewards — against gold preferences (gold ties are skipped). The split is the one
 * `train rm` draws for the same seed and file, so a DPO run and a reward model are scored on
 * the same held-out pairs.
 *
 * Each pair becomes token ids with the chat template: the prompt is the conversation with the
 * generation prompt (`<|im_start|>assistant\n`), a response is the completion's tokens up to and
 * including its `<|im_end|>` (a plain-string prompt or completion is one user or assistant
 * message). Pairs longer than the model's context keep the start of each response (at most
 * half the context) and the end of the prompt, as TRL's default truncation does.
 *
 * The run directory gets the trained policy (config.json, model.safetensors, tokenizer files),
 * `metrics.jsonl` (TRL names, per optimizer step), `run_config.json` and `results.json`.
 *
 *   const r = await trainDpo({ model: 'runs/latest/baseline', prefs: 'runs/prefs-careful.jsonl',
 *     out: 'runs/dpo-careful', seed: 1 }, { log: console.error });
 *   r.heldout.accuracyVsGold;
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer, saveTokenizer } from '../tokenizer/index.js';
import { heldoutSplit, preferenceAgreement, readTrainingPairs, tokenizePair } from './pairs.js';
import { Trainer, trainConfig } from '../train/trainer.js';
import { dpoBatch, dpoConfig, dpoObjective, implicitRewards, pairLogps, withReference, type DpoBatch, type DpoPair } from '../train/dpo.js';
import { appendJsonl, writeJsonAtomic } from '../util/atomic.js';
import { progress } from '../util/progress.js';
import { hostInfo } from '../engine/host.js';

export const DpoRunOptionsSchema = z
  .object({
    /** Model directory the policy and the reference start from. */
    model: z.string().min(1),
    /** Preference JSONL (TRL prompt/chosen/rejected). */
    prefs: z.string().min(1),
    /** A bad line in `prefs`: 'throw' (default) refuses the file, naming the line; 'skip' reports it and leaves it out. */
    onError: z.enum(['throw', 'skip']).default('throw'),
    /** Output run directory. */
    out: z.string().min(1),
    /** Passes over the training pairs (default 1). */
    epochs: z.number().int().positive().default(1),
    /** Pairs per optimizer step (default 16). */
    batchPairs: z.number().int().positive().default(16),
    /** Pairs per micro-batch (default 8): bounds the memory of the compiled graph; a step runs ⌈batchPairs / microPairs⌉ of them. */
    microPairs: z.number().int().positive().default(8),
    /** β of DPO (default 0.1). */
    beta: z.number().positive().default(0.1),
    /** Peak learning rate (default 1e-5; warmup, then cosine to a tenth). */
    lr: z.number().positive().default(1e-5),
    /** 'sigmoid' (DPO) or 'ipo' (default 'sigmoid'). */
    lossType: z.enum(['sigmoid', 'ipo']).default('sigmoid'),
    /** ε of conservative DPO (default 0). */
    labelSmoothing: z.number().min(0).lt(0.5).default(0),
    /** Seed of the held-out split and the data order. */
    seed: z.number().int(),
    /** ONNX Runtime intra-op threads (default: the runtime's). */
    threads: z.number().int().positive().optional(),
  })
  .strict();

export type DpoRunOptions = z.input<typeof DpoRunOptionsSchema>;

/**
 * Splits one optimizer step's pairs into `k` micro-batches of near-equal size, each pair
 * weighted k/n so that the trainer's mean over micro-batches is the mean over all n pairs. A
 * micro-batch left without pairs (n < k) holds a copy of the first pair with weight 0.
 */
function microBatches(pairs: DpoPair[], k: number, opts: { padId: number; maxT: number }): DpoBatch[] {
  const n = pairs.length;
  const out: DpoBatch[] = [];
  let start = 0;
  for (let j = 0; j < k; j++) {
    const size = Math.floor(n / k) + (j < n % k ? 1 : 0);
    const part = pairs.slice(start, start + size);
    start += size;
    out.push(part.length ? dpoBatch(part, { ...opts, pairWeights: part.map(() => k / n) }) : dpoBatch([pairs[0]], { ...opts, pairWeights: [0] }));
  }
  return out;
}

export async function trainDpo(input: DpoRunOptions, io: { log: (m: string) => void }): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const parsed = DpoRunOptionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(`dpo options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const cfg = dpoConfig({ beta: o.beta, lossType: o.lossType, labelSmoothing: o.labelSmoothing }, 'dpo options');
  const file = await readTrainingPairs(o.prefs, 'DPO', io.log, { onError: o.onError });

  const { heldIdx, trainIdx, rng } = heldoutSplit(file.pairs, o.seed, o.prefs);
  const runtime = new Runtime({ threads: o.threads });
  const policy = loadModel(o.model, { runtime });
  const tok = await loadTokenizer(o.model);
  if (!tok.chatTemplate) throw new Error(`${o.model}: the tokenizer has no chat template`);
  const padId = tok.padTokenId ?? 0;
  const maxLen = policy.cfg.maxSeqLen;

  let truncated = 0;
  const tokenized = file.pairs.map((p, i) => {
    const t = tokenizePair(tok, p, maxLen, `${o.prefs}: paired row ${i + 1}`);
    if (t.truncated) truncated++;
    return { prompt: t.prompt, chosen: t.chosen, rejected: t.rejected };
  });
  if (truncated) io.log(`${truncated} pairs were truncated to the model's context of ${maxLen} tokens`);

  // Reference log-probabilities, once, from the starting model (the frozen reference).
  const withRef = await withReference(policy, tokenized, { padId, batchPairs: o.microPairs });

  const held = heldIdx.map((i) => file.pairs[i]);
  const heldTok = heldIdx.map((i) => withRef[i]);
  const trainTok = trainIdx.map((i) => withRef[i]);

  const bp = Math.min(o.batchPairs, trainTok.length);
  const gradAccum = Math.ceil(bp / Math.min(o.microPairs, bp));
  const perEpoch = Math.ceil(trainTok.length / bp);
  const trainer = new Trainer(
    policy,
    trainConfig({ lr: o.lr, totalSteps: perEpoch * o.epochs, warmupSteps: Math.min(10, perEpoch), weightDecay: 0, gradAccum }),
    dpoObjective(cfg),
  );
  fs.mkdirSync(o.out, { recursive: true });
  const metricsFile = path.join(o.out, 'metrics.jsonl');
  fs.rmSync(metricsFile, { force: true });
  writeJsonAtomic(path.join(o.out, 'run_config.json'), { kind: 'dpo', ...o, dpo: cfg, train: trainer.cfg, pairs: { train: trainTok.length, heldout: held.length, truncated } });
  io.log(`dpo: ${trainTok.length} training pairs, ${held.length} held out, ${perEpoch * o.epochs} steps, β=${cfg.beta}, ${cfg.lossType}`);

  const bar = progress('dpo', perEpoch * o.epochs);
  const lastEpoch: Record<string, number>[] = [];
  for (let e = 0; e < o.epochs; e++) {
    const order = rng.shuffle(trainTok.map((_, i) => i));
    for (let s = 0; s < perEpoch; s++) {
      const chunk = order.slice(s * bp, (s + 1) * bp).map((i) => trainTok[i]);
      const m = await trainer.step(microBatches(chunk, gradAccum, { padId, maxT: maxLen }));
      const row = { ...m, 'train/epoch': trainer.stepCount / perEpoch };
      appendJsonl(metricsFile, row);
      if (e === o.epochs - 1) lastEpoch.push(row);
      bar.tick({ loss: m['train/loss'], acc: m['rewards/accuracies'], margin: m['rewards/margins'] });
    }
  }
  bar.done();

  // Held-out evaluation of the implicit reward: against the raters' labels and against gold.
  const rewards = implicitRewards(await pairLogps(policy, heldTok, { padId, batchPairs: o.microPairs }), heldTok, cfg);
  const agreement = preferenceAgreement(rewards, held, { chosen: heldTok.map((p) => p.chosen.length), rejected: heldTok.map((p) => p.rejected.length) });
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
  saveModel(o.out, policy);
  await saveTokenizer(tok, o.out);
  const results = {
    out: o.out,
    pairs: { train: trainTok.length, heldout: held.length, skipped: file.skipped, truncated },
    heldout: { ...agreement, rewardsChosen: mean(rewards.chosen), rewardsRejected: mean(rewards.rejected) },
    lastEpoch: Object.fromEntries(['train/loss', 'rewards/accuracies', 'rewards/margins'].map((k) => [k, mean(lastEpoch.map((r) => r[k]))])),
    steps: trainer.stepCount,
    seconds: (performance.now() - t0) / 1000,
    host: hostInfo(),
  };
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  await runtime.release();
  return results;
}
