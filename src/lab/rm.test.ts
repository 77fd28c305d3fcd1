import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scorePairs, strengthMargin, trainRewardModel } from './rm.js';
import { heldoutSplit, readTrainingPairs, tokenizePair } from './pairs.js';
import { loadModel } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { tinyWorldModel } from './test-fixtures.js';
import { scoreReplies } from '../train/reward.js';
import { writePreferences, type PreferencePair } from '../prefs/format.js';
import { Rng } from '../util/rng.js';

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

describe('scorePairs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-rmpairs-'));
    await tinyWorldModel(path.join(dir, 'model'));
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Every pair of k replies to a prompt (a reply in k − 1 pairs, scored once), against each
  // pair scored on its own as a group of two replies.
  it.each(['last', 'mean'] as const)('scores each pair as scoring it alone would (readout %s)', async (readout) => {
    const runtime = new Runtime({ threads: 1 });
    const rm = loadModel(path.join(dir, 'model'), { runtime, heads: ['reward'], seed: 7, rewardRank: 2 });
    const tok = await loadTokenizer(path.join(dir, 'model'));
    const padId = tok.padTokenId ?? 0;
    const replies = ['It shipped.', 'No.', 'Order 12 is on its way, sorry for the wait.', 'I cannot help.'];
    const pairs: PreferencePair[] = [];
    for (const q of ['Where is ORD-1001?', 'Refund ORD-2002 please.', 'Is my account locked?'])
      for (let a = 0; a < replies.length; a++)
        for (let b = a + 1; b < replies.length; b++) pairs.push({ prompt: [{ role: 'user', content: q }], chosen: [{ role: 'assistant', content: replies[a] }], rejected: [{ role: 'assistant', content: replies[b] }] });
    pairs.push(pairs[2]); // the same pair twice
    const tokenized = pairs.map((p) => tokenizePair(tok, p, rm.cfg.maxSeqLen));
    const s = await scorePairs(rm, tokenized, padId, readout);
    const alone = await scoreReplies(rm, tokenized.map((p) => ({ prompt: p.prompt, replies: [p.chosen, p.rejected] })), { padId, readout });
    expect(s.chosen).toHaveLength(pairs.length);
    tokenized.forEach((_, i) => {
      expect(Math.abs(s.chosen[i] - alone[i][0])).toBeLessThan(1e-5 * (1 + Math.abs(alone[i][0])));
      expect(Math.abs(s.rejected[i] - alone[i][1])).toBeLessThan(1e-5 * (1 + Math.abs(alone[i][1])));
    });
    // The replies differ in score (a constant reward would pass the comparison above).
    expect(new Set(s.chosen.map((x) => x.toFixed(4))).size).toBeGreaterThan(3);
    await runtime.release();
  }, 60_000);
});

