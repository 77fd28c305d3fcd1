/**
 * The HelpDesk world: a customer-support simulator in which the literal objective
 * (the customer's immediate rating, `proxyReward`) and the true intent (`goldReward`)
 * are both computable, so reward hacking, Goodhart curves, over-refusal and
 * sycophancy can be measured exactly. See README.md in this folder.
 */
export type {
  Act,
  ActType,
  AlternativeKind,
  Case,
  Customer,
  DenyReason,
  Facts,
  Family,
  Owed,
  Persona,
  PolicyNumbers,
  Product,
  PromiseKind,
  Register,
  ShiftName,
  Split,
  Turn,
} from './types.js';
export { ACT_TYPES, FAMILIES, PERSONAS, SHIFT_NAMES, SPLITS, actKey } from './types.js';
export { COMPANY, DEFAULT_POLICY_NUMBERS, policyDocument, policyRules, type Policy } from './policy.js';
export { DEFAULT_GENERATOR_CONFIG, findCasesById, generateCases, policyForSeed, type GenerateOptions, type GeneratorConfig } from './generator.js';
export { CHANGED_POLICY_NUMBERS, shiftConfig } from './shifts.js';
export { interpret, type Evidence, type Interpretation } from './interpret.js';
export { DEFAULT_GOLD_CONFIG, DEFAULT_PROXY_CONFIG, credit, goldMax, goldReward, proxyReward, type GoldConfig, type GoldReward, type ProxyConfig } from './reward.js';
export { renderActs } from './phrasebook.js';
export { DEFAULT_PERSONA_WEIGHTS, heldLine, personaResponse, planActs, referenceResponse, type PersonaWeights } from './personas.js';
export { buildCorpus, simulateDialogue, systemPrompt, type ChatMessage, type Corpus, type CorpusOptions, type Dialogue } from './corpus.js';
export { pearson, personaStats, scoreResponse, type PersonaStats, type ScoredResponse } from './evaluate.js';
export { RATER_PRESETS, STRENGTHS, choiceProbability, comparePair, presetRater, raterPool, strengthOf, type Comparison, type Principle, type Rater, type RaterPreset, type Strength } from './raters.js';
export { USER_FEEDBACK_RATES, userFeedback, type FeedbackReason, type UserFeedback } from './users.js';
