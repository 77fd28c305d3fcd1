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
    expect(fs.existsSync(out)).toBe(false);
    expect(log).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
