/**
 * The harness against a fake, counting LanguageModel whose answers are a known function of the
 * conversation (and of the seed when sampling): cache hits make no calls, an interrupted run
 * resumes to every sample exactly once, the concurrency limit holds, and cached, resumed and
 * concurrent runs return exactly what a plain run returns. Metrics are checked against counts
 * and means computed by hand from the fake's known answers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatMessage, Completion, LanguageModel, SamplingOptions } from '../providers/types.js';
import { bootstrapMean, bootstrapRate } from './bootstrap.js';
import { cacheKey, runTask, sampleSeed, type Sample, type Task, type TaskResult } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-harness-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirCount = 0;
const fresh = (name: string) => path.join(tmp, `${dirCount++}-${name}`);

/** The fake's answer: a pure function of the last user message, plus the seed when sampling. */
const answerOf = (m: ChatMessage[], o: SamplingOptions = {}) => {
  const q = [...m].reverse().find((x) => x.role === 'user')!.content;
  return `answer to ${q}${o.temperature === 0 ? '' : ` #${o.seed}`}`;
};

interface Fake extends LanguageModel {
  /** Conversations generated. */
  conversations: number;
  /** Size of every call (1 for chat). */
  calls: number[];
  maxInFlight: number;
}

/** A counting model; with `batch` it has chatBatch; it throws once `failAfter` conversations were generated. */
function fake(o: { batch?: boolean; failAfter?: number; id?: string } = {}): Fake {
  let inFlight = 0;
  const run = async (convs: ChatMessage[][], opts: SamplingOptions = {}): Promise<Completion[]> => {
    inFlight += convs.length;
    m.maxInFlight = Math.max(m.maxInFlight, inFlight);
    m.calls.push(convs.length);
    await new Promise((r) => setTimeout(r, 2));
    inFlight -= convs.length;
    if (o.failAfter !== undefined && m.conversations + convs.length > o.failAfter) throw new Error('backend went away');
    m.conversations += convs.length;
    return convs.map((c) => ({ text: answerOf(c, opts), finishReason: 'stop' }));
  };
  const m: Fake = {
    id: o.id ?? 'fake',
    conversations: 0,
    calls: [],
    maxInFlight: 0,
    chat: async (c, opts) => (await run([c], opts))[0]!,
    ...(o.batch ? { chatBatch: (cs: ChatMessage[][], opts?: SamplingOptions) => run(cs, opts) } : {}),
  };
  return m;
}

const N = 10;
const samples: Sample[] = Array.from({ length: N }, (_, i) => ({
  id: `s${i}`,
  messages: [{ role: 'user', content: `q${i}` }],
  metadata: { parity: i % 2 === 0 ? 'even' : 'odd' },
}));
/** Scores: `len` (a number), `has3` (a flag: the text holds a 3 or a 5), `tag` (a label), `odd` (a flag, null on even samples). */
const task = (extra: Partial<Task> = {}): Task => ({
  name: 'toy',
  samples,
  scorers: [(_s, c) => ({ len: c.text.length, has3: c.text.includes('3') || c.text.includes('5'), tag: c.text.slice(-2) }), (s) => ({ odd: s.metadata!.parity === 'odd' ? true : null })],
  groupBy: ['parity'],
  ...extra,
});
const B = { B: 200, seed: 3 };
const strip = (r: TaskResult) => ({ metrics: r.metrics, groups: r.groups, samples: r.samples.map(({ source: _s, ...rest }) => rest) });
/** Sample ids of the log's complete lines (a line damaged by a crash is skipped). */
const logIds = (file: string) =>
  fs.readFileSync(file, 'utf8').split('\n').flatMap((l) => {
    try {
      return [(JSON.parse(l) as { id: string }).id];
    } catch {
      return [];
    }
  });

