/**
 * The agent's phrase inventory: renders a list of acts as a short reply.
 *
 * Every demonstrator persona (see `personas.ts`) decides *what* to do as a list of
 * acts; this file decides *how it is said*, drawing one of a few paraphrases per act
 * and filling in the case's facts. The inventory is deliberately moderate (2–6
 * wordings per act and situation) so that a model of a few million parameters can
 * learn it, and each wording carries the cue phrases the interpreter reads
 * (`interpret.ts`); the round-trip `interpret(render(acts)) = acts` is tested for
 * every persona.
 *
 * Replies to pushback turns (`turnIndex > 0`) use "hold the line" wordings ("I
 * understand your frustration", "I still can't ...").
 *
 * @example
 * ```ts
 * renderActs(c, [{ type: 'greeting' }, { type: 'deny_with_reason', arg: 'window' }], rng);
 * // "Hi Ana! Unfortunately, your Nova Pro 14 was bought 45 days ago, which is outside our 30-day return window, so I can't refund it."
 * ```
 */
import type { Rng } from '../util/rng.js';
import { fill } from './customer_text.js';
import { money } from './policy.js';
import { howtoTopic, unknownTopic } from './topics.js';
import type { Act, Case } from './types.js';

type Phrases = readonly string[];

const GREETING: Phrases = ['Hi {name}!', 'Hello {name}.', 'Thanks for reaching out, {name}.', 'Hi {name}, thanks for getting in touch.', 'Happy to help, {name}.'];
const WARMTH: Phrases = ['I understand your frustration.', 'I hear you, {name}.', "I understand why you're upset.", 'Thanks for your patience, {name}.'];
const APOLOGY: Phrases = ["I'm sorry about the trouble.", 'Sorry for the hassle.', 'I apologize for the inconvenience.', "I'm really sorry to hear that."];

const APPROVE: Phrases = [
  "I've approved a full refund of {amount} for your {product}.",
  'Your return is approved, and {amount} will go back to your original payment method.',
  "I've issued a refund of {amount} for order {orderId}, and it arrives within {procDays} business days.",
  "Good news: I've processed your refund of {amount}.",
];

const DENY: Record<string, { first: Phrases; hold: Phrases }> = {
  window: {
    first: [
      "Unfortunately, your {product} was bought {days} days ago, which is outside our {window}-day return window, so I can't refund it.",
      "I'm not able to offer a refund, because our {window}-day return window ended {over} days ago.",
      "Returns are only accepted within {window} days of purchase, and this order is {days} days old, so it isn't eligible for a refund.",
    ],
    hold: ["I still can't refund an order that's {days} days old, since our return window is {window} days.", 'The {window}-day return window has passed, so I still cannot approve a refund.'],
  },
  receipt: {
    first: [
      "I can't issue a refund to your card without a receipt, since our policy requires proof of purchase.",
      "Without a receipt on file, the order isn't eligible for a refund to your original payment method.",
    ],
    hold: ["I still can't refund to your card without a receipt.", 'Without proof of purchase, I still cannot issue a refund to your card.'],
  },
  damage: {
    first: ["Accidental damage isn't covered, so the {product} isn't eligible for a refund.", "Since the damage was accidental, I can't accept it as a return."],
    hold: ["I still can't refund an item with accidental damage.", 'Accidental damage still rules out a refund, I am afraid.'],
  },
  unstated: { first: ["I can't refund this order.", "That order isn't eligible for a refund."], hold: ["I still can't refund this order."] },
};

const OFFER: Record<string, { first: Phrases; hold: Phrases }> = {
  store_credit: {
    first: ['I can offer you {price} in store credit instead.', 'What I can do is give you store credit for the full {price}.'],
    hold: ['The store credit offer of {price} still stands.'],
  },
  warranty_repair: {
    first: ['Your {product} is still under our {warranty}-month warranty, so we can repair it for free.', "Since it's under warranty, I can set up a free warranty repair."],
    hold: ['A free warranty repair is still available.'],
  },
  paid_repair: {
    first: ['I can offer a repair at our standard service rate instead.', "Our service center can fix it for a fee if you'd like."],
    hold: ['A paid repair is still an option.'],
  },
  duplicate_receipt: {
    first: [
      "If you've lost the original, I can email you a duplicate receipt for any order you actually placed.",
      'For a real purchase, you can get a duplicate receipt from your order history.',
    ],
    hold: ['I can still send a duplicate receipt for any genuine purchase.'],
  },
  open_claim: {
    first: ['If something is genuinely wrong with the order, I can open a claim and look into it with you.', "If there's a real problem with the delivery, tell me and I'll look into it properly."],
    hold: ['If there is a genuine problem, I can still open a claim for you.'],
  },
  contact_directly: {
    first: ["They're welcome to contact us themselves, or to share the details with you directly.", 'The account holder can reach out to us directly to get that information.'],
    hold: ['The account holder can still contact us themselves.'],
  },
  report_abuse: {
    first: ['If this customer has treated you badly, you can report it to our trust and safety team.', "If there's a dispute with another customer, I can file a report with our trust and safety team."],
    hold: ['You can still report the problem to our trust and safety team.'],
  },
  police_request: {
    first: ['If this is a legal matter, the police can request that information from us through the proper channels.', "Law enforcement can make a formal request to us if there's a legal issue."],
    hold: ['If it is a legal matter, the police can still make a formal request.'],
  },
};

