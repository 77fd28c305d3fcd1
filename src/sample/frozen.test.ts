import { describe, expect, it, afterAll, afterEach } from 'vitest';
import { llamaConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { ParamSet } from '../model/params.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { generate, type Generation } from './generate.js';
import { frozenParams, maxFrozenSessions } from './frozen.js';

const rt = new Runtime({ threads: 1, maxSessions: 32 });
afterAll(() => rt.release());
afterEach(() => {
  delete process.env.ALIGNLAB_FROZEN;
});

function model() {
  const cfg = llamaConfig({ vocabSize: 40, dModel: 16, nLayers: 2, nHeads: 4, nKVHeads: 2, dFF: 32, maxSeqLen: 64 });
  const m = LlamaModel.init(cfg, { seed: 4, runtime: rt });
  const rng = new Rng(8);
  for (let i = 0; i < m.params.flat.length; i++) m.params.flat[i] = 0.4 * rng.normal();
  return m;
}

/** A second model over a copy of `m`'s current parameters: its first call takes the weights as inputs. */
const copyOf = (m: LlamaModel) => new LlamaModel(m.cfg, new ParamSet(m.params.specs, m.params.flat.slice()), rt, m.heads);

const prompts = [[1, 2, 3], [7, 8, 9, 10, 11], [5], [30, 31]];
const opts = { maxNewTokens: 24, temperature: 1, seed: 5 };

function expectSame(a: Generation[], b: Generation[]) {
  expect(b.map((g) => g.tokens)).toEqual(a.map((g) => g.tokens));
  a.forEach((g, r) => g.logprobs.forEach((lp, j) => expect(Math.abs(b[r].logprobs[j] - lp)).toBeLessThan(1e-5)));
}

const frozenKeys = (tag: string) => rt.keys().filter((k) => k.endsWith(`:${tag}`));
/** Tags of the prepacked sessions in the runtime now. */
const tags = () => new Set(rt.keys().flatMap((k) => k.match(/:(frozen\d+)$/)?.[1] ?? []));
/** The one tag in `after` that was not in `before`. */
function newTag(before: Set<string>): string {
  const fresh = [...tags()].filter((t) => !before.has(t));
  expect(fresh.length).toBe(1);
  return fresh[0];
}

describe('prepacked decode graphs for unchanged parameters', () => {
  it('tags parameter values once a shape comes again with them, and retags after any change', () => {
    const m = model();
    expect(frozenParams(m, 'a')).toBeNull();
    const a = frozenParams(m, 'a')!;
    expect(a.tag).toMatch(/^frozen\d+$/);
    // A new shape waits for its second use; the values keep their tag.
    expect(frozenParams(m, 'b')).toBeNull();
    expect(frozenParams(m, 'b')!.tag).toBe(a.tag);
    expect(frozenParams(m, 'a')!.tag).toBe(a.tag);
    // The copy is a snapshot: it holds the values seen, not a view of the live buffer.
    expect(a.params.flat).not.toBe(m.params.flat);
    expect(Array.from(a.params.flat)).toEqual(Array.from(m.params.flat));
    m.params.flat[m.params.flat.length - 1] += 1e-3;
    expect(frozenParams(m, 'a')).toBeNull();
    const b = frozenParams(m, 'a')!;
    expect(b.tag).not.toBe(a.tag);
    expect(b.params.flat[m.params.flat.length - 1]).toBe(m.params.flat[m.params.flat.length - 1]);
    // Shapes seen with the old values count again only after a use with the new ones.
    expect(frozenParams(m, 'b')).toBeNull();
    process.env.ALIGNLAB_FROZEN = '0';
    expect(frozenParams(m, 'a')).toBeNull();
  });

  it('a repeat call runs the prepacked graphs and samples what the input-weight graphs sample', async () => {
    const m = model();
    const before = tags();
    const first = await generate(m, prompts, opts);
    expect(tags()).toEqual(before);
    const second = await generate(m, prompts, opts);
    // 24 new tokens: capacities 16 and 32, one prepacked session each.
    expect(frozenKeys(newTag(before)).length).toBe(2);
    expectSame(first, second);
  });

  it('parameters changed after a prepacked call are followed, and the stale graphs are released', async () => {
    const m = model();
    let before = tags();
    await generate(m, prompts, opts);
    await generate(m, prompts, opts);
    const old = newTag(before);
    expect(frozenKeys(old).length).toBe(2);
    // Change the weights in place, as an optimizer step does.
    for (let i = 0; i < m.params.flat.length; i += 3) m.params.flat[i] *= -1.5;
    const changed = await generate(m, prompts, opts);
    expect(frozenKeys(old)).toEqual([]);
    const ref = await generate(copyOf(m), prompts, opts);
    expectSame(ref, changed);
    // The next call prepacks the new values.
    before = tags();
    const again = await generate(m, prompts, opts);
    expect(frozenKeys(newTag(before)).length).toBe(2);
    expectSame(ref, again);
  });

  it('keeps at most maxFrozenSessions prepacked sessions per runtime (half its session cache here)', async () => {
    const m = model();
    const cap = maxFrozenSessions(rt, m.params.flat.byteLength);
    expect(cap).toBe(16);
    const before = tags();
    // Nine batch sizes × two capacities = eighteen prepacked decode graphs asked for.
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const p = [...prompts, ...prompts, ...prompts].slice(0, n);
      await generate(m, p, opts);
      await generate(m, p, opts);
    }
    expect(frozenKeys(newTag(before)).length).toBe(cap);
  });
});
