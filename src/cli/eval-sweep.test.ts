/**
 * `alignlab eval sweep` end to end on a tiny random local model and a tiny random reward model
 * (both with the world tokenizer): the sweep file it writes reads back, every stored candidate's
 * refusal verdict is the classifier's, and every λ's pick is the argmax of base + λ·refused
 * over the stored candidates (written out here as a loop). Bad input gets one clear message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import commands, { parseLambdas } from './eval-sweep.js';
import { tinyWorldModel } from '../lab/test-fixtures.js';
import { LlamaModel } from '../model/model.js';
import { readModelConfig, saveModel } from '../model/checkpoint.js';
import { loadTokenizer, saveTokenizer } from '../tokenizer/index.js';
import { classifyRefusal } from '../eval/refusal.js';
import { readSweepFile } from '../eval/sweep.js';

const cmd = commands.find((c) => c.path.join(' ') === 'eval sweep')!;
const defaults = Object.fromEntries(Object.entries(cmd.options).flatMap(([k, s]) => (s.default === undefined ? [] : [[k, s.default]])));
const run = (spec: string, o: Record<string, string | number>) => cmd.run({ ...defaults, threads: 1, ...o }, [spec], { json: true, log: () => {}, print: () => {} }) as Promise<{ points: { lambda: number; overRefusal: number }[]; config: Record<string, unknown>; out?: string }>;

let dir: string;
let policy: string;
let rm: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-eval-sweep-'));
  policy = path.join(dir, 'policy');
  rm = path.join(dir, 'rm');
  await tinyWorldModel(policy);
  const { cfg } = readModelConfig(policy);
  saveModel(rm, LlamaModel.init(cfg, { seed: 2, heads: ['reward'] }));
  await saveTokenizer(await loadTokenizer(policy), rm);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('alignlab eval sweep', () => {
  it('writes a sweep whose picks are argmax base + λ·refused over its stored candidates', async () => {
    const out = path.join(dir, 'sweep.json');
    const r = await run(policy, { cases: 3, n: 3, 'max-tokens': 8, lambdas: '1,-1,0', rm, out, bootstrap: 20 });
    expect(r.points.map((p) => p.lambda)).toEqual([-1, 0, 1]);
    expect(r.out).toBe(path.resolve(out));
    expect(r.config).toMatchObject({ base: `reward-model:${rm}`, n: 3, cases: 3, temperature: 0.7 });
    const s = readSweepFile(out);
    expect(s.cases).toHaveLength(3);
    for (const c of s.cases) {
      expect(c.candidates).toHaveLength(3);
      for (const x of c.candidates) {
        expect(x.refusal).toBe(classifyRefusal(x.response).label);
        expect(Number.isFinite(x.base)).toBe(true);
      }
      expect(new Set(c.candidates.map((x) => x.base)).size).toBeGreaterThan(1); // a real reward model, not base ≡ 0
    }
    for (const p of s.points) {
      s.cases.forEach((c, i) => {
        let best = 0;
        c.candidates.forEach((x, j) => {
          const b = c.candidates[best]!;
          if (x.base + p.lambda * Number(x.refused) > b.base + p.lambda * Number(b.refused)) best = j;
        });
        expect(p.picked[i]).toBe(best);
      });
    }
  });

  it('bad input: --lambdas, MODEL and --rm each get one clear message', async () => {
    expect(parseLambdas(' -2, 0.5 ,1')).toEqual([-2, 0.5, 1]);
    expect(() => parseLambdas('-1,x,1')).toThrow(/--lambdas entry 2 \("x"\) is not a number/);
    await expect(run(path.join(dir, 'nope'), { cases: 2 })).rejects.toThrow(/eval sweep: MODEL .*no such directory/);
    await expect(run(policy, { cases: 2, n: 0 })).rejects.toThrow(/eval sweep: .*n: /);
    await expect(run(policy, { cases: 2, rm: policy })).rejects.toThrow(/eval sweep: --rm .*not a reward model/);
  });
});
