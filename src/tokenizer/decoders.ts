/**
 * Decoders: turn a list of token strings back into text (the last step of `decode`).
 *
 * A decoder is a chain of steps over token strings, as in Hugging Face `tokenizers`:
 *   - `ByteLevel`: each token's printable characters → bytes (bytes.ts), all bytes concatenated,
 *     then UTF-8 decoded once, so a character split across tokens comes back whole. A token with
 *     characters outside the byte alphabet (an added token like "<|im_end|>" is inside it, but one
 *     with a real space is not) contributes its own UTF-8 bytes.
 *   - `ByteFallback`: runs of "<0xNN>" tokens → the string their bytes spell; invalid UTF-8 gives
 *     one U+FFFD per byte (Hugging Face's choice).
 *   - `Replace` {pattern, content}: e.g. "▁" → " " in SentencePiece-style files.
 *   - `Fuse`: all tokens into one string.
 *   - `Strip` {content, start, stop}: drop up to `start` leading / `stop` trailing `content`
 *     characters of each token (Llama-2 strips the space that "▁" put before the first word).
 *   - `Metaspace` {replacement, prepend_scheme | add_prefix_space}: "▁" → " ", and the first
 *     token loses its leading space unless the scheme is "never".
 *   - `Sequence` {decoders}.
 * Without a decoder, Hugging Face joins tokens with a single space; so do we.
 *
 * @example
 *   const dec = decoderFromHf({ type: 'ByteLevel' }, 'x');
 *   decodeTokens(dec, ['Hello', 'Ġw', 'orld']) // 'Hello world'
 */
import { charToByte, utf8Decode } from './bytes.js';
import { escapeRegex, expectArray, expectObject, expectString, fieldError, optionalBoolean, readPattern } from './json.js';
import { compileHfRegex } from './regex.js';

/** One decoding step: token strings in, token strings out. */
export type Decoder = (tokens: string[]) => string[];

/** Run a decoder (or the space-join default when there is none) and join the result. */
export function decodeTokens(decoder: Decoder | undefined, tokens: string[]): string {
  return decoder ? decoder(tokens).join('') : tokens.join(' ');
}

const encoder = new TextEncoder();

const byteLevelDecoder: Decoder = (tokens) => {
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so 3 × length always fits.
  let capacity = 0;
  for (const t of tokens) capacity += 3 * t.length;
  const bytes = new Uint8Array(capacity);
  let at = 0;
  for (const t of tokens) {
    let ok = true;
    for (let i = 0; i < t.length; i++) {
      const b = charToByte(t.charCodeAt(i));
      if (b < 0) {
        ok = false;
        break;
      }
      bytes[at + i] = b;
    }
    if (ok) at += t.length;
    else at += encoder.encodeInto(t, bytes.subarray(at)).written;
  }
  return [utf8Decode(bytes.subarray(0, at))];
};

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

const byteFallbackDecoder: Decoder = (tokens) => {
  const out: string[] = [];
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const bytes = Uint8Array.from(pending);
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    try {
      out.push(text.decode(bytes));
    } catch {
      out.push('\uFFFD'.repeat(bytes.length));
    }
    pending = [];
  };
  for (const t of tokens) {
    const m = BYTE_TOKEN.exec(t);
    if (m) pending.push(parseInt(m[1]!, 16));
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
};

/** Build a decoder from the `decoder` field of tokenizer.json; `null` → undefined (space join). */
export function decoderFromHf(json: unknown, where: string): Decoder | undefined {
  if (json === null || json === undefined) return undefined;
  const obj = expectObject(json, where);
  const type = expectString(obj.type, `${where}.type`);
  switch (type) {
    case 'ByteLevel':
      return byteLevelDecoder;
    case 'ByteFallback':
      return byteFallbackDecoder;
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Replace': {
      const pattern = readPattern(obj.pattern, `${where}.pattern`);
      const content = expectString(obj.content, `${where}.content`);
      const re = pattern.kind === 'String' ? new RegExp(escapeRegex(pattern.text), 'gu') : compileHfRegex(pattern.text, `${where}.pattern`);
      return (tokens) => tokens.map((t) => t.replace(re, () => content));
    }
    case 'Strip': {
      const content = expectString(obj.content, `${where}.content`);
      const start = typeof obj.start === 'number' ? obj.start : 0;
      const stop = typeof obj.stop === 'number' ? obj.stop : 0;
      return (tokens) =>
        tokens.map((t) => {
          const chars = Array.from(t);
          let a = 0;
          while (a < start && a < chars.length && chars[a] === content) a++;
          let b = chars.length;
          while (chars.length - b < stop && b > a && chars[b - 1] === content) b--;
          return chars.slice(a, b).join('');
        });
    }
    case 'Metaspace': {
      const replacement = obj.replacement === undefined ? '▁' : expectString(obj.replacement, `${where}.replacement`);
      const scheme =
        obj.prepend_scheme !== undefined
          ? expectString(obj.prepend_scheme, `${where}.prepend_scheme`)
          : optionalBoolean(obj.add_prefix_space, true, `${where}.add_prefix_space`)
            ? 'always'
            : 'never';
      return (tokens) =>
        tokens.map((t, i) => {
          const s = t.replaceAll(replacement, ' ');
          return i === 0 && scheme !== 'never' && s.startsWith(' ') ? s.slice(1) : s;
        });
    }
    case 'Sequence': {
      const steps = expectArray(obj.decoders, `${where}.decoders`).map((d, i) => decoderFromHf(d, `${where}.decoders[${i}]`));
      return (tokens) => steps.reduce((ts, step) => (step ? step(ts) : ts), tokens);
    }
    default:
      throw fieldError(where, `unsupported decoder type "${type}" (supported: ByteLevel, ByteFallback, Replace, Fuse, Strip, Metaspace, Sequence)`);
  }
}
