/**
 * Pre-tokenizers: split normalized text into "words" before BPE runs inside each word.
 *
 * BPE never merges across a word boundary, so the split decides what a token can be: with the
 * GPT-2/Llama-3 regex, " the" is one word (a leading space belongs to the word after it), digits
 * form their own words, and punctuation runs are kept apart from letters.
 *
 * Supported `pre_tokenizer` types of tokenizer.json:
 *   - `ByteLevel` {add_prefix_space, use_regex}: optionally split with the GPT-2 regex, then spell
 *     each word's UTF-8 bytes with the printable byte characters (see bytes.ts): " the" → "Ġthe".
 *   - `Split` {pattern: {Regex|String}, behavior, invert}: regex split, e.g. Llama-3 and Qwen2.
 *   - `Digits` {individual_digits}: digits apart from the rest (SmolLM, StarCoder).
 *   - `Metaspace` {replacement, prepend_scheme | add_prefix_space, split}: SentencePiece's "▁".
 *   - `Sequence` {pretokenizers}: each stage applied to every piece of the previous one.
 *
 * The split behaviors follow Hugging Face's SplitDelimiterBehavior, where the regex matches are
 * the "delimiters": `Isolated` keeps every match and every gap as its own piece, `Removed` drops
 * the matches, `MergedWithPrevious`/`MergedWithNext` glue a match to its neighbour, `Contiguous`
 * glues adjacent matches together. `invert: true` swaps matches and gaps.
 *
 * @example
 *   const pre = preTokenizerFromHf({ type: 'ByteLevel', add_prefix_space: false, use_regex: true }, 'x');
 *   preTokenize(pre, 'Hello world!') // ['Hello', 'Ġworld', '!']
 */
import { toByteSymbols } from './bytes.js';
import { escapeRegex, expectArray, expectObject, expectString, fieldError, optionalBoolean, readPattern } from './json.js';
import { compileHfRegex, GPT2_PATTERN } from './regex.js';

/**
 * A pre-tokenizer hands the words of one stretch of text to `emit`, in order (streaming keeps a
 * multi-megabyte encode free of intermediate arrays). `first` is true for the stretch that starts
 * the input (Metaspace's `prepend_scheme: "first"` only prepends "▁" there).
 */
export type PreTokenizer = (text: string, first: boolean, emit: (word: string) => void) => void;

/** Collect a pre-tokenizer's words into an array (handy in tests and examples). */
export function preTokenize(pre: PreTokenizer, text: string, first = true): string[] {
  const words: string[] = [];
  pre(text, first, (w) => words.push(w));
  return words;
}

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
const BEHAVIORS: readonly SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

/** One stretch of the input: [start, end) and whether it is a regex match (a "delimiter"). */
type Segment = { start: number; end: number; isMatch: boolean };

/**
 * Walk `text` as matches of `re` and the gaps between them, calling `visit(start, end, isMatch)`
 * for each stretch in order; empty matches are ignored. `sticky` is `re` with the `y` flag: when
 * the pattern covers the text (as tokenizer regexes do), `sticky.test` finds each next match
 * without allocating a match array; `re.exec` is only needed to jump over a gap.
 */
function walk(text: string, re: RegExp, sticky: RegExp, visit: (start: number, end: number, isMatch: boolean) => void): void {
  let pos = 0;
  while (pos < text.length) {
    sticky.lastIndex = pos;
    if (sticky.test(text) && sticky.lastIndex > pos) {
      visit(pos, sticky.lastIndex, true);
      pos = sticky.lastIndex;
      continue;
    }
    re.lastIndex = pos;
    let m = re.exec(text);
    while (m !== null && m[0].length === 0) {
      re.lastIndex = m.index + 1;
      m = re.exec(text);
    }
    if (m === null) {
      visit(pos, text.length, false);
      return;
    }
    if (m.index > pos) visit(pos, m.index, false);
    visit(m.index, m.index + m[0].length, true);
    pos = m.index + m[0].length;
  }
}

/** A RegExp and its sticky twin, as `walk` wants them. */
function regexPair(re: RegExp): [RegExp, RegExp] {
  const flags = re.flags.replace(/[gy]/g, '');
  return [new RegExp(re.source, `${flags}g`), new RegExp(re.source, `${flags}y`)];
}

/**
 * Split `text` with `re` following a Hugging Face split behavior, handing pieces to `emit`.
 * `re` may have any flags; it is copied, never mutated.
 */
