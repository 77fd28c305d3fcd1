import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { trainBpe, saveTokenizer, IM_END } from '../tokenizer/index.js';
import { Runtime } from '../engine/session.js';
import { dpoConfig, implicitRewards, pairLogps, withReference } from '../train/dpo.js';
import type { PreferencePair } from '../prefs/index.js';
import { trainDpo } from './dpo.js';
import { pairCalibrationError, preferenceAgreement, tokenizePair } from './pairs.js';
import { hostInfo } from '../engine/host.js';

const SYSTEM = 'You are a support agent.';
const items = ['order', 'refund', 'charger', 'invoice', 'headset', 'cable'];
const tok = trainBpe([SYSTEM, ...items.map((x) => `Where is my ${x}? Sorry, I will help with your ${x} today. No.`)], { vocabSize: 300, minFrequency: 1 });
const cfg = llamaConfig({ vocabSize: tok.vocabSize, dModel: 32, nLayers: 1, nHeads: 2, dFF: 48, maxSeqLen: 128 });

/** A consistent preference (help over a curt "No."); even rows conversational, odd rows plain strings. */
function prefs(n: number): PreferencePair[] {
  return Array.from({ length: n }, (_, i) => {
    const x = items[i % items.length];
    const chosen = `Sorry, I will help with your ${x} today.`;
    const rejected = 'No.';
    const user = `Where is my ${x}?`;
    // Gold disagrees with the raters on every pair, so accuracy vs gold must be 1 − accuracy.
    const gold = { chosen_gold: 0, rejected_gold: 1 };
    if (i % 2) return { prompt: user, chosen, rejected, ...gold };
    return {
      prompt: [{ role: 'system', content: SYSTEM }, { role: 'user', content: user }],
      chosen: [{ role: 'assistant', content: chosen }],
      rejected: [{ role: 'assistant', content: rejected }],
      ...gold,
    } as PreferencePair;
  });
}

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-dpo-'));
  const model = path.join(dir, 'model');
  saveModel(model, LlamaModel.init(cfg, { seed: 1 }));
  await saveTokenizer(tok, model);
  const lines = prefs(40).map((p) => JSON.stringify(p));
  lines.splice(7, 0, '{"prompt": "hi", "chosen": 3, "rejected": "x"}');
  fs.writeFileSync(path.join(dir, 'prefs.jsonl'), lines.join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('tokenizePair', () => {
  it('prompt (with generation prompt) + response = the chat template of the whole conversation through <|im_end|>', () => {
    const [conv, plain] = prefs(2);
    const t = tokenizePair(tok, conv, 128);
    const full = tok.encodeChat([...(conv.prompt as never[]), ...(conv.chosen as never[])]).ids;
    expect([...t.prompt, ...t.chosen]).toEqual(full.slice(0, t.prompt.length + t.chosen.length));
    expect(t.chosen.at(-1)).toBe(tok.tokenToId(IM_END));
    expect(tok.decode(t.rejected, { skipSpecialTokens: true })).toBe('No.');
    expect(t.truncated).toBe(false);
    const p = tokenizePair(tok, plain, 128);
    expect(p.prompt).toEqual(tok.encodeChat([{ role: 'user', content: plain.prompt as string }], { addGenerationPrompt: true }).ids);
  });

  it('truncates to maxLen keeping the end of the prompt and the start of the responses', () => {
    const [conv] = prefs(1);
    const t = tokenizePair(tok, conv, 128);
    const s = tokenizePair(tok, conv, 40);
    expect(s.truncated).toBe(true);
    expect(s.prompt.length + Math.max(s.chosen.length, s.rejected.length)).toBeLessThanOrEqual(40);
    expect(s.prompt).toEqual(t.prompt.slice(-s.prompt.length));
    expect(s.chosen).toEqual(t.chosen.slice(0, s.chosen.length));
  });

  it('a completion that is not an assistant turn is one clear error', () => {
    const bad = { prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'user', content: 'x' }], rejected: [{ role: 'assistant', content: 'y' }] } as PreferencePair;
    expect(() => tokenizePair(tok, bad, 64, 'f.jsonl: paired row 3')).toThrow('f.jsonl: paired row 3: the chosen completion must start with an assistant message');
  });
});

