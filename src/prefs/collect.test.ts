import { describe, expect, it } from 'vitest';
import type { ChatMessage, Completion, LanguageModel, SamplingOptions } from '../providers/types.js';
import { Rng } from '../util/rng.js';
import { generateCases, personaResponse, PERSONAS, scoreResponse, type Case, type Persona } from '../world/index.js';
import { casePrompt, choosePairs, collectPreferences, type CollectedPair } from './collect.js';
import { validateRow } from './format.js';
import { goldAgreement, preferenceStats } from './stats.js';

/**
 * A scripted model that answers like the world's demonstrator personas: for each
 * conversation it recognises the case from the prompt, draws a persona (uniformly, from
 * the request's seed and the prompt) and replies with that persona's text. It records
 * which persona wrote each text, so the tests know which reply gold prefers.
 */
class PersonaModel implements LanguageModel {
  readonly id = 'test:personas';
  readonly author = new Map<string, Persona>();
  private readonly byPrompt = new Map<string, Case>();
  calls = 0;

  constructor(cases: readonly Case[]) {
    for (const c of cases) this.byPrompt.set(PersonaModel.key(casePrompt(c)), c);
  }

  static key(messages: ChatMessage[]): string {
    return messages.map((m) => `${m.role}:${m.content}`).join('\n');
  }

  async chat(messages: ChatMessage[], opts?: SamplingOptions): Promise<Completion> {
    return (await this.chatBatch([messages], opts))[0]!;
  }

  async chatBatch(conversations: ChatMessage[][], opts: SamplingOptions = {}): Promise<Completion[]> {
    this.calls++;
    return conversations.map((m) => {
      const key = PersonaModel.key(m);
      const c = this.byPrompt.get(key);
      if (!c) throw new Error('PersonaModel: unknown prompt');
      const rng = new Rng(opts.seed ?? 0).fork(key);
      const persona = rng.choice(PERSONAS);
      const text = personaResponse(persona, c, rng).text;
      this.author.set(text, persona);
      return { text, finishReason: 'stop' };
    });
  }
}

const SEED = 5;
const N = 60;
const cases = generateCases({ seed: SEED, n: N, split: 'train' });
const byId = new Map(cases.map((c) => [c.id, c]));

async function run(raters: 'careful' | 'crowd' | 'swayed', extra: { seed?: number; pairing?: 'all' | 'random' } = {}) {
  const model = new PersonaModel(generateCases({ seed: extra.seed ?? SEED, n: N, split: 'train' }));
  const rows = await collectPreferences({ model, seed: extra.seed ?? SEED, n: N, k: 4, raters, pairing: extra.pairing });
  return { rows, model };
}

/** Fraction of decided pairs (gold differs) where chosen has the higher gold, recomputed from the world. */
function agreementFromWorld(rows: CollectedPair[]): number {
  let agree = 0;
  let decided = 0;
  for (const r of rows) {
    const c = byId.get(r.caseId)!;
    const g1 = scoreResponse(c, r.chosen[0]!.content).gold.total;
    const g2 = scoreResponse(c, r.rejected[0]!.content).gold.total;
    if (Math.abs(g1 - g2) < 1e-9) continue;
    decided++;
    agree += +(g1 > g2);
  }
  return agree / decided;
}

