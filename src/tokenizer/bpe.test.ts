import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BpeModel } from './bpe.js';

/** Textbook BPE on strings, written independently of bpe.ts: merge the leftmost lowest-rank pair. */
function referenceBpe(word: string, merges: Array<[string, string]>): string[] {
  const rank = new Map(merges.map(([a, b], i) => [`${a}\u0000${b}`, i]));
  let symbols = Array.from(word);
  for (;;) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const r = rank.get(`${symbols[i]}\u0000${symbols[i + 1]}`);
      if (r !== undefined && r < best) [best, at] = [r, i];
    }
    if (at < 0) return symbols;
    symbols = [...symbols.slice(0, at), symbols[at]! + symbols[at + 1]!, ...symbols.slice(at + 2)];
  }
}

/** A random but valid merge table over the alphabet "abc". */
function randomModel(picks: Array<[number, number]>): { model: BpeModel; merges: Array<[string, string]> } {
  const tokens = ['a', 'b', 'c'];
  const merges: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [i, j] of picks) {
    const a = tokens[i % tokens.length]!;
    const b = tokens[j % tokens.length]!;
    if (seen.has(`${a} ${b}`)) continue;
    seen.add(`${a} ${b}`);
    merges.push([a, b]);
    if (!tokens.includes(a + b)) tokens.push(a + b);
  }
  const model = new BpeModel({ vocab: new Map(tokens.map((t, i) => [t, i])), merges });
  return { model, merges };
}

describe('BpeModel', () => {
  it('applies merges by rank, leftmost first (hand-traced)', () => {
    // "lower" with ["l o", "lo w", "e r"]: l o w e r → lo w e r → low e r → low er
    const vocab = new Map(['l', 'o', 'w', 'e', 'r', 'lo', 'low', 'er'].map((t, i) => [t, i]));
    const m = new BpeModel({ vocab, merges: [['l', 'o'], ['lo', 'w'], ['e', 'r']] });
    expect(m.tokenize('lower')).toEqual([6, 7]);
    // "aaa" with ["a a"]: the leftmost pair merges, the last 'a' stays alone
    const m2 = new BpeModel({ vocab: new Map([['a', 0], ['aa', 1]]), merges: [['a', 'a']] });
    expect(m2.tokenize('aaa')).toEqual([1, 0]);
  });

  it('agrees with the textbook algorithm on random merge tables, short and long words', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(40), fc.nat(40)), { minLength: 1, maxLength: 40 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 80 }),
        (picks, word) => {
          const { model, merges } = randomModel(picks);
          const got = model.tokenize(word).map((id) => model.idToToken[id]);
          expect(got).toEqual(referenceBpe(word, merges));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('falls back to <0xNN> byte tokens, or to a (fused) unk token', () => {
    const vocab = new Map<string, number>([['<unk>', 0], ['a', 1], ['<0xE2>', 2], ['<0x98>', 3], ['<0x83>', 4]]);
    const fallback = new BpeModel({ vocab, merges: [], byteFallback: true, unkToken: '<unk>' });
    expect(fallback.tokenize('a☃')).toEqual([1, 2, 3, 4]); // ☃ = E2 98 83
    expect(fallback.tokenize('aé')).toEqual([1, 0]); // é = C3 A9, not all bytes present → unk
    const fused = new BpeModel({ vocab, merges: [], unkToken: '<unk>', fuseUnk: true });
    expect(fused.tokenize('xya')).toEqual([0, 1]);
    const strict = new BpeModel({ vocab, merges: [] });
    expect(() => strict.tokenize('x')).toThrow('no token for character "x" (U+0078)');
  });

  it('with ignoreMerges emits a word that is in the vocab as one token', () => {
    const vocab = new Map([['a', 0], ['b', 1], ['c', 2], ['abc', 3]]);
    expect(new BpeModel({ vocab, merges: [] }).tokenize('abc')).toEqual([0, 1, 2]);
    expect(new BpeModel({ vocab, merges: [], ignoreMerges: true }).tokenize('abc')).toEqual([3]);
  });

  it('names the merge that uses an unknown token', () => {
    expect(() => new BpeModel({ vocab: new Map([['a', 0]]), merges: [['a', 'z']] }, 'f.json: model')).toThrow(
      'f.json: model.merges[0]: merge "a z" uses token "z" that is not in the vocab',
    );
  });
});
