/**
 * RL in the HelpDesk world: RLOO on a model directory (usually the SFT baseline) against a
 * chosen reward — the world's **gold** (true intent), its **proxy** (the customer's immediate
 * rating), or a learned reward model — while logging both gold and proxy of every sampled
 * reply. Optimizing the proxy is the reward-hacking experiment in its plainest form: the
 * proxy rises while gold falls (Goodhart).
 *
 * The run directory gets the trained policy (config.json, model.safetensors, tokenizer files),
 * `metrics.jsonl` (TRL names plus `world/gold`, `world/proxy`, per step), `run_config.json` and
 * `results.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { LlamaModel } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer, saveTokenizer } from '../tokenizer/index.js';
import { generateCases, scoreResponse, systemPrompt, type Case } from '../world/index.js';
import { Trainer, trainConfig } from '../train/trainer.js';
import { policyObjective } from '../train/policy.js';
import { RLOO_DEFAULTS, rlooStep, type RewardFn } from '../train/rloo.js';
import { scoreSequences } from '../train/reward.js';
import { appendJsonl, writeJsonAtomic } from '../util/atomic.js';
import { progress } from '../util/progress.js';

export interface RlRunOptions {
  model: string;
  out: string;
  /** 'gold' | 'proxy' | a reward-model directory. */
  reward: string;
  steps: number;
  seed: number;
  /** Prompts per step (default 8); each is sampled k times. */
  prompts?: number;
  k?: number;
  klCoef?: number;
  lr?: number;
  maxNewTokens?: number;
  threads?: number;
}

export async function runRl(o: RlRunOptions, io: { log: (m: string) => void }): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const runtime = new Runtime({ threads: o.threads });
  const policy = loadModel(o.model, { runtime });
  const reference = new LlamaModel(policy.cfg, policy.params.clone(), runtime);
  const tok = await loadTokenizer(o.model);
  const info = tok.chatTemplate;
  if (!info) throw new Error(`${o.model}: the tokenizer has no chat template`);
  const padId = tok.padTokenId ?? 0;
  fs.mkdirSync(o.out, { recursive: true });
  const metricsFile = path.join(o.out, 'metrics.jsonl');
  fs.rmSync(metricsFile, { force: true });

  const perStep = o.prompts ?? 8;
  const cases = generateCases({ seed: 1, n: perStep * o.steps, split: 'train' });
  const promptIds = (c: Case) => tok.encodeChat([{ role: 'system', content: systemPrompt(c) }, { role: 'user', content: c.turns[0].customer }], { addGenerationPrompt: true }).ids;
  const textOf = (r: number[]) => tok.decode(r.filter((t) => !info.stopTokenIds.includes(t))).trim();

  let rm: LlamaModel | undefined;
  if (o.reward !== 'gold' && o.reward !== 'proxy') rm = loadModel(o.reward, { runtime, heads: ['reward'] });
  let stepCases: Case[] = [];
  let lastWorld = { gold: 0, proxy: 0 };
  const reward: RewardFn = async (prompts, responses, idx) => {
    const scored = responses.map((r, j) => scoreResponse(stepCases[idx[j]], textOf(r)));
    lastWorld = { gold: scored.reduce((s, x) => s + x.gold.total, 0) / scored.length, proxy: scored.reduce((s, x) => s + x.proxy, 0) / scored.length };
    if (o.reward === 'gold') return scored.map((x) => x.gold.total);
    if (o.reward === 'proxy') return scored.map((x) => x.proxy);
    return scoreSequences(rm!, prompts.map((p, j) => [...p, ...responses[j]]), { padId });
  };

  const k = o.k ?? RLOO_DEFAULTS.k;
  // Updates run in micro-batches of 8 rollouts (when they divide evenly) to bound memory.
  const rows = perStep * k;
  const microRows = rows % 8 === 0 ? 8 : rows;
  const cfg = { ...RLOO_DEFAULTS, k, klCoef: o.klCoef ?? RLOO_DEFAULTS.klCoef, maxNewTokens: o.maxNewTokens ?? 64, stopTokenIds: info.stopTokenIds, padId, microRows };
  const trainer = new Trainer(policy, trainConfig({ lr: o.lr ?? 1e-5, totalSteps: o.steps, warmupSteps: 0, weightDecay: 0, minLrRatio: 1, gradAccum: rows / microRows }), policyObjective());
  writeJsonAtomic(path.join(o.out, 'run_config.json'), { kind: 'rloo', ...o, rloo: cfg, train: trainer.cfg });
  io.log(`rloo: ${o.steps} steps × ${perStep} prompts × k=${cfg.k}, reward ${o.reward}, β=${cfg.klCoef}`);

  const bar = progress('rloo', o.steps);
  const history: Record<string, number>[] = [];
  for (let s = 0; s < o.steps; s++) {
    stepCases = cases.slice(s * perStep, (s + 1) * perStep);
    const { metrics } = await rlooStep({ policy, reference, trainer, prompts: stepCases.map(promptIds), reward, cfg, seed: o.seed * 100003 + s });
    const row = { ...metrics, 'world/gold': lastWorld.gold, 'world/proxy': lastWorld.proxy };
    history.push(row);
    appendJsonl(metricsFile, row);
    bar.tick({ gold: lastWorld.gold, proxy: lastWorld.proxy, kl: metrics['objective/kl'] });
  }
  bar.done();
  saveModel(o.out, policy);
  await saveTokenizer(tok, o.out);
  const window = (k: string, from: number, to: number) => {
    const xs = history.slice(from, to).map((h) => h[k]);
    return xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
  };
  const w = Math.max(1, Math.floor(o.steps / 5));
  const results = {
    out: o.out,
    reward: o.reward,
    steps: o.steps,
    seconds: (performance.now() - t0) / 1000,
    start: { gold: window('world/gold', 0, w), proxy: window('world/proxy', 0, w), kl: window('objective/kl', 0, w) },
    end: { gold: window('world/gold', o.steps - w, o.steps), proxy: window('world/proxy', o.steps - w, o.steps), kl: window('objective/kl', o.steps - w, o.steps) },
  };
  writeJsonAtomic(path.join(o.out, 'results.json'), results);
  await runtime.release();
  return results;
}

