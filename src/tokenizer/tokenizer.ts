/**
 * The Tokenizer: text ↔ token ids, following the Hugging Face `tokenizers` pipeline.
 *
 *   encode:  text ─ split out added tokens ─▶ normalizer ─▶ pre-tokenizer ─▶ BPE per word ─▶ ids
 *                                                                 (post-processor if asked: BOS…)
 *   decode:  ids ─▶ token strings ─▶ decoder chain ─▶ text
 *
 * A Tokenizer is described by the same pieces as a tokenizer.json file: a BPE model, added tokens,
 * and JSON descriptions of the normalizer, pre-tokenizer, post-processor and decoder (see
 * normalize.ts, pretokenize.ts, postprocess.ts, decoders.ts). Keeping the JSON means a loaded
 * tokenizer saves back exactly as it came, and alignlab's own tokenizers are ordinary HF files.
 *
 * Special tokens and safety: added tokens marked `special` (e.g. `<|im_end|>`) are recognised in
 * the text only when `allowedSpecial` allows them (tiktoken's option name). By default the string
 * "<|im_end|>" typed by a user is encoded as plain text, so text from outside cannot forge a
 * control token. Non-special added tokens are ordinary vocabulary and always match.
 *
 * Round trip: for byte-level tokenizers `decode(encode(s)) === s` for every well-formed string
 * (lone UTF-16 surrogates are not Unicode and come back as U+FFFD).
 *
 * Simplifications: added tokens are matched on the raw text (Hugging Face matches `normalized`
 * added tokens after normalization); `single_word` is not enforced; no offsets are tracked.
 *
 * @example
 *   const tok = await loadTokenizer('runs/tok');           // see hf.ts
 *   const ids = tok.encode('Hello world');
 *   tok.decode(ids)                                        // 'Hello world'
 *   tok.encode('<|im_end|>', { allowedSpecial: 'all' })    // [id of <|im_end|>]
 */
import { BpeModel } from './bpe.js';
import { chatmlInfo, encodeChat, type ChatMessage, type ChatTemplateInfo, type EncodeChatOptions, type EncodedChat } from './chat.js';
import { decodeTokens, decoderFromHf, type Decoder } from './decoders.js';
import { escapeRegex } from './json.js';
import { normalizerFromHf, type Normalizer } from './normalize.js';
import { postProcessorFromHf, type PostProcessor } from './postprocess.js';
import { preTokenizerFromHf, type PreTokenizer } from './pretokenize.js';

/** A token outside the BPE merges: special (control) tokens and extra vocabulary. */
export interface AddedToken {
  id: number;
  content: string;
  /** Control token (e.g. `<|im_end|>`): matched only when allowed, skippable in decode. */
  special: boolean;
  /** Also swallow whitespace on the left / right of the token when matching. */
  lstrip: boolean;
  rstrip: boolean;
  /** Kept for saving; not enforced (see the file comment). */
  singleWord: boolean;
  normalized: boolean;
}

/** The fields of tokenizer_config.json that alignlab uses. */
export interface TokenizerConfig {
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  unkToken: string | null;
  /** Jinja chat template string, when the files carry one. */
  chatTemplate: string | null;
}

/** Everything a Tokenizer is made of; the component fields are tokenizer.json JSON. */
export interface TokenizerParts {
  model: BpeModel;
  addedTokens: AddedToken[];
  normalizer?: unknown;
  preTokenizer?: unknown;
  postProcessor?: unknown;
  decoder?: unknown;
  config?: Partial<TokenizerConfig>;
  /** Where the tokenizer came from (a file path), used in error messages. */
  source?: string;
}

export interface EncodeOptions {
  /** Special tokens recognised in the text: 'all' or a list of contents. Default: none. */
  allowedSpecial?: 'all' | readonly string[];
  /** Add the post-processor's tokens (e.g. Llama's BOS). Default false. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special added tokens (e.g. `<|im_end|>`). Default false. */
  skipSpecialTokens?: boolean;
}

export class Tokenizer {
  readonly model: BpeModel;
  readonly addedTokens: readonly AddedToken[];
  /** The tokenizer.json descriptions of the pipeline steps (null when absent). */
  readonly normalizerJson: unknown;
  readonly preTokenizerJson: unknown;
  readonly postProcessorJson: unknown;
  readonly decoderJson: unknown;
  readonly config: TokenizerConfig;
  readonly source: string;
  private readonly normalizer: Normalizer;
  private readonly preTokenizer: PreTokenizer;
  private readonly postProcessor: PostProcessor;
  private readonly decoder: Decoder | undefined;
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly addedById = new Map<number, AddedToken>();
  private readonly splitters = new Map<string, RegExp | null>();
  /** id → token string for decode (added tokens override the model), and which ids are special. */
  private readonly tokenOfId: string[];
  private readonly specialId: Uint8Array;

