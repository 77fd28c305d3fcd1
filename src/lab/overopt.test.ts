/**
 * The overoptimization lab end to end on a tiny model: the results carry the fields,
 * best-of-n starts at the pool mean (n = 1 ⇒ KL 0) and its KL follows log n − (n − 1)/n, and
 * the plots and run directories are written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { saveModel } from '../model/checkpoint.js';
import { trainBpe, saveTokenizer } from '../tokenizer/index.js';
import { buildCorpus } from '../world/index.js';
import { runOveropt } from './overopt.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-overopt-'));
  model = path.join(dir, 'model');
  const corpus = buildCorpus({ seed: 1, nCases: 40 });
  const tok = trainBpe([...corpus.documents, ...corpus.dialogues.map((d) => d.messages.map((m) => m.content).join('\n'))], { vocabSize: 600 });
  saveModel(model, LlamaModel.init(llamaConfig({ vocabSize: tok.vocabSize, dModel: 32, nLayers: 1, nHeads: 2, dFF: 48, maxSeqLen: 512 }), { seed: 1 }));
  await saveTokenizer(tok, model);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lab overopt', () => {
  it('runs every stage and writes the results in the documented shape', async () => {
    const out = path.join(dir, 'out');
    const r = (await runOveropt(
      {
        model,
        out,
        profile: 'quick',
        raters: ['careful', 'swayed'],
        seed: 2,
        threads: 1,
        overrides: { prefPrompts: 12, prefK: 3, rmEpochs: 1, ensembleExtra: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 8, rlSteps: 4, rlPrompts: 2, rlK: 2, maxNewTokens: 6, evalCases: 6, probeCases: 4, probeEvery: 2 },
      },
      { log: () => {} },
    )) as Record<string, any>;
    for (const k of ['rmAccuracyVsGold', 'sftGold', 'careful', 'swayed', 'bonFit', 'rlFit', 'monitors']) expect(r).toHaveProperty(k);
    expect(r.careful.goldCI).toHaveLength(2);
    for (const k of ['peakGold', 'finalGold', 'proxyRisingAtEnd']) expect(r.swayed).toHaveProperty(k);
    for (const m of r.monitors) for (const k of ['name', 'alarmStepsBeforeGoldPeak', 'falseAlarmsOnCareful']) expect(m).toHaveProperty(k);
    const bon = r.careful.bestOfN.points as { n: number; kl: number; gold: number }[];
    expect(bon.map((p) => p.n)).toEqual([1, 2, 4, 8]);
    bon.forEach((p) => expect(p.kl).toBeCloseTo(Math.log(p.n) - (p.n - 1) / p.n, 12));
    // n = 1 is the plain mean of the pool's gold, the same for both presets (same pool).
    expect(r.swayed.bestOfN.points[0].gold).toBeCloseTo(bon[0].gold, 12);
    for (const f of ['goodhart-careful.svg', 'goodhart-swayed.svg', 'prefs-careful.jsonl', 'rm-swayed-1/model.safetensors', 'ppo-careful/metrics.jsonl', 'results.json']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'goodhart-swayed.svg'), 'utf8')).toMatch(/^<svg/);
  }, 300_000);
});