export function splitter(re: RegExp, behavior: SplitBehavior, invert = false): (text: string, emit: (piece: string) => void) => void {
  const [global, sticky] = regexPair(re);
  if (behavior === 'Isolated' || (behavior === 'Removed' && !invert)) {
    // the common cases, streamed: every stretch (Isolated) or every gap (Removed)
    const keepMatches = behavior === 'Isolated';
    return (text, emit) =>
      walk(text, global, sticky, (start, end, isMatch) => {
        if (keepMatches || !isMatch) emit(text.slice(start, end));
      });
  }
  return (text, emit) => {
    const segs: Segment[] = [];
    walk(text, global, sticky, (start, end, isMatch) => segs.push({ start, end, isMatch: isMatch !== invert }));
    let pieces: Segment[] = [];
    if (behavior === 'Removed') pieces = segs.filter((s) => !s.isMatch);
    else if (behavior === 'Contiguous') {
      for (const s of segs) {
        const prev = pieces[pieces.length - 1];
        if (prev && prev.isMatch && s.isMatch) prev.end = s.end;
        else pieces.push(s);
      }
    } else if (behavior === 'MergedWithPrevious') {
      let previousMatch = false;
      for (const s of segs) {
        const prev = pieces[pieces.length - 1];
        if (s.isMatch && !previousMatch && prev) prev.end = s.end;
        else pieces.push(s);
        previousMatch = s.isMatch;
      }
    } else {
      // MergedWithNext: the mirror image, walking from the end.
      let nextMatch = false;
      for (let k = segs.length - 1; k >= 0; k--) {
        const s = segs[k]!;
        const next = pieces[pieces.length - 1];
        if (s.isMatch && !nextMatch && next) next.start = s.start;
        else pieces.push(s);
        nextMatch = s.isMatch;
      }
      pieces.reverse();
    }
    for (const p of pieces) emit(text.slice(p.start, p.end));
  };
}

/** The ByteLevel step: optional prefix space, optional GPT-2 split, then bytes → printable chars. */
export function byteLevelPreTokenizer(addPrefixSpace: boolean, useRegex: boolean): PreTokenizer {
  const split = useRegex ? splitter(compileHfRegex(GPT2_PATTERN), 'Isolated') : undefined;
  return (text, _first, emit) => {
    const t = addPrefixSpace && !text.startsWith(' ') ? ` ${text}` : text;
    if (split) split(t, (w) => emit(toByteSymbols(w)));
    else emit(toByteSymbols(t));
  };
}

/** Apply each stage to every piece produced by the previous one; empty pieces are dropped. */
export function sequencePreTokenizer(stages: PreTokenizer[]): PreTokenizer {
  const run = (k: number, text: string, first: boolean, emit: (word: string) => void): void => {
    if (k === stages.length) {
      if (text.length > 0) emit(text);
      return;
    }
    let isFirst = first;
    stages[k]!(text, first, (piece) => {
      run(k + 1, piece, isFirst, emit);
      isFirst = false;
    });
  };
  return (text, first, emit) => run(0, text, first, emit);
}

/** Build a pre-tokenizer from the `pre_tokenizer` field of tokenizer.json; `null` → whole text. */
export function preTokenizerFromHf(json: unknown, where: string): PreTokenizer {
  if (json === null || json === undefined) return (text, _first, emit) => emit(text);
  const obj = expectObject(json, where);
  const type = expectString(obj.type, `${where}.type`);
  switch (type) {
    case 'ByteLevel':
      return byteLevelPreTokenizer(
        optionalBoolean(obj.add_prefix_space, false, `${where}.add_prefix_space`),
        optionalBoolean(obj.use_regex, true, `${where}.use_regex`),
      );
    case 'Split': {
      const pattern = readPattern(obj.pattern, `${where}.pattern`);
      const re = pattern.kind === 'String' ? new RegExp(escapeRegex(pattern.text), 'gu') : compileHfRegex(pattern.text, `${where}.pattern`);
      const behavior = expectString(obj.behavior, `${where}.behavior`) as SplitBehavior;
      if (!BEHAVIORS.includes(behavior)) throw fieldError(`${where}.behavior`, `unknown split behavior "${behavior}" (expected one of ${BEHAVIORS.join(', ')})`);
      const split = splitter(re, behavior, optionalBoolean(obj.invert, false, `${where}.invert`));
      return (text, _first, emit) => split(text, emit);
    }
    case 'Digits': {
      const individual = optionalBoolean(obj.individual_digits, false, `${where}.individual_digits`);
      const split = splitter(individual ? /\p{N}/u : /\p{N}+/u, 'Isolated');
      return (text, _first, emit) => split(text, emit);
    }
    case 'Metaspace': {
      const replacement = obj.replacement === undefined ? '▁' : expectString(obj.replacement, `${where}.replacement`);
      let scheme: string;
      if (obj.prepend_scheme !== undefined) scheme = expectString(obj.prepend_scheme, `${where}.prepend_scheme`);
      else scheme = optionalBoolean(obj.add_prefix_space, true, `${where}.add_prefix_space`) ? 'always' : 'never';
      if (!['always', 'first', 'never'].includes(scheme)) throw fieldError(`${where}.prepend_scheme`, `expected "always", "first" or "never", got "${scheme}"`);
      const split = optionalBoolean(obj.split, true, `${where}.split`);
      const splitOnReplacement = splitter(new RegExp(escapeRegex(replacement), 'u'), 'MergedWithNext');
      return (text, first, emit) => {
        let t = text.replaceAll(' ', replacement);
        const prepend = scheme === 'always' || (scheme === 'first' && first);
        if (prepend && !t.startsWith(replacement)) t = replacement + t;
        if (split) splitOnReplacement(t, emit);
        else emit(t);
      };
    }
    case 'Sequence':
      return sequencePreTokenizer(expectArray(obj.pretokenizers, `${where}.pretokenizers`).map((p, i) => preTokenizerFromHf(p, `${where}.pretokenizers[${i}]`)));
    default:
      throw fieldError(where, `unsupported pre_tokenizer type "${type}" (supported: ByteLevel, Split, Digits, Metaspace, Sequence)`);
  }
}
