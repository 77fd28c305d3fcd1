/**
 * Reading and writing Hugging Face tokenizer files: `tokenizer.json` (the pipeline and the BPE
 * model) and `tokenizer_config.json` (special-token roles and the Jinja chat template).
 *
 * Loads byte-level BPE files (GPT-2, Llama-3, Qwen2, SmolLM: `ByteLevel` or
 * `Sequence[Split, ByteLevel]` pre-tokenizers, merges as "a b" strings or [a, b] pairs) and
 * SentencePiece-style BPE files (Llama-2, TinyLlama: `byte_fallback` with `<0xNN>` tokens, a
 * Prepend/Replace normalizer or a Metaspace pre-tokenizer). Other model types (WordPiece, Unigram,
 * WordLevel) are refused with one clear error.
 *
 * The layout of tokenizer.json (version "1.0"):
 *   { "added_tokens": [{id, content, special, lstrip, rstrip, single_word, normalized}],
 *     "normalizer": …, "pre_tokenizer": …, "post_processor": …, "decoder": …,
 *     "model": { "type": "BPE", "vocab": {token: id}, "merges": ["a b", …] | [["a","b"], …],
 *                "unk_token", "byte_fallback", "fuse_unk", "ignore_merges", "dropout", … } }
 *
 * Saving writes both files through a temporary file and a rename, so a crash never leaves a
 * half-written tokenizer. Saved files load in `transformers` (PreTrainedTokenizerFast) and here.
 *
 * @example
 *   await saveTokenizer(trainBpe(texts, { vocabSize: 4096 }), 'runs/tok');
 *   const tok = await loadTokenizer('runs/tok');    // a directory or a tokenizer.json path
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BpeModel } from './bpe.js';
import { CHATML_JINJA, chatmlInfo } from './chat.js';
import { expectArray, expectObject, expectString, fieldError, isObject, optionalBoolean, type JsonObject } from './json.js';
import { Tokenizer, type AddedToken, type TokenizerConfig } from './tokenizer.js';

/** Build a Tokenizer from parsed tokenizer.json (and optionally tokenizer_config.json) objects. */
export function tokenizerFromHfJson(json: unknown, source = 'tokenizer.json', configJson?: unknown): Tokenizer {
  const root = expectObject(json, source);
  const modelJson = expectObject(root.model, `${source}: model`);
  const type = modelJson.type ?? (modelJson.merges !== undefined ? 'BPE' : undefined);
  if (type !== 'BPE') throw new Error(`${source}: unsupported tokenizer model type ${JSON.stringify(type ?? null)} (supported: BPE)`);
  const where = `${source}: model`;

  const vocabJson = expectObject(modelJson.vocab, `${where}.vocab`);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(vocabJson)) {
    if (typeof id !== 'number') throw fieldError(`${where}.vocab[${JSON.stringify(token)}]`, `expected an integer id, got ${JSON.stringify(id)}`);
    vocab.set(token, id);
  }
  const merges = expectArray(modelJson.merges ?? [], `${where}.merges`).map((m, i): [string, string] => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length !== 2) throw fieldError(`${where}.merges[${i}]`, `expected "left right" with one space, got ${JSON.stringify(m)}`);
      return [parts[0]!, parts[1]!];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw fieldError(`${where}.merges[${i}]`, 'expected "left right" or ["left", "right"]');
  });
  if (modelJson.dropout !== undefined && modelJson.dropout !== null && modelJson.dropout !== 0) {
    throw fieldError(`${where}.dropout`, 'BPE dropout is not supported (expected null)');
  }
  for (const field of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const v = modelJson[field];
    if (v !== undefined && v !== null && v !== '') throw fieldError(`${where}.${field}`, `not supported (expected null or ""), got ${JSON.stringify(v)}`);
  }
  const unk = modelJson.unk_token;
  if (unk !== undefined && unk !== null && typeof unk !== 'string') throw fieldError(`${where}.unk_token`, 'expected a string or null');
  const model = new BpeModel(
    {
      vocab,
      merges,
      unkToken: (unk as string | null | undefined) ?? null,
      byteFallback: optionalBoolean(modelJson.byte_fallback, false, `${where}.byte_fallback`),
      fuseUnk: optionalBoolean(modelJson.fuse_unk, false, `${where}.fuse_unk`),
      ignoreMerges: optionalBoolean(modelJson.ignore_merges, false, `${where}.ignore_merges`),
    },
    where,
  );

  const addedTokens = expectArray(root.added_tokens ?? [], `${source}: added_tokens`).map((t, i): AddedToken => {
    const at = `${source}: added_tokens[${i}]`;
    const obj = expectObject(t, at);
    if (typeof obj.id !== 'number' || !Number.isInteger(obj.id) || obj.id < 0) throw fieldError(`${at}.id`, `expected a non-negative integer, got ${JSON.stringify(obj.id)}`);
    return {
      id: obj.id,
      content: expectString(obj.content, `${at}.content`),
      special: optionalBoolean(obj.special, false, `${at}.special`),
      lstrip: optionalBoolean(obj.lstrip, false, `${at}.lstrip`),
      rstrip: optionalBoolean(obj.rstrip, false, `${at}.rstrip`),
      singleWord: optionalBoolean(obj.single_word, false, `${at}.single_word`),
      normalized: optionalBoolean(obj.normalized, false, `${at}.normalized`),
    };
  });

  return new Tokenizer({
    model,
    addedTokens,
    normalizer: root.normalizer,
    preTokenizer: root.pre_tokenizer,
    postProcessor: root.post_processor,
    decoder: root.decoder,
    config: configFromHf(configJson, 'tokenizer_config.json'),
    source,
  });
}