describe('preferenceAgreement', () => {
  it('counts rater agreement on every pair and gold agreement on non-tied gold pairs only', () => {
    const base = { prompt: 'p', chosen: 'a', rejected: 'b' };
    const pairs: PreferencePair[] = [
      { ...base, chosen_gold: 1, rejected_gold: 0 }, // gold agrees with the raters
      { ...base, chosen_gold: 0, rejected_gold: 1 }, // gold disagrees
      { ...base, chosen_gold: 0.5, rejected_gold: 0.5 }, // tie: skipped
      { ...base }, // no gold: skipped
    ];
    const r = preferenceAgreement({ chosen: [1, 1, 0, 2], rejected: [0, 0, 1, 1] }, pairs);
    expect(r.accuracy).toBe(0.75);
    expect(r.goldPairs).toBe(2);
    expect(r.accuracyVsGold).toBe(0.5);
    expect(r.margin).toBeCloseTo((1 + 1 - 1 + 1) / 4, 12);
    expect(preferenceAgreement({ chosen: [1], rejected: [0] }, [base]).accuracyVsGold).toBeNull();

    // Every Δ is ±1: one confidence σ(1) = 0.7311, one bin; raters right on 3 of 4, gold on 1 of 2.
    const s1 = 1 / (1 + Math.exp(-1));
    expect([r.min_reward, r.mean_reward, r.max_reward]).toEqual([0, 0.75, 2]);
    expect(r.calibration_error).toBeCloseTo(Math.abs(0.75 - s1), 12);
    expect(r.calibrationErrorVsGold).toBeCloseTo(Math.abs(0.5 - s1), 12);
    expect(r.reward_length_corr).toBeNull(); // no lengths given
    // Lengths = 5·reward + 5 on every side: correlation 1; reversed: −1; constant: null.
    expect(preferenceAgreement({ chosen: [1, 1, 0, 2], rejected: [0, 0, 1, 1] }, pairs, { chosen: [10, 10, 5, 15], rejected: [5, 5, 10, 10] }).reward_length_corr).toBeCloseTo(1, 12);
    expect(preferenceAgreement({ chosen: [1, 1, 0, 2], rejected: [0, 0, 1, 1] }, pairs, { chosen: [10, 10, 15, 5], rejected: [15, 15, 10, 10] }).reward_length_corr).toBeCloseTo(-1, 12);
    expect(preferenceAgreement({ chosen: [1, 1, 0, 2], rejected: [0, 0, 1, 1] }, pairs, { chosen: [7, 7, 7, 7], rejected: [7, 7, 7, 7] }).reward_length_corr).toBeNull();
  });

  it('calibration error: confidences in their own bins, each weighted by its share of pairs', () => {
    // σ(0.1) = 0.525 lands in the first bin and is right; σ(3) = 0.953 in the last and is wrong.
    const q = (d: number) => 1 / (1 + Math.exp(-d));
    expect(pairCalibrationError([0.1, -3], [1, 0])).toBeCloseTo(0.5 * (1 - q(0.1)) + 0.5 * q(3), 12);
    // Two pairs in one bin average before the difference: |½ − mean confidence|, not the mean of |1 − q| and |0 − q|.
    expect(pairCalibrationError([1, 1.01], [1, 0])).toBeCloseTo(Math.abs(0.5 - (q(1) + q(1.01)) / 2), 12);
    expect(pairCalibrationError([], [])).toBe(0);
  });
});

