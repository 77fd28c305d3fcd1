/**
 * trainBaseline's recipe checks: a bad batching value is refused before anything is written.
 * (Training itself runs in `npm start` and the CLI; its batching is tested in train/sft.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trainBaseline } from './baseline.js';

describe('trainBaseline', () => {
  it('refuses a bucket, padTo, sortWindow or split that is not a positive integer, before writing anything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-baseline-'));
    const out = path.join(dir, 'model');
    const log: string[] = [];
    for (const [key, v] of [['split', 0], ['padTo', 2.5], ['sortWindow', -1], ['bucket', 0]] as const) {
      await expect(trainBaseline({ profile: 'quick', seed: 1, out, recipe: { [key]: v } }, { log: (m) => log.push(m) })).rejects.toThrow(new RegExp(`recipe\\.${key} must be a positive integer, got ${v}`));
    }
    await expect(trainBaseline({ profile: 'quick', seed: 1, out, recipe: { epochs: 0 } }, { log: (m) => log.push(m) })).rejects.toThrow(/recipe\.epochs must be a positive number, got 0/);
    await expect(trainBaseline({ profile: 'quick', seed: 1, out, recipe: { epochs: NaN } }, { log: (m) => log.push(m) })).rejects.toThrow(/recipe\.epochs must be a positive number, got NaN/);
    await expect(trainBaseline({ profile: 'quick', seed: 1, out, recipe: { nCases: 0 } }, { log: (m) => log.push(m) })).rejects.toThrow(/recipe\.nCases must be a positive integer, got 0/);
    await expect(trainBaseline({ profile: 'quick', seed: 1, out, recipe: { tokensPerBatch: 0 } }, { log: (m) => log.push(m) })).rejects.toThrow(/recipe\.tokensPerBatch must be a positive integer, got 0/);
    expect(fs.existsSync(out)).toBe(false);
    expect(log).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('trainBaseline epochs', () => {
  it('trains round(epochs × batches per epoch) steps, a fraction ending part-way through the last pass', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-baseline-'));
    const tiny = { nCases: 12, vocabSize: 300, model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 512 }, tokensPerBatch: 1024, train: { lr: 1e-3, warmupSteps: 1 } };
    const steps = async (epochs: number) => {
      const out = path.join(dir, String(epochs));
      const r = await trainBaseline({ profile: 'quick', seed: 1, out, threads: 1, recipe: { ...tiny, epochs } }, { log: () => {} });
      const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rows).toHaveLength(r.steps);
      return { steps: r.steps, lastEpoch: rows[rows.length - 1]['train/epoch'] };
    };
    const one = await steps(1);
    expect(one.steps).toBeGreaterThan(2);
    expect(one.lastEpoch).toBe(1);
    expect((await steps(2)).steps).toBe(2 * one.steps);
    const frac = await steps(1.5);
    expect(frac.steps).toBe(Math.round(1.5 * one.steps));
    expect(frac.lastEpoch).toBeCloseTo(frac.steps / one.steps, 12);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