describe('trainRewardModel fitHead', () => {
  let dir: string;
  let prefs: string;
  const pairs: PreferencePair[] = Array.from({ length: 30 }, (_, i) => ({
    prompt: [{ role: 'user', content: `Where is order ORD-${1000 + (i % 10)}? It is ${i % 3 === 0 ? 'late' : 'fine'}.` }],
    chosen: [{ role: 'assistant', content: i % 2 ? `It shipped ${i} days ago.` : `Order ${i} is on its way.` }],
    rejected: [{ role: 'assistant', content: i % 2 ? `I can't help with order ${i}.` : `No.` }],
  }));
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-rmfit-'));
    await tinyWorldModel(path.join(dir, 'model'));
    prefs = path.join(dir, 'prefs.jsonl');
    writePreferences(prefs, pairs);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const quiet = { log: () => {} };

  it('refuses epochs 0 without fitHead, and epochs that are not whole numbers, before writing anything', async () => {
    const out = path.join(dir, 'refused');
    await expect(trainRewardModel({ model: path.join(dir, 'model'), prefs, out, epochs: 0, seed: 1, threads: 1 }, quiet)).rejects.toThrow('epochs 0 trains nothing');
    await expect(trainRewardModel({ model: path.join(dir, 'model'), prefs, out, epochs: 1.5, fitHead: true, seed: 1, threads: 1 }, quiet)).rejects.toThrow('epochs must be a whole number ≥ 0, got 1.5');
    const base = { model: path.join(dir, 'model'), prefs, out, epochs: 1, seed: 1, threads: 1 };
    await expect(trainRewardModel({ ...base, batchPairs: 0 }, quiet)).rejects.toThrow('batchPairs must be a whole number ≥ 1, got 0');
    await expect(trainRewardModel({ ...base, centerCoef: -1 }, quiet)).rejects.toThrow('centerCoef must be a number ≥ 0, got -1');
    await expect(trainRewardModel({ ...base, strengthMargin: -2 }, quiet)).rejects.toThrow('strengthMargin must be a number ≥ 0, got -2');
    await expect(trainRewardModel({ ...base, lr: 0 }, quiet)).rejects.toThrow('lr must be a number > 0, got 0');
    expect(fs.existsSync(out)).toBe(false);
  }, 60_000);

  // The fitted head's training loss (its last metrics row) must be the saved model's on the
  // training pairs, scored afresh: it holds only if the features came from the backbone that was
  // saved — the loaded policy's with epochs 0, the fine-tuned one after an epoch.
  it.each([0, 1])('with epochs %i, fits the head on the backbone it saves', async (epochs) => {
    const out = path.join(dir, `rm-${epochs}`);
    await trainRewardModel({ model: path.join(dir, 'model'), prefs, out, epochs, lr: 1e-3, batchPairs: 8, fitHead: true, headRank: 2, readout: 'mean', seed: 3, threads: 1 }, quiet);
    const runtime = new Runtime({ threads: 1 });
    const policy = loadModel(path.join(dir, 'model'), { runtime });
    const rm = loadModel(out, { runtime, rewardRank: 2 });
    const backbone = policy.params.specs.map((s) => s.name).filter((n) => !n.startsWith('lm_head'));
    const same = backbone.filter((n) => policy.params.get(n).every((x, i) => x === rm.params.get(n)[i]));
    if (epochs === 0) expect(same).toEqual(backbone);
    else expect(same.length).toBeLessThan(backbone.length / 2);
    const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const head = rows.filter((r) => 'head/accuracy' in r || 'head/pair_loss' in r);
    expect(head.length).toBeGreaterThan(0);
    expect(rows.filter((r) => 'train/loss' in r).length).toBe(epochs > 0 ? rows.length - head.length : 0);
    const tok = await loadTokenizer(out);
    const { trainIdx } = heldoutSplit(pairs, 3, prefs);
    const s = await scorePairs(rm, trainIdx.map((i) => tokenizePair(tok, pairs[i], rm.cfg.maxSeqLen)), tok.padTokenId ?? 0, 'mean');
    const loss = s.chosen.reduce((sum, c, i) => sum + Math.log1p(Math.exp(s.rejected[i] - c)), 0) / trainIdx.length;
    const logged = rows[rows.length - 1]['head/pair_loss'];
    expect(Math.abs(loss - logged)).toBeLessThan(1e-4 * logged);
    // The held-out metrics in results.json follow from the saved model's scores of the held-out
    // pairs, computed here independently (lengths: each side's reply tokens).
    const { heldIdx } = heldoutSplit(pairs, 3, prefs);
    const held = heldIdx.map((i) => tokenizePair(tok, pairs[i], rm.cfg.maxSeqLen));
    const h = await scorePairs(rm, held, tok.padTokenId ?? 0, 'mean');
    const written = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).heldout;
    const rewards = [...h.chosen, ...h.rejected], lengths = [...held.map((p) => p.chosen.length), ...held.map((p) => p.rejected.length)];
    expect(written.accuracy).toBe(h.chosen.filter((c, i) => c > h.rejected[i]).length / held.length);
    expect(written.min_reward).toBeCloseTo(Math.min(...rewards), 5);
    expect(written.max_reward).toBeCloseTo(Math.max(...rewards), 5);
    const m = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const [mr, ml] = [m(rewards), m(lengths)];
    const cov = m(rewards.map((r, i) => (r - mr) * (lengths[i] - ml)));
    const corr = cov / Math.sqrt(m(rewards.map((r) => (r - mr) ** 2)) * m(lengths.map((l) => (l - ml) ** 2)));
    expect(written.reward_length_corr).toBeCloseTo(corr, 5);
    expect(written.calibration_error).toBeGreaterThanOrEqual(0);
    expect(written.calibration_error).toBeLessThanOrEqual(0.5);
    await runtime.release();
  }, 120_000);

  // Bagging: the head is fitted on the training prompts drawn with replacement from the seed's
  // 'rm-bootstrap' stream (groups in first-seen order), so its logged pair loss is the saved
  // model's mean loss over that multiset — not over the training pairs as they are.
  it('with bootstrap, fits on a resample of the training prompts and holds out the same pairs', async () => {
    const out = path.join(dir, 'rm-bootstrap');
    const r = (await trainRewardModel({ model: path.join(dir, 'model'), prefs, out, epochs: 0, fitHead: true, headRank: 2, readout: 'mean', bootstrap: true, seed: 3, threads: 1 }, quiet)) as { pairs: { train: number; heldout: number; bootstrapPairs: number; bootstrapPrompts: number } };
    const { trainIdx, heldIdx } = heldoutSplit(pairs, 3, prefs);
    const keys = [...new Set(trainIdx.map((i) => JSON.stringify(pairs[i].prompt)))];
    const groups = keys.map((k) => trainIdx.filter((i) => JSON.stringify(pairs[i].prompt) === k));
    const draw = new Rng(3).fork('rm-bootstrap');
    const drawnGroups = groups.map(() => groups[draw.int(groups.length)]);
    const drawn = drawnGroups.flat();
    expect(r.pairs).toEqual({ train: trainIdx.length, heldout: heldIdx.length, skipped: 0, bootstrapPairs: drawn.length, bootstrapPrompts: new Set(drawnGroups).size });
    expect(r.pairs.bootstrapPrompts).toBeLessThan(groups.length);
    const runtime = new Runtime({ threads: 1 });
    const rm = loadModel(out, { runtime, rewardRank: 2 });
    const tok = await loadTokenizer(out);
    const lossOver = async (ix: number[]) => {
      const sc = await scorePairs(rm, ix.map((i) => tokenizePair(tok, pairs[i], rm.cfg.maxSeqLen)), tok.padTokenId ?? 0, 'mean');
      return sc.chosen.reduce((sum, c, j) => sum + Math.log1p(Math.exp(sc.rejected[j] - c)), 0) / ix.length;
    };
    const rows = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const logged = rows[rows.length - 1]['head/pair_loss'];
    expect(Math.abs((await lossOver(drawn)) - logged)).toBeLessThan(1e-4 * logged);
    expect(Math.abs((await lossOver(trainIdx)) - logged)).toBeGreaterThan(1e-3 * logged);
    await runtime.release();
  }, 120_000);
});

