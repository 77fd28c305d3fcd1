/**
 * alignlab's tokenizer: byte-level BPE (GPT-2 / Llama-3 style) with a ChatML chat template,
 * stored as Hugging Face `tokenizer.json` + `tokenizer_config.json`.
 *
 * @example
 *   import { trainBpe, saveTokenizer, loadTokenizer } from './tokenizer/index.js';
 *   const tok = trainBpe(texts, { vocabSize: 4096 });
 *   await saveTokenizer(tok, 'runs/tok');
 *   const again = await loadTokenizer('runs/tok');       // also real Llama-3 / Qwen2 / TinyLlama files
 *   again.decode(again.encode('Hi 👋')) === 'Hi 👋';
 *   const { ids, assistantMask } = again.encodeChat([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }]);
 */
export { Tokenizer } from './tokenizer.js';
export type { AddedToken, DecodeOptions, EncodeOptions, TokenizerConfig, TokenizerParts } from './tokenizer.js';
export { BpeModel } from './bpe.js';
export type { BpeModelConfig } from './bpe.js';
export { trainBpe } from './train.js';
export type { TrainBpeConfig } from './train.js';
export { loadTokenizer, saveTokenizer, tokenizerFromHfJson, tokenizerToHfJson } from './hf.js';
export { CHATML_JINJA, CHATML_SPECIAL_TOKENS, ENDOFTEXT, IM_END, IM_START, PAD } from './chat.js';
export type { ChatMessage, ChatRole, ChatTemplateInfo, EncodeChatOptions, EncodedChat } from './chat.js';
export { GPT2_PATTERN, LLAMA3_PATTERN } from './regex.js';
export { byteToChar } from './bytes.js';
