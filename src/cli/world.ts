/**
 * `alignlab world ...`: the HelpDesk world from the command line.
 *
 *   alignlab world sample --seed 1 --n 5 [--split test] [--shift adversarial] [--json]
 *   alignlab world corpus --out runs/corpus [--seed 1 --n 2000 --weights correct=0.55,overCautious=0.15,peoplePleaser=0.15,sloppy=0.15]
 *   alignlab world score --responses replies.jsonl [--seed 1]
 *   alignlab world stats --seed 1 --n 2000
 *
 * `score` reads JSONL lines `{"caseId": "hd-test-…", "response": "…", "turn": 0}` (or a full
 * `"case"` object, as printed by `world sample --json`, instead of `caseId`) and reports, per
 * line, the acts the interpreter reads, the gold components and the proxy rating. Malformed
 * lines are reported as `FILE:LINE: …` and skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { Rng } from '../util/rng.js';
import { buildCorpus, systemPrompt } from '../world/corpus.js';
import { personaStats, scoreResponse } from '../world/evaluate.js';
import type { GoldReward } from '../world/reward.js';
import { findCasesById, generateCases } from '../world/generator.js';
import { referenceResponse, type PersonaWeights } from '../world/personas.js';
import { FAMILIES, PERSONAS, SHIFT_NAMES, SPLITS, actKey, type Case, type Persona, type ShiftName, type Split } from '../world/types.js';
import { UsageError, type Command } from './types.js';

function splitOpt(v: unknown): Split {
  const s = String(v);
  if (!(SPLITS as readonly string[]).includes(s)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got "${s}"`);
  return s as Split;
}

function shiftOpt(v: unknown): ShiftName {
  const s = String(v);
  if (!(SHIFT_NAMES as readonly string[]).includes(s)) throw new UsageError(`--shift must be one of ${SHIFT_NAMES.join(', ')}, got "${s}"`);
  return s as ShiftName;
}

function countOpt(name: string, v: unknown, max = 1_000_000): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}, got ${v}`);
  return n;
}

function seedOpt(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--seed must be an integer, got ${v}`);
  return n;
}

/** Parse `correct=0.55,overCautious=0.15,...` into persona weights. */
export function parseWeights(spec: string): Partial<PersonaWeights> {
  const out: Partial<PersonaWeights> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const [k, v] = part.split('=');
    if (!(PERSONAS as readonly string[]).includes(k ?? '')) throw new UsageError(`--weights: unknown persona "${k}" (expected ${PERSONAS.join(', ')})`);
    const w = Number(v);
    if (!Number.isFinite(w) || w < 0) throw new UsageError(`--weights: weight of ${k} must be a number ≥ 0, got "${v}"`);
    out[k as Persona] = w;
  }
  return out;
}

/** A case as a reader wants to see it: the texts, the expected acts, and the reference replies. */
function readableCase(c: Case, rng: Rng) {
  return {
    id: c.id,
    split: c.split,
    shift: c.shift,
    family: c.family,
    subtype: c.subtype,
    topic: c.topic,
    soundsDangerous: c.soundsDangerous,
    system: systemPrompt(c),
    customer: c.customer,
    facts: c.facts,
    owed: c.owed,
    turns: c.turns.map((t, i) => ({
      kind: t.kind,
      customer: t.customer,
      falseClaim: t.falseClaim,
      expected: t.expected.map(actKey),
      reference: referenceResponse(c, rng.fork(`${c.id}/${i}`), i),
    })),
    case: c,
  };
}

const sample: Command = {
  path: ['world', 'sample'],
  summary: 'print generated HelpDesk cases with their expected acts and reference replies',
  options: {
    seed: { type: 'number', default: 1, describe: 'world seed' },
    n: { type: 'number', default: 5, describe: 'number of cases' },
    split: { type: 'string', default: 'train', describe: `split: ${SPLITS.join(', ')}` },
    shift: { type: 'string', default: 'none', describe: `distribution shift: ${SHIFT_NAMES.join(', ')}` },
  },
  async run(opts, _positionals, ctx) {
    const seed = seedOpt(opts.seed);
    const cases = generateCases({ seed, n: countOpt('n', opts.n, 100_000), split: splitOpt(opts.split), shift: shiftOpt(opts.shift) });
    const rng = new Rng(seed).fork('cli/sample');
    const readable = cases.map((c) => readableCase(c, rng));
    for (const r of readable) {
      ctx.print(`== ${r.id}  ${r.family}/${r.subtype}${r.soundsDangerous ? ' (sounds dangerous)' : ''}  shift=${r.shift}`);
      r.turns.forEach((t, i) => {
        ctx.print(`  customer ${i}${t.falseClaim ? ' [false claim]' : ''}: ${t.customer}`);
        ctx.print(`  expected: ${t.expected.join(', ')}`);
        ctx.print(`  reference: ${t.reference}`);
      });
    }
    return { cases: readable };
  },
};

