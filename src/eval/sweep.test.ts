/**
 * The refusal-bias sweep on a scripted model whose candidates are known: each case's k-th
 * sampled reply is a fixed text, either a plain refusal or a reply that does what is asked
 * (harmful requests included). Every number is checked against an independent computation from
 * the picked texts: the argmax written out as a loop, each picked text read by the world
 * (`scoreResponse`, `failureFlags`) and counted directly; the λ = 0 point without a reward
 * model against `evalWorld` of the same model's first sample; the reward-model scorer against
 * the float64 reference forward pass (model/reference.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCases, referenceResponse, renderActs, scoreResponse, systemPrompt, type Case } from '../world/index.js';
import type { ChatMessage, LanguageModel, SamplingOptions } from '../providers/types.js';
import { Rng } from '../util/rng.js';
import { classifyRefusal } from './refusal.js';
import { evalWorld, failureFlags } from './world.js';
import { candidateSeed, parseSweep, pickCandidate, pointSamples, readSweepFile, rewardModelScorer, sweepConfig, sweepRefusalBias, type CandidateScorer, type SweepResult } from './sweep.js';
import { LlamaModel } from '../model/model.js';
import { llamaConfig } from '../model/config.js';
import { referenceLogits } from '../model/reference.js';
import { Runtime } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { tinyWorldModel } from '../lab/test-fixtures.js';

const N = 30;
const REFUSE = "I'm sorry, but I can't help with that request.";
const cases = generateCases({ seed: 1, n: N, split: 'test' });
/** Per case (by index mod 5), the kind of each of the 4 samples: R = refusal, C = does what is asked. */
const PATTERNS = ['RCCR', 'CRRC', 'RRRR', 'CCCC', 'CCRC'];
const kindOf = (i: number, j: number) => PATTERNS[i % PATTERNS.length]![j]!;
/** The correct reply, except that a request it should refuse is carried out. */
const complies = (c: Case) =>
  c.turns[0]!.expected.some((e) => e.type === 'refuse') ? renderActs(c, [{ type: c.family === 'harmful' ? 'comply_harmful' : 'disclose_private_info' }], new Rng(1), 0) : referenceResponse(c, new Rng(1), 0);
const textOf = (i: number, j: number) => (kindOf(i, j) === 'R' ? REFUSE : complies(cases[i]!));
const refusedRef = (text: string) => classifyRefusal(text).label !== 'full_compliance';

/** A model whose k-th reply to a case's conversation is that case's k-th scripted sample; it records the sampling options. */
function scripted(): LanguageModel & { calls: SamplingOptions[] } {
  const index = new Map(cases.map((c, i) => [systemPrompt(c) + '\u0000' + c.turns[0]!.customer, i]));
  const seen = new Map<number, number>();
  const calls: SamplingOptions[] = [];
  const answer = (m: ChatMessage[], opts?: SamplingOptions) => {
    calls.push({ ...opts });
    const i = index.get(m[0]!.content + '\u0000' + m[1]!.content)!;
    const k = seen.get(i) ?? 0;
    seen.set(i, k + 1);
    return { text: textOf(i, k), finishReason: 'stop' as const };
  };
  return { id: 'scripted', calls, chat: async (m, o) => answer(m, o), chatBatch: async (ms, o) => ms.map((m) => answer(m, o)) };
}

/** A fixed base(y) per (case, sample) in [0, 1.5), independent of the text. */
const baseOf = (i: number, j: number) => new Rng(1000 + 17 * i + j).next() * 1.5;
const fakeScorer: CandidateScorer = async (items) => {
  const at = new Map(cases.map((c, i) => [systemPrompt(c), i]));
  return items.map((it) => it.replies.map((_, j) => baseOf(at.get(it.messages[0]!.content)!, j)));
};

/** The point's numbers, computed directly from the picked texts. */
function expectedNumbers(picks: number[]) {
  let gold = 0, help = 0, orHits = 0, orOf = 0, hcHits = 0, hcOf = 0, refused = 0;
  picks.forEach((k, i) => {
    const c = cases[i]!;
    const text = textOf(i, k);
    const s = scoreResponse(c, text, 0);
    const f = failureFlags(c, 0, s.acts);
    gold += s.gold.total;
    help += s.gold.helpfulness;
    if (f.overRefusal !== undefined) (orOf++, (orHits += f.overRefusal ? 1 : 0));
    if (f.harmfulCompliance !== undefined) (hcOf++, (hcHits += f.harmfulCompliance ? 1 : 0));
    refused += refusedRef(text) ? 1 : 0;
  });
  return { gold: gold / N, helpfulness: help / N, overRefusal: orHits / orOf, orHits, orOf, harmfulCompliance: hcHits / hcOf, hcHits, hcOf, refusalRate: refused / N };
}

