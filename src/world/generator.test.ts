import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_POOLS } from './customer_text.js';
import { findCasesById, generateCases, policyForSeed } from './generator.js';
import { contentHash, splitOfHash } from './hash.js';
import { CATEGORIES } from './policy.js';
import { CHANGED_POLICY_NUMBERS } from './shifts.js';
import { HOWTO_TOPICS, UNKNOWN_TOPICS } from './topics.js';
import { SPLITS, type Case } from './types.js';

/** Every template id the case's turns were written with. */
const templateIds = (cases: Case[]) => new Set(cases.flatMap((c) => c.turns.flatMap((t) => t.templates)));

/** Ids of held-out templates, collected from the pools and topic tables directly. */
function heldoutIds(): Set<string> {
  const ids = new Set(Object.values(TEMPLATE_POOLS).flat().filter((t) => t.heldout).map((t) => t.id));
  for (const t of [...HOWTO_TOPICS, ...UNKNOWN_TOPICS]) t.asks.forEach((a, i) => a.heldout && ids.add(`ask.${t.id}.${i}`));
  return ids;
}

describe('generateCases', () => {
  it('is deterministic: same seed, same cases', () => {
    const a = generateCases({ seed: 7, n: 40, split: 'test' });
    const b = generateCases({ seed: 7, n: 40, split: 'test' });
    expect(b).toEqual(a);
    const c = generateCases({ seed: 8, n: 40, split: 'test' });
    expect(c.map((x) => x.id)).not.toEqual(a.map((x) => x.id));
  });

  it('keeps the four splits disjoint, and each case in the split its content hashes to', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const ids = new Set<string>();
        for (const split of SPLITS) {
          for (const c of generateCases({ seed, n: 30, split })) {
            expect(c.split).toBe(split);
            expect(c.id).toMatch(new RegExp(`^hd-${split}-[0-9a-f]{16}$`));
            expect(ids.has(c.id)).toBe(false);
            ids.add(c.id);
          }
        }
      }),
      { numRuns: 5 },
    );
  });

  it('assigns splits by hash in the documented proportions', () => {
    const counts: Record<string, number> = { train: 0, validation: 0, test: 0, heldout: 0 };
    for (let i = 0; i < 20000; i++) counts[splitOfHash(contentHash(`case ${i}`))]!++;
    expect(counts.train! / 20000).toBeCloseTo(0.8, 1);
    expect(counts.validation! / 20000).toBeCloseTo(0.1, 1);
    expect(counts.test! / 20000).toBeCloseTo(0.05, 1);
    expect(counts.heldout! / 20000).toBeCloseTo(0.05, 1);
  });

  it('fills every slot, keeps turns within 1..3, and gives pushbacks only to decline cases', () => {
    const cases = generateCases({ seed: 3, n: 400 });
    for (const c of cases) {
      expect(c.turns.length).toBeGreaterThanOrEqual(1);
      expect(c.turns.length).toBeLessThanOrEqual(3);
      for (const t of c.turns) {
        expect(t.customer).not.toMatch(/[{}]/);
        expect(t.customer.length).toBeGreaterThan(5);
        expect(t.expected.length).toBeGreaterThan(0);
      }
      if (c.turns.length > 1) {
        const holds = c.turns[0]!.expected.some((a) => ['deny_with_reason', 'refuse', 'correct_premise', 'ask_verification', 'say_unknown'].includes(a.type));
        expect(holds).toBe(true);
        for (const t of c.turns.slice(1)) expect(t.expected).toEqual(c.turns[0]!.expected);
      }
    }
    expect(cases.some((c) => c.turns.length === 3)).toBe(true);
  });

  it('makes facts agree with the ground truth of each subtype', () => {
    for (const c of generateCases({ seed: 4, n: 600 })) {
      const W = c.policy.returnWindowDays;
      const f = c.facts;
      if (c.subtype === 'eligible') expect(f.daysSincePurchase <= W && f.hasReceipt && f.damage !== 'customer').toBe(true);
      if (c.subtype === 'past_window' || c.subtype === 'past_window_defect' || c.subtype === 'window90') expect(f.daysSincePurchase).toBeGreaterThan(W);
      if (c.subtype === 'past_window_defect') expect(f.daysSincePurchase).toBeLessThan(c.policy.warrantyMonths * 30);
      if (c.subtype === 'lifetime_warranty') expect(f.daysSincePurchase).toBeGreaterThan(c.policy.warrantyMonths * 30);
      if (c.subtype === 'no_receipt') expect(f.hasReceipt).toBe(false);
      if (c.subtype === 'lost') expect(f.daysSinceTracking).toBeGreaterThanOrEqual(c.policy.lostAfterDays);
      if (c.subtype === 'late') expect(f.daysSinceTracking).toBeLessThan(c.policy.lostAfterDays);
      if (c.subtype === 'own_verified') expect(c.customer.verified).toBe(true);
      if (c.subtype === 'own_unverified') expect(c.customer.verified).toBe(false);
      if (c.subtype === 'other_person' || c.subtype === 'find_address') expect(f.thirdParty).toBeDefined();
    }
  });

  it('covers every family, some sounds-dangerous how-tos and every register', () => {
    const cases = generateCases({ seed: 5, n: 500 });
    expect(new Set(cases.map((c) => c.family)).size).toBe(7);
    expect(cases.some((c) => c.soundsDangerous)).toBe(true);
    expect(cases.some((c) => c.family === 'howto' && !c.soundsDangerous)).toBe(true);
    expect(new Set(cases.map((c) => c.customer.register)).size).toBe(4);
  });
});

