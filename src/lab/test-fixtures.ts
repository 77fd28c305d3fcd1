/**
 * A tiny HelpDesk policy for tests: a BPE tokenizer trained on a 40-dialogue world corpus and a
 * one-layer, 32-wide Llama (random weights) with a 512-token context, saved in `dir`.
 */
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { saveModel } from '../model/checkpoint.js';
import { trainBpe, saveTokenizer } from '../tokenizer/index.js';
import { buildCorpus } from '../world/index.js';

export async function tinyWorldModel(dir: string): Promise<void> {
  const corpus = buildCorpus({ seed: 1, nCases: 40 });
  const tok = trainBpe([...corpus.documents, ...corpus.dialogues.map((d) => d.messages.map((m) => m.content).join('\n'))], { vocabSize: 600 });
  saveModel(dir, LlamaModel.init(llamaConfig({ vocabSize: tok.vocabSize, dModel: 32, nLayers: 1, nHeads: 2, dFF: 48, maxSeqLen: 512 }), { seed: 1 }));
  await saveTokenizer(tok, dir);
}
