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
import { loadTokenizer, saveTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { readPreferences, type Content, type PreferencePair } from '../prefs/index.js';
import { Trainer, trainConfig } from '../train/trainer.js';
import { pairBatch, rewardObjective, scoreSequences, type TokenPair } from '../train/reward.js';
import { Rng } from '../util/rng.js';
import { appendJsonl, writeJsonAtomic } from '../util/atomic.js';
import { progress } from '../util/progress.js';

export interface RmRunOptions {
  /** Policy directory the backbone starts from. */
  model: string;
  /** Preference JSONL. */
  prefs: string;
  out: string;
  epochs?: number;
  batchPairs?: number;
  lr?: number;
  centerCoef?: number;
  seed: number;
  threads?: number;
}

type Msg = { role: 'system' | 'user' | 'assistant'; content: string };

function conversation(prompt: Content, completion: Content): Msg[] {
  const p: Msg[] = typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : (prompt as Msg[]);
  const c: Msg[] = typeof completion === 'string' ? [{ role: 'assistant', content: completion }] : (completion as Msg[]);
  return [...p, ...c];
}

function tokenPair(tok: Tokenizer, p: PreferencePair, maxLen: number): TokenPair {
  const enc = (c: Content) => tok.encodeChat(conversation(p.prompt, c)).ids.slice(0, maxLen);
  return { chosen: enc(p.chosen), rejected: enc(p.rejected), margin: p.margin };
}

export async function trainRewardModel(o: RmRunOptions, io: { log: (m: string) => void }): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const file = await readPreferences(o.prefs, { onError: 'skip' });
  for (const e of file.errors.slice(0, 5)) io.log(`skipped ${o.prefs}:${e.line}: ${e.message}`);
  if (file.pairs.length < 10) throw new Error(`${o.prefs}: ${file.pairs.length} usable pairs; a reward model needs at least 10`);
  const runtime = new Runtime({ threads: o.threads });
  const model = loadModel(o.model, { runtime, heads: ['reward'], seed: o.seed });
  const tok = await loadTokenizer(o.model);
  const padId = tok.padTokenId ?? 0;
  const rng = new Rng(o.seed).fork('rm-data');
  const pairs = rng.shuffle([...file.pairs]);
  const nHeld = Math.max(5, Math.floor(pairs.length / 10));
  const held = pairs.slice(0, nHeld);
  const train = pairs.slice(nHeld);
  const maxLen = model.cfg.maxSeqLen;
  const trainTok = train.map((p) => tokenPair(tok, p, maxLen));
  const bp = o.batchPairs ?? 16;
  const epochs = o.epochs ?? 2;
  const perEpoch = Math.ceil(trainTok.length / bp);
  const trainer = new Trainer(model, trainConfig({ lr: o.lr ?? 3e-5, totalSteps: perEpoch * epochs, warmupSteps: Math.min(10, perEpoch), weightDecay: 0 }), rewardObjective({ centerCoef: o.centerCoef ?? 0.01 }));
  fs.mkdirSync(o.out, { recursive: true });
  const metricsFile = path.join(o.out, 'metrics.jsonl');
  fs.rmSync(metricsFile, { force: true });
  writeJsonAtomic(path.join(o.out, 'run_config.json'), { kind: 'reward-model', ...o, train: trainer.cfg, pairs: { train: train.length, heldout: held.length } });
  io.log(`reward model: ${train.length} training pairs, ${held.length} held out, ${perEpoch * epochs} steps`);

  const bar = progress('rm', perEpoch * epochs);
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle(trainTok.map((_, i) => i));
    for (let s = 0; s < perEpoch; s++) {
      const chunk = order.slice(s * bp, (s + 1) * bp).map((i) => trainTok[i]);
      // T in multiples of 64 keeps the number of compiled shapes small.
      const T = Math.ceil(Math.max(...chunk.flatMap((p) => [p.chosen.length, p.rejected.length])) / 64) * 64;
      const m = await trainer.step([pairBatch(chunk, { padId, T })]);
      appendJsonl(metricsFile, { ...m, 'train/epoch': trainer.stepCount / perEpoch });
      bar.tick({ loss: m['train/loss'], acc: m['rewards/accuracies'] });
    }
  }
  bar.done();

  // Held-out evaluation: against the raters' labels and against the world's gold.
  const heldTok = held.map((p) => tokenPair(tok, p, maxLen));
  const rc = await scoreSequences(model, heldTok.map((p) => p.chosen), { padId });
  const rr = await scoreSequences(model, heldTok.map((p) => p.rejected), { padId });
  const accuracy = rc.filter((x, i) => x > rr[i]).length / held.length;
  let goldN = 0;
  let goldAgree = 0;
  held.forEach((p, i) => {
    if (p.chosen_gold === undefined || p.rejected_gold === undefined || p.chosen_gold === p.rejected_gold) return;
    goldN++;
    const goldPrefersChosen = p.chosen_gold > p.rejected_gold;
    if (rc[i] > rr[i] === goldPrefersChosen) goldAgree++;
  });
  saveModel(o.out, model);
  await saveTokenizer(tok, o.out);
  const results = {
    out: o.out,
    pairs: { train: train.length, heldout: held.length, skipped: file.errors.length },
    heldout: { accuracy, accuracyVsGold: goldN ? goldAgree / goldN : null, goldPairs: goldN, margin: rc.reduce((a, x, i) => a + x - rr[i], 0) / held.length },
    steps: trainer.stepCount,
    seconds: (performance.now() - t0) / 1000,
  };
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  await runtime.release();
  return results;
}
