/**
 * Summaries of preference data: how big it is, how long the sides are, and, where
 * the HelpDesk world's scores are stored, how often the judge agreed with gold.
 *
 * **Agreement with gold** is the fraction of decided pairs in which the chosen side has
 * the higher gold reward: `#(chosen_gold > rejected_gold) / #(chosen_gold ≠ rejected_gold)`.
 * Ties (equal gold, within 1e-9) say nothing about the judge and are excluded; pairs
 * without both gold fields are not counted. The same with `*_proxy` measures how often
 * the judge sided with the customer's immediate rating.
 *
 * **Length bias** shows up as `chosenLongerFraction`: the fraction of pairs whose chosen
 * side has strictly more words (whitespace-separated) than the rejected side.
 *
 * @example
 * ```ts
 * const { pairs, unpaired } = await readPreferences('prefs.jsonl');
 * preferenceStats(pairs, unpaired).goldAgreement;   // e.g. 0.93, or null without gold fields
 * ```
 */
import { contentText, type PreferencePair, type UnpairedPreference } from './format.js';

/** Whitespace-separated words. */
export function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w.length > 0).length;
}

export interface Agreement {
  /** Pairs where the chosen side scores higher. */
  agree: number;
  /** Pairs where the two sides score differently. */
  decided: number;
  /** Pairs with both scores present and equal. */
  ties: number;
  /** `agree / decided`, or null when no pair is decided. */
  rate: number | null;
}

const TIE = 1e-9;

/** Agreement of the chosen side with a stored score: `'gold'` (chosen_gold/rejected_gold) or `'proxy'`. */
export function agreement(pairs: readonly PreferencePair[], score: 'gold' | 'proxy'): Agreement {
  let agree = 0;
  let decided = 0;
  let ties = 0;
  for (const p of pairs) {
    const c = score === 'gold' ? p.chosen_gold : p.chosen_proxy;
    const r = score === 'gold' ? p.rejected_gold : p.rejected_proxy;
    if (c === undefined || r === undefined) continue;
    if (Math.abs(c - r) <= TIE) {
      ties++;
      continue;
    }
    decided++;
    if (c > r) agree++;
  }
  return { agree, decided, ties, rate: decided > 0 ? agree / decided : null };
}

/** Agreement of the chosen side with the world's gold reward (ties excluded). */
export function goldAgreement(pairs: readonly PreferencePair[]): Agreement {
  return agreement(pairs, 'gold');
}

export interface PreferenceStats {
  pairs: number;
  unpaired: number;
  /** Unpaired rows labelled desirable. */
  unpairedDesirable: number;
  /** Mean words of the chosen completions (null without pairs). */
  chosenWords: number | null;
  /** Mean words of the rejected completions. */
  rejectedWords: number | null;
  /** Fraction of pairs whose chosen completion has strictly more words. */
  chosenLongerFraction: number | null;
  /** Pairs whose chosen and rejected completions have the same text. */
  identical: number;
  /** Fraction of decided pairs where chosen has the higher gold (null when no pair has both gold fields). */
  goldAgreement: number | null;
  /** Pairs with gold on both sides: decided and tied. */
  goldDecided: number;
  goldTies: number;
  /** Same, against the proxy (the customer's immediate rating). */
  proxyAgreement: number | null;
  proxyDecided: number;
  /** Pairs per rater, where a `rater` field is present. */
  raters: Record<string, number>;
}

/** Counts, mean lengths, length bias and agreement with gold/proxy where present. */
export function preferenceStats(pairs: readonly PreferencePair[], unpaired: readonly UnpairedPreference[] = []): PreferenceStats {
  let cw = 0;
  let rw = 0;
  let longer = 0;
  let identical = 0;
  const raters: Record<string, number> = {};
  for (const p of pairs) {
    const c = contentText(p.chosen);
    const r = contentText(p.rejected);
    const nc = wordCount(c);
    const nr = wordCount(r);
    cw += nc;
    rw += nr;
    if (nc > nr) longer++;
    if (c === r) identical++;
    if (p.rater !== undefined) raters[p.rater] = (raters[p.rater] ?? 0) + 1;
  }
  const n = pairs.length;
  const gold = agreement(pairs, 'gold');
  const proxy = agreement(pairs, 'proxy');
  const sortedRaters: Record<string, number> = {};
  for (const k of Object.keys(raters).sort()) sortedRaters[k] = raters[k]!;
  return {
    pairs: n,
    unpaired: unpaired.length,
    unpairedDesirable: unpaired.filter((u) => u.label).length,
    chosenWords: n > 0 ? cw / n : null,
    rejectedWords: n > 0 ? rw / n : null,
    chosenLongerFraction: n > 0 ? longer / n : null,
    identical,
    goldAgreement: gold.rate,
    goldDecided: gold.decided,
    goldTies: gold.ties,
    proxyAgreement: proxy.rate,
    proxyDecided: proxy.decided,
    raters: sortedRaters,
  };
}