describe('shifts', () => {
  const seen = new Set(CATEGORIES.filter((c) => !c.unseen).map((c) => c.id));

  it('new_categories uses only product categories never seen in training', () => {
    const train = generateCases({ seed: 1, n: 300 });
    const shifted = generateCases({ seed: 1, n: 100, split: 'test', shift: 'new_categories' });
    expect(train.every((c) => seen.has(c.facts.product.category))).toBe(true);
    expect(shifted.every((c) => !seen.has(c.facts.product.category) && c.shift === 'new_categories')).toBe(true);
  });

  it('heldout_paraphrases never reuses a training template, and training never uses a held-out one', () => {
    for (const [prefix, pool] of Object.entries(TEMPLATE_POOLS)) {
      expect(pool.some((t) => t.heldout), prefix).toBe(true);
      expect(pool.some((t) => !t.heldout), prefix).toBe(true);
    }
    const held = heldoutIds();
    const trainIds = templateIds(generateCases({ seed: 2, n: 600 }));
    const shiftIds = templateIds(generateCases({ seed: 2, n: 150, split: 'test', shift: 'heldout_paraphrases' }));
    for (const id of trainIds) expect(held.has(id), id).toBe(false);
    for (const id of shiftIds) expect(held.has(id), id).toBe(true);
  });

  it('policy_change changes the numbers the cases are generated under', () => {
    const shifted = generateCases({ seed: 1, n: 100, split: 'test', shift: 'policy_change' });
    for (const c of shifted) expect(c.policy).toEqual(CHANGED_POLICY_NUMBERS);
    const eligible = shifted.filter((c) => c.subtype === 'eligible');
    expect(eligible.every((c) => c.facts.daysSincePurchase <= CHANGED_POLICY_NUMBERS.returnWindowDays)).toBe(true);
  });

  it('family_mix shifts the family distribution and adversarial pushes back twice', () => {
    const share = (cases: Case[], f: string) => cases.filter((c) => c.family === f).length / cases.length;
    const base = generateCases({ seed: 6, n: 300, split: 'test' });
    const mix = generateCases({ seed: 6, n: 300, split: 'test', shift: 'family_mix' });
    expect(share(mix, 'harmful')).toBeGreaterThan(share(base, 'harmful') + 0.05);
    expect(share(mix, 'refund')).toBeLessThan(share(base, 'refund') - 0.05);
    const adv = generateCases({ seed: 6, n: 200, split: 'test', shift: 'adversarial' });
    const holdable = adv.filter((c) => c.family !== 'howto' && c.family !== 'delivery' && c.subtype !== 'eligible' && c.subtype !== 'own_verified');
    expect(holdable.every((c) => c.turns.length === 3)).toBe(true);
    const dishonest = (cases: Case[]) => cases.filter((c) => c.customer.honesty < 0.5).length / cases.length;
    expect(dishonest(adv)).toBeGreaterThan(dishonest(base) + 0.3);
  });
});

describe('policy and ids', () => {
  it('draws a catalog with three products per category', () => {
    const p = policyForSeed(1);
    for (const cat of CATEGORIES) expect(p.catalog.filter((x) => x.category === cat.id)).toHaveLength(3);
    expect(policyForSeed(1)).toEqual(p);
  });

  it('re-creates cases from their ids', () => {
    const a = generateCases({ seed: 9, n: 5, split: 'validation' });
    const b = generateCases({ seed: 9, n: 3, split: 'test', shift: 'adversarial' });
    const found = findCasesById(9, [...a, ...b].map((c) => c.id), 2000);
    for (const c of [...a, ...b]) expect(found.get(c.id)).toEqual(c);
  });
});
