/**
 * Preference pairs for training on them (reward models, DPO): token ids with the chat
 * template, the held-out split by prompt, and agreement of scores with the raters and with
 * the world's gold.
 */
import type { ChatMessage, Tokenizer } from '../tokenizer/index.js';
import { readPreferences, type Content, type PreferencePair } from '../prefs/index.js';
import type { OnJsonlError } from '../util/jsonl.js';
import { Rng } from '../util/rng.js';
import { pearson } from '../world/index.js';

const asMessages = (c: Content, role: 'user' | 'assistant'): ChatMessage[] => (typeof c === 'string' ? [{ role, content: c }] : c);

/**
 * One preference pair as token ids with the chat template (see the file comment); `maxLen`
 * bounds prompt + response. Throws, naming `where`, when a completion does not continue the
 * prompt as an assistant turn.
 */
export function tokenizePair(tok: Tokenizer, p: PreferencePair, maxLen: number, where = 'pair'): { prompt: number[]; chosen: number[]; rejected: number[]; truncated: boolean } {
  const prompt = asMessages(p.prompt, 'user');
  const promptIds = tok.encodeChat(prompt, { addGenerationPrompt: true }).ids;
  const response = (c: Content, side: string): number[] => {
    const full = tok.encodeChat([...prompt, ...asMessages(c, 'assistant')]);
    if (full.ids.length <= promptIds.length || promptIds.some((t, i) => full.ids[i] !== t)) {
      throw new Error(`${where}: the ${side} completion must start with an assistant message`);
    }
    const end = full.assistantMask.lastIndexOf(1) + 1; // through the last assistant <|im_end|>
    return full.ids.slice(promptIds.length, end);
  };
  let chosen = response(p.chosen, 'chosen');
  let rejected = response(p.rejected, 'rejected');
  const longest = Math.max(chosen.length, rejected.length);
  if (promptIds.length + longest <= maxLen) return { prompt: promptIds, chosen, rejected, truncated: false };
  const cap = Math.floor(maxLen / 2);
  chosen = chosen.slice(0, cap);
  rejected = rejected.slice(0, cap);
  const keep = maxLen - Math.max(chosen.length, rejected.length);
  return { prompt: promptIds.slice(-keep), chosen, rejected, truncated: true };
}

/** Whether a pair carries both sides' gold rewards and they differ: the pairs agreement with gold is counted on. */
export const goldDecided = (p: PreferencePair): p is PreferencePair & { chosen_gold: number; rejected_gold: number } => p.chosen_gold !== undefined && p.rejected_gold !== undefined && p.chosen_gold !== p.rejected_gold;

/** What `preferenceAgreement` reports about a model's rewards on preference pairs. */
export interface PairMetrics {
  /** Share of pairs whose chosen reply gets the higher reward (against the raters' labels). */
  accuracy: number;
  /** Mean r_c − r_r. */
  margin: number;
  /** Lowest, mean and highest reward over both sides of every pair (TRL's RewardTrainer names). */
  min_reward: number;
  mean_reward: number;
  max_reward: number;
  /**
   * Expected calibration error of the Bradley–Terry probabilities against the raters: each
   * pair's confidence in the side it favours, σ(|r_c − r_r|), in ten bins over [0.5, 1];
   * Σ_bins (pairs in bin / pairs) · |share favoured correctly − mean confidence| (Guo et al. 2017,
   * for pairs). 0 = the rewards' differences are probabilities the raters bear out.
   */
  calibration_error: number;
  /** Pearson correlation of reward with reply length over both sides of every pair (null without lengths, or when either is constant). */
  reward_length_corr: number | null;
  /** `accuracy` against the world's gold, over the pairs that carry both gold scores and are not gold ties (null when none does). */
  accuracyVsGold: number | null;
  goldPairs: number;
  /** `calibration_error` against gold on those pairs (null when none). */
  calibrationErrorVsGold: number | null;
}

/**
 * Ten-bin expected calibration error of pairs' confidences σ(|Δ|) and whether each pair's
 * favoured side was right (`right[i]` 1 or 0; Δ = 0 favours the rejected side, as `accuracy` counts it).
 */
export function pairCalibrationError(deltas: readonly number[], right: readonly number[]): number {
  const bins = 10;
  const n = new Array<number>(bins).fill(0), conf = new Array<number>(bins).fill(0), hit = new Array<number>(bins).fill(0);
  deltas.forEach((d, i) => {
    const q = 1 / (1 + Math.exp(-Math.abs(d)));
    const b = Math.min(bins - 1, Math.floor((q - 0.5) * 2 * bins));
    n[b]++;
    conf[b] += q;
    hit[b] += right[i]!;
  });
  const total = deltas.length;
  return total ? n.reduce((e, nb, b) => (nb ? e + (nb / total) * Math.abs(hit[b]! / nb - conf[b]! / nb) : e), 0) : 0;
}

/** The world's Pearson correlation, or null where it is undefined (fewer than two values, or either side constant). */
function correlation(x: readonly number[], y: readonly number[]): number | null {
  const constant = (v: readonly number[]) => v.every((e) => e === v[0]);
  return x.length < 2 || constant(x) || constant(y) ? null : pearson(x, y);
}

