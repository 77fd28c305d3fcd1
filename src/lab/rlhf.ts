/**
 * The main job's RLHF stage: simulated evaluators compare replies of the baseline assistant,
 * a reward model learns their preferences, and PPO optimizes the assistant against it under a
 * KL penalty to the baseline (InstructGPT's three steps, Ouyang et al. 2022, in the HelpDesk
 * world):
 *
 *   1. preferences — k replies per prompt sampled from the baseline, every pair compared by a
 *      pool of `careful` raters (src/world/raters.ts) → prefs.jsonl (TRL format);
 *   2. reward model — Bradley–Terry from the baseline's backbone (mean read-out) → rm/;
 *   3. PPO — value head, GAE, clipped objective, k1 KL penalty → policy/ (the RLHF model),
 *      with a fixed probe of validation cases whose gold the run logs (the optimizer never
 *      sees gold).
 *
 *   const r = await runRlhf({ model: 'runs/latest/baseline', out: 'runs/latest/rlhf', profile: 'quick', seed: 1 }, { log: console.error });
 *   r.policy.dir   // 'runs/latest/rlhf/policy'
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { LocalModel } from '../providers/local.js';
import { collectPreferences, goldAgreement, writePreferences } from '../prefs/index.js';
import { trainRewardModel } from './rm.js';
import { runRl, type RlRow } from './rl.js';

export interface RlhfProfile {
  /** Preference prompts, replies per prompt. */
  prompts: number;
  k: number;
  /** Reward-model epochs and learning rate. */
  rmEpochs: number;
  rmLr: number;
  /** PPO steps, prompts per step, samples per prompt, learning rate, KL β, epochs per rollout. */
  steps: number;
  rlPrompts: number;
  rlK: number;
  lr: number;
  klCoef: number;
  ppoEpochs: number;
  maxNewTokens: number;
  /** Validation cases of the PPO probe (gold, reward and KL every 10 steps). */
  probeCases: number;
}

export const RLHF_PROFILES: Record<'quick' | 'full', RlhfProfile> = {
  quick: { prompts: 250, k: 4, rmEpochs: 2, rmLr: 1e-4, steps: 20, rlPrompts: 8, rlK: 4, lr: 1e-4, klCoef: 0.02, ppoEpochs: 2, maxNewTokens: 48, probeCases: 64 },
  full: { prompts: 2000, k: 4, rmEpochs: 3, rmLr: 1e-4, steps: 150, rlPrompts: 16, rlK: 4, lr: 1e-4, klCoef: 0.02, ppoEpochs: 4, maxNewTokens: 48, probeCases: 128 },
};

export interface RlhfOptions {
  /** The baseline (SFT) model directory. */
  model: string;
  out: string;
  profile: 'quick' | 'full';
  seed: number;
  /** Overrides of the profile's fields. */
  overrides?: Partial<RlhfProfile>;
  threads?: number;
}

export interface RlhfResult {
  preferences: { file: string; pairs: number; raterGoldAgreement: number | null };
  rewardModel: { dir: string; heldout: Record<string, unknown> };
  policy: { dir: string; steps: number; probe: { step: number; gold: number; score: number; kl: number }[] };
  seconds: Record<string, number>;
}

export async function runRlhf(o: RlhfOptions, io: { log: (m: string) => void }): Promise<RlhfResult> {
  const P = { ...RLHF_PROFILES[o.profile], ...o.overrides };
  fs.mkdirSync(o.out, { recursive: true });
  const seconds: Record<string, number> = {};
  let t = performance.now();
  const runtime = new Runtime({ threads: o.threads });
  const local = new LocalModel(loadModel(o.model, { runtime }), await loadTokenizer(o.model), `local:${o.model}`);
  io.log(`  preferences: ${P.prompts} prompts × ${P.k} replies, careful raters`);
  const rows = await collectPreferences({ model: local, seed: o.seed, n: P.prompts, k: P.k, raters: 'careful', temperature: 1, maxTokens: P.maxNewTokens });
  await runtime.release();
  const file = path.join(o.out, 'prefs.jsonl');
  writePreferences(file, rows);
  seconds.preferences = (performance.now() - t) / 1000;

  t = performance.now();
  const rmDir = path.join(o.out, 'rm');
  const rm = await trainRewardModel({ model: o.model, prefs: file, out: rmDir, epochs: P.rmEpochs, lr: P.rmLr, batchPairs: 32, readout: 'mean', seed: o.seed, threads: o.threads }, io);
  const heldout = rm.heldout as Record<string, unknown>;
  io.log(`  reward model: held-out accuracy ${(heldout.accuracy as number).toFixed(3)} vs raters, ${(heldout.accuracyVsGold as number | null)?.toFixed(3)} vs gold`);
  seconds.rewardModel = (performance.now() - t) / 1000;

  t = performance.now();
  const policyDir = path.join(o.out, 'policy');
  const r = await runRl(
    { algo: 'ppo', model: o.model, reward: rmDir, steps: P.steps, prompts: P.rlPrompts, k: P.rlK, klCoef: P.klCoef, lr: P.lr, ppoEpochs: P.ppoEpochs, maxNewTokens: P.maxNewTokens, seed: o.seed, caseSeed: o.seed, out: policyDir, threads: o.threads, probe: { n: P.probeCases, every: 10 } },
    io,
  );
  seconds.ppo = (performance.now() - t) / 1000;
  const probe = [{ row: r.probeBefore as RlRow, step: 0 }, ...(r.history as RlRow[]).map((row, i) => ({ row, step: i + 1 }))]
    .filter((x) => x.row?.['probe/gold'] !== undefined)
    .map(({ row, step }) => ({ step, gold: row['probe/gold'], score: row['probe/score'], kl: row['probe/kl'] }));
  return {
    preferences: { file, pairs: rows.length, raterGoldAgreement: goldAgreement(rows).rate },
    rewardModel: { dir: rmDir, heldout },
    policy: { dir: policyDir, steps: P.steps, probe },
    seconds,
  };
}
