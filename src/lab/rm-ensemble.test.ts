import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auroc, ensembleAgreement, stratifiedAuroc, evaluateRewardModels, memberDir, trainRewardEnsemble } from './rm-ensemble.js';
import { scorePairs, trainRewardModel } from './rm.js';
import { heldoutSplit, preferenceAgreement, tokenizePair } from './pairs.js';
import { loadModel, missingRewardHead } from '../model/checkpoint.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { tinyWorldModel } from './test-fixtures.js';
import { writePreferences, type PreferencePair } from '../prefs/format.js';
import { Rng } from '../util/rng.js';

describe('auroc', () => {
  // Against the definition: over every (positive, negative) pair, 1 if the positive scores higher, ½ on a tie.
  it('equals the share of positive–negative pairs ordered right, ties ½', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(rng.next() * 40);
      const score = Array.from({ length: n }, () => Math.floor(rng.next() * 6)); // many ties
      const pos = Array.from({ length: n }, () => rng.next() < 0.3);
      let wins = 0, count = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (pos[i] && !pos[j]) (count++, (wins += score[i] > score[j] ? 1 : score[i] === score[j] ? 0.5 : 0));
      const a = auroc(score, pos);
      if (count === 0) expect(a).toBeNull();
      else expect(a).toBeCloseTo(wins / count, 12);
    }
    expect(auroc([1, 2, 3], [false, true, true])).toBe(1);
    expect(auroc([1, 2, 3], [true, false, false])).toBe(0);
    expect(auroc([1, 2], [true, true])).toBeNull();
  });
});

describe('stratifiedAuroc', () => {
  // Against the definition: over (positive, negative) pairs of the same stratum only.
  it('equals the share of same-stratum positive–negative pairs ordered right, ties ½', () => {
    const rng = new Rng(8);
    for (let trial = 0; trial < 20; trial++) {
      const n = 8 + Math.floor(rng.next() * 60);
      const score = Array.from({ length: n }, () => Math.floor(rng.next() * 5));
      const pos = Array.from({ length: n }, () => rng.next() < 0.35);
      const stratum = Array.from({ length: n }, () => Math.floor(rng.next() * 4));
      let wins = 0, count = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (pos[i] && !pos[j] && stratum[i] === stratum[j]) (count++, (wins += score[i] > score[j] ? 1 : score[i] === score[j] ? 0.5 : 0));
      const a = stratifiedAuroc(score, pos, stratum);
      if (count === 0) expect(a).toBeNull();
      else expect(a).toBeCloseTo(wins / count, 12);
    }
    // Within strata the order is perfect although pooled it is not.
    expect(stratifiedAuroc([1, 2, 10, 11], [false, true, false, true], [0, 0, 1, 1])).toBe(1);
    expect(auroc([1, 2, 10, 11], [false, true, false, true])).toBe(0.75);
  });
});

