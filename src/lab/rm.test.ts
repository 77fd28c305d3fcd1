import { describe, expect, it } from 'vitest';
import { strengthMargin } from './rm.js';

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