describe('collectPreferences', () => {
  it('writes valid conversational TRL pairs with the world scores of both sides', async () => {
    const { rows, model } = await run('careful');
    expect(model.calls).toBe(4); // one chatBatch per sample index
    expect(rows.length).toBeGreaterThan(N * 3);
    for (const r of rows) {
      expect('error' in validateRow(r)).toBe(false);
      const c = byId.get(r.caseId)!;
      expect(r.prompt).toEqual(casePrompt(c));
      expect(r.chosen[0]!.content).not.toBe(r.rejected[0]!.content);
      const sc = scoreResponse(c, r.chosen[0]!.content);
      const sr = scoreResponse(c, r.rejected[0]!.content);
      expect([r.chosen_gold, r.rejected_gold, r.chosen_proxy, r.rejected_proxy]).toEqual([sc.gold.total, sr.gold.total, sc.proxy, sr.proxy]);
      expect(r.rater).toMatch(/^careful-\d+$/);
      expect(['helpful', 'harmless', 'honest']).toContain(r.principle);
      expect(r.reason).not.toMatch(/^(A|B)\b/);
    }
  });

  it('careful raters agree with gold far more often than swayed ones', async () => {
    const careful = (await run('careful')).rows;
    const swayed = (await run('swayed')).rows;
    const a = agreementFromWorld(careful);
    const b = agreementFromWorld(swayed);
    expect(a).toBeGreaterThan(0.9);
    expect(b).toBeLessThan(a - 0.2);
    expect(goldAgreement(careful).rate).toBeCloseTo(a, 12);
    expect(goldAgreement(swayed).rate).toBeCloseTo(b, 12);
  });

  it('careful raters pick the correct persona over the people-pleaser', async () => {
    const { rows, model } = await run('careful');
    let correctWins = 0;
    let n = 0;
    for (const r of rows) {
      const pc = model.author.get(r.chosen[0]!.content);
      const pr = model.author.get(r.rejected[0]!.content);
      if (r.chosen_gold === r.rejected_gold) continue;
      if (pc === 'correct' && pr === 'peoplePleaser') correctWins++;
      if ((pc === 'correct' && pr === 'peoplePleaser') || (pc === 'peoplePleaser' && pr === 'correct')) n++;
    }
    expect(n).toBeGreaterThan(15);
    expect(correctWins / n).toBeGreaterThan(0.9);
  });

  it('is deterministic for a seed and changes with it', async () => {
    const a = (await run('crowd')).rows;
    const b = (await run('crowd')).rows;
    expect(b).toEqual(a);
    const c = (await run('crowd', { seed: SEED + 1 })).rows;
    expect(c).not.toEqual(a);
  });

  it("pairs ⌊k/2⌋ disjoint replies per prompt with pairing 'random'", async () => {
    const { rows } = await run('careful', { pairing: 'random' });
    const perCase = new Map<string, number>();
    for (const r of rows) perCase.set(r.caseId, (perCase.get(r.caseId) ?? 0) + 1);
    expect(Math.max(...perCase.values())).toBeLessThanOrEqual(2);
    expect(rows.length).toBeGreaterThan(N * 1.5);
  });

  it('rejects k < 2 and temperature 0', async () => {
    const model = new PersonaModel(cases);
    await expect(collectPreferences({ model, seed: 1, n: 2, k: 1 })).rejects.toThrow('k must be an integer ≥ 2');
    await expect(collectPreferences({ model, seed: 1, n: 2, k: 2, temperature: 0 })).rejects.toThrow('temperature must be > 0');
  });
});

describe('choosePairs', () => {
  it("'all' gives the k(k−1)/2 pairs; 'random' gives disjoint pairs", () => {
    expect(choosePairs(4, 'all', new Rng(1))).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    const r = choosePairs(5, 'random', new Rng(1));
    expect(r).toHaveLength(2);
    expect(new Set(r.flat()).size).toBe(4);
  });
});

describe('preferenceStats', () => {
  it('matches hand-computed counts, lengths and agreement', () => {
    const s = preferenceStats(
      [
        { prompt: 'q', chosen: 'one two three', rejected: 'one', chosen_gold: 1, rejected_gold: 0.5, chosen_proxy: 0.2, rejected_proxy: 0.4, rater: 'b' },
        { prompt: 'q', chosen: [{ role: 'assistant', content: 'a b' }], rejected: [{ role: 'assistant', content: 'a b c d' }], chosen_gold: 0.3, rejected_gold: 0.6, rater: 'a' },
        { prompt: 'q', chosen: 'x', rejected: 'y', chosen_gold: 0.7, rejected_gold: 0.7, rater: 'b' },
        { prompt: 'q', chosen: 'same', rejected: 'same' },
      ],
      [{ prompt: 'q', completion: 'c', label: true }, { prompt: 'q', completion: 'd', label: false }],
    );
    expect(s).toEqual({
      pairs: 4,
      unpaired: 2,
      unpairedDesirable: 1,
      chosenWords: (3 + 2 + 1 + 1) / 4,
      rejectedWords: (1 + 4 + 1 + 1) / 4,
      chosenLongerFraction: 1 / 4,
      identical: 1,
      goldAgreement: 1 / 2,
      goldDecided: 2,
      goldTies: 1,
      proxyAgreement: 0,
      proxyDecided: 1,
      raters: { a: 1, b: 2 },
    });
    expect(preferenceStats([{ prompt: 'q', chosen: 'a', rejected: 'b' }]).goldAgreement).toBeNull();
  });
});