function checkPoint(p: SweepResult['points'][number], picks: number[]) {
  expect(p.picked).toEqual(picks);
  const e = expectedNumbers(picks);
  expect(p.gold).toBeCloseTo(e.gold, 12);
  expect(p.helpfulness).toBeCloseTo(e.helpfulness, 12);
  expect(p.overRefusal).toBeCloseTo(e.overRefusal, 12);
  expect(p.harmfulCompliance).toBeCloseTo(e.harmfulCompliance, 12);
  expect(p.harmlessness).toBeCloseTo(1 - e.harmfulCompliance, 12);
  expect(p.refusalRate).toBeCloseTo(e.refusalRate, 12);
  expect(p.metrics['rates/overRefusal']).toBeCloseTo(e.overRefusal, 12);
  expect(p.metrics['world/gold']).toBeCloseTo(e.gold, 12);
  expect(p.intervals.overRefusal).toMatchObject({ hits: e.orHits, of: e.orOf });
  expect(p.intervals.harmfulCompliance).toMatchObject({ hits: e.hcHits, of: e.hcOf });
  for (const iv of Object.values(p.intervals)) {
    expect(iv.lo).toBeLessThanOrEqual(iv.estimate + 1e-12);
    expect(iv.hi).toBeGreaterThanOrEqual(iv.estimate - 1e-12);
  }
}

describe('the scripted candidates are what the test assumes', () => {
  it('the refusal is a refusal to the classifier and the world; complying replies are not, wherever over-refusal or harmful compliance is measured', () => {
    expect(refusedRef(REFUSE)).toBe(true);
    let measured = 0;
    cases.forEach((c) => {
      const f = failureFlags(c, 0, scoreResponse(c, complies(c), 0).acts);
      const r = failureFlags(c, 0, scoreResponse(c, REFUSE, 0).acts);
      if (f.overRefusal !== undefined || f.harmfulCompliance !== undefined) {
        measured++;
        expect(refusedRef(complies(c))).toBe(false);
      }
      if (r.overRefusal !== undefined) expect(r.overRefusal).toBe(true);
      if (f.harmfulCompliance !== undefined) expect(f.harmfulCompliance).toBe(true);
    });
    expect(measured).toBeGreaterThan(N / 2);
    expect(cases.some((c) => c.turns[0]!.expected.some((e) => e.type === 'refuse'))).toBe(true);
  });
});

describe('sweepRefusalBias without a reward model', () => {
  const lambdas = [-3, -0.5, 0, 0.5, 3];
  let r: SweepResult;
  let model: ReturnType<typeof scripted>;
  beforeAll(async () => {
    model = scripted();
    r = await sweepRefusalBias(model, { cases: N, n: 4, lambdas: [3, 0, -0.5, 0.5, -3], B: 200 });
  });

  it('samples every case n times, once, at T = 0.7 with a distinct seed per round', () => {
    expect(model.calls).toHaveLength(4 * N);
    expect(new Set(model.calls.map((o) => o.temperature))).toEqual(new Set([0.7]));
    expect(new Set(model.calls.map((o) => o.seed)).size).toBe(4);
    expect(r.points.map((p) => p.lambda)).toEqual(lambdas);
    expect(r.config).toMatchObject({ model: 'scripted', base: 'none', n: 4, cases: N, temperature: 0.7 });
    r.cases.forEach((c, i) => expect(c.candidates.map((x) => x.response)).toEqual([0, 1, 2, 3].map((j) => textOf(i, j))));
  });

  it('λ < 0 picks the first non-refusing sample where one exists, λ > 0 the first refusing one, λ = 0 the first', () => {
    for (const p of r.points) {
      const picks = cases.map((_, i) => {
        const refs = [0, 1, 2, 3].map((j) => refusedRef(textOf(i, j)));
        const want = p.lambda < 0 ? refs.indexOf(false) : p.lambda > 0 ? refs.indexOf(true) : 0;
        return want < 0 ? 0 : want;
      });
      checkPoint(p, picks);
    }
    // The extremes: every case with a complying sample complies at λ = −3; every case with a refusing sample refuses at λ = 3.
    const lo = r.points[0]!, hi = r.points[4]!;
    expect(lo.refusalRate).toBeCloseTo(cases.filter((_, i) => [0, 1, 2, 3].every((j) => refusedRef(textOf(i, j)))).length / N, 12);
    expect(hi.refusalRate).toBeCloseTo(cases.filter((_, i) => [0, 1, 2, 3].some((j) => refusedRef(textOf(i, j)))).length / N, 12);
    expect(lo.harmfulCompliance).toBeGreaterThan(hi.harmfulCompliance);
    expect(lo.overRefusal).toBeLessThan(hi.overRefusal);
  });

  it('the λ = 0 point is the first-sample evaluation: evalWorld (one turn) of the same model', async () => {
    const p0 = r.points.find((p) => p.lambda === 0)!;
    const ev = await evalWorld(scripted(), { n: N, seed: 1, maxTurns: 1, sampling: { temperature: 0.7, seed: candidateSeed(1, 0) } });
    const { samples, ...summary } = ev;
    expect(p0.world).toEqual(summary);
    expect(pointSamples(r.cases, p0.picked)).toEqual(samples);
    expect(p0.metrics['sweep/first_sample']).toBe(1);
  });

  it('B = 0 gives point estimates with NaN bounds', async () => {
    const r0 = await sweepRefusalBias(scripted(), { cases: N, n: 4, lambdas: [0], B: 0 });
    expect(r0.points[0]!.intervals.gold.estimate).toBeCloseTo(r.points[2]!.gold, 12);
    expect(r0.points[0]!.intervals.gold.lo).toBeNaN();
  });
});

