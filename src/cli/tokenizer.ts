/**
 * `alignlab tokenizer train`: train a byte-level BPE tokenizer and save it as Hugging Face files.
 *
 *   alignlab tokenizer train --input corpus.txt --vocab 4096 --out runs/tok [--json]
 *
 * The input is a text file (trained on as one text) or a `.jsonl` file whose lines are objects
 * with a string `text` field. The result reports the vocabulary size, the number of merges, and
 * tokens per byte of the input under the new tokenizer (lower = better compression; raw bytes
 * would be 1.0).
 */
import { readFile } from 'node:fs/promises';
import { saveTokenizer, trainBpe } from '../tokenizer/index.js';
import { UsageError, type Command } from './types.js';

/** The training texts of a .txt or .jsonl file; malformed lines are reported as FILE:LINE. */
async function readTexts(file: string): Promise<string[]> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`${file}: cannot read the input file`);
  }
  if (!file.endsWith('.jsonl')) return [content];
  const texts: string[] = [];
  content.split('\n').forEach((line, i) => {
    if (line.trim().length === 0) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new UsageError(`${file}:${i + 1}: malformed JSON line`);
    }
    const text = (row as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new UsageError(`${file}:${i + 1}: expected an object with a string "text" field`);
    texts.push(text);
  });
  return texts;
}

const train: Command = {
  path: ['tokenizer', 'train'],
  summary: 'Train a byte-level BPE tokenizer (ChatML special tokens) and save tokenizer.json',
  options: {
    input: { type: 'string', required: true, describe: 'training text: a .txt file, or .jsonl with a "text" field per line' },
    vocab: { type: 'number', default: 4096, describe: 'vocabulary size, counting 4 special tokens and 256 byte tokens' },
    out: { type: 'string', required: true, describe: 'directory for tokenizer.json and tokenizer_config.json' },
  },
  async run(opts, _positionals, ctx) {
    const input = String(opts.input);
    const out = String(opts.out);
    const vocabSize = Number(opts.vocab);
    const texts = await readTexts(input);
    const started = Date.now();
    let tok;
    let lastLog = 0;
    try {
      tok = trainBpe(texts, {
        vocabSize,
        onProgress: (done, total) => {
          if (Date.now() - lastLog < 1000 && done < total) return;
          lastLog = Date.now();
          ctx.log(`tokenizer: ${done}/${total} merges`);
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    ctx.log(`tokenizer: trained in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    let tokens = 0;
    let bytes = 0;
    for (const text of texts) {
      tokens += tok.encode(text).length;
      bytes += Buffer.byteLength(text, 'utf8');
    }
    await saveTokenizer(tok, out);
    const result = { vocabSize: tok.vocabSize, merges: tok.model.merges.length, tokensPerByte: bytes === 0 ? 0 : tokens / bytes, out };
    ctx.print(`vocab ${result.vocabSize} (${result.merges} merges), ${result.tokensPerByte.toFixed(3)} tokens/byte → ${out}`);
    return result;
  },
};

const commands: Command[] = [train];
export default commands;
