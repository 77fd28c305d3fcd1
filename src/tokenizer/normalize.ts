/**
 * Normalizers: the first step of a Hugging Face tokenizer pipeline, a string → string rewrite
 * applied to each stretch of text between added tokens (before pre-tokenization).
 *
 * Supported `normalizer` types of tokenizer.json: `NFC`, `NFD`, `NFKC`, `NFKD`, `Lowercase`,
 * `Prepend`, `Replace` (String or Regex pattern), `Strip`, `Sequence`, and `null` (identity).
 * SentencePiece-style Llama-2 / TinyLlama files use
 * `Sequence[Prepend("▁"), Replace(" " → "▁")]`, which turns "Hi there" into "▁Hi▁there".
 *
 * Simplification: Hugging Face tracks character alignments (offsets) through normalization; we
 * only need the resulting text.
 *
 * @example
 *   const norm = normalizerFromHf({ type: 'Sequence', normalizers: [
 *     { type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] }, 'x');
 *   norm('Hi there') // '▁Hi▁there'
 */
import { compileHfRegex } from './regex.js';
import { escapeRegex, expectArray, expectObject, expectString, fieldError, optionalBoolean, readPattern } from './json.js';

export type Normalizer = (text: string) => string;

const identity: Normalizer = (text) => text;

/** Build a normalizer from the `normalizer` field of tokenizer.json; `where` names file and field. */
export function normalizerFromHf(json: unknown, where: string): Normalizer {
  if (json === null || json === undefined) return identity;
  const obj = expectObject(json, where);
  const type = expectString(obj.type, `${where}.type`);
  switch (type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (text) => text.normalize(type);
    case 'Lowercase':
      return (text) => text.toLowerCase();
    case 'Prepend': {
      const prepend = expectString(obj.prepend, `${where}.prepend`);
      // Hugging Face prepends only to non-empty text.
      return (text) => (text.length > 0 ? prepend + text : text);
    }
    case 'Replace': {
      const pattern = readPattern(obj.pattern, `${where}.pattern`);
      const content = expectString(obj.content, `${where}.content`);
      const re = pattern.kind === 'String' ? new RegExp(escapeRegex(pattern.text), 'gu') : compileHfRegex(pattern.text, `${where}.pattern`);
      return (text) => text.replace(re, () => content);
    }
    case 'Strip': {
      const left = optionalBoolean(obj.strip_left, true, `${where}.strip_left`);
      const right = optionalBoolean(obj.strip_right, true, `${where}.strip_right`);
      return (text) => (left && right ? text.trim() : left ? text.trimStart() : right ? text.trimEnd() : text);
    }
    case 'Sequence': {
      const parts = expectArray(obj.normalizers, `${where}.normalizers`).map((n, i) => normalizerFromHf(n, `${where}.normalizers[${i}]`));
      return (text) => parts.reduce((t, n) => n(t), text);
    }
    default:
      throw fieldError(where, `unsupported normalizer type "${type}" (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence)`);
  }
}
