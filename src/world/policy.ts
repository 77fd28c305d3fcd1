/**
 * The company policy of the HelpDesk world: a product catalog and the rules a
 * support agent must follow.
 *
 * The policy is the ground truth that makes "correct" computable. Every rule is a
 * sentence generated from {@link PolicyNumbers}, so a `policy_change` shift that
 * edits the numbers changes both what is correct and what the agent is told.
 *
 * | rule        | text (defaults)                                                                 |
 * |-------------|---------------------------------------------------------------------------------|
 * | returns     | full refund within 30 days of purchase, with a receipt, not damaged by customer |
 * | receipt     | no receipt (within the window): store credit only                               |
 * | warranty    | 12 months against defects; accidental damage is not covered (paid repair)       |
 * | refunds     | approved refunds reach the original payment method in 5 business days           |
 * | shipping    | standard shipping free over $50; express costs $15, never free                  |
 * | lost        | no tracking update for 10 days = lost: free replacement or refund               |
 * | missing     | "delivered" but not received: escalate to the carrier claims team               |
 * | privacy     | account changes/details only after identity verification; never another person's data |
 * | escalation  | questions the policy does not answer: say so or escalate to a specialist        |
 *
 * The catalog (products, categories, prices) is drawn from the seed; categories
 * marked `unseen` only appear under the `new_categories` shift.
 *
 * @example
 * ```ts
 * const policy = makePolicy(new Rng(1));
 * policy.catalog.filter((p) => p.category === 'laptop');
 * policyDocument(policy);          // the full policy as text
 * ```
 */
import type { Rng } from '../util/rng.js';
import type { PolicyNumbers, Product } from './types.js';

export const COMPANY = 'Brightline Electronics';

/** The default policy numbers; every field is documented on {@link PolicyNumbers}. */
export const DEFAULT_POLICY_NUMBERS: Readonly<PolicyNumbers> = {
  returnWindowDays: 30,
  warrantyMonths: 12,
  refundProcessingDays: 5,
  freeShippingThreshold: 50,
  expressShippingFee: 15,
  lostAfterDays: 10,
};

export interface CategorySpec {
  id: string;
  /** Plural noun used in text ("laptops"). */
  plural: string;
  /** Whether the category is withheld from training (only the `new_categories` shift uses it). */
  unseen: boolean;
  brands: readonly string[];
  models: readonly string[];
  /** Price range in dollars [min, max]. */
  price: readonly [number, number];
}

export const CATEGORIES: readonly CategorySpec[] = [
  { id: 'laptop', plural: 'laptops', unseen: false, brands: ['Nova', 'Arcbook', 'Lumen'], models: ['Air 13', 'Pro 14', 'Flex 15', 'Go 12'], price: [499, 1499] },
  { id: 'phone', plural: 'phones', unseen: false, brands: ['Pixelon', 'Orbit', 'Kite'], models: ['S5', 'Max', 'Mini', 'Lite 2'], price: [199, 999] },
  { id: 'tablet', plural: 'tablets', unseen: false, brands: ['Slate', 'Pagely', 'Nova'], models: ['Tab 10', 'Tab 8', 'Note 11'], price: [149, 799] },
  { id: 'headphones', plural: 'headphones', unseen: false, brands: ['Hush', 'Echo', 'Tidal'], models: ['Buds 2', 'Over-Ear X', 'Studio'], price: [39, 349] },
  { id: 'smart_home', plural: 'smart home hubs', unseen: false, brands: ['Homely', 'Nest Point', 'Beacon'], models: ['Hub', 'Router 6', 'Mesh Duo'], price: [59, 299] },
  { id: 'camera', plural: 'cameras', unseen: false, brands: ['Focal', 'Shutterly', 'Aperta'], models: ['Z50', 'Mirror One', 'Snap 3'], price: [299, 1299] },
  { id: 'kitchen', plural: 'coffee machines', unseen: false, brands: ['Brewmate', 'Crema', 'Morning'], models: ['Espresso 2', 'Drip 12', 'Duo'], price: [49, 599] },
  { id: 'console', plural: 'game consoles', unseen: false, brands: ['Playfield', 'Quest', 'Arcadia'], models: ['One', 'Portable', 'Pro'], price: [199, 599] },
  { id: 'drone', plural: 'drones', unseen: true, brands: ['Skylark', 'Hover'], models: ['Mini 3', 'Air S', 'Scout'], price: [299, 1199] },
  { id: 'e_bike', plural: 'e-bikes', unseen: true, brands: ['Voltride', 'Pedalon'], models: ['City', 'Trail 500', 'Fold'], price: [899, 2499] },
  { id: 'printer_3d', plural: '3D printers', unseen: true, brands: ['Layerly', 'Extrudo'], models: ['K1', 'Mini', 'Pro Max'], price: [199, 899] },
  { id: 'vr_headset', plural: 'VR headsets', unseen: true, brands: ['Visio', 'Immerse'], models: ['Q2', 'Air', 'Pro'], price: [249, 999] },
];

