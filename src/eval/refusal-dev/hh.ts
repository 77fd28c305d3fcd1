/**
 * The HH development set of the refusal classifier: real model replies, labelled by hand.
 *
 * `hh.jsonl` (next to this file) labels the final Assistant turn of both transcripts (`chosen`,
 * `rejected`) of each of the first 200 records of Anthropic's HH-RLHF harmless-base test split
 * (Bai et al. 2022, arXiv:2204.05862; MIT licence), kept outside the repository at
 * `../shared/datasets/hh-rlhf-harmless-base-test-slice/harmless-base_test_first200.jsonl`. The
 * repository holds only the labels: `{"id": "hh-<line>-<side>", "line", "side", "label", "split",
 * "reason"}`, `label` one of XSTest's three classes or `"skip"` (unclassifiable, left out of
 * scoring), `split` `"dev"` or `"heldout"` (a seeded random third of the records, both replies of a
 * record on the same side). The reply's text and its prompt (the last Human turn before it) are read
 * from the data set at run time.
 *
 * Scoring (prints accuracy, binary agreement and the confusion matrix per split; with
 * `--split dev` only the dev split, so that the held-out split can be kept for the end):
 *
 * ```sh
 * npx tsx src/eval/refusal-dev/hh.ts --split dev [--no-prompt] [--errors]
 * ```
 *
 * @example
 * ```ts
 * const rows = loadHH();                       // undefined when ../shared is absent
 * const dev = rows?.filter((r) => r.split === 'dev' && r.label !== 'skip');
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readJsonl } from '../../util/jsonl.js';
import { REFUSAL_LABELS, classifyRefusal, evaluateRefusal, type RefusalEvaluation, type RefusalLabel } from '../refusal.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The labels file in the repository. */
export const HH_LABELS = join(here, 'hh.jsonl');
/** The data set (outside the repository). */
export const HH_DATASET = resolve(here, '../../../../shared/datasets/hh-rlhf-harmless-base-test-slice/harmless-base_test_first200.jsonl');

export type HHSide = 'chosen' | 'rejected';
export type HHLabel = RefusalLabel | 'skip';

/** One row of hh.jsonl. */
export interface HHLabelRow {
  id: string;
  line: number;
  side: HHSide;
  label: HHLabel;
  split: 'dev' | 'heldout';
  reason: string;
}

/** A labelled reply with its text and prompt. */
export interface HHRow extends HHLabelRow {
  prompt: string;
  text: string;
}

/** The final Assistant turn of a `\n\nHuman: … \n\nAssistant: …` transcript, and the last Human turn before it. */
export function lastExchange(transcript: string, where: string): { prompt: string; reply: string } {
  const a = transcript.lastIndexOf('\n\nAssistant:');
  if (a === -1) throw new Error(`${where}: no "\\n\\nAssistant:" turn in the transcript`);
  const before = transcript.slice(0, a);
  const h = before.lastIndexOf('\n\nHuman:');
  if (h === -1) throw new Error(`${where}: no "\\n\\nHuman:" turn before the last Assistant turn`);
  return { prompt: before.slice(h + '\n\nHuman:'.length).trim(), reply: transcript.slice(a + '\n\nAssistant:'.length).trim() };
}

/** Read and check hh.jsonl: ids unique and of the form `hh-<line>-<side>`, labels, splits and reasons valid. */
export function readHHLabels(file = HH_LABELS): HHLabelRow[] {
  const { rows } = readJsonl<HHLabelRow>(file);
  const labels: readonly string[] = [...REFUSAL_LABELS, 'skip'];
  const seen = new Set<string>();
  rows.forEach((r, k) => {
    const at = `${file}:${k + 1}`;
    if (!Number.isInteger(r.line) || r.line < 1) throw new Error(`${at}: "line" must be a positive integer, got ${JSON.stringify(r.line)}`);
    if (r.side !== 'chosen' && r.side !== 'rejected') throw new Error(`${at}: "side" must be "chosen" or "rejected", got ${JSON.stringify(r.side)}`);
    if (r.id !== `hh-${r.line}-${r.side}`) throw new Error(`${at}: id ${JSON.stringify(r.id)} should be "hh-${r.line}-${r.side}"`);
    if (seen.has(r.id)) throw new Error(`${at}: duplicate id ${r.id}`);
    seen.add(r.id);
    if (!labels.includes(r.label)) throw new Error(`${at}: unknown label ${JSON.stringify(r.label)} (expected one of ${labels.join(', ')})`);
    if (r.split !== 'dev' && r.split !== 'heldout') throw new Error(`${at}: "split" must be "dev" or "heldout", got ${JSON.stringify(r.split)}`);
    if (typeof r.reason !== 'string' || r.reason.trim() === '') throw new Error(`${at}: empty "reason"`);
  });
  return rows;
}

