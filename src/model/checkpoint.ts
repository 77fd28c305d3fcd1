/**
 * Model directories in Hugging Face layout: `config.json` (LlamaForCausalLM fields) and
 * `model.safetensors` (HF parameter names, row-major float32). Both files are written
 * atomically (temp file + rename), so an interrupted save never leaves a half-written model.
 *
 *   saveModel('runs/m', model);
 *   const m2 = loadModel('runs/m');
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { readSafetensors, readSafetensorsHeader, writeSafetensors, floatTensor, type TensorToWrite } from './safetensors.js';
import { type LlamaConfig, toHfConfig, fromHfConfig } from './config.js';
import { ParamSet, llamaParamSpecs, rewardRankOf, type HeadKind, HEAD_PARAMS, REWARD_COND_PARAMS } from './params.js';
import { LlamaModel } from './model.js';
import type { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';

export function saveModel(dir: string, model: LlamaModel, opts: { dtype?: 'F32' | 'F16' | 'BF16'; extraConfig?: Record<string, unknown> } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, TensorToWrite> = {};
  for (const s of model.params.specs) tensors[s.name] = { dtype: opts.dtype ?? 'F32', shape: s.shape, data: model.params.get(s.name) };
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const heads = model.heads.length ? { alignlab_heads: model.heads } : {};
  const rank = rewardRankOf(model.params.specs);
  writeJsonAtomic(path.join(dir, 'config.json'), toHfConfig(model.cfg, { ...heads, ...(rank > 0 ? { alignlab_reward_rank: rank } : {}), ...opts.extraConfig }));
}

/** Reads config.json; errors name the file. */
export function readModelConfig(dir: string): { cfg: LlamaConfig; raw: Record<string, unknown> } {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new Error(`${dir}: not a model directory (no config.json)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
  return { cfg: fromHfConfig(raw, file), raw };
}

/**
 * Whether `dir` holds a trained reward head: `null` when it does, else one message, starting with
 * `who` (e.g. "runRl: judge"), that names the directory and what it lacks. A reward head is
 * `score.weight` in model.safetensors and `reward` in config.json's `alignlab_heads` (saveModel
 * writes both; loadModel reads the list). Reads only config.json and the safetensors header.
 *
 * Where an existing reward model is expected, call this before any work: `loadModel(dir, { heads:
 * ['reward'] })` gives a directory without the head a fresh random one (what training a reward
 * model on a policy wants), so a policy passed as a reward model would otherwise score at random.
 *
 *   const problem = missingRewardHead('runs/sft-9k', 'bon: --rm');
 *   if (problem) throw new Error(problem); // "bon: --rm runs/sft-9k has no reward head (…)"
 */
export function missingRewardHead(dir: string, who: string): string | null {
  // `train rm --ensemble N` writes its members into member-1 … of a directory of its own.
  if (!fs.existsSync(path.join(dir, 'config.json')) && fs.existsSync(path.join(dir, 'member-1', 'config.json'))) {
    return `${who} ${dir} is a reward-model ensemble, not one model: give its members, e.g. --reward ${path.join(dir, 'member-1')} --observers ${path.join(dir, 'member-2')},…`;
  }
  const { raw } = readModelConfig(dir);
  const weights = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(weights)) throw new Error(`${dir}: not a model directory (no model.safetensors)`);
  const tensor = HEAD_PARAMS.reward.weight;
  const listed = Array.isArray(raw.alignlab_heads) && raw.alignlab_heads.includes('reward');
  const stored = tensor in readSafetensorsHeader(weights).tensors;
  if (listed && stored) return null;
  const why = !stored ? `model.safetensors has no ${tensor}` : `model.safetensors has ${tensor} but config.json's alignlab_heads does not list "reward", so it would load with a fresh random head`;
  return `${who} ${dir} has no reward head (${why}): train one with \`alignlab train rm\``;
}

/**
 * Loads a model directory. Every expected tensor must be present with its expected shape (one
 * clear error naming the file and tensor otherwise); F16/BF16 weights are converted to float32.
 * A head in `heads` that the directory does not store gets a fresh initialisation (from `seed`):
 * how a reward model's training starts from a policy. To use an existing reward model, check the
 * directory with {@link missingRewardHead} first.
 */
export function loadModel(dir: string, opts: { runtime?: Runtime; heads?: HeadKind[]; seed?: number; rewardRank?: number } = {}): LlamaModel {
  const { cfg, raw } = readModelConfig(dir);
  const file = readSafetensors(path.join(dir, 'model.safetensors'));
  const stored = (raw.alignlab_heads as HeadKind[] | undefined) ?? [];
  const heads = [...new Set([...stored, ...(opts.heads ?? [])])];
  const storedRank = raw.alignlab_reward_rank ?? 0;
  if (!(Number.isInteger(storedRank) && (storedRank as number) >= 0)) throw new Error(`${dir}/config.json: alignlab_reward_rank must be an integer ≥ 0, got ${JSON.stringify(storedRank)}`);
  const rank = opts.rewardRank ?? (storedRank as number);
  if (storedRank !== 0 && rank !== storedRank) throw new Error(`${dir}: its reward head has rank ${storedRank}, asked for ${rank}`);
  const specs = llamaParamSpecs(cfg, heads, { rewardRank: rank });
  // Fresh initialisation first: only heads the file lacks keep it.
  const params = new ParamSet(specs).initialize(new Rng(opts.seed ?? 0).fork('heads'));
  for (const s of specs) {
    const isNewHead = heads.some((h) => !stored.includes(h) && [HEAD_PARAMS[h].weight, HEAD_PARAMS[h].bias].includes(s.name));
    const isNewCond = storedRank === 0 && (REWARD_COND_PARAMS as readonly string[]).includes(s.name);
    if (isNewHead || isNewCond) continue; // a head added now keeps its fresh initialisation
    params.get(s.name).set(floatTensor(file, s.name, s.shape));
  }
  return new LlamaModel(cfg, params, opts.runtime, heads);
}
