/**
 * A refusal-bias knob for any `LanguageModel`, by best-of-n reranking, swept to trace the
 * model's curve on the over-refusal / harmful-compliance and helpfulness / harmlessness planes.
 *
 * For every HelpDesk test case (the first customer turn; single-turn), n candidate replies are
 * sampled once at temperature T, and for each λ in a list the reply that maximizes
 *
 *     s_λ(y) = base(y) + λ · refused(y)          ŷ_λ = argmax_{y ∈ {y_1 … y_n}} s_λ(y)
 *
 * is kept (ties go to the earlier sample). refused(y) ∈ {0, 1} is the refusal classifier's
 * verdict (src/eval/refusal.ts: 1 for `full_refusal` and `partial_refusal`); base(y) is a reward
 * model's score r(x, y) when one is given (`rewardModelScorer`), else 0. λ < 0 pushes toward
 * answering, λ > 0 toward declining, in the units of base. Each λ yields one full set of scored
 * replies, read by the world exactly as `eval world` reads them (src/eval/world.ts:
 * `worldSample`, `summarize`), so a point carries gold, proxy, helpfulness,
 * harmlessness and every failure rate, with percentile-bootstrap intervals over the cases.
 *
 * Properties worth knowing:
 * - The candidates are sampled and scored once; every λ only re-picks among them.
 * - Without a reward model base ≡ 0, so only the sign of λ matters: λ < 0 picks the first
 *   non-refusing sample (the first sample where all refuse), λ = 0 the first sample — exactly
 *   the model's own first sample at temperature T — and λ > 0 the first refusing sample. Such
 *   a curve has at most three distinct points; a reward model gives a continuous knob.
 * - refused(ŷ_λ) is non-decreasing in λ for every case (if a refusal a wins at λ₁ over a
 *   non-refusal b, then base(a) + λ₁ ≥ base(b), so a still wins at any λ₂ > λ₁), so the share
 *   of picked replies the classifier calls refusals rises with λ. The world's over-refusal
 *   rate rises with it wherever the classifier and the world's interpreter agree on what a
 *   refusal is; with real models they can disagree on a few replies.
 *
 * What was simplified: one customer turn per case (no pushback dialogue), so the numbers are
 * those of `eval world` with `maxTurns: 1`; λ = ±∞ is reached only as far as the n samples allow
 * (a case whose n samples all refuse is a refusal at every λ).
 *
 * @example
 * ```ts
 * const model = await LocalModel.load('runs/latest/rlhf/policy');
 * const rm = await openRewardModel('runs/latest/rlhf/rm');   // src/eval/hh.ts
 * const r = await sweepRefusalBias(model, {
 *   cases: 100, n: 4, lambdas: [-2, -1, 0, 1, 2], temperature: 0.7,
 *   scorer: rewardModelScorer(rm.model, rm.tokenizer, { readout: 'last' }), base: 'reward-model:runs/latest/rlhf/rm',
 * });
 * r.points.map((p) => [p.lambda, p.overRefusal, p.harmfulCompliance]);
 * // measured on the main job's RLHF policy (200 cases, n = 4, seed 1, its own reward model):
 * // [[-2, 0, 0.061], [-1, 0, 0.061], [0, 0.023, 0], [1, 0.078, 0], [2, 0.094, 0]]
 * writeFileAtomic('sweep.json', JSON.stringify(r));          // `eval compare sweep.json …` draws the curve
 * ```
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { generateCases, SHIFT_NAMES, systemPrompt, type ShiftName } from '../world/index.js';
import type { ChatMessage, LanguageModel, SamplingOptions } from '../providers/types.js';
import type { LlamaModel } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { scoreReplies, type Readout } from '../train/reward.js';
import { Rng } from '../util/rng.js';
import { bootstrapMean, bootstrapRate, type Interval, type RateInterval } from './bootstrap.js';
import { sampleSeed } from './harness.js';
import { worldPoint, type WorldPoint } from './pareto.js';
import { classifyRefusal, isRefusal, REFUSAL_LABELS, type RefusalLabel } from './refusal.js';
import { FAILURES, summarize, worldSample, type WorldEvalResult, type WorldSample } from './world.js';

/** The λ list used when none is given. */
export const DEFAULT_LAMBDAS: readonly number[] = [-2, -1, -0.5, 0, 0.5, 1, 2];

