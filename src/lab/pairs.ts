/**
 * Preference pairs for training on them (reward models, DPO): token ids with the chat
 * template, the held-out split by prompt, and agreement of scores with the raters and with
 * the world's gold.
 */
import type { ChatMessage, Tokenizer } from '../tokenizer/index.js';
import type { Content, PreferencePair } from '../prefs/index.js';
import { Rng } from '../util/rng.js';

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

/**
 * How often the implicit rewards prefer the chosen response: `accuracy` against the raters'
 * labels; `accuracyVsGold` against the world's gold over the pairs that carry both gold scores
 * and are not gold ties (null when none does); `margin` the mean r_c − r_r.
 */
export function preferenceAgreement(rewards: { chosen: number[]; rejected: number[] }, pairs: PreferencePair[]): { accuracy: number; accuracyVsGold: number | null; goldPairs: number; margin: number } {
  let agree = 0;
  let margin = 0;
  let goldPairs = 0;
  let goldAgree = 0;
  pairs.forEach((p, i) => {
    const prefersChosen = rewards.chosen[i] > rewards.rejected[i];
    if (prefersChosen) agree++;
    margin += rewards.chosen[i] - rewards.rejected[i];
    if (p.chosen_gold === undefined || p.rejected_gold === undefined || p.chosen_gold === p.rejected_gold) return;
    goldPairs++;
    if (prefersChosen === p.chosen_gold > p.rejected_gold) goldAgree++;
  });
  const n = Math.max(1, pairs.length);
  return { accuracy: agree / n, accuracyVsGold: goldPairs ? goldAgree / goldPairs : null, goldPairs, margin: margin / n };
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

