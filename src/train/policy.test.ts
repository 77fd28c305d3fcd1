import { describe, expect, it } from 'vitest';
import { rolloutLogprobs, rolloutRows, selectRows } from './policy.js';

describe('rollout rows', () => {
  const prompts = [[1, 2, 3], [4]];
  const gens = [
    { tokens: [5, 6], logprobs: [-0.5, -0.6] },
    { tokens: [7, 8, 9], logprobs: [-0.7, -0.8, -0.9] },
  ];

  it('pack prompt + response right-padded, targets shifted by one, the mask and log π_old on response targets', () => {
    const r = rolloutRows(prompts, gens, { padId: 0, maxSeqLen: 256, sharePrefix: false });
    expect([r.B, r.T]).toEqual([2, 64]);
    const row = (x: BigInt64Array | Float32Array, b: number, n: number) => Array.from(x.subarray(b * r.T, b * r.T + n), Number);
    // Row 0: 1 2 3 5 6 → inputs 1 2 3 5, targets 2 3 5 6; response targets at positions 2, 3.
    expect(row(r.ids, 0, 6)).toEqual([1, 2, 3, 5, 0, 0]);
    expect(row(r.targets, 0, 6)).toEqual([2, 3, 5, 6, 0, 0]);
    expect(row(r.mask, 0, 6)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(row(r.oldLogprobs, 0, 6)).toEqual([0, 0, -0.5, -0.6, 0, 0].map(Math.fround));
    // Row 1: 4 7 8 9 → response targets at positions 0, 1, 2.
    expect(row(r.ids, 1, 5)).toEqual([4, 7, 8, 0, 0]);
    expect(row(r.targets, 1, 5)).toEqual([7, 8, 9, 0, 0]);
    expect(row(r.mask, 1, 5)).toEqual([1, 1, 1, 0, 0]);
    expect(r.last).toEqual([3, 64 + 2]);
    for (const i of r.last) expect(r.mask[i]).toBe(1);
    expect(r.mask.reduce((a, x) => a + x, 0)).toBe(5);
  });

  it('T is rounded up to a multiple of 64 but never past maxSeqLen; bad input is named', () => {
    expect(rolloutRows(prompts, gens, { padId: 0, maxSeqLen: 40, sharePrefix: false }).T).toBe(40);
    const long = [{ tokens: Array(70).fill(1), logprobs: Array(70).fill(-1) }];
    expect(rolloutRows([[1]], long, { padId: 0, maxSeqLen: 512, sharePrefix: false }).T).toBe(128);
    expect(() => rolloutRows([[1]], [{ tokens: [], logprobs: [] }], { padId: 0, maxSeqLen: 64, sharePrefix: false })).toThrow(/response 0 is empty/);
    expect(() => rolloutRows(prompts, gens.slice(0, 1), { padId: 0, maxSeqLen: 64, sharePrefix: false })).toThrow(/2 prompts and 1 responses/);
  });

  it('selectRows copies whole rows in the given order, optional fields included', () => {
    const r = rolloutRows(prompts, gens, { padId: 0, maxSeqLen: 8, sharePrefix: false });
    const n = r.B * r.T;
    const batch = { ...r, advantages: Float32Array.from({ length: n }, (_, i) => i), returns: Float32Array.from({ length: n }, (_, i) => -i) };
    const s = selectRows(batch, [1, 0, 1]);
    expect(s.B).toBe(3);
    expect(Array.from(s.advantages.subarray(0, 8))).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(s.advantages.subarray(8, 16))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(s.returns!.subarray(16, 24))).toEqual([-8, -9, -10, -11, -12, -13, -14, -15]);
    expect(Array.from(s.ids.subarray(16, 24))).toEqual(Array.from(r.ids.subarray(8, 16)));
    expect(s.oldValues).toBeUndefined();
    expect(() => selectRows(batch, [2])).toThrow(/row 2 is outside 0…1/);
  });
});

describe('shared-prefix rollout rows', () => {
  it('give each response token the log-prob of a full forward pass, and select rows with only their prefixes', async () => {
    const { llamaConfig } = await import('../model/config.js');
    const { LlamaModel } = await import('../model/model.js');
    const { Runtime } = await import('../engine/session.js');
    const cfg = llamaConfig({ vocabSize: 30, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 128 });
    const m = LlamaModel.init(cfg, { seed: 4, runtime: new Runtime({ threads: 1 }) });
    const pa = [3, 4, 5, 6, 7];
    const pb = [8, 9];
    const prompts = [pa, pa, pb, pa, pb];
    const toks = [[10, 11], [12], [13, 14, 15], [16, 17, 18, 19], [20]];
    const rows = rolloutRows(prompts, toks.map((t) => ({ tokens: t, logprobs: t.map(() => 0) })), { padId: 0, maxSeqLen: 128 });
    expect(rows.prefix!.G).toBe(2);
    const lp = await rolloutLogprobs(m, rows);
    const full = await rolloutLogprobs(m, rolloutRows(prompts, toks.map((t) => ({ tokens: t, logprobs: t.map(() => 0) })), { padId: 0, maxSeqLen: 128, sharePrefix: false }));
    const fullRows = rolloutRows(prompts, toks.map((t) => ({ tokens: t, logprobs: t.map(() => 0) })), { padId: 0, maxSeqLen: 128, sharePrefix: false });
    toks.forEach((t, b) => t.forEach((_, j) => expect(lp[b * rows.T + j]).toBeCloseTo(full[b * fullRows.T + prompts[b].length - 1 + j], 4)));
    // Rows 2 and 4 use prompt b only: the selection runs one prefix and keeps the log-probs.
    const sel = selectRows({ ...rows, advantages: new Float32Array(rows.B * rows.T) }, [4, 2]);
    expect(sel.prefix!.G).toBe(1);
    const lpSel = await rolloutLogprobs(m, sel);
    expect(lpSel[0]).toBeCloseTo(lp[4 * rows.T], 5);
    [0, 1, 2].forEach((j) => expect(lpSel[rows.T + j]).toBeCloseTo(lp[2 * rows.T + j], 5));
  });
});
