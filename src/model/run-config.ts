/**
 * Config files for commands that build a model and feed it batches: the model keys of
 * LlamaConfig plus `seqLen` and `batchSize` (and optionally `seed`). Unknown keys are errors
 * naming the file.
 */
import * as fs from 'node:fs';
import { type LlamaConfig, llamaConfig } from './config.js';

export interface RunConfig {
  model: LlamaConfig;
  seqLen: number;
  batchSize: number;
}

export function readRunConfig(file: string): RunConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(err.code === 'ENOENT' ? `${file}: no such file` : `${file}: invalid JSON (${err.message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object`);
  const { seqLen = 128, batchSize = 16, ...model } = raw;
  if (!Number.isInteger(seqLen) || (seqLen as number) < 1) throw new Error(`${file}: seqLen must be a positive integer`);
  if (!Number.isInteger(batchSize) || (batchSize as number) < 1) throw new Error(`${file}: batchSize must be a positive integer`);
  const cfg = llamaConfig({ maxSeqLen: Math.max(seqLen as number, 2048), ...model }, file);
  if ((seqLen as number) > cfg.maxSeqLen) throw new Error(`${file}: seqLen ${seqLen} exceeds maxSeqLen ${cfg.maxSeqLen}`);
  return { model: cfg, seqLen: seqLen as number, batchSize: batchSize as number };
}

/** Model FLOPs per token for training (PaLM appendix B): 6N + 12·L·T·d, N = matmul parameters. */
export function trainFlopsPerToken(c: LlamaConfig, T: number): number {
  const hd = c.dModel / c.nHeads;
  const attn = c.dModel * hd * (2 * c.nHeads + 2 * c.nKVHeads);
  const mlp = 3 * c.dModel * c.dFF;
  const n = c.nLayers * (attn + mlp) + c.vocabSize * c.dModel;
  return 6 * n + 12 * c.nLayers * T * c.dModel;
}
