/**
 * `alignlab eval refusal`: score the offline refusal classifier against human labels in a CSV.
 *
 *   alignlab eval refusal --csv xstest_v2_completions_mistralinstruct.csv [--text-col completion] [--label-col final_label] [--prompt-col prompt] [--no-prompt] [--json]
 *
 * Each row's response text is classified (src/eval/refusal.ts) and compared with its gold label.
 * When the CSV has a prompt column (`--prompt-col`, default `prompt` if present), each response is
 * classified together with its prompt, so that a reply that only gives advice or alternatives
 * instead of what was asked counts as a refusal; `--no-prompt` classifies the text alone (the
 * classifier's behaviour before prompts were read). The result says which was done
 * (`promptsUsed`, `promptCol`).
 * Labels may be XSTest's `1_full_compliance` / `2_full_refusal` / `3_partial_refusal` or the plain
 * names. The result has three-class accuracy, binary agreement (refusal = full or partial, vs
 * compliance), per-class precision/recall/F1, the confusion matrix `confusion[gold][pred]`, and the
 * raw label values seen.
 */
import { readCsv } from '../util/csv.js';
import { REFUSAL_LABELS, classifyRefusal, evaluateRefusal, normalizeRefusalLabel, type RefusalEvaluation, type RefusalLabel } from '../eval/refusal.js';
import { UsageError, type Command } from './types.js';

const TEXT_COLUMNS = ['completion', 'response'];
const LABEL_COLUMNS = ['final_label', 'label'];
const PROMPT_COLUMN = 'prompt';

export interface RefusalCsvResult extends RefusalEvaluation {
  /** Distinct raw values of the label column, sorted. */
  labelsSeen: string[];
  textCol: string;
  labelCol: string;
  /** The column the prompts were read from, or null when responses were classified alone. */
  promptCol: string | null;
  /** True when each response was classified with its prompt. */
  promptsUsed: boolean;
}

/** Pick the requested column, or the first candidate present; the error names the CSV and its columns. */
function pickColumn(csv: string, header: string[], requested: string | undefined, candidates: string[], what: string, flag: string): string {
  if (requested !== undefined && requested !== '') {
    if (header.includes(requested)) return requested;
    throw new UsageError(`${csv}: no ${what} column "${requested}" (columns present: ${header.join(', ')})`);
  }
  const found = candidates.find((c) => header.includes(c));
  if (found === undefined) {
    throw new UsageError(`${csv}: cannot find a ${what} column (looked for ${candidates.join(' or ')}; columns present: ${header.join(', ')}); name it with --${flag}`);
  }
  return found;
}

/**
 * Classify every row of a labelled CSV and compare with the gold labels. Prompts are read from
 * `promptCol` (an error if the CSV lacks it), else from a `prompt` column when there is one, unless
 * `usePrompt` is false.
 */
export function evaluateRefusalCsv(csv: string, options: { textCol?: string; labelCol?: string; promptCol?: string; usePrompt?: boolean } = {}): RefusalCsvResult {
  const table = readCsv(csv);
  const textCol = pickColumn(csv, table.header, options.textCol, TEXT_COLUMNS, 'text', 'text-col');
  const labelCol = pickColumn(csv, table.header, options.labelCol, LABEL_COLUMNS, 'label', 'label-col');
  let promptCol: string | null = null;
  if (options.usePrompt !== false) {
    if (options.promptCol !== undefined && options.promptCol !== '') promptCol = pickColumn(csv, table.header, options.promptCol, [], 'prompt', 'prompt-col');
    else if (table.header.includes(PROMPT_COLUMN)) promptCol = PROMPT_COLUMN;
  }
  const gold: RefusalLabel[] = [];
  const pred: RefusalLabel[] = [];
  const seen = new Set<string>();
  table.rows.forEach((row, k) => {
    const raw = row[labelCol]!;
    seen.add(raw);
    const label = normalizeRefusalLabel(raw);
    if (label === undefined) {
      throw new UsageError(`${csv}:${table.lines[k]}: unknown label ${JSON.stringify(raw)} in column "${labelCol}" (expected one of ${REFUSAL_LABELS.join(', ')}, optionally prefixed like 1_full_compliance)`);
    }
    gold.push(label);
    pred.push((promptCol === null ? classifyRefusal(row[textCol]!) : classifyRefusal(row[textCol]!, { prompt: row[promptCol]! })).label);
  });
  return { ...evaluateRefusal(gold, pred), labelsSeen: [...seen].sort(), textCol, labelCol, promptCol, promptsUsed: promptCol !== null };
}

/** A small plain-text report: headline figures, per-class table, confusion matrix. */
function report(r: RefusalCsvResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const w = Math.max(...REFUSAL_LABELS.map((l) => l.length)) + 2;
  const lines = [
    `n=${r.n}  accuracy=${pct(r.accuracy)}  binary agreement (refusal vs not)=${pct(r.binaryAgreement)}`,
    r.promptsUsed ? `responses classified with their prompts (column "${r.promptCol}")` : 'responses classified alone (no prompts)',
    '',
    `${'class'.padEnd(w)}precision  recall     f1  support`,
    ...REFUSAL_LABELS.map((l) => {
      const m = r.perClass[l];
      return `${l.padEnd(w)}${m.precision.toFixed(3).padStart(9)}${m.recall.toFixed(3).padStart(8)}${m.f1.toFixed(3).padStart(7)}${String(m.support).padStart(9)}`;
    }),
    '',
    `${'gold \\ pred'.padEnd(w)}${REFUSAL_LABELS.map((l) => l.padStart(w)).join('')}`,
    ...REFUSAL_LABELS.map((g) => `${g.padEnd(w)}${REFUSAL_LABELS.map((p) => String(r.confusion[g][p]).padStart(w)).join('')}`),
  ];
  return lines.join('\n');
}

const evalRefusal: Command = {
  path: ['eval', 'refusal'],
  summary: 'score the offline refusal classifier against labelled responses in a CSV (e.g. XSTest)',
  options: {
    csv: { type: 'string', required: true, describe: 'CSV file with a response column and a gold label column' },
    'text-col': { type: 'string', describe: 'column with the response text (default: completion or response, whichever exists)' },
    'label-col': { type: 'string', describe: 'column with the gold label (default: final_label or label, whichever exists)' },
    'prompt-col': { type: 'string', describe: 'column with the prompt each response answers (default: prompt, if the CSV has it)' },
    'no-prompt': { type: 'boolean', default: false, describe: 'classify the responses alone, ignoring any prompt column' },
  },
  async run(opts, _positionals, ctx) {
    const csv = String(opts.csv);
    if (opts['no-prompt'] === true && opts['prompt-col'] !== undefined) throw new UsageError('eval refusal: give --prompt-col or --no-prompt, not both');
    ctx.log(`eval refusal: classifying ${csv}`);
    const result = evaluateRefusalCsv(csv, {
      textCol: opts['text-col'] === undefined ? undefined : String(opts['text-col']),
      labelCol: opts['label-col'] === undefined ? undefined : String(opts['label-col']),
      promptCol: opts['prompt-col'] === undefined ? undefined : String(opts['prompt-col']),
      usePrompt: opts['no-prompt'] !== true,
    });
    ctx.print(report(result));
    return { ...result };
  },
};

export default [evalRefusal];
