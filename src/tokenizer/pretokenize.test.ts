import { describe, expect, it } from 'vitest';
import { decodeTokens, decoderFromHf } from './decoders.js';
import { normalizerFromHf } from './normalize.js';
import { preTokenize, preTokenizerFromHf, splitter, type SplitBehavior } from './pretokenize.js';

const pieces = (json: unknown, text: string, first = true) => preTokenize(preTokenizerFromHf(json, 'test'), text, first);

describe('Split behaviors', () => {
  // The reference table of Hugging Face's SplitDelimiterBehavior docs: split "the-final--countdown" on "-".
  const expected: Record<SplitBehavior, string[]> = {
    Removed: ['the', 'final', 'countdown'],
    Isolated: ['the', '-', 'final', '-', '-', 'countdown'],
    MergedWithPrevious: ['the-', 'final-', '-', 'countdown'],
    MergedWithNext: ['the', '-final', '-', '-countdown'],
    Contiguous: ['the', '-', 'final', '--', 'countdown'],
  };
  for (const [behavior, want] of Object.entries(expected)) {
    it(behavior, () => {
      expect(pieces({ type: 'Split', pattern: { String: '-' }, behavior, invert: false }, 'the-final--countdown')).toEqual(want);
    });
  }

  it('invert swaps matches and gaps', () => {
    const out: string[] = [];
    splitter(/-/u, 'Removed', true)('the-final--countdown', (p) => out.push(p));
    expect(out).toEqual(['-', '-', '-']);
  });
});

describe('pre-tokenizers', () => {
  it('ByteLevel with add_prefix_space and the GPT-2 regex', () => {
    expect(pieces({ type: 'ByteLevel', add_prefix_space: true, use_regex: true }, 'Hello world!')).toEqual(['ĠHello', 'Ġworld', '!']);
    expect(pieces({ type: 'ByteLevel', add_prefix_space: false, use_regex: false }, 'a b\n')).toEqual(['aĠbĊ']);
  });

  it('Digits, individually or in runs, then ByteLevel (SmolLM style)', () => {
    const seq = (individual: boolean) => ({
      type: 'Sequence',
      pretokenizers: [{ type: 'Digits', individual_digits: individual }, { type: 'ByteLevel', add_prefix_space: false, use_regex: true }],
    });
    expect(pieces(seq(true), 'a 123')).toEqual(['a', 'Ġ', '1', '2', '3']);
    expect(pieces(seq(false), 'a 123')).toEqual(['a', 'Ġ', '123']);
  });

  it('Metaspace: prepend scheme and split', () => {
    const meta = (prepend_scheme: string, split: boolean) => ({ type: 'Metaspace', replacement: '▁', prepend_scheme, split });
    expect(pieces(meta('always', true), 'Hey friend')).toEqual(['▁Hey', '▁friend']);
    expect(pieces(meta('first', false), 'Hey friend', false)).toEqual(['Hey▁friend']);
    expect(pieces(meta('first', false), 'Hey friend', true)).toEqual(['▁Hey▁friend']);
    expect(pieces({ type: 'Metaspace', replacement: '▁', add_prefix_space: false }, 'a b')).toEqual(['a', '▁b']);
  });
});

describe('normalizers and decoders', () => {
  it('Prepend only touches non-empty text; NFC composes', () => {
    const n = normalizerFromHf({ type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Prepend', prepend: '▁' }] }, 'test');
    expect(n('')).toBe('');
    expect(n('e\u0301')).toBe('▁é');
  });

  it('Strip removes only the given character, at most start/stop times', () => {
    const d = decoderFromHf({ type: 'Strip', content: ' ', start: 1, stop: 1 }, 'test');
    expect(decodeTokens(d, ['  a  ', 'b'])).toBe(' a b');
  });

  it('Metaspace decoder drops the first leading space only', () => {
    const d = decoderFromHf({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' }, 'test');
    expect(decodeTokens(d, ['▁Hey', '▁friend'])).toBe('Hey friend');
  });

  it('no decoder joins tokens with a space, as Hugging Face does', () => {
    expect(decodeTokens(decoderFromHf(null, 'test'), ['a', 'b'])).toBe('a b');
  });
});
