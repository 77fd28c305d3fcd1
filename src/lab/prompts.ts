/**
 * The HelpDesk world through the chat template: a case's first-turn prompt as token ids, and a
 * sampled reply's ids back to the text the world scores (stop tokens dropped).
 */
import type { Tokenizer } from '../tokenizer/index.js';
import { systemPrompt, type Case } from '../world/index.js';

/** The chat prompt of a case's first turn (system prompt + customer message + generation prompt). */
export function casePromptIds(tok: Tokenizer, c: Case): number[] {
  return tok.encodeChat([{ role: 'system', content: systemPrompt(c) }, { role: 'user', content: c.turns[0].customer }], { addGenerationPrompt: true }).ids;
}

/** A sampled reply's text, without the chat template's stop tokens. */
export function replyText(tok: Tokenizer, ids: readonly number[]): string {
  const stops = tok.chatTemplate?.stopTokenIds ?? [];
  return tok.decode(ids.filter((t) => !stops.includes(t))).trim();
}
