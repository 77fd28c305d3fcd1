/**
 * Bytes ↔ printable characters, the trick that makes BPE "byte-level" (GPT-2, Radford et al. 2019).
 *
 * A byte-level BPE works on UTF-8 bytes, so any string can be encoded with no unknown token. But
 * the vocabulary of a Hugging Face `tokenizer.json` is a map from *strings* to ids, and raw bytes
 * such as 0x0A or 0x20 are unreadable (or illegal) in JSON keys. GPT-2 therefore maps each of the
 * 256 byte values to one printable Unicode character:
 *
 *   - the 188 bytes that already print as themselves in Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ')
 *     keep their own code point;
 *   - the other 68 bytes (controls, space, NBSP, soft hyphen) get U+0100, U+0101, … in byte order.
 *
 * So a space (0x20) becomes 'Ġ' (U+0120) and a newline (0x0A) becomes 'Ċ' (U+010A), which is why
 * real vocabularies are full of tokens like "Ġthe". Every mapped character is a single UTF-16 code
 * unit, which keeps string handling simple.
 *
 * @example
 *   byteToChar[0x20]            // 'Ġ'
 *   bytesToSymbols(utf8Encode('hi there'))  // 'hiĠthere'
 *   utf8Decode(symbolsToBytes('hiĠthere')!) // 'hi there'
 */

function buildByteToChar(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

/** `byteToChar[b]` is the printable character that stands for byte `b` (length-256 table). */
export const byteToChar: readonly string[] = buildByteToChar();

/** Inverse of {@link byteToChar}: UTF-16 code unit → byte value, -1 for other characters. */
export function charToByte(codeUnit: number): number {
  return codeUnit < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[codeUnit]! : -1;
}
const CHAR_TO_BYTE = new Int16Array(0x144).fill(-1);
byteToChar.forEach((c, b) => (CHAR_TO_BYTE[c.charCodeAt(0)] = b));

const encoder = new TextEncoder();
// `fatal: false`: invalid sequences (e.g. a prefix of a multi-byte character) become U+FFFD,
// the same choice as Rust's `String::from_utf8_lossy` used by Hugging Face decoders.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** UTF-8 bytes of a string. Lone surrogates (not valid Unicode) become U+FFFD's bytes. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** String from UTF-8 bytes; invalid sequences become U+FFFD. A leading BOM is kept, not eaten. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Bytes → their printable-character spelling, e.g. [0x68, 0x20] → 'hĠ'. */
export function bytesToSymbols(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += byteToChar[bytes[i]!];
  return out;
}

/**
 * A string's UTF-8 bytes spelled in byte characters, e.g. ' hé' → 'ĠhÃ©'. Same as
 * `bytesToSymbols(utf8Encode(text))`, with a fast path for ASCII (most words of most text).
 */
export function toByteSymbols(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return bytesToSymbols(utf8Encode(text));
    out += byteToChar[c]!;
  }
  return out;
}

/**
 * Printable-character spelling → bytes, or `undefined` when some character is not one of the
 * 256 byte characters (e.g. an added token such as "<|im_end|> " with a real space in it).
 */
export function symbolsToBytes(symbols: string): Uint8Array | undefined {
  const out = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const b = charToByte(symbols.charCodeAt(i));
    if (b < 0) return undefined;
    out[i] = b;
  }
  return out;
}
