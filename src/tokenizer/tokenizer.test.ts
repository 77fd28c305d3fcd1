import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trainBpe } from './train.js';

const corpus = [
  'The quick brown fox jumps over the lazy dog. Les élèves étudient; 学生们在学习。',
  "Emoji: 😀👍🏽🇺🇸 ❤️ and code:\n\tif (x) {\n\t\treturn y;\n\t}\n\n\n   spaces   everywhere   \r\n",
  "I'm sure they'll say it's fine, don't you think? 12345 3.14159",
];
const tok = trainBpe(corpus, { vocabSize: 400, minFrequency: 1 });

describe('encode/decode round trip', () => {
  const tricky = [
    '',
    ' ',
    '\n',
    '   leading and trailing   ',
    'tabs\tand\nnewlines\r\nmixed\n\n\n',
    'Café naïve résumé — “quotes” ‘single’ …',
    '你好，世界！日本語のテキスト 한국어 Россия مرحبا',
    '😀👍🏽🇺🇸 ❤️ 👨‍👩‍👧‍👦 family',
    'e\u0301 combining, zero\u200bwidth, nbsp\u00a0here, bom\ufeff',
    '\u0000 control \u0007 bytes \u007f',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 astral 𐍈',
    '<|im_end|> looks special but is text',
  ];
  for (const s of tricky) {
    it(`round-trips ${JSON.stringify(s).slice(0, 40)}`, () => {
      expect(tok.decode(tok.encode(s))).toBe(s);
    });
  }

  it('round-trips any well-formed Unicode string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a multi-byte character split across tokens', () => {
    // With no merges, "😀" is four byte tokens; decoding them together restores it.
    const bare = trainBpe([], { vocabSize: 260 });
    const ids = bare.encode('😀');
    expect(ids).toHaveLength(4);
    expect(bare.decode(ids)).toBe('😀');
    expect(bare.decode(ids.slice(0, 2))).toBe('\uFFFD');
  });

  it('refuses ids outside the vocabulary', () => {
    expect(() => tok.decode([tok.vocabSize])).toThrow(`token id ${tok.vocabSize} is not in the vocabulary`);
  });
});
