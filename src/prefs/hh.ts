/**
 * Importing Anthropic's HH-RLHF data (Bai et al. 2022, "Training a Helpful and Harmless
 * Assistant with Reinforcement Learning from Human Feedback", arXiv:2204.05862;
 * https://github.com/anthropics/hh-rlhf) into TRL's conversational preference format.
 *
 * Each HH line is `{"chosen": TRANSCRIPT, "rejected": TRANSCRIPT}`, where a transcript is
 * one string of turns introduced by `"\n\nHuman: "` and `"\n\nAssistant: "`. The two
 * transcripts share the conversation and differ in the final Assistant turn. Both are
 * split at their **last** `"\n\nAssistant:"`: what comes before is the prompt, what
 * comes after is the completion.
 *
 * ```
 * "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Help me?\n\nAssistant: Sure."
 *   → prompt  [{user: "Hi"}, {assistant: "Hello!"}, {user: "Help me?"}]
 *   → chosen  [{assistant: "Sure."}]
 * ```
 *
 * As in TRL's own hh-rlhf script (`examples/datasets/hh-rlhf-helpful-base.py`), each turn's
 * text is trimmed of surrounding whitespace. The prompts of the two sides are compared
 * after that conversion, so whitespace-only differences do not count.
 *
 * Reported as errors (`FILE:LINE: …`): a side that is not a string, a side with no
 * Assistant turn, text before the first Human turn, a Human turn after the last
 * Assistant turn, a prompt that does not end with a Human turn, and pairs whose
 * prompts differ. An empty final Assistant turn is kept (it is a real judgement: the
 * harmless-base test split has one).
 *
 * @example
 * ```ts
 * const { pairs, errors } = await importHh('harmless-base_test.jsonl', { onError: 'skip' });
 * writePreferences('hh.jsonl', pairs);
 * ```
 */
import type { ChatMessage } from '../providers/types.js';
import { iterateJsonl, JsonlError, type JsonlLineError, type OnJsonlError } from '../util/jsonl.js';
import type { PreferencePair } from './format.js';

export const HH_HUMAN = '\n\nHuman:';
export const HH_ASSISTANT = '\n\nAssistant:';
const TURN = /\n\n(Human|Assistant):/g;

/** A transcript split at its last Assistant turn. */
export interface HhSplit {
  prompt: ChatMessage[];
  completion: string;
}

/**
 * Parse HH transcript text (zero or more turns) into messages: Human → user,
 * Assistant → assistant, each turn's text trimmed. A transcript that starts with
 * `"Human:"` without the leading blank line is accepted. Throws on text before the
 * first turn.
 */
export function parseHhTurns(text: string): ChatMessage[] {
  const t = text.startsWith('Human:') || text.startsWith('Assistant:') ? `\n\n${text}` : text;
  const messages: ChatMessage[] = [];
  const matches = [...t.matchAll(TURN)];
  const lead = matches.length > 0 ? t.slice(0, matches[0]!.index) : t;
  if (lead.trim() !== '') throw new Error(`text before the first ${JSON.stringify(HH_HUMAN)} turn`);
  matches.forEach((m, i) => {
    const end = i + 1 < matches.length ? matches[i + 1]!.index : t.length;
    const content = t.slice(m.index + m[0].length, end).trim();
    messages.push({ role: m[1] === 'Human' ? 'user' : 'assistant', content });
  });
  return messages;
}

/**
 * Split one transcript at its last `"\n\nAssistant:"`: the messages before it (the
 * prompt, which must end with a Human turn) and the text of the final Assistant turn.
 * Throws an `Error` whose message says what is malformed.
 */
export function splitHhTranscript(transcript: string): HhSplit {
  const at = transcript.lastIndexOf(HH_ASSISTANT);
  if (at < 0) throw new Error(`no ${JSON.stringify(HH_ASSISTANT)} turn`);
  const rest = transcript.slice(at + HH_ASSISTANT.length);
  if (rest.includes(HH_HUMAN)) throw new Error(`a ${JSON.stringify(HH_HUMAN)} turn follows the last Assistant turn`);
  const prompt = parseHhTurns(transcript.slice(0, at));
  if (prompt.length === 0) throw new Error('no Human turn before the last Assistant turn');
  if (prompt[prompt.length - 1]!.role !== 'user') throw new Error('the turn before the last Assistant turn is not a Human turn');
  return { prompt, completion: rest.trim() };
}

/** Index of the first message where two conversations differ, or −1 when they are equal. */
function firstDifference(a: readonly ChatMessage[], b: readonly ChatMessage[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i]!.role !== b[i]!.role || a[i]!.content !== b[i]!.content) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * Convert one HH record to a conversational TRL pair, or say what is wrong with it
 * (the message has no file or line; {@link importHh} adds them).
 */
export function hhRecordToPair(record: unknown): { pair: PreferencePair } | { error: string } {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { error: 'expected a JSON object {"chosen": TRANSCRIPT, "rejected": TRANSCRIPT}' };
  }
  const r = record as Record<string, unknown>;
  const sides: Partial<Record<'chosen' | 'rejected', HhSplit>> = {};
  for (const side of ['chosen', 'rejected'] as const) {
    const v = r[side];
    if (typeof v !== 'string') {
      return { error: `field "${side}": ${v === undefined ? 'missing (expected an HH transcript string)' : `expected an HH transcript string, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`}` };
    }
    try {
      sides[side] = splitHhTranscript(v);
    } catch (err) {
      return { error: `field "${side}": ${(err as Error).message}` };
    }
  }
  const chosen = sides.chosen!;
  const rejected = sides.rejected!;
  const diff = firstDifference(chosen.prompt, rejected.prompt);
  if (diff >= 0) return { error: `chosen and rejected prompts differ (from turn ${diff + 1})` };
  return {
    pair: {
      prompt: chosen.prompt,
      chosen: [{ role: 'assistant', content: chosen.completion }],
      rejected: [{ role: 'assistant', content: rejected.completion }],
    },
  };
}

export interface ImportHhOptions {
  /** `'throw'` (default): the first bad line throws a `JsonlError`. `'skip'`: bad lines go to `errors`. */
  onError?: OnJsonlError;
}

export interface ImportHhResult {
  pairs: PreferencePair[];
  /** Skipped lines, each `FILE:LINE: …`. */
  errors: JsonlLineError[];
  /** Non-blank lines read. */
  lines: number;
}

/** Read an HH-RLHF JSONL file into conversational TRL pairs (file order). */
export async function importHh(filePath: string, options: ImportHhOptions = {}): Promise<ImportHhResult> {
  const onError = options.onError ?? 'throw';
  const out: ImportHhResult = { pairs: [], errors: [], lines: 0 };
  for await (const item of iterateJsonl(filePath, { onError })) {
    out.lines++;
    if (item.error !== undefined) {
      out.errors.push({ line: item.line, message: item.error });
      continue;
    }
    const r = hhRecordToPair(item.value);
    if ('error' in r) {
      const message = `${filePath}:${item.line}: ${r.error}`;
      if (onError === 'throw') throw new JsonlError(message, filePath, item.line);
      out.errors.push({ line: item.line, message });
      continue;
    }
    out.pairs.push(r.pair);
  }
  return out;
}