describe('sweepRefusalBias with a scorer (base ≠ 0)', () => {
  const lambdas = [-2, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 2];
  let r: SweepResult;
  beforeAll(async () => {
    r = await sweepRefusalBias(scripted(), { cases: N, n: 4, lambdas, scorer: fakeScorer, base: 'fake', B: 100 });
  });

  it('each λ picks argmax base + λ·refused (first on ties), and its numbers equal those of the picked texts', () => {
    for (const p of r.points) {
      const picks = cases.map((_, i) => {
        let best = -1, bestS = -Infinity;
        for (let j = 0; j < 4; j++) {
          const s = baseOf(i, j) + p.lambda * (refusedRef(textOf(i, j)) ? 1 : 0);
          if (s > bestS) (best = j), (bestS = s);
        }
        return best;
      });
      checkPoint(p, picks);
      expect(p.metrics['sweep/base']).toBeCloseTo(picks.reduce((a, k, i) => a + baseOf(i, k), 0) / N, 12);
    }
    // The knob moves the picks through several distinct operating points.
    expect(new Set(r.points.map((p) => p.overRefusal)).size).toBeGreaterThan(3);
  });

  it('over-refusal and the classifier refusal rate never fall as λ rises; harmful compliance never rises', () => {
    for (let k = 1; k < r.points.length; k++) {
      const a = r.points[k - 1]!, b = r.points[k]!;
      expect(b.overRefusal).toBeGreaterThanOrEqual(a.overRefusal);
      expect(b.refusalRate).toBeGreaterThanOrEqual(a.refusalRate);
      expect(b.harmfulCompliance).toBeLessThanOrEqual(a.harmfulCompliance);
    }
  });

  it('a scorer of the wrong shape, or a non-finite score, is one clear error', async () => {
    await expect(sweepRefusalBias(scripted(), { cases: 3, n: 2, scorer: async (items) => items.map(() => [0]) })).rejects.toThrow(/one score per candidate/);
    await expect(sweepRefusalBias(scripted(), { cases: 3, n: 2, scorer: async (items) => items.map(() => [0, NaN]) })).rejects.toThrow(/must be finite/);
  });
});

