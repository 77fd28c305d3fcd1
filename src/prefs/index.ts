/**
 * Preference data: TRL's paired and unpaired JSONL formats, the HH-RLHF importer, and
 * collection in the HelpDesk world with simulated raters.
 */
export {
  contentText,
  formatFieldError,
  isPaired,
  readPreferences,
  toUnpaired,
  validateRow,
  writePreferences,
  type Content,
  type FieldError,
  type PreferenceFile,
  type PreferencePair,
  type PreferenceRow,
  type ReadPreferencesOptions,
  type UnpairedPreference,
} from './format.js';
export { HH_ASSISTANT, HH_HUMAN, hhRecordToPair, importHh, parseHhTurns, splitHhTranscript, type HhSplit, type ImportHhOptions, type ImportHhResult } from './hh.js';
export { casePrompt, choosePairs, collectPreferences, type CollectConfig, type CollectedPair, type Pairing } from './collect.js';
export {
  labelsToPairs,
  LabelsError,
  readLabels,
  sampleComparisons,
  validateLabel,
  writeComparisons,
  type ComparisonTask,
  type HiddenScores,
  type LabelDefaults,
  type LabeledComparison,
  type LabeledPair,
  type LabelsFile,
  type Preference,
  type ReadLabelsOptions,
  type SampleConfig,
} from './labels.js';
export { agreement, goldAgreement, preferenceStats, wordCount, type Agreement, type PreferenceStats } from './stats.js';
