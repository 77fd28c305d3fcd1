/**
 * Training a byte-level BPE tokenizer from text (the GPT-2 / Hugging Face BpeTrainer recipe).
 *
 *   1. Pre-tokenize every text with the Llama-3 regex and spell words in byte characters
 *      (" the" → "Ġthe"); count how often each distinct word occurs. Special tokens are cut out
 *      of the text first, so merges never learn pieces of "<|im_end|>".
 *   2. Start every word as its bytes. The vocabulary is: the special tokens (ids 0..k-1), the 256
 *      byte characters sorted by code point (ids k..k+255: "!".."~", "¡".."ÿ" minus "\u00AD",
 *      then "Ā".."Ń" — Hugging Face's alphabet order), then one token per merge.
 *   3. Repeat until the vocabulary is `vocabSize` big: take the adjacent pair (a, b) that occurs
 *      most often, weighting each word by its count; record the merge "a b"; replace (a, b) by
 *      the new token in every word that contains it.
 *
 * Speed comes from never recounting: pair counts live in a map, every pair remembers the words it
 * occurs in, and a merge only revisits those words, subtracting their old pairs and adding their
 * new ones. The best pair comes from a max-heap with lazy updates (an entry whose count changed is
 * re-pushed with the current count when it surfaces). Pairs are counted by position, so "aaa"
 * holds the pair (a, a) twice, as in Hugging Face.
 *
 * Determinism: ties in count go to the pair with the smaller (left id, right id), the rule of
 * Hugging Face's BpeTrainer; e.g. "a b" beats any pair starting with a merged token or with "Ġ".
 * No randomness, no dependence on Map iteration order. With the same special tokens, pattern and
 * `minFrequency`, the merges equal those of Hugging Face `tokenizers`' BpeTrainer.
 *
 * Like Hugging Face, a merge whose result spells a token that already exists reuses that token's
 * id (two merge paths to the same string); a merge that would spell a special token is skipped.
 *
 * @example
 *   const tok = trainBpe(['aaabdaaabac'], { vocabSize: 256 + 4 + 3, minFrequency: 1 });
 *   tok.model.merges // [['a','a'], ['a','b'], ['aa','ab']]
 */
import { byteToChar } from './bytes.js';
import { BpeModel } from './bpe.js';
import { CHATML_JINJA, CHATML_SPECIAL_TOKENS, ENDOFTEXT, IM_END, IM_START, PAD } from './chat.js';
import { BinaryHeap } from './heap.js';
import { escapeRegex } from './json.js';
import { preTokenizerFromHf } from './pretokenize.js';
import { LLAMA3_PATTERN } from './regex.js';
import { Tokenizer, type AddedToken } from './tokenizer.js';

export interface TrainBpeConfig {
  /** Final vocabulary size, counting the special tokens and the 256 byte tokens. Required. */
  vocabSize: number;
  /** Special tokens, given ids 0..k-1 in this order. Default: CHATML_SPECIAL_TOKENS
   * (`<|endoftext|>`, `<|im_start|>`, `<|im_end|>`, `<|pad|>`). */
  specialTokens?: readonly string[];
  /** Stop early when the best pair occurs fewer than this many times. Default 2. */
  minFrequency?: number;
  /** Pre-tokenizer regex in tokenizer.json (Oniguruma) syntax. Default: LLAMA3_PATTERN. */
  pattern?: string;
  /** Called now and then with (merges done, merges wanted). */
  onProgress?: (done: number, total: number) => void;
}

/** The pipeline of alignlab's own tokenizers, as tokenizer.json descriptions. */
export function byteLevelPipeline(pattern: string = LLAMA3_PATTERN): { preTokenizer: unknown; decoder: unknown } {
  return {
    preTokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  };
}

/** A pair (a, b) of token ids as one exact integer key. */
const PAIR = 2 ** 26;

interface Candidate {
  count: number;
  a: number;
  b: number;
}

/** Max count first; ties → smaller left id, then smaller right id. */
const better = (x: Candidate, y: Candidate) => x.count > y.count || (x.count === y.count && (x.a < y.a || (x.a === y.a && x.b < y.b)));