describe('readTrainingPairs', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-rmread-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pair = (i: number) => JSON.stringify({ prompt: `question ${i}`, chosen: `good ${i}`, rejected: `bad ${i}` });

  it("refuses a bad line by default, naming FILE:LINE once; 'skip' reports every bad line, counts the rest and the unpaired rows", async () => {
    const file = path.join(dir, 'mixed.jsonl');
    // Lines 2 and 9: invalid JSON; line 4: a row with no rejected; line 6: an unpaired row.
    const lines = [pair(1), '{"prompt": "x", ', pair(2), JSON.stringify({ prompt: 'p', chosen: 'c' }), pair(3), JSON.stringify({ prompt: 'p', completion: 'c', label: true }), ...Array.from({ length: 10 }, (_, i) => pair(10 + i))];
    lines.splice(8, 0, 'not json');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    await expect(readTrainingPairs(file, 'a reward model', () => {})).rejects.toThrow(`${file}:2:`);
    const log: string[] = [];
    const r = await readTrainingPairs(file, 'a reward model', (m) => log.push(m), { onError: 'skip' });
    expect(r.pairs.length).toBe(13);
    expect(r.skipped).toBe(3);
    const skipped = log.filter((l) => l.startsWith('skipped '));
    expect(skipped.map((l) => Number(l.slice(`skipped ${file}:`.length).split(':')[0]))).toEqual([2, 4, 9]);
    for (const l of skipped) expect(l.split(`${file}:`).length).toBe(2); // the FILE:LINE prefix once
    expect(log).toContain(`${file}: 1 unpaired rows (prompt/completion/label) left out: a reward model trains on chosen/rejected pairs`);
  });

  it('shows five bad lines, then how many more; too few pairs is an error', async () => {
    const file = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(file, [...Array.from({ length: 8 }, () => 'nope'), ...Array.from({ length: 10 }, (_, i) => pair(i))].join('\n') + '\n');
    const log: string[] = [];
    await readTrainingPairs(file, 'DPO', (m) => log.push(m), { onError: 'skip' });
    expect(log.filter((l) => l.startsWith('skipped ')).length).toBe(5);
    expect(log).toContain('… and 3 more bad lines skipped');
    await expect(readTrainingPairs(file, 'DPO', () => {}, { onError: 'skip', min: 11 })).rejects.toThrow(`${file}: 10 usable pairs; DPO needs at least 11`);
  });
});
