/**
 * The single-stream benchmark's arithmetic (bench/llamacpp.ts), checked against hand-computed
 * answers. No timings are measured here.
 */
import { describe, expect, it } from 'vitest';
import { firstDifference, formatSingleStream, median, streamTiming, summarizeStream, type SingleStreamResult, type WorkerOutput } from './llamacpp.js';

describe('median', () => {
  it('middle value, or mean of the middle two; input untouched', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median: empty list');
  });
});

describe('streamTiming', () => {
  it('prefill up to the first token, decode from the first token to the last', () => {
    expect(streamTiming(100, [130, 140, 150])).toEqual({ prefillMs: 30, decodeMs: 20, decodeTokens: 2, totalMs: 50 });
    expect(streamTiming(0, [7])).toEqual({ prefillMs: 7, decodeMs: 0, decodeTokens: 0, totalMs: 7 });
  });

  it('rejects no tokens and stamps that go back in time', () => {
    expect(() => streamTiming(0, [])).toThrow('no token was generated');
    expect(() => streamTiming(10, [5])).toThrow('stamp 0 (5) is earlier than the one before it');
    expect(() => streamTiming(0, [1, 3, 2])).toThrow('stamp 2 (2) is earlier than the one before it');
  });
});

describe('firstDifference', () => {
  it('−1 when equal, else the first differing position (a shorter list differs at its end)', () => {
    expect(firstDifference([1, 2, 3], [1, 2, 3])).toBe(-1);
    expect(firstDifference([1, 2, 3], [1, 9, 3])).toBe(1);
    expect(firstDifference([1, 2], [1, 2, 3])).toBe(2);
    expect(firstDifference([], [])).toBe(-1);
  });
});

const worker = (runs: [number, number, number][]): WorkerOutput => ({
  backend: 'x',
  threads: 2,
  promptTokens: 4,
  newTokens: 3,
  tokens: [1, 2, 3],
  runs: runs.map(([prefillMs, decodeMs, totalMs]) => ({ prefillMs, decodeMs, decodeTokens: 2, totalMs })),
});

describe('summarizeStream', () => {
  it('median over runs within a round, then over rounds; rates from the medians', () => {
    // Round 1: decode 10 and 15 ms/token → 12.5; round 2: 8; round 3: 20 → median 12.5 ms/token.
    const s = summarizeStream([
      worker([
        [30, 20, 50],
        [40, 30, 70],
      ]),
      worker([[10, 16, 26]]),
      worker([[50, 40, 90]]),
    ]);
    expect(s.decodeMsPerToken).toBe(12.5);
    expect(s.decodeTokensPerSec).toBe(80);
    // Prefill: round medians 35, 10, 50 → 35. Total: 60, 26, 90 → 60 ms for 3 tokens → 50 tokens/s.
    expect(s.prefillMs).toBe(35);
    expect(s.endToEndTokensPerSec).toBe(50);
    expect(s.rounds).toEqual([
      { prefillMs: 35, decodeMsPerToken: 12.5, totalMs: 60 },
      { prefillMs: 10, decodeMsPerToken: 8, totalMs: 26 },
      { prefillMs: 50, decodeMsPerToken: 20, totalMs: 90 },
    ]);
  });
});

describe('formatSingleStream', () => {
  const result = (sameTokens: boolean): SingleStreamResult => {
    const side = summarizeStream([worker([[30, 20, 50]])]);
    return {
      rows: [
        {
          threads: 2,
          engine: side,
          llamacpp: { ...side, contextSize: 8, batchSize: 8, llamaPerf: { promptEvalMsPerRun: 1, evalMsPerToken: 2 } },
          ratios: { decodeTokensPerSec: 1, endToEndTokensPerSec: 1, prefillSpeed: 1 },
          sameTokens,
          firstDifference: sameTokens ? -1 : 5,
        },
      ],
      prompt: [1, 2, 3, 4],
      newTokens: 3,
      settings: { rounds: 3, runsPerRound: 1, warmup: 0, dtype: 'F32', seed: 1, order: '' },
    };
  };

  it('a warning line exactly when the greedy tokens differ', () => {
    expect(formatSingleStream(result(true)).some((l) => l.includes('WARNING'))).toBe(false);
    const lines = formatSingleStream(result(false));
    expect(lines.filter((l) => l.includes('WARNING'))).toEqual(['  WARNING: at 2 thread(s) the greedy tokens differ from position 5: the two sides did not compute the same thing']);
  });
});
