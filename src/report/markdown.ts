/**
 * report.md: the numbers of report.html as a Markdown summary (for a terminal, a pull request
 * or a notebook): the definitions, the model comparisons (when results.json asks for them),
 * the training curve's endpoints, the metrics table with
 * intervals, the tables by request family and by distribution shift, both Pareto planes, the Goodhart numbers when present, and
 * the example dialogues as text blocks.
 */
import { FAILURES } from '../eval/world.js';
import { COMPONENT_TEXT, FAILURE_TEXT, GOLD_TEXT, PARSE_TEXT, PROXY_TEXT, SHIFT_TEXT, fmtMean, fmtRate, num, pct } from './text.js';
import { type ExampleDialogue, type GroupReport, type RunReport } from './compute.js';
import { comparisonCells, comparisonScope } from './compare.js';

/** Text safe inside a Markdown table cell. */
const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** A fenced text block whose fence is longer than any backtick run inside. */
function fenced(text: string): string[] {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [fence + 'text', text, fence];
}

function example(e: ExampleDialogue): string[] {
  const lines = e.messages.filter((m) => m.role !== 'system').map((m) => `[${m.role === 'user' ? 'customer' : m.role}] ${m.content}`);
  lines.push(`[assistant ▸ scored] ${e.response}`);
  lines.push(`    acts: ${e.acts.join(', ') || '(none: unparsed)'}`);
  lines.push(`    gold ${num(e.gold)} (${Object.entries(e.goldComponents).map(([k, v]) => `${COMPONENT_TEXT[k]?.label ?? k} ${num(v, 2)}`).join(', ')})  proxy ${num(e.proxy)}  flagged: ${e.failures.map((f) => FAILURE_TEXT[f].label).join(', ')}`);
  return [`${e.setting} · ${e.family}/${e.subtype} · case ${e.caseId} · turn ${e.turn + 1}`, '', ...fenced(lines.join('\n')), ''];
}

/** One breakdown of one setting as a table: a row per group, gold and every failure rate with intervals. */
function groupTable(groups: Record<string, GroupReport>, what: string): string[] {
  return table(
    [what, 'cases / replies', 'gold', 'proxy', ...FAILURES.map((f) => FAILURE_TEXT[f].label)],
    Object.entries(groups).map(([g, v]) => [g, `${v.cases ?? '—'} / ${v.replies}`, fmtMean(v.gold), num(v.proxy.estimate), ...FAILURES.map((f) => (v.rates[f] && v.rates[f]!.of > 0 ? fmtRate(v.rates[f]!) : '—'))]),
  );
}

