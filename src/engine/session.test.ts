import { describe, expect, it } from 'vitest';
import { Graph } from './ir.js';
import * as ops from './ops.js';
import { Runtime } from './session.js';

/** y = x · w + k, a graph whose result is easy to compute by hand. */
function affine(k: number): Graph {
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  const w = g.input('w', [3, 2]);
  g.output('y', ops.add(ops.matmul(x, w), g.scalar(k)));
  return g;
}

const x = new Float32Array([1, 2, 3, 4, 5, 6]);
const w = new Float32Array([1, 0, 0, 1, 1, 1]);
// Rows of x · w: [1 + 3, 2 + 3] = [4, 5] and [4 + 6, 5 + 6] = [10, 11].
const expected = (k: number) => [4 + k, 5 + k, 10 + k, 11 + k];
const tick = () => new Promise((r) => setTimeout(r, 10));

describe('Runtime session cache', () => {
  for (const memArena of [true, false]) {
    it(`evicts the least recently used session and releases it; a holder's next run reopens it (arena ${memArena ? 'on' : 'off'})`, async () => {
      const rt = new Runtime({ threads: 1, maxSessions: 2, memArena });
      const a = await rt.cached('a', () => affine(1));
      const b = await rt.cached('b', () => affine(2));
      expect(Array.from((await a.run({ x, w })).y as Float32Array)).toEqual(expected(1));
      await rt.cached('a', () => affine(1)); // a is now most recently used
      await rt.cached('c', () => affine(3)); // evicts b
      await tick();
      expect(rt.cacheSize).toBe(2);
      expect(b.open).toBe(false);
      expect(a.open).toBe(true);
      // Someone still holding b (a decode loop) gets the right answer from a reopened session.
      expect(Array.from((await b.run({ x, w })).y as Float32Array)).toEqual(expected(2));
      expect(b.open).toBe(true);
      await rt.release();
      expect(a.open).toBe(false);
    });
  }

  it('frees a session dropped during a run only after the run finishes', async () => {
    const rt = new Runtime({ threads: 1 });
    const a = await rt.cached('a', () => affine(0));
    const running = a.run({ x, w });
    const dropping = a.drop();
    expect(Array.from((await running).y as Float32Array)).toEqual(expected(0));
    await dropping;
    expect(a.open).toBe(false);
  });
});