/** Train a byte-level BPE tokenizer on `texts`; see the file comment for the algorithm. */
export function trainBpe(texts: Iterable<string>, config: TrainBpeConfig): Tokenizer {
  const specials = [...(config.specialTokens ?? CHATML_SPECIAL_TOKENS)];
  const minFrequency = config.minFrequency ?? 2;
  const base = specials.length + 256;
  if (!Number.isInteger(config.vocabSize) || config.vocabSize < base) {
    throw new Error(`trainBpe: vocabSize must be an integer of at least ${base} (${specials.length} special tokens + 256 bytes), got ${config.vocabSize}`);
  }
  if (new Set(specials).size !== specials.length || specials.some((s) => s.length === 0)) throw new Error('trainBpe: specialTokens must be distinct and non-empty');
  const pipeline = byteLevelPipeline(config.pattern);
  const preTokenize = preTokenizerFromHf(pipeline.preTokenizer, 'trainBpe: pattern');

  // 1. word counts
  const wordCounts = new Map<string, number>();
  const specialSplit = specials.length > 0 ? new RegExp([...specials].sort((x, y) => y.length - x.length).map(escapeRegex).join('|'), 'u') : null;
  for (const text of texts) {
    for (const part of specialSplit ? text.split(specialSplit) : [text]) {
      if (part.length === 0) continue;
      preTokenize(part, true, (w) => wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1));
    }
  }

  // 2. initial vocabulary and words as byte ids
  const alphabet = [...byteToChar].sort((x, y) => x.charCodeAt(0) - y.charCodeAt(0));
  const tokens: string[] = [...specials, ...alphabet];
  const idOf = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const baseId = new Int32Array(0x144);
  alphabet.forEach((c, i) => (baseId[c.charCodeAt(0)] = specials.length + i));
  const specialSet = new Set(specials);
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    const ids = new Array<number>(w.length);
    for (let i = 0; i < w.length; i++) ids[i] = baseId[w.charCodeAt(i)]!;
    words.push(ids);
    counts.push(c);
  }

  // pair key → weighted count, and pair key → the words it occurs in (may hold stale entries)
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const countPairs = (w: number, sign: 1 | -1) => {
    const ids = words[w]!;
    const c = counts[w]! * sign;
    for (let i = 0; i + 1 < ids.length; i++) {
      const key = ids[i]! * PAIR + ids[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
    }
  };
  const remember = (key: number, w: number) => {
    let list = pairWords.get(key);
    if (!list) pairWords.set(key, (list = []));
    if (list[list.length - 1] !== w) list.push(w);
  };
  for (let w = 0; w < words.length; w++) {
    countPairs(w, 1);
    const ids = words[w]!;
    for (let i = 0; i + 1 < ids.length; i++) remember(ids[i]! * PAIR + ids[i + 1]!, w);
  }

  const heap = new BinaryHeap<Candidate>(better);
  for (const [key, count] of pairCount) heap.push({ count, a: Math.floor(key / PAIR), b: key % PAIR });

  // 3. merge loop
  const merges: Array<[string, string]> = [];
  const wanted = config.vocabSize - base;
  while (tokens.length < config.vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const key = top.a * PAIR + top.b;
    const current = pairCount.get(key) ?? 0;
    if (current !== top.count) {
      if (current > 0) heap.push({ count: current, a: top.a, b: top.b });
      continue;
    }
    if (current < minFrequency || current <= 0) break;
    const merged = tokens[top.a]! + tokens[top.b]!;
    if (specialSet.has(merged)) {
      pairCount.delete(key);
      continue;
    }
    let id = idOf.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      idOf.set(merged, id);
    }
    merges.push([tokens[top.a]!, tokens[top.b]!]);

    // Revisit only the words that contain (a, b).
    const touched = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      const ids = words[w]!;
      let found = false;
      for (let i = 0; i + 1 < ids.length; i++) if (ids[i] === top.a && ids[i + 1] === top.b) found = true;
      if (!found) continue;
      countPairs(w, -1);
      const out: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === top.a && ids[i + 1] === top.b) {
          out.push(id);
          i++;
        } else out.push(ids[i]!);
      }
      words[w] = out;
      countPairs(w, 1);
      for (let i = 0; i + 1 < out.length; i++) {
        if (out[i] !== id && out[i + 1] !== id) continue;
        const k = out[i]! * PAIR + out[i + 1]!;
        touched.add(k);
        remember(k, w);
      }
    }
    pairCount.delete(key);
    pairWords.delete(key);
    for (const k of touched) {
      const c = pairCount.get(k) ?? 0;
      if (c > 0) heap.push({ count: c, a: Math.floor(k / PAIR), b: k % PAIR });
    }
    if (config.onProgress && merges.length % 256 === 0) config.onProgress(merges.length, wanted);
  }
  config.onProgress?.(merges.length, wanted);

  const model = new BpeModel({ vocab: idOf, merges }, 'trainBpe');
  const addedTokens: AddedToken[] = specials.map((content, id) => ({ id, content, special: true, lstrip: false, rstrip: false, singleWord: false, normalized: false }));
  const has = (t: string) => specialSet.has(t);
  return new Tokenizer({
    model,
    addedTokens,
    preTokenizer: pipeline.preTokenizer,
    decoder: pipeline.decoder,
    config: {
      bosToken: has(ENDOFTEXT) ? ENDOFTEXT : null,
      eosToken: has(IM_END) ? IM_END : has(ENDOFTEXT) ? ENDOFTEXT : null,
      padToken: has(PAD) ? PAD : null,
      unkToken: null,
      chatTemplate: has(IM_START) && has(IM_END) ? CHATML_JINJA : null,
    },
    source: 'trainBpe',
  });
}