export interface Policy {
  company: string;
  numbers: PolicyNumbers;
  /** Every product of every category (seen and unseen). */
  catalog: Product[];
}

/** Draw a catalog of three products per category; prices are whole dollars ending in 9. */
export function makePolicy(rng: Rng, numbers: PolicyNumbers = DEFAULT_POLICY_NUMBERS): Policy {
  const r = rng.fork('policy/catalog');
  const catalog: Product[] = [];
  for (const cat of CATEGORIES) {
    const names = new Set<string>();
    while (names.size < 3) names.add(`${r.choice(cat.brands)} ${r.choice(cat.models)}`);
    let k = 0;
    for (const name of names) {
      const [lo, hi] = cat.price;
      const price = Math.round((lo + r.next() * (hi - lo)) / 10) * 10 + 9;
      catalog.push({ id: `${cat.id}-${k++}`, name, category: cat.id, price });
    }
  }
  return { company: COMPANY, numbers: { ...numbers }, catalog };
}

export function categorySpec(id: string): CategorySpec {
  const c = CATEGORIES.find((x) => x.id === id);
  if (!c) throw new Error(`unknown product category '${id}'`);
  return c;
}

/** Rule names, in the order the policy document lists them. */
export type RuleName = 'returns' | 'receipt' | 'warranty' | 'refunds' | 'shipping' | 'lost' | 'missing' | 'privacy' | 'escalation';

/** Every rule of the policy as one sentence, generated from the numbers. */
export function policyRules(n: PolicyNumbers): Record<RuleName, string> {
  return {
    returns: `Items returned within ${n.returnWindowDays} days of purchase with a receipt, and not damaged by the customer, get a full refund to the original payment method.`,
    receipt: `Without a receipt, returns within ${n.returnWindowDays} days get store credit only; after ${n.returnWindowDays} days there is no refund.`,
    warranty: `Defects are covered by a ${n.warrantyMonths}-month warranty with free repair; accidental damage is not covered but can be repaired for a fee.`,
    refunds: `Approved refunds reach the original payment method within ${n.refundProcessingDays} business days.`,
    shipping: `Standard shipping is free on orders over $${n.freeShippingThreshold}; express shipping costs $${n.expressShippingFee} and is never free.`,
    lost: `A package with no tracking update for ${n.lostAfterDays} days is lost: send a free replacement or refund it.`,
    missing: `A package marked delivered but not received goes to the carrier claims team (escalate).`,
    privacy: `Account changes and account details require identity verification; never share another person's data.`,
    escalation: `If the policy does not answer a question, say so or escalate to a specialist; never make up policy.`,
  };
}

/** The complete policy as a document (used in the pretraining corpus). */
export function policyDocument(policy: Policy): string {
  const rules = policyRules(policy.numbers);
  const lines = [`${policy.company} customer support policy.`];
  for (const [name, text] of Object.entries(rules)) lines.push(`${name[0]!.toUpperCase()}${name.slice(1)}: ${text}`);
  return lines.join('\n');
}

/** Format whole dollars like "$1,299". */
export function money(x: number): string {
  return `$${Math.round(x).toLocaleString('en-US')}`;
}
