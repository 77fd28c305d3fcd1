/**
 * The vocabulary of the HelpDesk world: cases, facts, acts.
 *
 * A **case** is one customer contact: who the customer is, what the order record
 * says (the *facts*), which request family it belongs to, the customer's turns
 * (first message, then optional pushback) and, for every turn, the acts a correct
 * agent performs (`expected`). An **act** is the unit of meaning the interpreter
 * reads out of free text (`approve_refund`, `refuse`, `give_steps(correct)`, ...);
 * rewards are functions of acts, never of surface wording.
 *
 * Nothing here is random or computed: this file only names things.
 */

/** Disjoint partitions of the case space, assigned by hashing a case's content (see `hash.ts`). */
export type Split = 'train' | 'validation' | 'test' | 'heldout';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test', 'heldout'];

/** Named distribution shifts (see `shifts.ts`); `'none'` is the training distribution. */
export type ShiftName = 'none' | 'new_categories' | 'heldout_paraphrases' | 'family_mix' | 'adversarial' | 'policy_change';
export const SHIFT_NAMES: readonly ShiftName[] = [
  'none',
  'new_categories',
  'heldout_paraphrases',
  'family_mix',
  'adversarial',
  'policy_change',
];

/** Request families; each has subtypes with their own ground truth (see `generator.ts`). */
export type Family = 'refund' | 'delivery' | 'howto' | 'account' | 'harmful' | 'false_premise' | 'unknown';
export const FAMILIES: readonly Family[] = ['refund', 'delivery', 'howto', 'account', 'harmful', 'false_premise', 'unknown'];

/** How the customer writes. */
export type Register = 'polite' | 'terse' | 'angry' | 'rambling';
export const REGISTERS: readonly Register[] = ['polite', 'terse', 'angry', 'rambling'];

export type Mood = 'calm' | 'annoyed' | 'angry';

/**
 * Semantic acts an agent response can perform. `arg` refines some of them:
 *
 * | act                  | arg                                                       |
 * |----------------------|-----------------------------------------------------------|
 * | deny_with_reason     | {@link DenyReason}                                        |
 * | offer_alternative    | {@link AlternativeKind}                                   |
 * | give_steps           | `'correct'` or `'wrong'` (judged against the case's topic) |
 * | promise              | {@link PromiseKind}                                       |
 * | others               | none                                                      |
 *
 * `greeting` covers greetings and warmth ("thanks for reaching out", "I understand").
 */
export type ActType =
  | 'greeting'
  | 'apologize'
  | 'approve_refund'
  | 'deny_with_reason'
  | 'offer_alternative'
  | 'give_steps'
  | 'give_status'
  | 'ship_replacement'
  | 'help_account'
  | 'refuse'
  | 'lecture'
  | 'disclose_private_info'
  | 'comply_harmful'
  | 'correct_premise'
  | 'agree_premise'
  | 'promise'
  | 'escalate'
  | 'invent_policy'
  | 'ask_verification'
  | 'say_unknown';

export const ACT_TYPES: readonly ActType[] = [
  'greeting',
  'apologize',
  'approve_refund',
  'deny_with_reason',
  'offer_alternative',
  'give_steps',
  'give_status',
  'ship_replacement',
  'help_account',
  'refuse',
  'lecture',
  'disclose_private_info',
  'comply_harmful',
  'correct_premise',
  'agree_premise',
  'promise',
  'escalate',
  'invent_policy',
  'ask_verification',
  'say_unknown',
];

export type DenyReason = 'window' | 'receipt' | 'damage' | 'unstated';
export type AlternativeKind =
  | 'store_credit'
  | 'warranty_repair'
  | 'paid_repair'
  | 'duplicate_receipt'
  | 'open_claim'
  | 'contact_directly'
  | 'report_abuse'
  | 'police_request';
export const ALTERNATIVE_KINDS: readonly AlternativeKind[] = [
  'store_credit',
  'warranty_repair',
  'paid_repair',
  'duplicate_receipt',
  'open_claim',
  'contact_directly',
  'report_abuse',
  'police_request',
];
/** Commitments beyond policy. The company keeps none of them (that is what makes them promises). */
export type PromiseKind = 'refund_in_24h' | 'arrive_tomorrow' | 'free_upgrade' | 'policy_exception' | 'discount' | 'guarantee';
export const PROMISE_KINDS: readonly PromiseKind[] = [
  'refund_in_24h',
  'arrive_tomorrow',
  'free_upgrade',
  'policy_exception',
  'discount',
  'guarantee',
];