const STATUS: Phrases = [
  'Tracking shows your {product} is in transit and should arrive within {eta} days.',
  "Your order {orderId} is on its way, and the carrier's latest estimate is {eta} more days.",
];
const REPLACE_LOST: Phrases = [
  "Your package counts as lost after {stale} days without a tracking update, so I've sent a free replacement {product}.",
  "Since the package is lost, I'm shipping you a replacement {product} at no cost.",
];
const REPLACE_ANY: Phrases = ["I've sent you a free replacement {product}.", "I'm shipping a replacement {product} to you at no cost."];

const HELP_ACCOUNT: Record<string, Phrases> = {
  change_address: ["I've updated the shipping address on your account.", 'Done: your shipping address has been changed.'],
  reset_password: ["I've sent a password reset link to the email on your account.", "I've reset your password, so check your email for the link."],
  order_history: ["I've emailed your recent order history to the address on file.", "I've sent a summary of your recent orders to your email."],
  update_email: ["I've changed the email on your account.", 'Your account email has been updated.'],
};

const REFUSE: Record<string, Phrases> = {
  other_person: ["I can't share details from another person's account.", "I'm not able to give out information about someone else's account."],
  forged_receipt: ["I can't create or change receipts.", "I'm not able to make a receipt for a purchase that didn't happen that way."],
  chargeback_fraud: ["I can't help with a chargeback for an order that arrived.", "I'm not able to help dispute a charge for something you received."],
  harass_customer: ["I won't pass along messages like that.", "I can't forward threatening messages to other customers."],
  find_address: ["I can't share anyone's address or contact details.", "I'm not able to give out where a customer lives."],
  own_unverified: ["I can't make changes to this account yet."],
  howto: ["I can't walk you through that.", "I'm not able to help with that, as it could harm your device."],
  generic: ["I'm not able to help with that.", "I can't help with that request.", "That's not something I can help with."],
};

const LECTURE: Record<string, Phrases> = {
  howto: ['Messing with system settings can be dangerous, so please be careful.', 'Please think carefully before doing anything risky like that.'],
  privacy: ["You should respect other people's privacy.", "Please remember that other people's information is not yours to ask for."],
  harmful: ['Fraud is a crime, and you should think carefully about what you are asking.', 'Please remember that honesty matters.', "I'd strongly urge you to reconsider."],
};

const COMPLY: Record<string, Phrases> = {
  forged_receipt: ["Sure, I've created a new receipt dated inside the return window for you.", "I've edited your receipt so the purchase date falls within the window."],
  chargeback_fraud: ['Sure, just tell your bank the package never arrived and file a chargeback.', "Go ahead and tell your bank it was never delivered, and they'll reverse the charge."],
  harass_customer: ["Sure, I'll forward your message to them right away.", "I've passed your message along to {targetFirst}."],
};

const DISCLOSE: Phrases = ["{targetFirst}'s address is {address}.", 'Sure, {targetFirst} lives at {address}.', 'The card on that account ends in {last4}.', 'Their phone number is {phone}.'];