describe('configuration and sweep files', () => {
  it('lambdas are sorted and deduplicated; bad fields are named', () => {
    expect(sweepConfig({ lambdas: [1, -1, 0, 1] }).lambdas).toEqual([-1, 0, 1]);
    expect(sweepConfig()).toMatchObject({ cases: 200, n: 4, temperature: 0.7, lambdas: [-2, -1, -0.5, 0, 0.5, 1, 2] });
    expect(() => sweepConfig({ n: 0 })).toThrow(/n: /);
    expect(() => sweepConfig({ lambdas: [] })).toThrow(/lambdas/);
    expect(() => sweepConfig({ shift: 'nope' as never })).toThrow(/shift/);
    expect(() => sweepConfig({ bogus: 1 } as never)).toThrow(/bogus|unrecognized/i);
  });

  it('pickCandidate: the earliest of tied maxima', () => {
    const c = [
      { base: 1, refused: false },
      { base: 0, refused: true },
      { base: 1, refused: false },
    ];
    expect(pickCandidate(c, 0)).toBe(0);
    expect(pickCandidate(c, 1)).toBe(0);
    expect(pickCandidate(c, 1.5)).toBe(1);
  });

  it('a written sweep reads back (NaN bounds as null); a broken one names the field', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-sweep-'));
    try {
      const r = await sweepRefusalBias(scripted(), { cases: 6, n: 4, lambdas: [-1, 1], B: 0 });
      const file = path.join(dir, 'sweep.json');
      fs.writeFileSync(file, JSON.stringify(r));
      const back = readSweepFile(file);
      expect(back.points[1]!.overRefusal).toBe(r.points[1]!.overRefusal);
      expect(back.points[1]!.intervals.overRefusal.lo).toBeNaN();
      expect(back.cases[0]!.candidates).toEqual(r.cases[0]!.candidates);
      const raw = JSON.parse(JSON.stringify(r));
      raw.points[0].overRefusal = 'high';
      expect(() => parseSweep(raw, 'x.json')).toThrow(/x\.json: .*points\.0\.overRefusal/);
      const bad = JSON.parse(JSON.stringify(r));
      bad.points[0].picked[0] = 9;
      expect(() => parseSweep(bad, 'x.json')).toThrow(/points\.0\.picked\.0 = 9/);
      fs.writeFileSync(path.join(dir, 'other.json'), '{"a": 1}');
      expect(() => readSweepFile(path.join(dir, 'other.json'))).toThrow(/not a sweep file/);
      expect(() => readSweepFile(path.join(dir, 'none.json'))).toThrow(/no such file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rewardModelScorer', () => {
  let dir: string;
  const K = 7;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-sweep-rm-'));
    await tinyWorldModel(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('base = the reward head at the reply’s <|im_end|>, equal to the float64 reference; λ = 0 picks its argmax', async () => {
    const tok = await loadTokenizer(dir);
    const cfg = llamaConfig({ vocabSize: tok.vocabSize, dModel: 32, nLayers: 1, nHeads: 2, dFF: 48, maxSeqLen: 512 });
    const runtime = new Runtime({ threads: 1 });
    const rm = LlamaModel.init(cfg, { seed: 5, runtime, heads: ['reward'] });
    try {
      for (const s of rm.params.specs) if (!s.name.endsWith('norm.weight')) new Rng(s.name.length * 13 + 1).fillNormal(rm.params.get(s.name), 0.3);
      // r(x, y) = logit of token K at the last position: the reference computes it independently.
      rm.params.get('score.weight').set(rm.params.get('lm_head.weight').subarray(K * cfg.dModel, (K + 1) * cfg.dModel));
      const scorer = rewardModelScorer(rm, tok);
      const few = 3;
      const items = cases.slice(0, few).map((c, i) => ({ messages: [{ role: 'system' as const, content: systemPrompt(c) }, { role: 'user' as const, content: c.turns[0]!.customer }], replies: [0, 1, 2].map((j) => textOf(i, j + (j === 2 ? 1 : 0)) + (j === 1 ? ' Thanks.' : '')) }));
      const got = await scorer(items);
      const imEnd = tok.tokenToId('<|im_end|>')!;
      items.forEach((it, i) =>
        it.replies.forEach((reply, j) => {
          const full = tok.encodeChat([...it.messages, { role: 'assistant', content: reply }]).ids;
          const ids = full.slice(0, full.lastIndexOf(imEnd) + 1);
          expect(ids.length).toBeLessThanOrEqual(cfg.maxSeqLen); // no truncation in this test
          const logits = referenceLogits(cfg, (n) => rm.params.get(n), ids);
          expect(Math.abs(got[i]![j]! - logits[logits.length - 1]![K]!)).toBeLessThan(1e-4);
        }),
      );
      // Through the sweep: at λ = 0 each case keeps the reward model's favourite.
      const r = await sweepRefusalBias(scripted(), { cases: few, n: 4, lambdas: [0], scorer, B: 0 });
      const bases = await scorer(r.cases.map((c) => ({ messages: c.messages, replies: c.candidates.map((x) => x.response) })));
      r.cases.forEach((c, i) => {
        expect(c.candidates.map((x) => x.base)).toEqual(bases[i]);
        expect(r.points[0]!.picked[i]).toBe(bases[i]!.indexOf(Math.max(...bases[i]!)));
      });
    } finally {
      await runtime.release();
    }
  });

  it('a model without a reward head is refused', () => {
    const plain = LlamaModel.init(llamaConfig({ vocabSize: 64, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 32 }), { seed: 1 });
    expect(() => rewardModelScorer(plain, {} as never)).toThrow(/no reward head/);
  });
});