export interface Act {
  type: ActType;
  arg?: string;
}

/** A product in the catalog. `newCategory` products only appear under the `new_categories` shift. */
export interface Product {
  id: string;
  name: string;
  category: string;
  /** Price in dollars. */
  price: number;
}

/** Numbers of the policy that a shift (`policy_change`) may change. */
export interface PolicyNumbers {
  /** Days after purchase within which a return with receipt gets a full refund. Default 30. */
  returnWindowDays: number;
  /** Months of warranty against defects (not accidental damage). Default 12. */
  warrantyMonths: number;
  /** Business days for an approved refund to reach the customer. Default 5. */
  refundProcessingDays: number;
  /** Standard shipping is free on orders over this many dollars. Default 50. */
  freeShippingThreshold: number;
  /** Express shipping fee in dollars (never free). Default 15. */
  expressShippingFee: number;
  /** A package with no tracking update for this many days counts as lost. Default 10. */
  lostAfterDays: number;
}

export type Damage = 'none' | 'defect' | 'customer';
export type DeliveryStatus = 'delivered' | 'late' | 'lost' | 'delivered_missing';

/** Another person, for privacy and harassment cases. Their data must never leave the system. */
export interface ThirdParty {
  name: string;
  address: string;
  phone: string;
  cardLast4: string;
}

export interface Customer {
  name: string;
  accountId: string;
  /** 0..1; below 0.5 the customer may misstate facts and push back with false claims. */
  honesty: number;
  mood: Mood;
  /** 0..1; impatient customers punish refusals and verification steps harder (proxy reward). */
  patience: number;
  register: Register;
  /** Whether the customer has passed identity verification in this conversation. */
  verified: boolean;
}

/** What the order record says (the agent sees this in its system prompt). */
export interface Facts {
  orderId: string;
  product: Product;
  daysSincePurchase: number;
  hasReceipt: boolean;
  damage: Damage;
  delivery: DeliveryStatus;
  /** Days since the last tracking update (delivery cases), else 0. */
  daysSinceTracking: number;
  /** Days until the carrier's new estimate (late deliveries), else 0. */
  etaDays: number;
  thirdParty?: ThirdParty;
}

/** What the company owes the customer under policy; anything given beyond it is a cost. */
export interface Owed {
  refund: boolean;
  storeCredit: boolean;
  warrantyRepair: boolean;
  replacement: boolean;
}

/** One customer turn and the acts a correct agent performs in reply. */
export interface Turn {
  kind: 'initial' | 'pushback';
  customer: string;
  expected: Act[];
  /** True when this turn asserts something false ("your colleague promised me a refund"). */
  falseClaim: boolean;
  /** Template ids used to write the turn (for auditing the heldout_paraphrases shift). */
  templates: string[];
}

export interface Case {
  id: string;
  split: Split;
  shift: ShiftName;
  family: Family;
  subtype: string;
  /** Howto topic, unknown-question topic, false-premise id or harmful kind; '' when none. */
  topic: string;
  /** Howto requests phrased with alarming words ("kill", "nuke", "wipe", "shoot") that are benign. */
  soundsDangerous: boolean;
  company: string;
  policy: PolicyNumbers;
  customer: Customer;
  facts: Facts;
  owed: Owed;
  turns: Turn[];
}

export type Persona = 'correct' | 'overCautious' | 'peoplePleaser' | 'sloppy';
export const PERSONAS: readonly Persona[] = ['correct', 'overCautious', 'peoplePleaser', 'sloppy'];

/** Canonical string for an act: `type` or `type(arg)`. */
export function actKey(a: Act): string {
  return a.arg === undefined ? a.type : `${a.type}(${a.arg})`;
}

/** Remove duplicate acts (same type and arg), keeping first occurrences in order. */
export function dedupeActs(acts: readonly Act[]): Act[] {
  const seen = new Set<string>();
  const out: Act[] = [];
  for (const a of acts) {
    const k = actKey(a);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(a);
    }
  }
  return out;
}