/** Tag of a sweep file (what `eval compare` recognizes). */
export const SWEEP_KIND = 'refusal-bias-sweep';

const configSchema = z
  .object({
    /** Test cases (default 200). */
    cases: z.number().int().positive().default(200),
    /** Candidates sampled per case (default 4). */
    n: z.number().int().min(1).max(256).default(4),
    /** λ values; sorted ascending, duplicates dropped (default −2, −1, −0.5, 0, 0.5, 1, 2). */
    lambdas: z.array(z.number()).min(1).default([...DEFAULT_LAMBDAS]),
    /** Sampling temperature of the candidates (default 0.7). */
    temperature: z.number().min(0).default(0.7),
    /** Most new tokens per candidate (default 96, as `eval world`). */
    maxTokens: z.number().int().positive().default(96),
    /** World seed: the policy and the cases (default 1); the sampling seeds derive from it. */
    seed: z.number().int().default(1),
    /** Distribution shift of the cases (default 'none'). */
    shift: z.enum(SHIFT_NAMES as unknown as [ShiftName, ...ShiftName[]]).default('none'),
    /** Bootstrap resamples per interval; 0 gives point estimates only (NaN bounds). Default 1000. */
    B: z.number().int().min(0).default(1000),
    /** Interval coverage (default 0.95). */
    level: z.number().gt(0).lt(1).default(0.95),
  })
  .strict();

/** The resolved sweep configuration (every field documented in `configSchema` above). */
export type SweepConfig = z.infer<typeof configSchema>;

/**
 * base(y) for candidates: one array per conversation, in candidate order (higher is better).
 * `rewardModelScorer` makes one from a reward model; tests can pass any function.
 */
export type CandidateScorer = (items: { messages: ChatMessage[]; replies: string[] }[]) => Promise<number[][]>;

export interface SweepOptions extends Partial<SweepConfig> {
  /** base(y); absent: base ≡ 0 (ties go to the earlier sample). */
  scorer?: CandidateScorer;
  /** What the scorer is, for the record (e.g. 'reward-model:runs/rm'); default 'none' / 'custom'. */
  base?: string;
  /** Called after each round of sampling (one candidate for every case). */
  onProgress?: (round: number, rounds: number) => void;
}

/** One sampled reply, scored by the world (the fields of a world sample), the refusal classifier and base. */
export interface SweepCandidate extends Pick<WorldSample, 'response' | 'acts' | 'parsed' | 'gold' | 'goldComponents' | 'proxy' | 'flags'> {
  /** The refusal classifier's label, and refused(y) = label ≠ full_compliance. */
  refusal: RefusalLabel;
  refused: boolean;
  base: number;
}

/** A case's first-turn conversation and its n candidates, in sampling order. */
export interface SweepCase {
  caseId: string;
  family: string;
  subtype: string;
  shift: string;
  messages: ChatMessage[];
  candidates: SweepCandidate[];
}

/** One λ: where the picked replies land on both planes, with the `eval world` numbers. */
export interface SweepPoint extends WorldPoint {
  /** `λ=<value>`. */
  name: string;
  lambda: number;
  gold: number;
  /** Share of picked replies the refusal classifier calls a refusal. */
  refusalRate: number;
  /**
   * Flat metrics: `world/gold`, `world/proxy`, `world/parse_rate`, `world/helpfulness`,
   * `world/harmlessness`, `rates/<failure>` for every failure, `sweep/refusal_rate`,
   * `sweep/base` (mean base of the picked replies), `sweep/first_sample` (share of cases whose
   * pick is the first sample).
   */
  metrics: Record<string, number>;
  /** Percentile-bootstrap intervals over the cases (bounds NaN with B = 0). */
  intervals: { gold: Interval; helpfulness: Interval; overRefusal: RateInterval; harmfulCompliance: RateInterval; refusalRate: RateInterval };
  /** The summary `eval world` prints for these replies (its `samples` left out). */
  world: Omit<WorldEvalResult, 'samples'>;
  /** Index of the picked candidate in each case, in case order. */
  picked: number[];
}

export interface SweepResult {
  kind: typeof SWEEP_KIND;
  version: 1;
  config: SweepConfig & { model: string; base: string };
  /** Points in ascending λ. */
  points: SweepPoint[];
  cases: SweepCase[];
}

/** The sampling seed of candidate round j (each round its own, spread by hashing). */
export function candidateSeed(seed: number, round: number): number {
  return sampleSeed(seed, `sweep/candidate/${round}`);
}

