/**
 * Post-processors: the special tokens a model expects around an encoded text, such as Llama's
 * BOS (`<|begin_of_text|>`, `<s>`). Applied only when `encode(text, { addSpecialTokens: true })`.
 *
 * Supported `post_processor` types of tokenizer.json: `TemplateProcessing` (its `single`
 * template, e.g. `[<s>] $A`), `RobertaProcessing` / `BertProcessing` (`cls` $A `sep`),
 * `ByteLevel` (only adjusts offsets in Hugging Face, so nothing to do on ids), `Sequence`, null.
 * Pair templates (`$A $B`) are not used by alignlab and are ignored.
 *
 * @example
 *   const post = postProcessorFromHf({ type: 'TemplateProcessing',
 *     single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
 *     special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } }, 'x');
 *   post([100, 200]) // [1, 100, 200]
 */
import { expectArray, expectObject, expectString, fieldError, isObject } from './json.js';

export type PostProcessor = (ids: number[]) => number[];

function tokenIdPair(value: unknown, where: string): number {
  const arr = expectArray(value, where);
  if (typeof arr[1] !== 'number') throw fieldError(where, 'expected ["token", id]');
  return arr[1];
}

/** Build a post-processor from the `post_processor` field of tokenizer.json. */
export function postProcessorFromHf(json: unknown, where: string): PostProcessor {
  if (json === null || json === undefined) return (ids) => ids;
  const obj = expectObject(json, where);
  const type = expectString(obj.type, `${where}.type`);
  switch (type) {
    case 'ByteLevel':
      return (ids) => ids;
    case 'RobertaProcessing':
    case 'BertProcessing': {
      const cls = tokenIdPair(obj.cls, `${where}.cls`);
      const sep = tokenIdPair(obj.sep, `${where}.sep`);
      return (ids) => [cls, ...ids, sep];
    }
    case 'TemplateProcessing': {
      const specials = expectObject(obj.special_tokens ?? {}, `${where}.special_tokens`);
      const parts: Array<number[] | 'A'> = expectArray(obj.single, `${where}.single`).map((item, i) => {
        const at = `${where}.single[${i}]`;
        const piece = expectObject(item, at);
        if (isObject(piece.Sequence)) return 'A';
        if (isObject(piece.SpecialToken)) {
          const name = expectString(piece.SpecialToken.id, `${at}.SpecialToken.id`);
          const entry = expectObject(specials[name], `${where}.special_tokens[${JSON.stringify(name)}]`);
          return expectArray(entry.ids, `${where}.special_tokens[${JSON.stringify(name)}].ids`).map((id) => {
            if (typeof id !== 'number') throw fieldError(`${where}.special_tokens[${JSON.stringify(name)}].ids`, 'expected numbers');
            return id;
          });
        }
        throw fieldError(at, 'expected {"Sequence": ...} or {"SpecialToken": ...}');
      });
      return (ids) => parts.flatMap((p) => (p === 'A' ? ids : p));
    }
    case 'Sequence': {
      const steps = expectArray(obj.processors, `${where}.processors`).map((p, i) => postProcessorFromHf(p, `${where}.processors[${i}]`));
      return (ids) => steps.reduce((acc, step) => step(acc), ids);
    }
    default:
      throw fieldError(where, `unsupported post_processor type "${type}" (supported: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence)`);
  }
}
