import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strengthMargin, trainRewardModel } from './rm.js';
import { heldoutSplit } from './pairs.js';
import { tinyWorldModel } from './test-fixtures.js';
import { writePreferences, type PreferencePair } from '../prefs/format.js';

describe('strengthMargin (Llama 2 margins from stated strength)', () => {
  it('gives 1, 2/3, 1/3, 0 of the scale from strongest to unsure, and nothing without a strength', () => {
    // Llama 2's "large" margins are 3, 2, 1, 0 (scale 3); "small" 1, 2/3, 1/3, 0 (scale 1).
    expect(strengthMargin('significantly better', 3)).toBeCloseTo(3, 12);
    expect(strengthMargin('better', 3)).toBeCloseTo(2, 12);
    expect(strengthMargin('slightly better', 1)).toBeCloseTo(1 / 3, 12);
    expect(strengthMargin('negligibly better', 1)).toBe(0);
    expect(strengthMargin(undefined, 1)).toBeUndefined();
    expect(strengthMargin('better', 0)).toBeUndefined();
  });
  it('names an unknown strength', () => {
    expect(() => strengthMargin('much better', 1)).toThrow("unknown preference strength 'much better'");
  });
});

describe('trainRewardModel dropUnsure', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-rm-'));
    await tinyWorldModel(path.join(dir, 'model'));
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('leaves exactly the unsure training pairs out and keeps every held-out pair', async () => {
    const strengths = ['significantly better', 'better', 'slightly better', 'negligibly better'];
    const pairs: PreferencePair[] = Array.from({ length: 24 }, (_, i) => ({
      prompt: [{ role: 'user', content: `Where is order ORD-${1000 + (i % 12)}?` }],
      chosen: [{ role: 'assistant', content: `It shipped ${i} days ago.` }],
      rejected: [{ role: 'assistant', content: `I can't help with order ${i}.` }],
      strength: strengths[i % 4],
    }));
    const prefs = path.join(dir, 'prefs.jsonl');
    writePreferences(prefs, pairs);
    const { heldIdx, trainIdx } = heldoutSplit(pairs, 1, prefs);
    const r = (await trainRewardModel({ model: path.join(dir, 'model'), prefs, out: path.join(dir, 'rm'), epochs: 1, seed: 1, threads: 1, dropUnsure: true }, { log: () => {} })) as { pairs: { train: number; heldout: number } };
    expect(r.pairs.train).toBe(trainIdx.filter((i) => pairs[i].strength !== 'negligibly better').length);
    expect(r.pairs.train).toBeLessThan(trainIdx.length);
    expect(r.pairs.heldout).toBe(heldIdx.length);
  }, 60_000);
});
