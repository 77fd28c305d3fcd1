/**
 * Run reports: everything a run directory holds, turned into a page a newcomer can read.
 *
 * `writeReport(runDir)` reads `results.json`, `samples.jsonl` and the training `metrics.jsonl`
 * files, computes the numbers (bootstrap intervals, per-family breakdown, Pareto planes,
 * Goodhart curves when present, example dialogues) and writes, each atomically, into the run
 * directory:
 *
 * - `report.html`: one self-contained page (inline CSS and SVG; no scripts, fonts, images or
 *   outside links), readable offline;
 * - `report.md`: the same numbers as Markdown;
 * - `report.json`: the numbers themselves (`RunReport`; NaN, e.g. an unknown bound, is null).
 *
 * @example
 * ```ts
 * const { html, markdown, json, report } = writeReport('runs/latest');
 * report.settings[0].gold;   // { estimate: 0.833, lo: 0.81, hi: 0.85, n: 370, B: 1000, level: 0.95 }
 * ```
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { computeReport, type ReportOptions, type RunReport } from './compute.js';
import { renderHtml } from './html.js';
import { loadRunDir } from './load.js';
import { renderMarkdown } from './markdown.js';

export { computeReport, readOveropt, type CurveReport, type ExampleDialogue, type GroupReport, type OveroptReport, type ParetoEntry, type ReportOptions, type RunReport, type SettingReport } from './compute.js';
export { loadEvalSource, loadRunDir, readSamples, type ComparisonSpec, type LoadedRun, type LoadedSetting, type StoredSample } from './load.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { combineSvg, intervalPlot, linePlot, paretoPlot } from './svg.js';
export { planePlots } from './planes.js';
export { compareSettings, computeComparisons, verdictOf, type ComparisonReport, type ComparisonRow, type Direction, type Verdict } from './compare.js';
export { escapeHtml } from './escape.js';

export interface WrittenReport {
  html: string;
  markdown: string;
  json: string;
  report: RunReport;
}

/** Compute the report of a run directory and write report.html, report.md and report.json into it. */
export function writeReport(runDir: string, opts: ReportOptions = {}): WrittenReport {
  const report = computeReport(loadRunDir(runDir), opts);
  // Render everything before touching a file, so a failure leaves the old reports whole.
  const html = renderHtml(report);
  const md = renderMarkdown(report);
  const json = JSON.stringify(report, null, 2) + '\n';
  const files = { html: path.join(runDir, 'report.html'), markdown: path.join(runDir, 'report.md'), json: path.join(runDir, 'report.json') };
  writeFileAtomic(files.json, json);
  writeFileAtomic(files.markdown, md);
  writeFileAtomic(files.html, html);
  return { ...files, report };
}