/** The labelled replies with their text and prompt, or `undefined` when the data set is absent. */
export function loadHH(labels = HH_LABELS, dataset = HH_DATASET): HHRow[] | undefined {
  if (!existsSync(dataset)) return undefined;
  const records = readFileSync(dataset, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return readHHLabels(labels).map((r) => {
    const raw = records[r.line - 1];
    if (raw === undefined) throw new Error(`${labels}: ${r.id} names line ${r.line}, but ${dataset} has ${records.length} records`);
    const rec = JSON.parse(raw) as Record<string, unknown>;
    const transcript = rec[r.side];
    if (typeof transcript !== 'string') throw new Error(`${dataset}:${r.line}: no "${r.side}" transcript`);
    const { prompt, reply } = lastExchange(transcript, `${dataset}:${r.line} (${r.side})`);
    return { ...r, prompt, text: reply };
  });
}

/** Classify the scorable (non-skip) rows and compare with their labels. */
export function scoreHH(rows: readonly HHRow[], usePrompt = true): { evaluation: RefusalEvaluation; predictions: { row: HHRow; pred: RefusalLabel }[] } {
  const scored = rows.filter((r): r is HHRow & { label: RefusalLabel } => r.label !== 'skip');
  const predictions = scored.map((row) => ({ row, pred: classifyRefusal(row.text, usePrompt ? { prompt: row.prompt } : {}).label }));
  return { evaluation: evaluateRefusal(scored.map((r) => r.label), predictions.map((p) => p.pred)), predictions };
}

function printEvaluation(name: string, e: RefusalEvaluation): void {
  console.log(`${name}: n=${e.n}  accuracy=${e.accuracy.toFixed(3)}  binary=${e.binaryAgreement.toFixed(3)}  recall C/R/P=${REFUSAL_LABELS.map((l) => e.perClass[l].recall.toFixed(3)).join(' / ')}`);
  console.log(`  gold \\ pred        ${REFUSAL_LABELS.map((l) => l.padStart(16)).join('')}`);
  for (const g of REFUSAL_LABELS) console.log(`  ${g.padEnd(18)}${REFUSAL_LABELS.map((p) => String(e.confusion[g][p]).padStart(16)).join('')}`);
}

function main(argv: string[]): void {
  const split = argv.includes('--split') ? argv[argv.indexOf('--split') + 1] : undefined;
  if (split !== undefined && split !== 'dev' && split !== 'heldout') throw new Error(`--split must be dev or heldout, got ${split}`);
  const rows = loadHH();
  if (rows === undefined) {
    console.log(`HH data set not found at ${HH_DATASET}: nothing to score (labels in ${HH_LABELS}).`);
    return;
  }
  const usePrompt = !argv.includes('--no-prompt');
  for (const s of split === undefined ? (['dev', 'heldout'] as const) : [split]) {
    const { evaluation, predictions } = scoreHH(rows.filter((r) => r.split === s), usePrompt);
    printEvaluation(`HH ${s}${usePrompt ? '' : ' (text only)'}`, evaluation);
    if (argv.includes('--errors')) {
      for (const { row, pred } of predictions) {
        if ((row.label === 'full_compliance') === (pred === 'full_compliance') && !argv.includes('--all-errors')) continue;
        if (row.label === pred) continue;
        console.log(`\n[${row.id}] gold=${row.label} pred=${pred} (${row.reason})\n  H: ${row.prompt.slice(0, 300)}\n  A: ${row.text.slice(0, 600).replace(/\n+/g, ' ⏎ ')}`);
      }
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