/** Read the special-token roles and chat template of tokenizer_config.json. */
function configFromHf(json: unknown, where: string): Partial<TokenizerConfig> {
  if (json === undefined || json === null) return {};
  const obj = expectObject(json, where);
  const token = (field: string): string | null => {
    const v = obj[field];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string') return v;
    if (isObject(v) && typeof v.content === 'string') return v.content; // older AddedToken form
    throw fieldError(`${where}: ${field}`, 'expected a string, {"content": ...} or null');
  };
  let chatTemplate: string | null = null;
  if (typeof obj.chat_template === 'string') chatTemplate = obj.chat_template;
  else if (Array.isArray(obj.chat_template)) {
    const named = obj.chat_template.find((t) => isObject(t) && t.name === 'default');
    if (isObject(named) && typeof named.template === 'string') chatTemplate = named.template;
  }
  return { bosToken: token('bos_token'), eosToken: token('eos_token'), padToken: token('pad_token'), unkToken: token('unk_token'), chatTemplate };
}

/** The tokenizer.json object of a Tokenizer. */
export function tokenizerToHfJson(tok: Tokenizer): JsonObject {
  const model = tok.model;
  const vocab: Record<string, number> = {};
  for (const [token, id] of [...model.vocab].sort((x, y) => x[1] - y[1])) vocab[token] = id;
  // "a b" strings are the classic, widely readable form; pairs when a token holds a space.
  const spaced = model.merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: tok.addedTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: t.singleWord,
      lstrip: t.lstrip,
      rstrip: t.rstrip,
      normalized: t.normalized,
      special: t.special,
    })),
    normalizer: tok.normalizerJson,
    pre_tokenizer: tok.preTokenizerJson,
    post_processor: tok.postProcessorJson,
    decoder: tok.decoderJson,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: model.unkToken,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: model.fuseUnk,
      byte_fallback: model.byteFallback,
      ignore_merges: model.ignoreMerges,
      vocab,
      merges: spaced ? model.merges : model.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** The tokenizer_config.json object of a Tokenizer (for `transformers`' PreTrainedTokenizerFast). */
export function tokenizerConfigToHfJson(tok: Tokenizer): JsonObject {
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const t of tok.addedTokens) {
    addedTokensDecoder[String(t.id)] = { content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: t.rstrip, single_word: t.singleWord, special: t.special };
  }
  return {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: addedTokensDecoder,
    bos_token: tok.config.bosToken,
    eos_token: tok.config.eosToken,
    pad_token: tok.config.padToken,
    unk_token: tok.config.unkToken,
    chat_template: tok.config.chatTemplate ?? (chatmlInfo(tok) ? CHATML_JINJA : null),
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

/** Write `tokenizer.json` and `tokenizer_config.json` into `dir` (created if needed). */
export async function saveTokenizer(tok: Tokenizer, dir: string): Promise<{ tokenizerFile: string; configFile: string }> {
  await mkdir(dir, { recursive: true });
  const tokenizerFile = join(dir, 'tokenizer.json');
  const configFile = join(dir, 'tokenizer_config.json');
  await writeAtomic(tokenizerFile, `${JSON.stringify(tokenizerToHfJson(tok), null, 2)}\n`);
  await writeAtomic(configFile, `${JSON.stringify(tokenizerConfigToHfJson(tok), null, 2)}\n`);
  return { tokenizerFile, configFile };
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: malformed JSON (${(err as Error).message})`);
  }
}

/**
 * Load a tokenizer from a directory holding `tokenizer.json` (and optionally
 * `tokenizer_config.json`), or from the path of a tokenizer.json file (its directory's
 * tokenizer_config.json is read when present).
 */
export async function loadTokenizer(pathOrDir: string): Promise<Tokenizer> {
  let info;
  try {
    info = await stat(pathOrDir);
  } catch {
    throw new Error(`${pathOrDir}: not found (expected a tokenizer.json file or a directory containing one)`);
  }
  const file = info.isDirectory() ? join(pathOrDir, 'tokenizer.json') : pathOrDir;
  const configFile = join(info.isDirectory() ? pathOrDir : dirname(pathOrDir), 'tokenizer_config.json');
  let json: unknown;
  try {
    json = await readJson(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file}: not found (the directory has no tokenizer.json)`);
    throw err;
  }
  let config: unknown;
  try {
    config = await readJson(configFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return tokenizerFromHfJson(json, file, config);
}