describe('ensembleAgreement', () => {
  const pair = (cg?: number, rg?: number): PreferencePair => ({ prompt: 'q', chosen: 'a', rejected: 'b', ...(cg === undefined ? {} : { chosen_gold: cg, rejected_gold: rg }) });
  // Δ of member 1: 1, −1, 0; member 2: 3, −0.5, −1 → mean Δ 2, −0.75, −0.5; disagreement |Δ1 − Δ2| / 2 = 1, 0.25, 0.5.
  const scores = [
    { chosen: [1, 0, 2], rejected: [0, 1, 2] },
    { chosen: [3, 0, 1], rejected: [0, 0.5, 2] },
  ];
  const pairs = [pair(1, 0), pair(0, 1), pair(0.5, 0.5)];

  it('reads disagreement, error detection and the confident/unsure halves as worked by hand', () => {
    const e = ensembleAgreement(scores, pairs);
    expect(e.members).toBe(2);
    expect(e.disagreement.mean).toBeCloseTo((1 + 0.25 + 0.5) / 3, 12);
    expect(e.disagreement.median).toBeCloseTo(0.5, 12);
    expect(e.disagreement.max).toBeCloseTo(1, 12);
    // Against the raters pairs 2 and 3 are wrong (mean Δ ≤ 0); they disagree less than pair 1 does,
    // and their margins are the smaller ones.
    const r = e.errorDetection.raters;
    expect([r.pairs, r.errors]).toEqual([3, 2]);
    expect(r.disagreementAuroc).toBe(0);
    expect(r.marginAuroc).toBe(1);
    // Quarters by |mean Δ| of 3 pairs: pair 3 (0.5), pair 2 (0.75), pair 1 (2) each alone: no quarter holds both kinds.
    expect(r.disagreementAurocWithinMargin).toBeNull();
    expect(r.accuracyConfident).toBe(0); // pair 2 (0.25)
    expect(r.accuracyUnsure).toBe(0.5); // pairs 3 (0.5) and 1 (1)
    // Against gold: pair 3 is a gold tie and left out; pairs 1 and 2 are ordered as gold orders them.
    expect(e.errorDetection.gold).toEqual({ pairs: 2, errors: 0, disagreementAuroc: null, marginAuroc: null, disagreementAurocWithinMargin: null, accuracyConfident: 1, accuracyUnsure: 1 });
    // The ensemble's reward is the members' mean; each member's metrics are its own.
    expect(e.mean).toEqual(preferenceAgreement({ chosen: [2, 0, 1.5], rejected: [0, 0.75, 2] }, pairs));
    expect(e.memberMetrics).toEqual(scores.map((s) => preferenceAgreement(s, pairs)));
    expect(ensembleAgreement(scores, [pair(), pair(), pair()]).errorDetection.gold).toBeNull();
  });

  it('pools disagreement\'s AUROC within quarters by margin, as worked by hand', () => {
    // Δ per member (rejected scored 0): mean Δ and SD −0.1/0.2, 0.2/0.1 | 0.5/0.5, −0.6/0.2 | 1/1, 1.3/0.1 | 2/1, −2.5/1.5;
    // wrong (mean Δ ≤ 0): pairs 1, 4, 8. Quarters by |mean Δ| as marked; the third has no wrong pair.
    const d1 = [0.1, 0.3, 1, -0.4, 2, 1.4, 3, -1], d2 = [-0.3, 0.1, 0, -0.8, 0, 1.2, 1, -4];
    const zeros = d1.map(() => 0);
    const r = ensembleAgreement([{ chosen: d1, rejected: zeros }, { chosen: d2, rejected: zeros }], d1.map(() => pair())).errorDetection.raters;
    expect(r.errors).toBe(3);
    expect(r.disagreementAurocWithinMargin).toBeCloseTo((1 + 0 + 1) / 3, 12); // quarters 1, 2 and 4, one comparison each
    expect(r.disagreementAuroc).toBeCloseTo(9 / 15, 12);
  });

  it('names what is wrong with its input', () => {
    expect(() => ensembleAgreement([scores[0]], pairs)).toThrow('reward ensemble: needs at least 2 members\' scores, got 1');
    expect(() => ensembleAgreement([scores[0], { chosen: [1], rejected: [0] }], pairs)).toThrow('reward ensemble: member 2 scored 1/1 pairs, expected 3');
  });
});