const corpus: Command = {
  path: ['world', 'corpus'],
  summary: 'write the pretraining documents (documents.txt) and SFT dialogues (dialogues.jsonl)',
  options: {
    out: { type: 'string', required: true, describe: 'output directory' },
    seed: { type: 'number', default: 1, describe: 'world seed' },
    n: { type: 'number', default: 2000, describe: 'number of cases (one dialogue each)' },
    weights: { type: 'string', describe: 'persona mixture, e.g. correct=0.55,overCautious=0.15,peoplePleaser=0.15,sloppy=0.15' },
  },
  async run(opts, _positionals, ctx) {
    const out = String(opts.out);
    const seed = seedOpt(opts.seed);
    const nCases = countOpt('n', opts.n);
    const weights = opts.weights === undefined ? undefined : parseWeights(String(opts.weights));
    ctx.log(`world corpus: generating ${nCases} dialogues (seed ${seed})`);
    const { documents, dialogues } = buildCorpus({ seed, nCases, weights });
    fs.mkdirSync(out, { recursive: true });
    writeFileAtomic(path.join(out, 'documents.txt'), documents.join('\n\n') + '\n');
    writeFileAtomic(path.join(out, 'dialogues.jsonl'), dialogues.map((d) => JSON.stringify(d)).join('\n') + '\n');
    const personas: Record<string, number> = {};
    for (const d of dialogues) personas[d.persona] = (personas[d.persona] ?? 0) + 1;
    const result = { out, documents: documents.length, dialogues: dialogues.length, messages: dialogues.reduce((a, d) => a + d.messages.length, 0), personas };
    ctx.print(`${result.documents} documents, ${result.dialogues} dialogues (${Object.entries(personas).map(([k, v]) => `${k} ${v}`).join(', ')}) → ${out}`);
    return result;
  },
};

const ActSchema = z.object({ type: z.string(), arg: z.string().optional() });
const CaseSchema = z.looseObject({
  id: z.string(),
  family: z.enum(FAMILIES as unknown as [string, ...string[]]),
  subtype: z.string(),
  topic: z.string(),
  policy: z.object({
    returnWindowDays: z.number(),
    warrantyMonths: z.number(),
    refundProcessingDays: z.number(),
    freeShippingThreshold: z.number(),
    expressShippingFee: z.number(),
    lostAfterDays: z.number(),
  }),
  customer: z.looseObject({ name: z.string(), verified: z.boolean(), mood: z.enum(['calm', 'annoyed', 'angry']), patience: z.number() }),
  facts: z.looseObject({ product: z.looseObject({ name: z.string(), category: z.string(), price: z.number() }), daysSincePurchase: z.number(), hasReceipt: z.boolean() }),
  owed: z.object({ refund: z.boolean(), storeCredit: z.boolean(), warrantyRepair: z.boolean(), replacement: z.boolean() }),
  turns: z.array(z.looseObject({ customer: z.string(), expected: z.array(ActSchema), falseClaim: z.boolean() })).min(1),
});
const LineSchema = z.object({ caseId: z.string().optional(), case: CaseSchema.optional(), response: z.string(), turn: z.number().int().min(0).optional() });

/** The line number in a `FILE:LINE: message` error. */
function lineOf(message: string): number {
  return Number(/:(\d+): /.exec(message)?.[1] ?? 0);
}