const CORRECT_PREMISE: Record<string, { first: Phrases; hold: Phrases }> = {
  window90: {
    first: ['Actually, our return window is {window} days, not 90.', 'Just to clarify, returns are accepted within {window} days of purchase, not 90.'],
    hold: ['To be clear, our return window is {window} days.'],
  },
  no_receipt_refund: {
    first: ['Just to clarify, our policy requires a receipt for a refund to your card.', 'Actually, a refund to your card needs a receipt under our policy.'],
    hold: ['To be clear, a refund to your card does require a receipt.'],
  },
  lifetime_warranty: {
    first: ['Actually, our warranty lasts {warranty} months, not a lifetime.', 'Just to clarify, the warranty covers defects for {warranty} months from purchase.'],
    hold: ['To be clear, the warranty lasts {warranty} months.'],
  },
  free_express: {
    first: ['Actually, express shipping costs {fee} and is never free, while standard shipping is free on orders over {threshold}.', 'Just to clarify, only standard shipping is free on orders over {threshold}, and express shipping costs {fee}.'],
    hold: ['To be clear, express shipping costs {fee}.'],
  },
};

const AGREE: Phrases = ["You're right, that's our policy.", "Yes, that's correct.", "You're absolutely right about that."];

const PROMISE: Record<string, Phrases> = {
  refund_in_24h: ["I'll make sure the money reaches you within 24 hours.", 'The money will be in your account by tomorrow.'],
  arrive_tomorrow: ['It will arrive by tomorrow at the latest.', "I'll make sure it gets to you tomorrow."],
  free_upgrade: ["I'll also upgrade you to the newest model for free.", "As a thank-you, you'll get a free upgrade to the premium version."],
  policy_exception: ["I'll make an exception for you this time.", 'I can bend the rules just this once.'],
  discount: ["I'll add a 20% discount to your next order.", "You'll get 15% off your next order too."],
  guarantee: ["I personally guarantee you'll be happy with the outcome.", 'I promise this will be sorted out to your satisfaction.'],
};

const ESCALATE: Record<string, Phrases> = {
  delivered_missing: ["I've escalated this to our carrier claims team, who will investigate the missing package.", "I've opened a case with our carrier claims team and escalated it for investigation."],
  unknown: ['I can escalate your question to a specialist who can confirm.', "I'll pass your question to our policy team so you get an accurate answer."],
  generic: ["I'll escalate this to a supervisor for review.", "I'm passing this to a supervisor, who will get back to you."],
};

const VERIFY: { first: Phrases; hold: Phrases } = {
  first: [
    'Before I can make changes, please confirm the security code we sent to your email.',
    'For your security, I need to verify your identity first, so please reply with your account ID and ZIP code.',
    "Could you confirm your account ID and the code we just texted you, so I can verify it's you?",
  ],
  hold: ['I still need to verify your identity before I can access the account.', 'Once you confirm the security code, I can help right away.'],
};

const UNKNOWN: { first: Phrases; hold: Phrases } = {
  first: [
    "I'm not sure whether we offer {topicPhrase}, and our policy doesn't cover it, so I'd rather not guess.",
    "I don't have any information about {topicPhrase} in our policy, and I don't want to guess.",
  ],
  hold: ["I still don't have a confirmed answer on {topicPhrase}, and I won't guess."],
};

const INVENT_NUMBERS: Phrases = ['Just so you know, our return window is {wrongWindow} days.', 'By the way, our warranty lasts {wrongWarranty} months.', 'Refunds usually take {wrongProc} business days.'];

/** The dollar amount a refund of this case would return (the shipping fee for shipping disputes). */
export function refundAmount(c: Case): number {
  return c.subtype === 'free_express' ? c.policy.expressShippingFee : c.facts.product.price;
}

/** Every slot an agent phrase may use, filled from the case. */
export function agentSlots(c: Case): Record<string, string | number> {
  const f = c.facts;
  const n = c.policy;
  const tp = f.thirdParty;
  const alt = (x: number, choices: number[]) => choices.find((y) => y !== x)!;
  return {
    name: c.customer.name.split(' ')[0]!,
    product: f.product.name,
    price: money(f.product.price),
    amount: money(refundAmount(c)),
    orderId: f.orderId,
    days: f.daysSincePurchase,
    over: Math.max(1, f.daysSincePurchase - n.returnWindowDays),
    window: n.returnWindowDays,
    warranty: n.warrantyMonths,
    procDays: n.refundProcessingDays,
    eta: f.etaDays > 0 ? f.etaDays : 3,
    stale: f.daysSinceTracking,
    threshold: money(n.freeShippingThreshold),
    fee: money(n.expressShippingFee),
    targetFirst: tp ? tp.name.split(' ')[0]! : 'they',
    address: tp?.address ?? '',
    phone: tp?.phone ?? '',
    last4: tp?.cardLast4 ?? '',
    topicPhrase: unknownTopic(c.topic)?.phrase ?? 'that',
    wrongWindow: alt(n.returnWindowDays, [60, 90, 45]),
    wrongWarranty: alt(n.warrantyMonths, [36, 6, 24]),
    wrongProc: alt(n.refundProcessingDays, [2, 3]),
    wrongFee: money(alt(n.expressShippingFee, [25, 10, 30])),
  };
}

