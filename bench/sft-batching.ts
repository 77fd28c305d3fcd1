/**
 * SFT batching schemes side by side on the quick baseline (README, "Performance", the quick
 * baseline on the Zen 4 host): one epoch of the quick corpus per arm, the arms alternating in
 * blocks of 20 steps in one process so that a drifting host slows them alike. Each arm is
 * `padTo,sortWindow,split` (sftBatches and splitByLength); prints per arm the warm steps' time
 * per step and per computed cell, and the steps that met a training shape for the first time.
 *
 * Like `bin/alignlab`, it re-executes itself with the glibc malloc tunables on Linux, so the
 * memory behaves as in `npm start` (without them ONNX Runtime's per-session arenas are on and
 * each new shape's first runs fault in fresh pages: 1–2 s more per shape on the Zen 4 host).
 *
 *   npx tsx bench/sft-batching.ts 128,1,1 32,1,2     # whole batches vs. two parts by length
 */
import { buildCorpus } from '../src/world/index.js';
import { trainBpe } from '../src/tokenizer/index.js';
import { chatExample, sftBatches, splitByLength } from '../src/train/sft.js';
import { Rng } from '../src/util/rng.js';
import { Runtime } from '../src/engine/session.js';
import { LlamaModel } from '../src/model/model.js';
import { llamaConfig } from '../src/model/config.js';
import { Trainer, trainConfig } from '../src/train/trainer.js';
import { BASELINE_PROFILES } from '../src/lab/baseline.js';
import { MALLOC_TUNABLES } from '../bin/malloc-tunables.mjs';
import { spawnSync } from 'node:child_process';

if (process.platform === 'linux' && !(process.env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb')) {
  const env = { ...process.env, GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, MALLOC_TUNABLES].filter(Boolean).join(':') };
  process.exit(spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env }).status ?? 1);
}

const arms = process.argv.slice(2).map((a) => {
  const [padTo, sortWindow, split] = a.split(',').map(Number);
  if (![padTo, sortWindow, split].every((v) => Number.isInteger(v) && v > 0)) throw new Error(`sft-batching: expected padTo,sortWindow,split (positive integers), got "${a}"`);
  return { padTo, sortWindow, split };
});
if (arms.length === 0) throw new Error('sft-batching: give at least one arm, e.g. 128,1,1 32,1,2');

const recipe = BASELINE_PROFILES.quick;
const corpus = buildCorpus({ seed: 1, nCases: recipe.nCases });
const tok = trainBpe([...corpus.documents, ...corpus.dialogues.map((d) => d.messages.map((m) => m.content).join('\n'))], { vocabSize: recipe.vocabSize });
const examples = corpus.dialogues.map((d) => chatExample(tok, d.messages, recipe.promptWeight));
const cfg = llamaConfig({ ...recipe.model, vocabSize: tok.vocabSize });

const runs = arms.map((a) => {
  const batches = sftBatches(examples, { tokensPerBatch: recipe.tokensPerBatch, maxLen: cfg.maxSeqLen, padId: tok.padTokenId ?? 0, bucket: recipe.bucket, padTo: a.padTo, sortWindow: a.sortWindow, rng: new Rng(1).fork('sft-data') });
  const trainer = new Trainer(LlamaModel.init(cfg, { seed: 1, runtime: new Runtime({ threads: 2 }) }), trainConfig({ ...recipe.train, totalSteps: 2 * batches.length }));
  return { ...a, batches, trainer, shapes: new Set<string>(), warmMs: 0, warmSteps: 0, cells: 0, allCells: 0, firstMs: 0, firstSteps: 0 };
});
const block = 20;
for (let i = 0; i < runs[0].batches.length; i += block) {
  for (const r of runs) {
    for (const batch of r.batches.slice(i, i + block)) {
      const parts = r.split > 1 ? splitByLength(batch, { parts: r.split, padTo: r.padTo, padId: tok.padTokenId ?? 0 }) : [{ batch, share: 1 }];
      const t0 = performance.now();
      await r.trainer.step(parts.map((p) => p.batch), parts.map((p) => p.share));
      const ms = performance.now() - t0;
      const keys = parts.map((p) => `${p.batch.B}x${p.batch.T}`);
      r.allCells += parts.reduce((s, p) => s + p.batch.B * p.batch.T, 0);
      if (keys.some((k) => !r.shapes.has(k))) {
        keys.forEach((k) => r.shapes.add(k));
        r.firstMs += ms;
        r.firstSteps++;
      } else {
        r.warmMs += ms;
        r.warmSteps++;
        r.cells += parts.reduce((s, p) => s + p.batch.B * p.batch.T, 0);
      }
    }
  }
}
const ref = runs[0];
for (const r of runs) {
  const perStep = r.warmMs / r.warmSteps;
  console.log(
    `padTo ${r.padTo}, sortWindow ${r.sortWindow}, split ${r.split}: ${r.allCells} cells computed in the epoch, ` +
      `${r.warmSteps} warm steps ${perStep.toFixed(0)} ms each (× ${(perStep / (ref.warmMs / ref.warmSteps)).toFixed(3)} of the first arm), ` +
      `${((1000 * r.warmMs) / r.cells).toFixed(1)} µs per computed cell; ${r.shapes.size} shapes, met first in ${r.firstSteps} steps taking ${(r.firstMs / 1000).toFixed(1)} s`,
  );
}