describe('trainRewardEnsemble', () => {
  let dir: string;
  let prefs: string;
  let pairs: PreferencePair[];
  const quiet = { log: () => {} };
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-rmens-'));
    await tinyWorldModel(path.join(dir, 'model'));
    const rng = new Rng(2);
    pairs = Array.from({ length: 40 }, (_, i) => {
      const good = rng.next() < 0.8;
      return {
        prompt: [{ role: 'user', content: `Where is order ORD-${1000 + (i % 20)}?` }],
        chosen: [{ role: 'assistant', content: `It shipped ${i % 7} days ago and arrives soon.` }],
        rejected: [{ role: 'assistant', content: `No. ${i}` }],
        chosen_gold: good ? 1 : 0,
        rejected_gold: good ? 0 : 1,
      };
    });
    prefs = path.join(dir, 'prefs.jsonl');
    writePreferences(prefs, pairs);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains members that hold out the same pairs; member 1 is train rm with the seed; the read-out follows from the saved members', async () => {
    const base = { model: path.join(dir, 'model'), prefs, epochs: 1, lr: 1e-3, batchPairs: 8, seed: 3, threads: 1 };
    const out = path.join(dir, 'ens');
    const r = (await trainRewardEnsemble({ ...base, out, members: 2 }, quiet)) as unknown as { members: { dir: string; seed: number; heldout: { accuracy: number } }[]; ensemble: ReturnType<typeof ensembleAgreement>; pairs: { heldout: number } };
    expect(r.members.map((m) => [m.dir, m.seed])).toEqual([[memberDir(out, 1), 3], [memberDir(out, 2), 1003]]);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)));

    // Member 1 is the model `train rm --seed 3` trains: the same weights to the bit.
    const single = path.join(dir, 'single');
    await trainRewardModel({ ...base, out: single }, quiet);
    expect(fs.readFileSync(path.join(memberDir(out, 1), 'model.safetensors')).equals(fs.readFileSync(path.join(single, 'model.safetensors')))).toBe(true);
    // Member 2 trained otherwise (its own seed) on the same split.
    expect(fs.readFileSync(path.join(memberDir(out, 2), 'model.safetensors')).equals(fs.readFileSync(path.join(single, 'model.safetensors')))).toBe(false);
    const { heldIdx } = heldoutSplit(pairs, 3, prefs);
    expect(r.pairs.heldout).toBe(heldIdx.length);
    expect(JSON.parse(fs.readFileSync(path.join(memberDir(out, 2), 'results.json'), 'utf8')).pairs.heldout).toBe(heldIdx.length);

    // The ensemble's read-out, recomputed from each saved member's scores of the held-out pairs.
    const runtime = new Runtime({ threads: 1 });
    const tok = await loadTokenizer(out + '/member-1');
    const held = heldIdx.map((i) => pairs[i]);
    const scores = [];
    for (const m of [1, 2]) {
      const model = loadModel(memberDir(out, m), { runtime });
      scores.push(await scorePairs(model, held.map((p) => tokenizePair(tok, p, model.cfg.maxSeqLen)), tok.padTokenId ?? 0));
    }
    await runtime.release();
    const again = ensembleAgreement(scores, held);
    expect(r.ensemble.mean.accuracy).toBe(again.mean.accuracy);
    expect(r.ensemble.mean.accuracyVsGold).toBe(again.mean.accuracyVsGold);
    expect(r.ensemble.disagreement.mean).toBeCloseTo(again.disagreement.mean, 5);
    expect(r.ensemble.errorDetection.raters.errors).toBe(again.errorDetection.raters.errors);
    expect(r.members.map((m) => m.heldout.accuracy)).toEqual(again.memberMetrics.map((m) => m.accuracy));

    // `eval rm` on a file of just the held-out pairs: each member's metrics as its training run
    // wrote them, and the ensemble's read-out as the ensemble's run wrote it.
    const heldFile = path.join(dir, 'held.jsonl');
    writePreferences(heldFile, held);
    const ev = await evaluateRewardModels([memberDir(out, 1), memberDir(out, 2)], heldFile, { threads: 1, log: () => {} });
    expect(ev.pairs).toBe(held.length);
    expect(ev.models.map((m) => m.metrics)).toEqual(r.members.map((m) => m.heldout));
    expect(ev.ensemble).toEqual(r.ensemble);
    expect((await evaluateRewardModels([memberDir(out, 2)], heldFile, { threads: 1, log: () => {} })).ensemble).toBeNull();
    await expect(evaluateRewardModels([memberDir(out, 1), path.join(dir, 'model')], heldFile, { log: () => {} })).rejects.toThrow(`reward model ${path.join(dir, 'model')} has no reward head`);

    // The ensemble's directory is not one reward model; where one is expected it is refused, naming its members.
    expect(missingRewardHead(out, 'reward')).toBe(`reward ${out} is a reward-model ensemble, not one model: give its members, e.g. --reward ${memberDir(out, 1)} --observers ${memberDir(out, 2)},…`);
  }, 180_000);

  it('with two threads, trains the members side by side on one thread each: the members and read-out of the same ensemble on one thread', async () => {
    const base = { model: path.join(dir, 'model'), prefs, epochs: 1, lr: 1e-3, batchPairs: 8, seed: 5, members: 3 };
    const one = path.join(dir, 'ens-one');
    const two = path.join(dir, 'ens-two');
    const lines: string[] = [];
    const a = (await trainRewardEnsemble({ ...base, out: one, threads: 1 }, quiet)) as unknown as { members: { seed: number; threads: number }[]; ensemble: unknown };
    const b = (await trainRewardEnsemble({ ...base, out: two, threads: 2 }, { log: (m) => lines.push(m) })) as unknown as typeof a;
    expect(lines).toContain('reward ensemble: 3 members, 2 side by side, 1 thread each');
    // Members 1 and 3 in one process, 2 in the other; each member's log lines name its process.
    expect(lines.some((l) => l.startsWith('[members 1, 3] '))).toBe(true);
    expect(lines.some((l) => l.startsWith('[members 2] '))).toBe(true);
    expect(b.members.map((m) => [m.seed, m.threads])).toEqual([[5, 1], [1005, 1], [2005, 1]]);
    expect(a.members.map((m) => m.threads)).toEqual([1, 1, 1]);
    for (const m of [1, 2, 3]) expect(fs.readFileSync(path.join(memberDir(two, m), 'model.safetensors')).equals(fs.readFileSync(path.join(memberDir(one, m), 'model.safetensors')))).toBe(true);
    expect(b.ensemble).toEqual(a.ensemble);
  }, 240_000);

  it('refuses fewer than two members, and an out directory that holds a model, before writing anything', async () => {
    const base = { model: path.join(dir, 'model'), prefs, epochs: 1, seed: 1, threads: 1 };
    await expect(trainRewardEnsemble({ ...base, out: path.join(dir, 'one'), members: 1 }, quiet)).rejects.toThrow('reward ensemble: members must be a whole number ≥ 2, got 1');
    expect(fs.existsSync(path.join(dir, 'one'))).toBe(false);
    await expect(trainRewardEnsemble({ ...base, out: path.join(dir, 'model'), members: 2 }, quiet)).rejects.toThrow(`reward ensemble: ${path.join(dir, 'model')} holds a model (config.json)`);
    expect(fs.existsSync(memberDir(path.join(dir, 'model'), 1))).toBe(false);
  });
});
