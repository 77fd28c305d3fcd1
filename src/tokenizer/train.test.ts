import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteToChar } from './bytes.js';
import { preTokenize, preTokenizerFromHf } from './pretokenize.js';
import { byteLevelPipeline, trainBpe } from './train.js';

const NO_SPECIALS = { specialTokens: [] as string[] };

/**
 * An independent, slow trainer: recount every pair of every word before each merge; best count,
 * ties → smaller (left id, right id). Ids: byte characters by code point, then merges in order.
 */
function referenceMerges(texts: string[], merges: number, minFrequency: number): string[] {
  const pre = preTokenizerFromHf(byteLevelPipeline().preTokenizer, 'test');
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of preTokenize(pre, t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const tokens = [...byteToChar].sort();
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  let words = [...counts].map(([w, c]) => ({ syms: Array.from(w), c }));
  const out: string[] = [];
  while (out.length < merges) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) pairs.set(`${syms[i]} ${syms[i + 1]}`, (pairs.get(`${syms[i]} ${syms[i + 1]}`) ?? 0) + c);
    let best: [string, number, number, number] | undefined;
    for (const [p, c] of pairs) {
      const [a, b] = p.split(' ') as [string, string];
      const key: [string, number, number, number] = [p, c, idOf.get(a)!, idOf.get(b)!];
      if (!best || c > best[1] || (c === best[1] && (key[2] < best[2] || (key[2] === best[2] && key[3] < best[3])))) best = key;
    }
    if (!best || best[1] < minFrequency) break;
    const [a, b] = best[0].split(' ') as [string, string];
    out.push(best[0]);
    if (!idOf.has(a + b)) {
      idOf.set(a + b, tokens.length);
      tokens.push(a + b);
    }
    words = words.map(({ syms, c }) => {
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (syms[i] === a && syms[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(syms[i]!);
      }
      return { syms: next, c };
    });
  }
  return out;
}

const mergeStrings = (tok: ReturnType<typeof trainBpe>) => tok.model.merges.map(([a, b]) => `${a} ${b}`);

describe('trainBpe', () => {
  it('learns the classic "aaabdaaabac" merges derived by hand', () => {
    // pairs: aa 4 (counted by position), ab 2, bd da ba ac 1 → merge "a a": aa a b d aa a b a c
    // pairs: (aa,a) 2, (a,b) 2 → tie, smaller ids win: a=64 < aa=256 → "a b": aa ab d aa ab a c
    // pairs: (aa,ab) 2 → "aa ab"; then all count 1, smallest ids: (a,c) = (64, 66) → "a c"
    const tok = trainBpe(['aaabdaaabac'], { vocabSize: 256 + 4, minFrequency: 1, ...NO_SPECIALS });
    expect(mergeStrings(tok)).toEqual(['a a', 'a b', 'aa ab', 'a c']);
    expect(tok.encode('aaabdaaabac').map((id) => tok.idToToken(id))).toEqual(['aaab', 'd', 'aaab', 'ac']);
  });

  it('learns the "hug pug pun bun" merges derived by hand, and stops at minFrequency', () => {
    // words: "hug" 1, "Ġhug" 2, "Ġpug" 1, "Ġpun" 1, "Ġbun" 1. Ids: 4 specials, then the byte
    // characters by code point ("!" = 4, so "p" = 83, "u" = 88, and "Ġ" = U+0120 = 224), merges 260..
    // 1. (u,g) 4 → ug=260   2. (h,ug) 3 → hug=261
    // 3. tie at 2 among (Ġ,p) (Ġ,hug) (u,n): u=88 < Ġ=224 → (u,n)
    // 4. tie at 2 between (Ġ,p) and (Ġ,hug): p=83 < hug=261 → (Ġ,p)   5. (Ġ,hug)
    // then every pair occurs once < minFrequency 2
    const tok = trainBpe(['hug hug hug pug pun bun'], { vocabSize: 1000 });
    expect(mergeStrings(tok)).toEqual(['u g', 'h ug', 'u n', 'Ġ p', 'Ġ hug']);
    expect(tok.vocabSize).toBe(4 + 256 + 5);
    expect(tok.idToToken(0)).toBe('<|endoftext|>');
    expect(tok.idToToken(4)).toBe('!');
    expect(tok.idToToken(4 + 0x61 - 0x21)).toBe('a');
    expect(tok.encode(' hug').map((id) => tok.idToToken(id))).toEqual(['Ġhug']);
  });

  it('reproduces Hugging Face tokenizers (0.23.2) BpeTrainer: merges and ids recorded from it', () => {
    // Recorded with: Tokenizer(BPE()), pre_tokenizer Sequence[Split(LLAMA3_PATTERN, isolated),
    // ByteLevel(use_regex=False)], BpeTrainer(vocab_size=308, min_frequency=2, the 4 ChatML
    // special tokens, initial_alphabet=ByteLevel.alphabet()), train_from_iterator(texts).
    const texts = [
      'The customer asked for a refund. The agent checked the policy and approved the refund.',
      "Can't refund after 30 days, she said; they'll escalate it. It's the policy!\n\n",
      'Le client a demandé un remboursement. Über 100 Kunden — naïve café 😀😀 ✓✓',
      '    def refund(order):\n        return policy.check(order)\n',
    ];
    const hfMerges = ['h e', 'Ġ Ġ', 'n d', 'Ġ a', 'r e', 'Ġ re', 'e r', 'u nd', 'e n', 'f und', 'l i', 't he', 'Ġ c', 'Ġ the', 'Ġre fund', 'c y', 'e d', 'o r', 'o li', 'p oli', 'Ġ d', 'Ġ poli', 'en t', 'Ġpoli cy', '( or', 'T he', 'c k', 'd er', 'e m', 'u r', 'Ã ©', 'â ľ', 'ð Ł', 'Ġ s', 'ĺ Ģ', 'he ck', 'ĠĠ Ġ', '(or der', 'âľ ĵ', 'ðŁ ĺĢ'];
    const tok = trainBpe(texts, { vocabSize: 4 + 256 + 48, minFrequency: 2 });
    expect(mergeStrings(tok)).toEqual(hfMerges);
    expect(tok.encode("The refund policy can't wait: 2024 😀")).toEqual([285, 274, 283, 272, 68, 81, 10, 87, 224, 90, 68, 76, 87, 29, 224, 21, 19, 21, 23, 224, 299]);
    expect(tok.encode('naïve\n\n  café')).toEqual([81, 68, 131, 111, 89, 72, 202, 202, 224, 272, 68, 73, 290]);
  });

  it('matches a slow recount-every-merge trainer on random corpora', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', 'é', '\n'), maxLength: 30 }), { maxLength: 6 }), (texts) => {
        const tok = trainBpe(texts, { vocabSize: 256 + 12, minFrequency: 2, ...NO_SPECIALS });
        expect(mergeStrings(tok)).toEqual(referenceMerges(texts, 12, 2));
      }),
      { numRuns: 150 },
    );
  });

  it('never learns pieces across special tokens and keeps them out of merges', () => {
    const tok = trainBpe(['x<|im_end|>x<|im_end|>x<|im_end|>'], { vocabSize: 1000, minFrequency: 1 });
    expect(tok.model.merges).toEqual([]);
    expect(tok.decode(tok.encode('<|im_end|>'))).toBe('<|im_end|>');
  });

  it('rejects a vocabulary smaller than the specials plus 256 bytes', () => {
    expect(() => trainBpe(['abc'], { vocabSize: 100 })).toThrow('vocabSize must be an integer of at least 260');
  });
});
