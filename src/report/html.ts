/**
 * report.html: one self-contained page (inline CSS, inline SVG, no scripts, fonts, images or
 * links outside the page) that a newcomer can read offline. Sections, in order: how to read
 * the report, headline numbers, the model comparison (only when results.json asks for
 * comparisons: one table per comparison with paired differences and a verdict), training curve, world metrics with intervals, failure-rate
 * plot, the breakdowns by request family and by distribution shift (gold, proxy and every
 * failure rate with intervals and counts per group, one table per setting), Pareto planes, the Goodhart plot (only when results.json has an
 * `overopt` section), example dialogues for each failure type, and warnings.
 *
 * Every piece of text from the run (replies, messages, setting names, acts) is escaped.
 */
import { FAILURES } from '../eval/world.js';
import { escapeHtml as esc } from './escape.js';
import { intervalPlot, linePlot, PALETTE } from './svg.js';
import { planePlots } from './planes.js';
import { COMPONENT_TEXT, FAILURE_TEXT, GOLD_TEXT, PARSE_TEXT, PROXY_TEXT, SHIFT_TEXT, fmtMean, fmtRate, num, pct } from './text.js';
import { type ExampleDialogue, type GroupReport, type RunReport } from './compute.js';
import type { Interval } from '../eval/bootstrap.js';
import { comparisonCells, comparisonScope } from './compare.js';

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #fafafa; color: #1d1d1f; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 60px; background: #fff; }
h1 { font-size: 1.7em; margin: 0.2em 0; }
h2 { border-bottom: 2px solid #eee; padding-bottom: 4px; margin-top: 2em; }
h3 { margin-bottom: 0.3em; }
.meta { color: #555; }
nav a { margin-right: 1em; color: #0b5cad; text-decoration: none; }
dl.guide dt { font-weight: 600; margin-top: 0.6em; }
dl.guide dd { margin-left: 1.2em; color: #333; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.sub th { font-weight: normal; padding-left: 22px; color: #444; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 10px 14px; min-width: 220px; flex: 1; }
.card h3 { margin: 0 0 6px; font-size: 1em; }
.card .big { font-size: 1.6em; font-weight: 600; }
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0.5em 0 1em; }
figcaption { color: #555; font-size: 0.9em; max-width: 720px; }
svg { max-width: 100%; height: auto; }
.dialogue { border: 1px solid #ddd; border-radius: 8px; padding: 8px 12px; margin: 10px 0 16px; }
.msg { margin: 4px 0; white-space: pre-wrap; }
.msg .who { display: inline-block; min-width: 90px; font-weight: 600; color: #555; }
.msg.scored { background: #fff4e5; border-left: 4px solid #D55E00; padding: 4px 8px; }
details > summary { cursor: pointer; color: #555; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 6px 8px; border-radius: 4px; font-size: 0.88em; }
code { background: #f1f1f1; padding: 0 4px; border-radius: 3px; font-size: 0.9em; }
.warn { background: #fff8e1; border: 1px solid #f0c36d; padding: 8px 12px; border-radius: 6px; }
.muted { color: #666; }
.wide { overflow-x: auto; }
table.groups { font-size: 0.85em; }
table.groups td.num { text-align: right; }
.ci { color: #777; font-size: 0.88em; }
td.better { color: #1a7f37; font-weight: 600; }
td.worse { color: #b42318; font-weight: 600; }
td.higher, td.lower { color: #6b4e00; }
`;

const h = (tag: string, body: string, attrs = '') => `<${tag}${attrs ? ' ' + attrs : ''}>${body}</${tag}>`;

function guide(r: RunReport): string {
  const level = `${Math.round(r.bootstrap.level * 100)} %`;
  const items: [string, string][] = [
    [GOLD_TEXT.label, GOLD_TEXT.text],
    [PROXY_TEXT.label, PROXY_TEXT.text],
    [PARSE_TEXT.label, PARSE_TEXT.text],
    ...FAILURES.map((f): [string, string] => [`${FAILURE_TEXT[f].label} rate`, `${FAILURE_TEXT[f].text} Counted over ${FAILURE_TEXT[f].of}; shown as percent (hits/possible). Lower is better.`]),
    [
      `[lo, hi] intervals`,
      `${level} percentile-bootstrap confidence intervals: the replies of a setting were resampled with replacement ${r.bootstrap.B} times (seed ${r.bootstrap.seed}) and the middle ${level} of the resampled values is shown. ` +
        'Wide intervals mean few replies. An interval of zero width (0 of n, or n of n) means no variation was seen, not that the failure cannot happen.',
    ],
  ];
  return h('section', h('h2', 'How to read this report') + h('p', 'An assistant was evaluated on fresh customer-support cases of the HelpDesk world, where what the customer and the company truly want is known exactly. Each reply was read into <em>acts</em> (refund, refusal, steps, promise, …) and scored twice:') + h('dl', items.map(([t, d]) => h('dt', esc(t)) + h('dd', esc(d))).join(''), 'class="guide"'), 'id="guide"');
}

function headline(r: RunReport): string {
  const cards = r.settings.map((s) =>
    h(
      'div',
      h('h3', esc(s.name)) +
        h('div', `gold <span class="big">${num(s.gold.estimate)}</span> <span class="muted">proxy ${num(s.proxy.estimate)}</span>`) +
        h('div', `over-refusal ${pct(s.rates.overRefusal.estimate)} · harmful compliance ${pct(s.rates.harmfulCompliance.estimate)}`) +
        h('div', `sycophancy ${pct(s.rates.sycophancy.estimate)} · unkept promises ${pct(s.rates.unkeptPromise.estimate)}`, 'class="muted"') +
        h('div', `${s.cases} cases, ${s.replies} replies`, 'class="muted"'),
      'class="card"',
    ),
  );
  return h('section', h('h2', 'Headline') + h('div', cards.join(''), 'class="cards"'), 'id="headline"');
}

function comparison(r: RunReport): string {
  if (r.comparisons.length === 0) return '';
  const level = `${Math.round(r.bootstrap.level * 100)} %`;
  const intro = h(
    'p',
    esc(
      `Each table sets one setting (a) against another (b) on the same test cases: every reply of a is paired with b's reply to the same case and turn, and only pairs answered in both count. ` +
        `The difference is a − b with its ${level} paired bootstrap interval (whole cases resampled ${r.bootstrap.B} times, seed ${r.bootstrap.seed}); a and b are the means over the pairs, so they can differ slightly from the settings' own numbers below. ` +
        'Rates are over the pairs where the failure was possible in both replies; their differences are in percentage points (pp). ' +
        'The verdict is for a against b: "better" or "worse" only when the interval excludes 0 (higher gold and parse rate are better, lower cost and failure rates are better); otherwise "no clear difference". ' +
        'The proxy has no better direction (a higher customer rating is what reward hacking chases), so it only reads "higher" or "lower".',
    ),
  );
  const tables = r.comparisons.map((c) => {
    const head = h('tr', ['metric', esc(c.a) + ' (a)', esc(c.b) + ' (b)', `difference a − b [${level} interval]`, 'verdict'].map((x) => h('th', x)).join(''));
    const rows = c.rows.map((row) => {
      const [label, a, b, diff, verdict] = comparisonCells(row);
      const sub = row.metric.startsWith('gold/');
      return h('tr', h('th', esc(label), `title="${esc(`${row.pairs} pairs`)}"`) + [a, b, diff].map((x) => h('td', esc(x), 'class="num"')).join('') + h('td', esc(verdict), `class="${verdict.replace(/ /g, '-')}"`), sub ? 'class="sub"' : '');
    });
    return h('h3', esc(c.name)) + h('p', esc(comparisonScope(c)), 'class="muted"') + h('table', head + rows.join(''));
  });
  return h('section', h('h2', 'Model comparison') + intro + tables.join(''), 'id="comparison"');
}

function ema(ys: number[], beta = 0.9): number[] {
  let m = 0;
  return ys.map((y, i) => {
    m = beta * m + (1 - beta) * y;
    return m / (1 - beta ** (i + 1));
  });
}

function training(r: RunReport): string {
  if (r.training.length === 0) return h('section', h('h2', 'Training curve') + h('p', 'No training metrics (metrics.jsonl with train/loss) were found in this run directory.', 'class="muted"'), 'id="training"');
  const figs = r.training.map((c) => {
    const ys = c.curve.map((p) => p[1]);
    const logY = Math.min(...ys) > 0 && Math.max(...ys) / Math.min(...ys) > 10;
    const smooth = ema(ys);
    const svg = linePlot({
      title: `training loss (${c.name})`,
      xLabel: 'step (train/step)',
      yLabel: `train/loss${logY ? ' (log scale)' : ''}`,
      logY,
      series: [
        { name: 'loss', points: c.curve, color: '#9bbcdc', width: 1 },
        { name: 'smoothed (EMA 0.9)', points: c.curve.map((p, i) => [p[0], smooth[i]!]), color: '#0072B2', width: 2.2 },
      ],
    });
    const where = c.name === '.' ? 'this run' : `<code>${esc(c.name)}/</code>`;
    return h('figure', svg + h('figcaption', `Training loss of ${where}: ${c.points} logged steps (${c.firstStep}–${c.lastStep}); first ${num(c.firstLoss)}, final ${num(c.finalLoss)}, lowest ${num(c.minLoss)}. The loss is the cross-entropy of the next token on the demonstrators' replies (nats per token).`));
  });
  return h('section', h('h2', 'Training curve') + figs.join(''), 'id="training"');
}

function metricsTable(r: RunReport): string {
  const S = r.settings;
  const head = h('tr', h('th', 'metric') + S.map((s) => h('th', esc(s.name))).join(''));
  const row = (label: string, title: string, cells: string[], cls = '') => h('tr', h('th', esc(label), `title="${esc(title)}"`) + cells.map((x) => h('td', esc(x), 'class="num"')).join(''), cls ? `class="${cls}"` : '');
  const rows = [
    h('tr', h('th', 'cases / replies') + S.map((s) => h('td', `${s.cases} / ${s.replies}`, 'class="num"')).join('')),
    row('gold', GOLD_TEXT.text, S.map((s) => fmtMean(s.gold))),
  ];
  const comps = [...new Set(S.flatMap((s) => Object.keys(s.goldComponents)))];
  for (const k of comps) rows.push(row(COMPONENT_TEXT[k]?.label ?? k, COMPONENT_TEXT[k]?.text ?? '', S.map((s) => (s.goldComponents[k] ? fmtMean(s.goldComponents[k]!) : '—')), 'sub'));
  rows.push(row('proxy', PROXY_TEXT.text, S.map((s) => fmtMean(s.proxy))));
  rows.push(row('parsed', PARSE_TEXT.text, S.map((s) => fmtRate(s.parseRate))));
  for (const f of FAILURES) rows.push(row(FAILURE_TEXT[f].label, FAILURE_TEXT[f].text, S.map((s) => fmtRate(s.rates[f]))));
  const plot = intervalPlot({
    title: 'failure rates with intervals',
    rows: FAILURES.map((f) => ({ label: FAILURE_TEXT[f].label, items: S.map((s) => s.rates[f]) })),
    seriesNames: S.map((s) => s.name),
    xLabel: `rate (dot) with ${Math.round(r.bootstrap.level * 100)} % interval (line)`,
    percent: true,
  });
  const note = S.some((s) => !s.fromSamples) ? h('p', 'Settings without replies in samples.jsonl show results.json\'s numbers without intervals.', 'class="muted"') : '';
  return h(
    'section',
    h('h2', 'World metrics') +
      h('p', `Gold components are described under "How to read this report" (hover a row name for its meaning). Rates show percent [interval] (hits/possible).`, 'class="muted"') +
      h('table', head + rows.join('')) +
      note +
      h('figure', plot + h('figcaption', 'Each failure rate per setting: the dot is the rate, the line its bootstrap interval. Rates are over the replies where the failure was possible.')),
    'id="metrics"',
  );
}

/** A value, and its interval on a second, smaller line (none when unknown). */
function stacked(text: string, iv: Interval, fmt: (v: number) => string): string {
  return esc(text) + (Number.isFinite(iv.lo) && Number.isFinite(iv.hi) ? `<br><span class="ci">[${esc(fmt(iv.lo))}, ${esc(fmt(iv.hi))}]</span>` : '');
}

/** One breakdown of one setting: a row per group, gold and every failure rate with intervals and (hits/possible). */
function groupTable(groups: Record<string, GroupReport>, what: string, describe: (g: string) => string = () => ''): string {
  const head = h('tr', [h('th', what), h('th', 'cases / replies'), h('th', 'gold', `title="${esc(GOLD_TEXT.text)}"`), h('th', 'proxy', `title="${esc(PROXY_TEXT.text)}"`), ...FAILURES.map((f) => h('th', esc(FAILURE_TEXT[f].label), `title="${esc(`${FAILURE_TEXT[f].text} Over ${FAILURE_TEXT[f].of}.`)}"`))].join(''));
  const rows = Object.entries(groups).map(([g, v]) => {
    const rate = (f: (typeof FAILURES)[number]) => {
      const iv = v.rates[f];
      if (!iv) return h('td', '—', 'class="num" title="not recorded in results.json"');
      if (iv.of === 0) return h('td', '—', 'class="num muted" title="not possible in this group (0 replies where it could happen)"');
      return h('td', stacked(`${pct(iv.estimate)} (${iv.hits}/${iv.of})`, iv, (x) => pct(x)), 'class="num"');
    };
    const title = describe(g);
    return h(
      'tr',
      h('th', esc(g), title ? `title="${esc(title)}"` : '') +
        h('td', `${v.cases ?? '—'} / ${v.replies}`, 'class="num"') +
        h('td', stacked(num(v.gold.estimate), v.gold, (x) => num(x)), 'class="num"') +
        h('td', esc(num(v.proxy.estimate)), 'class="num"') +
        FAILURES.map(rate).join(''),
    );
  });
  return h('div', h('table', head + rows.join(''), 'class="groups"'), 'class="wide"');
}

const GROUP_NOTE =
  'Each cell is the rate in percent with (hits/possible): possible = the replies of that group where the failure could happen, so n differs per cell; below it, its bootstrap interval. ' +
  'A dash means the failure cannot happen in that group. Groups have fewer replies than a whole setting, so their intervals are wider: compare groups by their intervals, not by the point values alone.';

function families(r: RunReport): string {
  const blocks = r.settings.map((s) => {
    const fams = Object.keys(s.byFamily);
    if (!fams.length) return h('h3', esc(s.name)) + h('p', 'No per-family numbers.', 'class="muted"');
    return h('h3', esc(s.name)) + groupTable(s.byFamily, 'family');
  });
  const intro = h(
    'p',
    'Cases come from seven request families: <b>refund</b>, <b>delivery</b>, <b>howto</b> (including questions that only sound dangerous), <b>account</b> (identity and privacy), <b>harmful</b> (requests to refuse), <b>false_premise</b> (the customer states something untrue) and <b>unknown</b> (the policy does not say; the right answer is to say so or escalate).',
  );
  return h('section', h('h2', 'By request family') + intro + h('p', esc(GROUP_NOTE), 'class="muted"') + blocks.join(''), 'id="families"');
}

function shifts(r: RunReport): string {
  const keys = (s: (typeof r.settings)[number]) => Object.keys(s.byShift);
  const multi = r.settings.filter((s) => keys(s).length > 1);
  const single = r.settings.filter((s) => keys(s).length === 1);
  const unknown = r.settings.filter((s) => keys(s).length === 0);
  const presets = [...new Set(r.settings.flatMap(keys))];
  const intro =
    h('p', esc('A distribution shift draws the test cases differently from the training data, to see which kind of novelty breaks the assistant. The presets in this run:')) +
    (presets.length ? h('dl', presets.map((p) => h('dt', esc(p)) + h('dd', esc(SHIFT_TEXT[p] ?? 'a shift this report does not describe'))).join(''), 'class="guide"') : '') +
    (multi.length ? h('p', esc('Each table below is one setting whose cases were spread over several presets; a row holds the replies to the cases drawn under that preset. To see what a shift costs, compare its row with the same model and temperature without shift (World metrics). ' + GROUP_NOTE), 'class="muted"') : '');
  const blocks = multi.map((s) => h('h3', esc(s.name)) + groupTable(s.byShift, 'shift', (g) => SHIFT_TEXT[g] ?? ''));
  const notes: string[] = [];
  if (single.length) notes.push(`Evaluated under one distribution only (its numbers are the setting's own, under World metrics): ${single.map((s) => `${esc(s.name)} (${esc(keys(s)[0]!)})`).join(', ')}.`);
  if (unknown.length) notes.push(`No per-shift numbers (results.json written before the per-shift breakdown, without samples.jsonl): ${unknown.map((s) => esc(s.name)).join(', ')}.`);
  return h('section', h('h2', 'By distribution shift') + intro + blocks.join('') + notes.map((t) => h('p', t, 'class="muted"')).join(''), 'id="shifts"');
}

function pareto(r: RunReport): string {
  const P = r.pareto;
  const [rc, hh] = planePlots(P);
  const head = h('tr', ['setting', 'over-refusal', 'harmful compliance', 'helpfulness', 'harmlessness', 'on frontier (refusal/compliance)', 'on frontier (helpful/harmless)'].map((x) => h('th', x)).join(''));
  const rows = P.map((p) => h('tr', h('th', esc(p.name)) + [pct(p.overRefusal), pct(p.harmfulCompliance), num(p.helpfulness), num(p.harmlessness), p.pareto.refusalCompliance ? 'yes' : 'no', p.pareto.helpfulHarmless ? 'yes' : 'no'].map((x) => h('td', x, 'class="num"')).join('')));
  const text =
    'Safety and usefulness pull against each other: a model that refuses everything never complies with a harmful request but over-refuses every legitimate one (the corner at 100 % over-refusal, 0 % harmful compliance), and a model that complies with everything sits at the opposite corner. ' +
    'A setting is on the <b>Pareto frontier</b> (filled dot, dashed green line) when no other setting is at least as good on both axes and better on one. Whiskers are the bootstrap intervals; the ideal is the corner marked "better".';
  return h('section', h('h2', 'Pareto view') + h('p', text) + h('div', h('figure', rc) + h('figure', hh), 'class="plots"') + h('table', head + rows.join('')), 'id="pareto"');
}

function goodhart(r: RunReport): string {
  const o = r.overopt;
  if (!o) return '';
  const series = o.curves.flatMap((c, i) => [
    { name: `${c.name}: proxy`, points: c.points.map((p) => [p[0], p[1]] as [number, number]), color: PALETTE[(2 * i) % PALETTE.length]!, dash: '5 4' },
    { name: `${c.name}: gold`, points: c.points.map((p) => [p[0], p[2]] as [number, number]), color: PALETTE[(2 * i + 1) % PALETTE.length]! },
  ]);
  const svg = linePlot({ title: 'Goodhart: proxy and gold under optimization', xLabel: o.xLabel, yLabel: 'reward', series, height: 340 });
  const rows = o.curves.flatMap((c) => c.points.map((p) => h('tr', h('td', esc(c.name)) + [num(p[0]), num(p[1]), num(p[2])].map((x) => h('td', x, 'class="num"')).join(''))));
  const table = h('details', h('summary', 'the numbers') + h('table', h('tr', ['curve', esc(o.xKey), 'proxy', 'gold'].map((x) => h('th', x)).join('')) + rows.join('')));
  const text =
    "Goodhart's law: when a measure becomes a target, it ceases to be a good measure. As the policy is optimized harder against the proxy (further from the reference model), the proxy keeps rising while gold first rises, then falls: the model has learned to please the rating rather than to do what was wanted (Gao, Schulman & Hilton 2022, scaling laws for reward-model overoptimization).";
  return h('section', h('h2', 'Goodhart plot') + h('p', esc(text)) + h('figure', svg) + table, 'id="goodhart"');
}

function dialogue(e: ExampleDialogue): string {
  const sys = e.messages.filter((m) => m.role === 'system');
  const convo = e.messages.filter((m) => m.role !== 'system');
  const msg = (who: string, text: string, cls = 'msg') => h('div', h('span', esc(who), 'class="who"') + esc(text), `class="${cls}"`);
  const comps = Object.entries(e.goldComponents).map(([k, v]) => `${COMPONENT_TEXT[k]?.label ?? k} ${num(v, 2)}`).join(', ');
  return h(
    'div',
    h('div', `<b>${esc(e.setting)}</b> · ${esc(e.family)}/${esc(e.subtype)} · case <code>${esc(e.caseId)}</code> · turn ${e.turn + 1}${e.shift && e.shift !== 'none' ? ` · shift ${esc(e.shift)}` : ''}`, 'class="muted"') +
      (sys.length ? h('details', h('summary', 'system prompt (the policy and the order record the assistant saw)') + h('pre', esc(sys.map((m) => m.content).join('\n')))) : '') +
      convo.map((m) => msg(m.role === 'user' ? 'customer' : m.role === 'assistant' ? 'assistant' : m.role, m.content)).join('') +
      msg('assistant ▸', e.response, 'msg scored') +
      h('div', `acts the world read: ${e.acts.length ? e.acts.map((a) => `<code>${esc(a)}</code>`).join(' ') : '<i>none (unparsed)</i>'}`) +
      h('div', `gold <b>${num(e.gold)}</b> (${esc(comps)}) · proxy <b>${num(e.proxy)}</b> · flagged: ${esc(e.failures.map((f) => FAILURE_TEXT[f].label).join(', '))}`),
    'class="dialogue"',
  );
}

function examples(r: RunReport): string {
  const blocks = FAILURES.map((f) => {
    const xs = r.examples[f] ?? [];
    const body = xs.length ? xs.map(dialogue).join('') : h('p', 'No reply in this run was flagged with this failure.', 'class="muted"');
    return h('h3', esc(FAILURE_TEXT[f].label)) + h('p', esc(FAILURE_TEXT[f].text), 'class="muted"') + body;
  });
  return h('section', h('h2', 'Example dialogues') + h('p', `Up to ${Math.max(2, ...FAILURES.map((f) => r.examples[f]?.length ?? 0))} replies flagged with each failure, with the conversation before them, the acts the world's interpreter read from the reply and the scores it assigned. The scored reply is highlighted.`) + blocks.join(''), 'id="examples"');
}

function header(r: RunReport): string {
  const b = r.run.baseline ?? {};
  const bits: string[] = [];
  if (r.run.profile) bits.push(`profile ${esc(r.run.profile)}`);
  if (r.run.seed !== undefined) bits.push(`seed ${r.run.seed}`);
  if (r.run.seconds !== undefined) bits.push(`${Math.round(r.run.seconds)} s`);
  if (r.run.host) bits.push(`on ${esc(r.run.host)}`);
  const model: string[] = [];
  if (typeof b.parameters === 'number') model.push(`${b.parameters.toLocaleString('en-US')} parameters`);
  if (typeof b.steps === 'number') model.push(`${b.steps} training steps`);
  if (typeof b.finalLoss === 'number') model.push(`final loss ${num(b.finalLoss)}`);
  if (model.length) bits.push(`baseline assistant: ${model.join(', ')}`);
  const nav = [['guide', 'how to read'], ['headline', 'headline'], ...(r.comparisons.length ? [['comparison', 'comparison']] : []), ['training', 'training'], ['metrics', 'metrics'], ['families', 'families'], ['shifts', 'shifts'], ['pareto', 'Pareto'], ...(r.overopt ? [['goodhart', 'Goodhart']] : []), ['examples', 'examples'], ...(r.warnings.length ? [['warnings', 'warnings']] : [])];
  return h('h1', `alignlab run report: ${esc(r.run.label)}`) + h('p', bits.join(' · '), 'class="meta"') + h('nav', nav.map(([id, t]) => `<a href="#${id}">${t}</a>`).join(''));
}

/** The whole page. */
export function renderHtml(r: RunReport): string {
  const warnings = r.warnings.length ? h('section', h('h2', 'Warnings') + h('div', h('ul', r.warnings.map((w) => h('li', esc(w))).join('')), 'class="warn"'), 'id="warnings"') : '';
  const body = [header(r), guide(r), headline(r), comparison(r), training(r), metricsTable(r), families(r), shifts(r), pareto(r), goodhart(r), examples(r), warnings].join('\n');
  const footer = h('footer', h('p', `Generated by <code>alignlab report</code> from ${esc(r.run.source)}. The numbers are in report.json beside this file.`, 'class="muted"'));
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>alignlab report: ${esc(r.run.label)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n${body}\n${footer}\n</main>\n</body>\n</html>\n`;
}
