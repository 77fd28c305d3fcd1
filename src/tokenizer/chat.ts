/**
 * The ChatML chat template: how a conversation becomes tokens, and which tokens SFT trains on.
 *
 * ChatML (used by Qwen2, SmolLM2-Instruct and alignlab's own models) renders each turn as
 *
 *   <|im_start|>{role}\n{content}<|im_end|>\n
 *
 * and, to ask the model for a reply, ends with the generation prompt `<|im_start|>assistant\n`.
 * The model's turn is over when it emits `<|im_end|>`: that is the sampler's stop token.
 *
 * `encodeChat` returns the ids and an `assistantMask` (1 = train on this token) marking exactly
 * the assistant contents and their closing `<|im_end|>`, so supervised fine-tuning learns to answer
 * and to stop, but never to imitate the user or the system prompt (the "assistant_masks" of
 * Hugging Face's `apply_chat_template(return_assistant_tokens_mask=True)`).
 *
 * Injection safety: only the template inserts special tokens. Message contents are encoded as
 * plain text, so a user who types "<|im_end|><|im_start|>system" gets ordinary text tokens, not a
 * forged turn boundary.
 *
 * Simplification: the header ("assistant\n") and the content of a turn are encoded separately,
 * so no token straddles the boundary and the mask is exact. Whole-string tokenization (what a
 * Jinja renderer followed by `encode` gives) can differ only when a content starts with
 * whitespace that the pre-tokenizer would glue to the header's newline; the text is identical.
 *
 * @example
 *   const { ids, assistantMask } = tok.encodeChat([
 *     { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }]);
 *   // assistantMask is 1 on the tokens of "Hello!" and the <|im_end|> after it, 0 elsewhere.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface EncodeChatOptions {
  /** Append `<|im_start|>assistant\n` so the model writes the next assistant turn. Default false. */
  addGenerationPrompt?: boolean;
}

export interface EncodedChat {
  /** Token ids of the rendered conversation. */
  ids: number[];
  /** Same length as `ids`: 1 on assistant content tokens and their `<|im_end|>`, else 0. */
  assistantMask: number[];
  /** The rendered text (what the Jinja `chat_template` produces). */
  text: string;
}

/** What a sampler needs to know about the chat format. */
export interface ChatTemplateInfo {
  format: 'chatml';
  /** The template in Jinja, as stored in tokenizer_config.json's `chat_template`. */
  jinja: string;
  startToken: string;
  endToken: string;
  /** Generation stops at any of these tokens (`<|im_end|>` first). */
  stopTokens: string[];
  stopTokenIds: number[];
}

export const ENDOFTEXT = '<|endoftext|>';
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';
export const PAD = '<|pad|>';
/** alignlab's special tokens, in id order 0..3 for tokenizers trained by `trainBpe`. */
export const CHATML_SPECIAL_TOKENS: readonly string[] = [ENDOFTEXT, IM_START, IM_END, PAD];

/** The ChatML template in Jinja (the form Hugging Face `transformers` and llama.cpp read). */
export const CHATML_JINJA =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The part of a tokenizer that the chat template needs. */
export interface ChatTokenizer {
  tokenToId(token: string): number | undefined;
  encode(text: string): number[];
}

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

/** ChatML details for a tokenizer, or null when it lacks `<|im_start|>` / `<|im_end|>`. */
export function chatmlInfo(tok: ChatTokenizer): ChatTemplateInfo | null {
  const start = tok.tokenToId(IM_START);
  const end = tok.tokenToId(IM_END);
  if (start === undefined || end === undefined) return null;
  const eot = tok.tokenToId(ENDOFTEXT);
  return {
    format: 'chatml',
    jinja: CHATML_JINJA,
    startToken: IM_START,
    endToken: IM_END,
    stopTokens: eot === undefined ? [IM_END] : [IM_END, ENDOFTEXT],
    stopTokenIds: eot === undefined ? [end] : [end, eot],
  };
}

/** Render and encode a conversation with ChatML; see the file comment for the mask. */
export function encodeChat(tok: ChatTokenizer, messages: readonly ChatMessage[], options: EncodeChatOptions = {}): EncodedChat {
  const start = tok.tokenToId(IM_START);
  const end = tok.tokenToId(IM_END);
  if (start === undefined || end === undefined) {
    throw new Error(`encodeChat: this tokenizer has no ${IM_START} / ${IM_END} tokens, so the ChatML template cannot be used`);
  }
  const ids: number[] = [];
  const assistantMask: number[] = [];
  let text = '';
  const push = (tokens: readonly number[], mask: 0 | 1) => {
    for (const t of tokens) {
      ids.push(t);
      assistantMask.push(mask);
    }
  };
  messages.forEach((message, i) => {
    if (!ROLES.includes(message.role)) throw new Error(`encodeChat: messages[${i}].role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(message.role)}`);
    if (typeof message.content !== 'string') throw new Error(`encodeChat: messages[${i}].content must be a string`);
    const trained = message.role === 'assistant' ? 1 : 0;
    push([start], 0);
    push(tok.encode(`${message.role}\n`), 0);
    push(tok.encode(message.content), trained);
    push([end], trained);
    push(tok.encode('\n'), 0);
    text += `${IM_START}${message.role}\n${message.content}${IM_END}\n`;
  });
  if (options.addGenerationPrompt) {
    push([start], 0);
    push(tok.encode('assistant\n'), 0);
    text += `${IM_START}assistant\n`;
  }
  return { ids, assistantMask, text };
}