describe('trainDpo', () => {
  it('learns the preference, writes the run directory, and its held-out numbers follow from the saved policy', async () => {
    const out = path.join(dir, 'run');
    const logs: string[] = [];
    // Line 8 is bad: refused by default, before anything is written; reported and left out with onError 'skip'.
    await expect(trainDpo({ model: path.join(dir, 'model'), prefs: path.join(dir, 'prefs.jsonl'), out, seed: 2, threads: 1 }, { log: () => {} })).rejects.toThrow(/prefs\.jsonl:8: field "chosen"/);
    expect(fs.existsSync(out)).toBe(false);
    const r = (await trainDpo(
      { model: path.join(dir, 'model'), prefs: path.join(dir, 'prefs.jsonl'), onError: 'skip', out, epochs: 3, batchPairs: 8, microPairs: 3, beta: 0.1, lr: 1e-2, seed: 2, threads: 1 },
      { log: (m) => logs.push(m) },
    )) as { pairs: Record<string, number>; heldout: { accuracy: number; accuracyVsGold: number; goldPairs: number }; steps: number };
    expect(logs.some((l) => /prefs\.jsonl:8: .*chosen/.test(l))).toBe(true);
    expect(r.pairs).toMatchObject({ skipped: 1, truncated: 0 });
    expect(r.pairs.train + r.pairs.heldout).toBe(40);
    // 6 distinct prompts (row i uses item i mod 6, and its form follows i's parity): the
    // held-out tenth is one whole prompt group of 6 or 7 pairs.
    expect([6, 7]).toContain(r.pairs.heldout);
    const steps = 3 * Math.ceil(r.pairs.train / 8);
    expect(r.steps).toBe(steps);
    expect(r.heldout.accuracy).toBe(1);
    expect(r.heldout.goldPairs).toBe(r.pairs.heldout);
    expect(r.heldout.accuracyVsGold).toBe(0);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'run_config.json', 'results.json']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    const metrics = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics).toHaveLength(steps);
    expect(metrics.at(-1)['rewards/accuracies']).toBe(1);
    expect(metrics.at(-1)['rewards/margins']).toBeGreaterThan(metrics[0]['rewards/margins']);
    const written = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(written.steps).toBe(steps);
    expect(written.host.kernels).toBe(hostInfo().kernels);

    // Independently: the saved policy against the starting model prefers every chosen response.
    const rt = new Runtime({ threads: 1 });
    const start = loadModel(path.join(dir, 'model'), { runtime: rt });
    const trained = loadModel(out, { runtime: rt });
    const pairs = await withReference(start, prefs(12).map((p) => tokenizePair(tok, p, 128)), { padId: tok.padTokenId ?? 0 });
    const rw = implicitRewards(await pairLogps(trained, pairs, { padId: tok.padTokenId ?? 0 }), pairs, dpoConfig({ beta: 0.1 }));
    expect(preferenceAgreement(rw, prefs(12)).accuracy).toBe(1);
    await rt.release();
  });

  it('bad options get one clear error', async () => {
    const one = path.join(dir, 'one-prompt.jsonl');
    fs.writeFileSync(one, Array.from({ length: 12 }, () => JSON.stringify({ prompt: 'hi', chosen: 'a', rejected: 'b' })).join('\n'));
    await expect(trainDpo({ model: path.join(dir, 'model'), prefs: one, out: path.join(dir, 'x'), seed: 1 }, { log: () => {} })).rejects.toThrow(/one-prompt.jsonl: all pairs share one prompt/);
    await expect(trainDpo({ model: 'm', prefs: 'p', out: 'o', seed: 1, epochs: 1.5 }, { log: () => {} })).rejects.toThrow(/dpo options: epochs/);
    await expect(trainDpo({ model: 'm', prefs: 'p', out: 'o', seed: 1, lossType: 'ipo', labelSmoothing: 0.1 }, { log: () => {} })).rejects.toThrow(/dpo options: labelSmoothing/);
  });
});