describe('runTask', () => {
  it('scores every sample and aggregates rates, means and groups as counted by hand', async () => {
    const m = fake();
    const r = await runTask(m, task(), { bootstrap: B });
    expect(r.n).toBe(N);
    expect(r.samples.map((s) => s.completion.text)).toEqual(samples.map((s) => `answer to ${s.messages[0]!.content}`));
    // "answer to qK" has 12 characters for every K in 0…9; has3 is true for K = 3 and 5.
    expect(r.metrics.len).toEqual(bootstrapMean(Array(N).fill(12), B));
    expect(r.metrics.has3).toMatchObject({ estimate: 0.2, hits: 2, of: 10 });
    expect(r.metrics.has3).toEqual(bootstrapRate([false, false, false, true, false, true, false, false, false, false], B));
    // null scores are left out of the denominator; label scores are not aggregated.
    expect(r.metrics.odd).toMatchObject({ hits: 5, of: 5, estimate: 1 });
    expect(r.metrics.tag).toBeUndefined();
    expect(Object.keys(r.groups.parity!)).toEqual(['even', 'odd']);
    expect(r.groups.parity!.odd!.has3).toMatchObject({ hits: 2, of: 5 });
    expect(r.groups.parity!.even!.has3).toMatchObject({ hits: 0, of: 5 });
    expect(r.groups.parity!.even!.odd).toMatchObject({ of: 0 });
    expect(m.conversations).toBe(N);
    expect(r.generated).toBe(N);
  });

  it('serves a second run entirely from the cache (zero calls) with results identical to an uncached run', async () => {
    const cacheDir = fresh('cache');
    const plain = await runTask(fake(), task(), { bootstrap: B });
    const first = fake();
    const r1 = await runTask(first, task(), { cacheDir, bootstrap: B });
    expect(first.conversations).toBe(N);
    const second = fake();
    const r2 = await runTask(second, task(), { cacheDir, bootstrap: B });
    expect(second.calls).toEqual([]);
    expect(r2.cached).toBe(N);
    expect(r2.samples.every((s) => s.source === 'cache')).toBe(true);
    expect(strip(r1)).toEqual(strip(plain));
    expect(strip(r2)).toEqual(strip(plain));
    // Another model id misses the cache.
    const other = fake({ id: 'other' });
    await runTask(other, task(), { cacheDir });
    expect(other.conversations).toBe(N);
  });

  it('reports a corrupt cache entry, ignores it and regenerates only that sample', async () => {
    const cacheDir = fresh('cache');
    await runTask(fake(), task(), { cacheDir });
    const key = cacheKey('fake', samples[4]!.messages, { temperature: 0, maxTokens: 256 });
    const file = path.join(cacheDir, key.slice(0, 2), `${key}.json`);
    expect(fs.existsSync(file)).toBe(true);
    fs.writeFileSync(file, '{"key": "abc", "compl');
    const warnings: string[] = [];
    const m = fake();
    const r = await runTask(m, task(), { cacheDir, onWarning: (w) => warnings.push(w), bootstrap: B });
    expect(m.conversations).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(strip(r)).toEqual(strip(await runTask(fake(), task(), { bootstrap: B })));
    // The regenerated entry was rewritten: a third run makes no calls and warns nothing.
    const again = fake();
    const r3 = await runTask(again, task(), { cacheDir });
    expect(again.calls).toEqual([]);
    expect(r3.warnings).toEqual([]);
  });

  it('resumes an interrupted run: every sample generated and logged exactly once, same results', async () => {
    const logFile = path.join(fresh('log'), 'run.jsonl');
    const broken = fake({ failAfter: 4 });
    await expect(runTask(broken, task(), { logFile, concurrency: 1 })).rejects.toThrow(/task toy: generating sample "s4" failed: backend went away; 4 of 10 samples are in .*run again with the same log/);
    expect(logIds(logFile)).toEqual(['s0', 's1', 's2', 's3']);
    // A crash in the middle of a write leaves a partial line; it is reported and skipped.
    fs.appendFileSync(logFile, '{"id": "s4", "key": "');
    const m = fake();
    const warnings: string[] = [];
    const r = await runTask(m, task(), { logFile, concurrency: 1, onWarning: (w) => warnings.push(w), bootstrap: B });
    expect(m.conversations).toBe(N - 4);
    expect(r.resumed).toBe(4);
    expect(r.generated).toBe(N - 4);
    expect(warnings.some((w) => w.startsWith(`${logFile}:5: invalid JSON`))).toBe(true);
    expect(logIds(logFile).sort()).toEqual(samples.map((s) => s.id).sort());
    expect(strip(r)).toEqual(strip(await runTask(fake(), task(), { bootstrap: B })));
    // Running once more generates nothing.
    const idle = fake();
    expect((await runTask(idle, task(), { logFile })).resumed).toBe(N);
    expect(idle.calls).toEqual([]);
  });

  it('resumes a batched, concurrent run that failed mid-way without duplicating any sample', async () => {
    const logFile = path.join(fresh('log'), 'run.jsonl');
    const broken = fake({ batch: true, failAfter: 5 });
    await expect(runTask(broken, task(), { logFile, concurrency: 4, batchSize: 2 })).rejects.toThrow(/generating samples "s\d", "s\d" failed/);
    const before = logIds(logFile);
    expect(new Set(before).size).toBe(before.length);
    const m = fake({ batch: true });
    const r = await runTask(m, task(), { logFile, concurrency: 4, batchSize: 2, bootstrap: B });
    expect(before.length + m.conversations).toBe(N);
    const ids = logIds(logFile);
    expect(ids.length).toBe(N);
    expect(new Set(ids).size).toBe(N);
    expect(strip(r)).toEqual(strip(await runTask(fake(), task(), { bootstrap: B })));
  });

  it('refuses to resume a log written for another model, naming the line', async () => {
    const logFile = path.join(fresh('log'), 'run.jsonl');
    await runTask(fake(), task(), { logFile });
    await expect(runTask(fake({ id: 'another' }), task(), { logFile })).rejects.toThrow(new RegExp(`${logFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: sample "s0" was logged for a different model`));
  });

  it('keeps at most `concurrency` conversations in flight, one chat per sample without chatBatch', async () => {
    const m = fake();
    await runTask(m, task(), { concurrency: 3 });
    expect(m.maxInFlight).toBe(3);
    expect(m.calls).toEqual(Array(N).fill(1));
  });

  it('sends chunks through chatBatch, within the concurrency limit', async () => {
    const a = fake({ batch: true });
    await runTask(a, task(), { concurrency: 4 });
    expect(a.calls).toEqual([4, 4, 2]);
    expect(a.maxInFlight).toBe(4);
    const b = fake({ batch: true });
    await runTask(b, task(), { concurrency: 4, batchSize: 2 });
    expect(b.calls).toEqual([2, 2, 2, 2, 2]);
    expect(b.maxInFlight).toBe(4);
  });

  it('sampling gives every sample its own seed, so results do not depend on concurrency or batching', async () => {
    const sampled = task({ sampling: { temperature: 0.7, seed: 11 } });
    const a = fake({ batch: true });
    const ra = await runTask(a, sampled, { concurrency: 5, bootstrap: B });
    const rb = await runTask(fake(), sampled, { concurrency: 1, bootstrap: B });
    expect(a.calls.every((k) => k === 1)).toBe(true);
    expect(ra.samples.map((s) => s.completion.text)).toEqual(samples.map((s) => `answer to ${s.messages[0]!.content} #${sampleSeed(11, s.id)}`));
    expect(new Set(ra.samples.map((s) => s.sampling.seed)).size).toBe(N);
    expect(strip(ra)).toEqual(strip(rb));
  });

  it('rejects duplicate sample ids and scores that mix flags with numbers', async () => {
    await expect(runTask(fake(), { name: 'dup', samples: [samples[0]!, samples[0]!], scorers: [] })).rejects.toThrow(/sample id "s0" appears twice/);
    const mixed: Task = { name: 'mixed', samples, scorers: [(s) => ({ x: s.id === 's0' ? 1 : true })] };
    await expect(runTask(fake(), mixed)).rejects.toThrow(/score "x" mixes flags \(booleans\) and numbers/);
  });
});
