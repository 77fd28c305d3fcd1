/** `alignlab model …`: create and inspect models in Hugging Face layout. */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { readRunConfig } from '../model/run-config.js';
import { LlamaModel } from '../model/model.js';
import { saveModel, loadModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';

export function parseIds(text: string, what = '--ids'): number[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError(`${what}: expected comma-separated non-negative integers, got "${text}"`);
  return ids;
}

const init: Command = {
  path: ['model', 'init'],
  summary: 'Randomly initialise a Llama model and save it (config.json + model.safetensors)',
  options: {
    config: { type: 'string', required: true, describe: 'JSON config file (LlamaConfig keys; seqLen/batchSize ignored)' },
    seed: { type: 'number', default: 0, describe: 'random seed' },
    out: { type: 'string', required: true, describe: 'output model directory' },
  },
  async run(o, _p, ctx) {
    const { model: cfg } = readRunConfig(String(o.config));
    const model = LlamaModel.init(cfg, { seed: Number(o.seed) });
    saveModel(String(o.out), model);
    ctx.print(`wrote ${o.out} (${model.params.size.toLocaleString()} parameters)`);
    return { out: o.out, parameters: model.params.size, config: cfg };
  },
};

const logits: Command = {
  path: ['model', 'logits'],
  summary: 'Print next-token logits for a sequence of token ids',
  positionals: ['DIR'],
  options: {
    ids: { type: 'string', required: true, describe: 'comma-separated token ids, e.g. 1,5,7' },
    threads: { type: 'number', default: 1, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, [dir], ctx) {
    const model = loadModel(dir, { runtime: new Runtime({ threads: Number(o.threads) }) });
    const ids = parseIds(String(o.ids));
    if (ids.length > model.cfg.maxSeqLen) throw new UsageError(`--ids: ${ids.length} tokens exceed the context length ${model.cfg.maxSeqLen}`);
    const { logits } = await model.forward([ids]);
    const V = model.cfg.vocabSize;
    const rows = ids.map((_, t) => Array.from(logits!.subarray(t * V, (t + 1) * V)));
    if (!ctx.json) {
      rows.forEach((r, t) => {
        const top = r.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 5);
        ctx.print(`pos ${t} (id ${ids[t]}): top ${top.map(([v, i]) => `${i}:${v.toFixed(3)}`).join(' ')}`);
      });
    }
    await model.runtime.release();
    return { logits: rows };
  },
};

export default [init, logits];
