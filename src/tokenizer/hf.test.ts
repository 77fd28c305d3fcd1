import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, saveTokenizer, tokenizerFromHfJson } from './hf.js';
import { trainBpe } from './train.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alignlab-tok-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A GPT-2-style byte-level file, written by hand. */
function gpt2Json(mergesAsPairs: boolean) {
  const merges: Array<[string, string]> = [['h', 'e'], ['l', 'l'], ['he', 'll'], ['hell', 'o'], ['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['Ã', '©']];
  return {
    version: '1.0',
    added_tokens: [
      { id: 18, content: '<|endoftext|>', special: true, lstrip: false, rstrip: false, normalized: false, single_word: false },
      { id: 19, content: '<tool>', special: false, lstrip: false, rstrip: false, normalized: false, single_word: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab: { h: 0, e: 1, l: 2, o: 3, Ġ: 4, w: 5, r: 6, d: 7, he: 8, ll: 9, hell: 10, hello: 11, Ġw: 12, or: 13, Ġwor: 14, Ã: 15, '©': 16, 'Ã©': 17, '<|endoftext|>': 18 },
      merges: mergesAsPairs ? merges : merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** A Llama-3-style file: Split(regex) + ByteLevel, ignore_merges, a BOS template. */
function llama3Json() {
  const json = gpt2Json(true);
  return {
    ...json,
    added_tokens: [{ id: 20, content: '<|begin_of_text|>', special: true, lstrip: false, rstrip: false, normalized: false, single_word: false }],
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
          behavior: 'Isolated',
          invert: false,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [],
      special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [20], tokens: ['<|begin_of_text|>'] } },
    },
    model: { ...json.model, ignore_merges: true, vocab: { ...json.model.vocab, "'": 21, M: 22, "'M": 23, Ġworld: 24 } },
  };
}

/** A Llama-2 / TinyLlama-style SentencePiece BPE file with byte fallback, written by hand. */
function sentencePieceJson(style: 'normalizer' | 'metaspace') {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  Object.assign(vocab, { '▁': 259, h: 260, i: 261, '▁h': 262, '▁hi': 263, t: 264, e: 265, r: 266, he: 267, '▁t': 268, '▁the': 269, re: 270 });
  const special = (id: number, content: string) => ({ id, content, special: true, lstrip: false, rstrip: false, normalized: false, single_word: false });
  return {
    version: '1.0',
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer:
      style === 'normalizer'
        ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] }
        : null,
    pre_tokenizer: style === 'metaspace' ? { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false } : null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder:
      style === 'normalizer'
        ? {
            type: 'Sequence',
            decoders: [
              { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
              { type: 'ByteFallback' },
              { type: 'Fuse' },
              { type: 'Strip', content: ' ', start: 1, stop: 0 },
            ],
          }
        : { type: 'Sequence', decoders: [{ type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges: ['▁ h', '▁h i', 'h e', '▁ t', '▁t he', 'r e'],
    },
  };
}

describe('Hugging Face tokenizer.json: GPT-2 byte-level style', () => {
  for (const pairs of [false, true]) {
    it(`encodes to hand-computed ids (merges as ${pairs ? '[a, b] pairs' : '"a b" strings'})`, () => {
      const tok = tokenizerFromHfJson(gpt2Json(pairs), 'gpt2.json');
      // "hello" → h e l l o → he l l o → he ll o → hell o → hello; "Ġworld" → Ġw or l d → Ġwor l d
      expect(tok.encode('hello world')).toEqual([11, 14, 2, 7]);
      // é = C3 A9 = "Ã©"
      expect(tok.encode('hé')).toEqual([0, 17]);
      expect(tok.decode([11, 14, 2, 7])).toBe('hello world');
      expect(tok.decode([0, 17])).toBe('hé');
    });
  }

  it('matches special tokens only when allowed, non-special added tokens always', () => {
    const tok = tokenizerFromHfJson(gpt2Json(false), 'gpt2.json');
    expect(tok.encode('<tool>hello')).toEqual([19, 11]);
    expect(tok.encode('hello<|endoftext|>', { allowedSpecial: 'all' })).toEqual([11, 18]);
    expect(tok.encode('hello<|endoftext|>', { allowedSpecial: ['<|endoftext|>'] })).toEqual([11, 18]);
    expect(() => tok.encode('x', { allowedSpecial: ['<tool>'] })).toThrow('not a special token');
    expect(tok.decode([11, 18], { skipSpecialTokens: true })).toBe('hello');
  });
});

describe('Hugging Face tokenizer.json: Llama-3 style', () => {
  it('splits with the translated (?i:...) regex, honours ignore_merges, and adds BOS on request', () => {
    const tok = tokenizerFromHfJson(llama3Json(), 'llama3.json');
    // pieces: "hello" "'M" "Ġworld"; "'M" and "Ġworld" are whole vocab entries (ignore_merges)
    expect(tok.encode("hello'M world")).toEqual([11, 23, 24]);
    expect(tok.encode('hello', { addSpecialTokens: true })).toEqual([20, 11]);
  });
});

describe('Hugging Face tokenizer.json: SentencePiece / byte-fallback style', () => {
  for (const style of ['normalizer', 'metaspace'] as const) {
    it(`encodes to hand-computed ids (${style})`, () => {
      const tok = tokenizerFromHfJson(sentencePieceJson(style), 'tinyllama.json');
      // "▁hi▁there": ▁ h i ▁ t h e r e → (rank order) ▁h, ▁hi, he, ▁t, ▁the, re
      expect(tok.encode('hi there')).toEqual([263, 269, 270]);
      // ☃ (E2 98 83) is not in the vocab → byte tokens 3 + 0xE2, 3 + 0x98, 3 + 0x83
      expect(tok.encode('hi ☃')).toEqual([263, 259, 229, 155, 134]);
      expect(tok.encode('hi', { addSpecialTokens: true })).toEqual([1, 263]);
      expect(tok.decode([263, 269, 270])).toBe('hi there');
      expect(tok.decode([263, 259, 229, 155, 134])).toBe('hi ☃');
      expect(tok.decode([229, 155])).toBe('\uFFFD\uFFFD'); // an incomplete character: one U+FFFD per byte
    });
  }

  it('keeps a leading space through the Prepend/Strip pair', () => {
    const tok = tokenizerFromHfJson(sentencePieceJson('normalizer'), 'tinyllama.json');
    for (const s of [' hi', 'hi  there', 'the ☃☃ h']) expect(tok.decode(tok.encode(s))).toBe(s);
  });
});

describe('save → load', () => {
  it('gives identical encodings and the ChatML config for a trained tokenizer', async () => {
    const tok = trainBpe(['The quick brown fox jumps over the lazy dog. 🦊 Füchse springen!\n\n  indented\tcode();'], { vocabSize: 300, minFrequency: 1 });
    const out = join(dir, 'trained');
    await saveTokenizer(tok, out);
    const again = await loadTokenizer(out);
    const config = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ bos_token: '<|endoftext|>', eos_token: '<|im_end|>', pad_token: '<|pad|>' });
    expect(config.chat_template).toContain("'<|im_start|>' + message['role']");
    for (const s of ['The lazy fox 🦊', 'Füchse\n\n  springen', '<|im_end|> plain', '']) {
      expect(again.encode(s)).toEqual(tok.encode(s));
      expect(again.encode(s, { allowedSpecial: 'all' })).toEqual(tok.encode(s, { allowedSpecial: 'all' }));
    }
    expect(again.vocabSize).toBe(tok.vocabSize);
    expect(again.eosTokenId).toBe(2);
    expect(again.chatTemplate?.stopTokenIds).toEqual([2, 0]);
  });

  it('round-trips a loaded SentencePiece-style file (path to tokenizer.json)', async () => {
    const tok = tokenizerFromHfJson(sentencePieceJson('normalizer'), 'tinyllama.json');
    await saveTokenizer(tok, join(dir, 'sp'));
    const again = await loadTokenizer(join(dir, 'sp', 'tokenizer.json'));
    expect(again.encode('hi there ☃', { addSpecialTokens: true })).toEqual(tok.encode('hi there ☃', { addSpecialTokens: true }));
  });
});

describe('clear errors', () => {
  it('refuses other model types naming the file', async () => {
    const file = join(dir, 'wordpiece.json');
    await writeFile(file, JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }));
    await expect(loadTokenizer(file)).rejects.toThrow(`${file}: unsupported tokenizer model type "WordPiece" (supported: BPE)`);
  });

  it('names the file of malformed JSON, and a missing path', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"model": ');
    await expect(loadTokenizer(file)).rejects.toThrow(`${file}: malformed JSON`);
    await expect(loadTokenizer(join(dir, 'nope'))).rejects.toThrow('not found');
    await expect(loadTokenizer(dir)).rejects.toThrow(`${join(dir, 'tokenizer.json')}: not found`);
  });

  it('names the field of an unsupported component or a bad merge', () => {
    const bad = { ...gpt2Json(false), pre_tokenizer: { type: 'BertPreTokenizer' } };
    expect(() => tokenizerFromHfJson(bad, 'x.json')).toThrow('x.json: pre_tokenizer: unsupported pre_tokenizer type "BertPreTokenizer"');
    const json = gpt2Json(false);
    const badMerge = { ...json, model: { ...json.model, merges: ['h e', 'x y'] } };
    expect(() => tokenizerFromHfJson(badMerge, 'x.json')).toThrow('x.json: model.merges[1]: merge "x y" uses token "x"');
  });
});
