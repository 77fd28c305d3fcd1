/**
 * A synthetic language with a known entropy, for benchmarks and training tests.
 *
 * Tokens follow a random first-order Markov chain in which every token has `branching`
 * equally likely successors. A model that learns the chain reaches a cross-entropy of
 * ln(branching) nats per token, well below the ln(vocabSize) of an untrained model, so a
 * falling loss is evidence of learning rather than of noise.
 */
import { Rng } from '../util/rng.js';
import type { LmBatch } from '../model/model.js';

export class MarkovSource {
  private readonly next: Int32Array;

  constructor(
    readonly vocabSize: number,
    readonly branching: number,
    seed: number,
  ) {
    const rng = new Rng(seed).fork('markov-table');
    this.next = new Int32Array(vocabSize * branching);
    for (let i = 0; i < this.next.length; i++) this.next[i] = rng.int(vocabSize);
  }

  /** The entropy floor of the chain, ln(branching) nats per token. */
  get entropy(): number {
    return Math.log(this.branching);
  }

  /** A batch of B sequences of T+1 tokens, split into inputs (B·T) and next-token targets. */
  batch(rng: Rng, B: number, T: number): LmBatch {
    const ids = new BigInt64Array(B * T);
    const targets = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) {
      let tok = rng.int(this.vocabSize);
      for (let t = 0; t < T; t++) {
        const nxt = this.next[tok * this.branching + rng.int(this.branching)];
        ids[b * T + t] = BigInt(tok);
        targets[b * T + t] = BigInt(nxt);
        tok = nxt;
      }
    }
    return { B, T, ids, targets, weights: new Float32Array(B * T).fill(1) };
  }
}