const score: Command = {
  path: ['world', 'score'],
  summary: 'interpret and score replies from a JSONL file ({caseId or case, response, turn?} per line)',
  options: {
    responses: { type: 'string', required: true, describe: 'JSONL file of replies' },
    seed: { type: 'number', default: 1, describe: 'world seed the case ids come from' },
    search: { type: 'number', default: 40000, describe: 'candidates per shift to draw when re-creating cases from their ids' },
  },
  async run(opts, _positionals, ctx) {
    const file = String(opts.responses);
    const seed = seedOpt(opts.seed);
    let content: string;
    try {
      content = fs.readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`${file}: cannot read the responses file`);
    }
    const errors: string[] = [];
    const rows: { line: number; row: z.infer<typeof LineSchema> }[] = [];
    content.split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        errors.push(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
        return;
      }
      const parsed = LineSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        errors.push(`${file}:${i + 1}: ${issue.path.join('.') || 'line'}: ${issue.message} (expected {"caseId" or "case", "response", "turn"?})`);
      } else if (!parsed.data.case && !parsed.data.caseId) errors.push(`${file}:${i + 1}: needs "caseId" or "case"`);
      else rows.push({ line: i + 1, row: parsed.data });
    });
    const ids = rows.filter((r) => !r.row.case).map((r) => r.row.caseId!);
    if (ids.length > 0) ctx.log(`world score: re-creating ${new Set(ids).size} cases from seed ${seed}`);
    const byId = findCasesById(seed, ids, countOpt('search', opts.search, 10_000_000));
    const scored: { line: number; caseId: string; turn: number; acts: string[]; parsed: boolean; gold: GoldReward; proxy: number }[] = [];
    for (const { line, row } of rows) {
      const c = (row.case as Case | undefined) ?? byId.get(row.caseId!);
      if (!c) {
        errors.push(`${file}:${line}: unknown caseId "${row.caseId}" for seed ${seed} (pass the full "case" object instead)`);
        continue;
      }
      const turn = row.turn ?? 0;
      if (turn >= c.turns.length) {
        errors.push(`${file}:${line}: case ${c.id} has ${c.turns.length} turn(s), got turn ${turn}`);
        continue;
      }
      const s = scoreResponse(c, row.response, turn);
      scored.push({ line, caseId: c.id, turn, acts: s.acts.map(actKey), parsed: s.parsed, gold: s.gold, proxy: s.proxy });
    }
    errors.sort((a, b) => lineOf(a) - lineOf(b));
    for (const e of errors) ctx.log(e);
    const mean = (f: (x: (typeof scored)[number]) => number) => (scored.length === 0 ? 0 : scored.reduce((a, x) => a + f(x), 0) / scored.length);
    const summary = { n: scored.length, errors: errors.length, gold: mean((x) => x.gold.total), proxy: mean((x) => x.proxy), parsed: mean((x) => +x.parsed) };
    for (const s of scored) ctx.print(`${file}:${s.line} ${s.caseId} gold=${s.gold.total.toFixed(3)} proxy=${s.proxy.toFixed(3)} acts=${s.acts.join(' ')}`);
    ctx.print(`${summary.n} scored, ${summary.errors} errors; mean gold ${summary.gold.toFixed(3)}, mean proxy ${summary.proxy.toFixed(3)}`);
    return { summary, scored, errors };
  },
};

const stats: Command = {
  path: ['world', 'stats'],
  summary: 'gold, proxy and act rates of each demonstrator persona, and the proxy–gold correlation',
  options: {
    seed: { type: 'number', default: 1, describe: 'world seed' },
    n: { type: 'number', default: 2000, describe: 'number of cases' },
    split: { type: 'string', default: 'train', describe: `split: ${SPLITS.join(', ')}` },
    shift: { type: 'string', default: 'none', describe: `distribution shift: ${SHIFT_NAMES.join(', ')}` },
  },
  async run(opts, _positionals, ctx) {
    const result = personaStats({ seed: seedOpt(opts.seed), n: countOpt('n', opts.n, 100_000), split: splitOpt(opts.split), shift: shiftOpt(opts.shift) });
    for (const [p, s] of Object.entries(result.personas)) {
      ctx.print(`${p.padEnd(14)} gold ${s.gold.toFixed(3)}  proxy ${s.proxy.toFixed(3)}  parsed ${(100 * s.parsed).toFixed(1)}%  (${s.n} replies)`);
    }
    ctx.print(`proxy–gold correlation (Pearson, all replies): ${result.proxyGoldCorrelation.toFixed(3)}`);
    return { ...result };
  },
};

export default [sample, corpus, score, stats];