  constructor(parts: TokenizerParts) {
    this.source = parts.source ?? 'tokenizer';
    this.model = parts.model;
    this.addedTokens = parts.addedTokens;
    this.normalizerJson = parts.normalizer ?? null;
    this.preTokenizerJson = parts.preTokenizer ?? null;
    this.postProcessorJson = parts.postProcessor ?? null;
    this.decoderJson = parts.decoder ?? null;
    this.config = { bosToken: null, eosToken: null, padToken: null, unkToken: null, chatTemplate: null, ...parts.config };
    this.normalizer = normalizerFromHf(this.normalizerJson, `${this.source}: normalizer`);
    this.preTokenizer = preTokenizerFromHf(this.preTokenizerJson, `${this.source}: pre_tokenizer`);
    this.postProcessor = postProcessorFromHf(this.postProcessorJson, `${this.source}: post_processor`);
    this.decoder = decoderFromHf(this.decoderJson, `${this.source}: decoder`);
    this.tokenOfId = [...this.model.idToToken];
    this.specialId = new Uint8Array(this.vocabSize);
    for (const t of this.addedTokens) {
      this.addedByContent.set(t.content, t);
      this.addedById.set(t.id, t);
      this.tokenOfId[t.id] = t.content;
      if (t.special) this.specialId[t.id] = 1;
    }
  }

  /** Number of ids (one more than the largest id of the model or the added tokens). */
  get vocabSize(): number {
    let max = this.model.idToToken.length - 1;
    for (const t of this.addedTokens) max = Math.max(max, t.id);
    return max + 1;
  }

  /** Id of a token string (added tokens first, then the model vocabulary). */
  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.vocab.get(token);
  }

  /** Token string of an id (as stored in the vocabulary, e.g. "Ġthe"). */
  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken[id];
  }

  /** Id of the configured BOS / EOS / PAD token, when the config names one that exists. */
  get bosTokenId(): number | undefined {
    return this.config.bosToken === null ? undefined : this.tokenToId(this.config.bosToken);
  }
  get eosTokenId(): number | undefined {
    return this.config.eosToken === null ? undefined : this.tokenToId(this.config.eosToken);
  }
  get padTokenId(): number | undefined {
    return this.config.padToken === null ? undefined : this.tokenToId(this.config.padToken);
  }

  /** Text → ids. Special tokens in `text` are plain text unless `allowedSpecial` says otherwise. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    const splitter = this.splitter(options.allowedSpecial);
    let last = 0;
    if (splitter) {
      splitter.lastIndex = 0;
      for (let m = splitter.exec(text); m !== null; m = splitter.exec(text)) {
        this.encodeOrdinary(text.slice(last, m.index), last === 0, ids);
        ids.push(this.addedMatch(m[0]).id);
        last = m.index + m[0].length;
      }
    }
    this.encodeOrdinary(text.slice(last), last === 0, ids);
    return options.addSpecialTokens ? this.postProcessor(ids) : ids;
  }

  /** Ids → text, through the decoder chain. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const tokens: string[] = [];
    const skip = options.skipSpecialTokens ?? false;
    for (const id of ids) {
      const token = this.tokenOfId[id];
      if (token === undefined) throw new RangeError(`decode: token id ${id} is not in the vocabulary of ${this.source} (size ${this.vocabSize})`);
      if (!(skip && this.specialId[id] === 1)) tokens.push(token);
    }
    return decodeTokens(this.decoder, tokens);
  }

  /** ChatML rendering with an assistant-token mask for SFT (see chat.ts). */
  encodeChat(messages: readonly ChatMessage[], options: EncodeChatOptions = {}): EncodedChat {
    return encodeChat(this, messages, options);
  }

  /** The chat format and stop tokens for a sampler, or null when the vocabulary lacks ChatML. */
  get chatTemplate(): ChatTemplateInfo | null {
    return chatmlInfo(this);
  }

  /** Normalize, pre-tokenize and BPE one stretch of text with no added tokens in it. */
  private encodeOrdinary(text: string, first: boolean, out: number[]): void {
    if (text.length === 0) return;
    const normalized = this.normalizer(text);
    if (normalized.length === 0) return;
    this.preTokenizer(normalized, first, (word) => {
      if (word.length === 0) return;
      for (const id of this.model.tokenize(word)) out.push(id);
    });
  }

  /** The added token a splitter match stands for (the match may include stripped whitespace). */
  private addedMatch(matched: string): AddedToken {
    return (
      this.addedByContent.get(matched) ??
      this.addedByContent.get(matched.trimStart()) ??
      this.addedByContent.get(matched.trimEnd()) ??
      this.addedByContent.get(matched.trim())!
    );
  }

  /**
   * A regex matching the added tokens to recognise: non-special ones always, special ones when
   * allowed. Longest contents first, so the leftmost match is also the longest (as Hugging Face's
   * Aho-Corasick matcher does). Null when there is nothing to match.
   */
  private splitter(allowed: 'all' | readonly string[] | undefined): RegExp | null {
    const key = allowed === undefined ? '' : allowed === 'all' ? '\u0000all' : allowed.join('\u0000');
    const cached = this.splitters.get(key);
    if (cached !== undefined) return cached;
    if (Array.isArray(allowed)) {
      for (const name of allowed) {
        if (!this.addedByContent.get(name)?.special) throw new Error(`encode: allowedSpecial names ${JSON.stringify(name)}, which is not a special token of ${this.source}`);
      }
    }
    const active = this.addedTokens.filter((t) => t.content.length > 0 && (!t.special || allowed === 'all' || (Array.isArray(allowed) && allowed.includes(t.content))));
    let re: RegExp | null = null;
    if (active.length > 0) {
      const alternatives = [...active]
        .sort((a, b) => b.content.length - a.content.length)
        .map((t) => `${t.lstrip ? '\\s*' : ''}${escapeRegex(t.content)}${t.rstrip ? '\\s*' : ''}`);
      re = new RegExp(alternatives.join('|'), 'gu');
    }
    this.splitters.set(key, re);
    return re;
  }
}
