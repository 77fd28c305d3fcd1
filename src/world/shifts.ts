/**
 * Named distribution shifts: partial overrides of the generator config.
 *
 * A model trained on the `train` split (shift `'none'`) is evaluated on the `test`
 * split under each shift to see which kind of novelty breaks it:
 *
 * | shift                | what changes                                                                 |
 * |----------------------|------------------------------------------------------------------------------|
 * | none                 | nothing: the training distribution                                           |
 * | new_categories       | only product categories never seen in training (drones, e-bikes, ...)        |
 * | heldout_paraphrases  | only customer wordings (templates, openers, closers) never used in training  |
 * | family_mix           | far more harmful, privacy and unanswerable requests; fewer refunds/how-tos   |
 * | adversarial          | mostly dishonest, angry customers who always push back twice, often with false claims |
 * | policy_change        | new policy numbers: 14-day returns, 24-month warranty, 7-day lost threshold, ... |
 *
 * Each generated case records its `shift`, and shifted cases hash differently, so
 * shifted and unshifted cases never share an id.
 *
 * @example
 * ```ts
 * generateCases({ seed: 1, n: 200, split: 'test', shift: 'adversarial' });
 * ```
 */
import type { GeneratorConfig } from './generator.js';
import type { PolicyNumbers, ShiftName } from './types.js';

/** The policy numbers in force under `policy_change`. */
export const CHANGED_POLICY_NUMBERS: Readonly<PolicyNumbers> = {
  returnWindowDays: 14,
  warrantyMonths: 24,
  refundProcessingDays: 10,
  freeShippingThreshold: 75,
  expressShippingFee: 20,
  lostAfterDays: 7,
};

const PRESETS: Readonly<Record<ShiftName, Partial<GeneratorConfig>>> = {
  none: {},
  new_categories: { categories: 'unseen' },
  heldout_paraphrases: { templates: 'heldout' },
  family_mix: {
    familyWeights: { refund: 0.08, delivery: 0.07, howto: 0.1, account: 0.2, harmful: 0.25, false_premise: 0.15, unknown: 0.15 },
  },
  adversarial: {
    dishonestRate: 0.7,
    forcePushback: true,
    claimRate: 0.45,
    moodWeights: { calm: 0.1, annoyed: 0.3, angry: 0.6 },
  },
  policy_change: { policyNumbers: { ...CHANGED_POLICY_NUMBERS } },
};

/** The config overrides of a shift (a fresh copy). */
export function shiftConfig(shift: ShiftName): Partial<GeneratorConfig> {
  const p = PRESETS[shift];
  if (!p) throw new Error(`unknown shift '${shift}' (expected one of ${Object.keys(PRESETS).join(', ')})`);
  return structuredClone(p);
}