/** Validate and complete a sweep configuration; one message naming every bad field. */
export function sweepConfig(o: Partial<SweepConfig> = {}): SweepConfig {
  const r = configSchema.safeParse(o);
  if (!r.success) throw new RangeError(`sweep config: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  if (r.data.lambdas.some((l) => !Number.isFinite(l))) throw new RangeError(`sweep config: lambdas must be finite numbers, got ${r.data.lambdas.join(', ')}`);
  return { ...r.data, lambdas: [...new Set(r.data.lambdas)].sort((a, b) => a - b) };
}

/** ŷ_λ: the index of the largest base + λ·refused, the earliest on ties. */
export function pickCandidate(candidates: readonly Pick<SweepCandidate, 'base' | 'refused'>[], lambda: number): number {
  let best = 0;
  let bestScore = -Infinity;
  candidates.forEach((c, i) => {
    const s = c.base + lambda * (c.refused ? 1 : 0);
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  });
  return best;
}

/** The picked replies of a point as `eval world` samples (turn 0), in case order. */
export function pointSamples(cases: readonly SweepCase[], picked: readonly number[]): WorldSample[] {
  return cases.map((c, i) => {
    const x = c.candidates[picked[i]!]!;
    return {
      caseId: c.caseId,
      family: c.family,
      subtype: c.subtype,
      shift: c.shift,
      turn: 0,
      messages: c.messages,
      response: x.response,
      acts: x.acts,
      parsed: x.parsed,
      gold: x.gold,
      goldComponents: x.goldComponents,
      proxy: x.proxy,
      flags: x.flags,
    };
  });
}

/** Sample n candidates per case once, then pick and evaluate for every λ (see the file header). */
export async function sweepRefusalBias(model: LanguageModel, opts: SweepOptions = {}): Promise<SweepResult> {
  const { scorer, base, onProgress, ...rest } = opts;
  const cfg = sweepConfig(rest);
  const cases = generateCases({ seed: cfg.seed, n: cfg.cases, split: 'test', shift: cfg.shift });
  const convs: ChatMessage[][] = cases.map((c) => [
    { role: 'system', content: systemPrompt(c) },
    { role: 'user', content: c.turns[0]!.customer },
  ]);

  // 1. n rounds of sampling, each round one candidate for every case, with its own seed.
  const texts: string[][] = cases.map(() => []);
  for (let j = 0; j < cfg.n; j++) {
    const sampling: SamplingOptions = { temperature: cfg.temperature, maxTokens: cfg.maxTokens, seed: candidateSeed(cfg.seed, j) };
    const conversations = convs.map((m) => m.map((x) => ({ ...x })));
    const replies = model.chatBatch ? await model.chatBatch(conversations, sampling) : await Promise.all(conversations.map((m) => model.chat(m, sampling)));
    if (replies.length !== cases.length) throw new Error(`sweep: ${model.id} returned ${replies.length} replies for ${cases.length} conversations`);
    replies.forEach((r, i) => texts[i]!.push(r.text.trim()));
    onProgress?.(j + 1, cfg.n);
  }

  // 2. base(y) of every candidate (0 without a scorer).
  let bases: number[][] = texts.map((ts) => ts.map(() => 0));
  if (scorer) {
    bases = await scorer(convs.map((messages, i) => ({ messages, replies: texts[i]! })));
    if (bases.length !== cases.length || bases.some((b, i) => b.length !== texts[i]!.length)) throw new Error(`sweep: the scorer must return one score per candidate (${cases.length} cases × ${cfg.n})`);
    bases.forEach((b, i) =>
      b.forEach((v, j) => {
        if (!Number.isFinite(v)) throw new Error(`sweep: the scorer gave ${v} for candidate ${j} of case ${cases[i]!.id}; scores must be finite`);
      }),
    );
  }

  // 3. Every candidate read by the world and the refusal classifier.
  const sweepCases: SweepCase[] = cases.map((c, i) => ({
    caseId: c.id,
    family: c.family,
    subtype: c.subtype,
    shift: c.shift,
    messages: convs[i]!,
    candidates: texts[i]!.map((text, j): SweepCandidate => {
      const { response, acts, parsed, gold, goldComponents, proxy, flags } = worldSample(c, 0, convs[i]!, text);
      const label = classifyRefusal(text).label;
      return {
        response,
        acts,
        parsed,
        gold,
        goldComponents,
        proxy,
        flags,
        refusal: label,
        refused: isRefusal(label),
        base: bases[i]![j]!,
      };
    }),
  }));

  // 4. For each λ: pick, evaluate, bootstrap.
  const points = cfg.lambdas.map((lambda) => sweepPoint(sweepCases, lambda, cfg));
  return { kind: SWEEP_KIND, version: 1, config: { ...cfg, model: model.id, base: base ?? (scorer ? 'custom' : 'none') }, points, cases: sweepCases };
}

function sweepPoint(cases: readonly SweepCase[], lambda: number, cfg: SweepConfig): SweepPoint {
  const picked = cases.map((c) => pickCandidate(c.candidates, lambda));
  const samples = pointSamples(cases, picked);
  const { samples: _s, ...world } = summarize(cases.length, samples);
  const name = `λ=${lambda}`;
  const plane = worldPoint(name, world);
  const chosen = cases.map((c, i) => c.candidates[picked[i]!]!);
  const refusals = chosen.map((x) => x.refused);
  const helpValues = samples.map((s) => (typeof world.goldComponents.helpfulness === 'number' ? s.goldComponents.helpfulness! : s.gold));
  const stream = (metric: string) => ({ B: Math.max(1, cfg.B), level: cfg.level, rng: new Rng(cfg.seed).fork(`sweep/${name}/${metric}`) });
  const strip = <T extends Interval>(iv: T): T => (cfg.B > 0 ? iv : { ...iv, lo: NaN, hi: NaN, B: 0 });
  const intervals: SweepPoint['intervals'] = {
    gold: strip(bootstrapMean(samples.map((s) => s.gold), stream('gold'))),
    helpfulness: strip(bootstrapMean(helpValues, stream('helpfulness'))),
    overRefusal: strip(bootstrapRate(samples.map((s) => s.flags.overRefusal), stream('overRefusal'))),
    harmfulCompliance: strip(bootstrapRate(samples.map((s) => s.flags.harmfulCompliance), stream('harmfulCompliance'))),
    refusalRate: strip(bootstrapRate(refusals, stream('refusalRate'))),
  };
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const refusalRate = mean(refusals.map((r) => (r ? 1 : 0)));
  const metrics: Record<string, number> = {
    'world/gold': world.gold,
    'world/proxy': world.proxy,
    'world/parse_rate': world.parseRate,
    'world/helpfulness': plane.helpfulness,
    'world/harmlessness': plane.harmlessness,
    ...Object.fromEntries(FAILURES.map((f) => [`rates/${f}`, world.rates[f]])),
    'sweep/refusal_rate': refusalRate,
    'sweep/base': mean(chosen.map((x) => x.base)),
    'sweep/first_sample': mean(picked.map((k) => (k === 0 ? 1 : 0))),
  };
  return { ...plane, name, lambda, gold: world.gold, refusalRate, metrics, intervals, world, picked };
}

// ---------------------------------------------------------------------------------------------
// base(y) from a reward model
// ---------------------------------------------------------------------------------------------

/**
 * base(y) = r(x, y) from a reward model (a Llama with a `reward` head, src/train/reward.ts),
 * reading the conversation with the reward model's own tokenizer and chat template exactly as
 * it was trained (src/lab/pairs.ts `tokenizePair`): the prompt with the generation prompt, the
 * reply through its `<|im_end|>`; the candidates of one case share the prompt (scored once, as
 * `scoreReplies` batches them). Where prompt + reply exceed the context, replies keep their
 * first half-context of tokens and the prompt its last tokens, as in training. `readout` must
 * be the one the reward model was trained with (src/lab/rm.ts `rewardReadout(dir)`).
 */
export function rewardModelScorer(rm: LlamaModel, tok: Tokenizer, o: { readout?: Readout; rowsPerBatch?: number } = {}): CandidateScorer {
  if (!rm.heads.includes('reward')) throw new Error('rewardModelScorer: the model has no reward head (train one with `alignlab train rm`)');
  if (!tok.chatTemplate) throw new Error('rewardModelScorer: the tokenizer has no chat template (<|im_start|>/<|im_end|>)');
  const maxLen = rm.cfg.maxSeqLen;
  return async (items) => {
    const groups = items.map(({ messages, replies }, i) => {
      const prompt = tok.encodeChat(messages, { addGenerationPrompt: true }).ids;
      let ids = replies.map((reply) => {
        const full = tok.encodeChat([...messages, { role: 'assistant', content: reply }]);
        if (full.ids.length <= prompt.length || prompt.some((t, k) => full.ids[k] !== t)) throw new Error(`rewardModelScorer: conversation ${i}: the reply does not continue the prompt as an assistant turn`);
        return full.ids.slice(prompt.length, full.assistantMask.lastIndexOf(1) + 1);
      });
      const longest = Math.max(0, ...ids.map((r) => r.length));
      if (prompt.length + longest <= maxLen) return { prompt, replies: ids };
      ids = ids.map((r) => r.slice(0, Math.floor(maxLen / 2)));
      const keep = maxLen - Math.max(...ids.map((r) => r.length));
      return { prompt: prompt.slice(-keep), replies: ids };
    });
    return scoreReplies(rm, groups, { padId: tok.padTokenId ?? 0, readout: o.readout, rowsPerBatch: o.rowsPerBatch });
  };
}

// ---------------------------------------------------------------------------------------------
// Sweep files
// ---------------------------------------------------------------------------------------------

const num = z.union([z.number(), z.null()]).transform((v) => (v === null ? NaN : v));
const intervalSchema = z.looseObject({ estimate: num, lo: num, hi: num, n: z.number(), B: z.number(), level: z.number() });
const rateSchema = intervalSchema.extend({ hits: z.number(), of: z.number() });
const pointSchema = z.looseObject({
  name: z.string(),
  lambda: z.number(),
  gold: num,
  helpfulness: num,
  harmlessness: num,
  overRefusal: num,
  harmfulCompliance: num,
  refusalRate: num,
  metrics: z.record(z.string(), num),
  intervals: z.looseObject({ gold: intervalSchema, helpfulness: intervalSchema, overRefusal: rateSchema, harmfulCompliance: rateSchema, refusalRate: rateSchema }),
  world: z.looseObject({}),
  picked: z.array(z.number().int().min(0)),
});
const candidateSchema = z.looseObject({
  response: z.string(),
  acts: z.array(z.string()),
  parsed: z.boolean(),
  gold: z.number(),
  goldComponents: z.record(z.string(), z.number()),
  proxy: z.number(),
  flags: z.record(z.string(), z.boolean()),
  refusal: z.enum(REFUSAL_LABELS),
  refused: z.boolean(),
  base: z.number(),
});
const sweepSchema = z.looseObject({
  kind: z.literal(SWEEP_KIND),
  version: z.literal(1),
  config: z.looseObject({ model: z.string(), base: z.string(), n: z.number(), temperature: z.number(), cases: z.number(), seed: z.number(), lambdas: z.array(z.number()) }),
  points: z.array(pointSchema).min(1),
  cases: z.array(
    z.looseObject({
      caseId: z.string(),
      family: z.string(),
      subtype: z.string(),
      shift: z.string(),
      messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })),
      candidates: z.array(candidateSchema).min(1),
    }),
  ),
});

/** True when `raw` (parsed JSON) claims to be a sweep file (`kind: "refusal-bias-sweep"`). */
export function isSweepJson(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === SWEEP_KIND;
}

/** Validate parsed sweep JSON (NaN was written as null); errors name `where` and the field. */
export function parseSweep(raw: unknown, where: string): SweepResult {
  const r = sweepSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${where}: not a valid sweep file (${issues}); expected the JSON \`alignlab eval sweep --out\` writes`);
  }
  const s = r.data as unknown as SweepResult;
  s.points.forEach((p, k) => {
    if (p.picked.length !== s.cases.length) throw new Error(`${where}: points.${k}.picked has ${p.picked.length} entries for ${s.cases.length} cases`);
    p.picked.forEach((j, i) => {
      if (j >= s.cases[i]!.candidates.length) throw new Error(`${where}: points.${k}.picked.${i} = ${j}, but case ${s.cases[i]!.caseId} has ${s.cases[i]!.candidates.length} candidates`);
    });
  });
  return s;
}

/** Read and validate a sweep file written by `alignlab eval sweep --out`. */
export function readSweepFile(file: string): SweepResult {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `invalid JSON (${(e as Error).message})`}`);
  }
  if (!isSweepJson(raw)) throw new Error(`${file}: not a sweep file (no "kind": "${SWEEP_KIND}"); expected the JSON \`alignlab eval sweep --out\` writes`);
  return parseSweep(raw, file);
}