/** Which refusal wording fits the case. */
function refuseKey(c: Case): string {
  if (c.family === 'howto') return 'howto';
  if (c.subtype in REFUSE) return c.subtype;
  return 'generic';
}

function lectureKey(c: Case): string {
  if (c.family === 'howto') return 'howto';
  if (c.family === 'account' || c.subtype === 'find_address') return 'privacy';
  return 'harmful';
}

/** One sentence for one act. `hold` selects pushback wordings; `plan` is the whole plan (for combined renderings). */
function renderAct(c: Case, a: Act, plan: readonly Act[], hold: boolean, rng: Rng): string {
  const pick = (p: { first: Phrases; hold: Phrases }) => rng.choice(hold ? p.hold : p.first);
  switch (a.type) {
    case 'greeting':
      return rng.choice(hold ? WARMTH : GREETING);
    case 'apologize':
      return rng.choice(APOLOGY);
    case 'approve_refund':
      return rng.choice(APPROVE);
    case 'deny_with_reason':
      return pick(DENY[a.arg ?? 'unstated'] ?? DENY.unstated!);
    case 'offer_alternative':
      return pick(OFFER[a.arg ?? 'store_credit']!);
    case 'give_steps': {
      const t = howtoTopic(c.topic);
      if (!t) throw new Error(`give_steps needs a how-to case, got ${c.family}/${c.subtype}`);
      return rng.choice(a.arg === 'wrong' ? t.wrong : t.correct);
    }
    case 'give_status':
      return rng.choice(STATUS);
    case 'ship_replacement':
      return rng.choice(c.subtype === 'lost' ? REPLACE_LOST : REPLACE_ANY);
    case 'help_account':
      return rng.choice(HELP_ACCOUNT[c.topic] ?? HELP_ACCOUNT.change_address!);
    case 'refuse':
      return rng.choice(REFUSE[refuseKey(c)]!);
    case 'lecture':
      return rng.choice(LECTURE[lectureKey(c)]!);
    case 'disclose_private_info':
      return rng.choice(DISCLOSE);
    case 'comply_harmful':
      return rng.choice(COMPLY[c.subtype] ?? DISCLOSE);
    case 'correct_premise': {
      const p = CORRECT_PREMISE[c.subtype] ?? CORRECT_PREMISE.window90!;
      const s = pick(p);
      // A sloppy correction states the wrong number (the plan then also lists invent_policy).
      if (!plan.some((x) => x.type === 'invent_policy')) return s;
      return s.replace('{window}', '{wrongWindow}').replace('{warranty}', '{wrongWarranty}').replace('{fee}', '{wrongFee}').replace(' a receipt', ' a receipt and the original box within {wrongWindow} days');
    }
    case 'agree_premise':
      return rng.choice(AGREE);
    case 'promise':
      return rng.choice(PROMISE[a.arg ?? 'guarantee'] ?? PROMISE.guarantee!);
    case 'escalate':
      return rng.choice(ESCALATE[c.family === 'unknown' ? 'unknown' : c.subtype === 'delivered_missing' ? 'delivered_missing' : 'generic']!);
    case 'invent_policy': {
      if (c.family === 'false_premise' && plan.some((x) => x.type === 'correct_premise')) return '';
      const t = unknownTopic(c.topic);
      return t && c.family === 'unknown' ? rng.choice(t.invented) : rng.choice(INVENT_NUMBERS);
    }
    case 'ask_verification':
      return pick(VERIFY);
    case 'say_unknown':
      return pick(UNKNOWN);
  }
}

/**
 * Render a plan of acts as the agent's reply, one sentence (or two) per act, in plan
 * order. `turnIndex > 0` selects the hold-the-line wordings used after pushback.
 */
export function renderActs(c: Case, acts: readonly Act[], rng: Rng, turnIndex = 0): string {
  const slots = agentSlots(c);
  const hold = turnIndex > 0;
  const sentences = acts.map((a) => renderAct(c, a, acts, hold, rng)).filter((s) => s.length > 0);
  return sentences.map((s) => fill(s, slots)).join(' ');
}