/**
 * How a model's rewards (a reward model's scores, or DPO's implicit rewards) read preference
 * pairs: agreement with the raters and with the world's gold, the spread of the rewards, how
 * well their differences work as Bradley–Terry probabilities (`calibration_error`), and how
 * much they follow reply length (`reward_length_corr`, given `lengths`: each side's reply
 * length in tokens). See `PairMetrics`.
 *
 *   preferenceAgreement({ chosen: [2, 0.5], rejected: [0, 1] }, pairs).accuracy // 0.5
 */
export function preferenceAgreement(rewards: { chosen: number[]; rejected: number[] }, pairs: PreferencePair[], lengths?: { chosen: number[]; rejected: number[] }): PairMetrics {
  let agree = 0;
  let margin = 0;
  const deltas: number[] = [], right: number[] = [];
  const goldDeltas: number[] = [], goldRight: number[] = [];
  pairs.forEach((p, i) => {
    const d = rewards.chosen[i] - rewards.rejected[i];
    if (d > 0) agree++;
    margin += d;
    deltas.push(d);
    right.push(d > 0 ? 1 : 0);
    if (!goldDecided(p)) return;
    goldDeltas.push(d);
    goldRight.push(+(d > 0 === p.chosen_gold > p.rejected_gold));
  });
  const n = Math.max(1, pairs.length);
  const all = [...rewards.chosen.slice(0, pairs.length), ...rewards.rejected.slice(0, pairs.length)];
  const goldAgree = goldRight.reduce((a, r) => a + r, 0);
  return {
    accuracy: agree / n,
    margin: margin / n,
    min_reward: all.length ? all.reduce((a, x) => Math.min(a, x), Infinity) : 0,
    mean_reward: all.length ? all.reduce((a, x) => a + x, 0) / all.length : 0,
    max_reward: all.length ? all.reduce((a, x) => Math.max(a, x), -Infinity) : 0,
    calibration_error: pairCalibrationError(deltas, right),
    reward_length_corr: lengths ? correlation(all, [...lengths.chosen.slice(0, pairs.length), ...lengths.rejected.slice(0, pairs.length)]) : null,
    accuracyVsGold: goldDeltas.length ? goldAgree / goldDeltas.length : null,
    goldPairs: goldDeltas.length,
    calibrationErrorVsGold: goldDeltas.length ? pairCalibrationError(goldDeltas, goldRight) : null,
  };
}

/** Bad lines reported by name before "… and N more". */
const SHOWN_ERRORS = 5;

/**
 * The preference pairs a trainer (`what`: "a reward model", "DPO") learns from, read from
 * `file`. A bad line (invalid JSON or row) throws naming FILE:LINE with `onError` 'throw'
 * (default); with 'skip' each is logged (the first five, then how many more) and left out.
 * Unpaired rows (prompt/completion/label) are left out and counted in the log. Fewer than
 * `min` pairs is an error.
 */
export async function readTrainingPairs(file: string, what: string, log: (m: string) => void, opts: { onError?: OnJsonlError; min?: number } = {}): Promise<{ pairs: PreferencePair[]; skipped: number }> {
  const read = await readPreferences(file, { onError: opts.onError ?? 'throw' });
  for (const e of read.errors.slice(0, SHOWN_ERRORS)) log(`skipped ${e.message}`);
  if (read.errors.length > SHOWN_ERRORS) log(`… and ${read.errors.length - SHOWN_ERRORS} more bad lines skipped`);
  if (read.unpaired.length) log(`${file}: ${read.unpaired.length} unpaired rows (prompt/completion/label) left out: ${what} trains on chosen/rejected pairs`);
  const min = opts.min ?? 10;
  if (read.pairs.length < min) throw new Error(`${file}: ${read.pairs.length} usable pairs; ${what} needs at least ${min}`);
  return { pairs: read.pairs, skipped: read.errors.length };
}

/**
 * The held-out split of `train rm` (lab/rm.ts), so that the same seed and file hold out the
 * same pairs: pairs are grouped by prompt (comparisons of replies to one prompt share
 * responses, so a per-pair split would leak), the groups are shuffled with the seed's
 * `rm-data` stream, and the first tenth of the groups (at least one) is held out.
 */
export function heldoutSplit(pairs: PreferencePair[], seed: number, where: string): { heldIdx: number[]; trainIdx: number[]; rng: Rng } {
  const byPrompt = new Map<string, number[]>();
  pairs.forEach((p, i) => {
    const key = JSON.stringify(p.prompt);
    byPrompt.set(key, [...(byPrompt.get(key) ?? []), i]);
  });
  if (byPrompt.size < 2) throw new Error(`${where}: all pairs share one prompt; a held-out split needs at least two prompts`);
  const rng = new Rng(seed).fork('rm-data');
  const groups = rng.shuffle([...byPrompt.values()]);
  const nHeld = Math.max(1, Math.round(groups.length / 10));
  return { heldIdx: groups.slice(0, nHeld).flat(), trainIdx: groups.slice(nHeld).flat(), rng };
}