/** The whole Markdown document. */
export function renderMarkdown(r: RunReport): string {
  const S = r.settings;
  const level = `${Math.round(r.bootstrap.level * 100)} %`;
  const out: string[] = [`# alignlab run report: ${r.run.label}`, ''];
  const meta = [r.run.profile && `profile ${r.run.profile}`, r.run.seed !== undefined && `seed ${r.run.seed}`, r.run.seconds !== undefined && `${Math.round(r.run.seconds)} s`, r.run.host && `on ${r.run.host}`].filter(Boolean);
  if (meta.length) out.push(meta.join(' · '), '');

  out.push('## How to read this report', '');
  out.push(`- **${GOLD_TEXT.label}**: ${GOLD_TEXT.text}`, `- **${PROXY_TEXT.label}**: ${PROXY_TEXT.text}`, `- **${PARSE_TEXT.label}**: ${PARSE_TEXT.text}`);
  for (const f of FAILURES) out.push(`- **${FAILURE_TEXT[f].label}** rate: ${FAILURE_TEXT[f].text} Over ${FAILURE_TEXT[f].of}.`);
  out.push(`- **[lo, hi]**: ${level} percentile-bootstrap intervals over replies (B = ${r.bootstrap.B}, seed ${r.bootstrap.seed}). Zero width (0 of n, n of n) means no variation was seen.`, '');

  if (r.comparisons.length) {
    out.push('## Model comparison', '');
    out.push(
      `Paired by (case, turn): each reply of a against b's reply to the same turn of the same case. Difference a − b with its ${level} paired bootstrap interval (cases resampled). ` +
        'Verdict for a against b: "better"/"worse" only when the interval excludes 0; the proxy has no better direction and reads "higher"/"lower". Rate differences are in percentage points (pp).',
      '',
    );
    for (const c of r.comparisons) {
      out.push(`### ${c.name}`, '', comparisonScope(c), '');
      out.push(...table(['metric', `${c.a} (a)`, `${c.b} (b)`, `difference a − b [${level}]`, 'verdict'], c.rows.map((row) => comparisonCells(row))), '');
    }
  }

  out.push('## Training curve', '');
  if (r.training.length === 0) out.push('No training metrics found.', '');
  for (const c of r.training) out.push(`- ${c.name === '.' ? 'this run' : `\`${c.name}/\``}: ${c.points} logged steps (${c.firstStep}–${c.lastStep}), loss ${num(c.firstLoss)} → ${num(c.finalLoss)} (lowest ${num(c.minLoss)})`);
  if (r.training.length) out.push('');

  out.push('## World metrics', '');
  const comps = [...new Set(S.flatMap((s) => Object.keys(s.goldComponents)))];
  const rows: string[][] = [
    ['cases / replies', ...S.map((s) => `${s.cases} / ${s.replies}`)],
    ['gold', ...S.map((s) => fmtMean(s.gold))],
    ...comps.map((k) => [`gold: ${COMPONENT_TEXT[k]?.label ?? k}`, ...S.map((s) => (s.goldComponents[k] ? fmtMean(s.goldComponents[k]!) : '—'))]),
    ['proxy', ...S.map((s) => fmtMean(s.proxy))],
    ['parsed', ...S.map((s) => fmtRate(s.parseRate))],
    ...FAILURES.map((f) => [FAILURE_TEXT[f].label, ...S.map((s) => fmtRate(s.rates[f]))]),
  ];
  out.push(...table(['metric', ...S.map((s) => s.name)], rows), '');

  const note = 'Rates: percent [interval] (hits/possible), over the replies of the group where the failure could happen; "—" = not possible in that group (or not recorded).';
  out.push('## By request family', '', note, '');
  for (const s of S) {
    out.push(`### ${s.name}`, '');
    if (!Object.keys(s.byFamily).length) out.push('No per-family numbers.', '');
    else out.push(...groupTable(s.byFamily, 'family'), '');
  }

  out.push('## By distribution shift', '');
  const multi = S.filter((s) => Object.keys(s.byShift).length > 1);
  const presets = [...new Set(S.flatMap((s) => Object.keys(s.byShift)))];
  out.push('A distribution shift draws the test cases differently from the training data. The presets in this run:', '', ...presets.map((p) => `- **${p}**: ${SHIFT_TEXT[p] ?? 'a shift this report does not describe'}`), '');
  if (multi.length) out.push("Each table is one setting whose cases were spread over several presets; a row holds the replies to that preset's cases. Compare a row with the same model and temperature without shift (World metrics). " + note, '');
  for (const s of multi) out.push(`### ${s.name}`, '', ...groupTable(s.byShift, 'shift'), '');
  const single = S.filter((s) => Object.keys(s.byShift).length === 1);
  const unknown = S.filter((s) => Object.keys(s.byShift).length === 0);
  if (single.length) out.push(`Evaluated under one distribution only (numbers as under World metrics): ${single.map((s) => `${s.name} (${Object.keys(s.byShift)[0]})`).join(', ')}.`, '');
  if (unknown.length) out.push(`No per-shift numbers (results.json written before the per-shift breakdown, without samples.jsonl): ${unknown.map((s) => s.name).join(', ')}.`, '');

  out.push('## Pareto view', '', 'A setting is on a frontier when no other setting is at least as good on both axes and better on one.', '');
  out.push(
    ...table(
      ['setting', 'over-refusal', 'harmful compliance', 'frontier (refusal/compliance)', 'helpfulness', 'harmlessness', 'frontier (helpful/harmless)'],
      r.pareto.map((p) => [p.name, pct(p.overRefusal), pct(p.harmfulCompliance), p.pareto.refusalCompliance ? 'yes' : 'no', num(p.helpfulness), num(p.harmlessness), p.pareto.helpfulHarmless ? 'yes' : 'no']),
    ),
    '',
  );

  if (r.overopt) {
    out.push('## Goodhart (overoptimization)', '');
    out.push(...table(['curve', r.overopt.xKey, 'proxy', 'gold'], r.overopt.curves.flatMap((c) => c.points.map((p) => [c.name, num(p[0]), num(p[1]), num(p[2])]))), '');
  }

  out.push('## Example dialogues', '');
  for (const f of FAILURES) {
    out.push(`### ${FAILURE_TEXT[f].label}`, '');
    const xs = r.examples[f] ?? [];
    if (!xs.length) out.push('No reply in this run was flagged with this failure.', '');
    for (const e of xs) out.push(...example(e));
  }

  if (r.warnings.length) out.push('## Warnings', '', ...r.warnings.map((w) => `- ${w}`), '');
  return out.join('\n');
}
