/**
 * Hand-written SVG plots for reports: a line plot (training curves, Goodhart curves), a Pareto
 * scatter (two failure or quality axes, each point with its interval whiskers, the frontier as
 * a staircase, optionally curves of operating points such as a knob sweep drawn as labelled
 * polylines), and an interval plot (one row per metric, a dot and whisker per setting).
 *
 * No library and no script: each function returns one `<svg>` element as a string. Inline in
 * HTML it needs no namespace; `standalone: true` adds `xmlns` so the string is a valid .svg
 * file. All text passes through `escapeHtml`. Colors are the Okabe–Ito palette (readable with
 * the common color-vision deficiencies).
 *
 * @example
 * ```ts
 * const svg = linePlot({ xLabel: 'step', yLabel: 'loss', series: [{ name: 'train', points: [[1, 6.9], [2, 6.7]] }] });
 * ```
 */
import { escapeHtml as esc } from './escape.js';
import type { Direction, Directions } from '../eval/pareto.js';

const ARROWS: Record<string, string> = { 'top right': '↗', 'top left': '↖', 'bottom right': '↘', 'bottom left': '↙' };

export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** Short decimal for coordinates. */
const c = (v: number) => String(Math.round(v * 100) / 100);

function open(width: number, height: number, title: string | undefined, standalone: boolean): string {
  const ns = standalone ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  const label = title ? ` role="img" aria-label="${esc(title)}"` : '';
  return `<svg${ns} viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"${label} ${FONT} font-size="12">` + (standalone ? `<rect width="${width}" height="${height}" fill="#fff"/>` : '');
}

/**
 * Evenly spaced "nice" ticks (1, 2, 2.5 or 5 × 10^k) inside [lo, hi]; with `cover`, the first
 * tick is at or below lo and the last at or above hi.
 */
export function niceTicks(lo: number, hi: number, count = 5, cover = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9))!;
  const first = (cover ? Math.floor(lo / step + 1e-9) : Math.ceil(lo / step - 1e-9)) * step;
  const last = (cover ? Math.ceil(hi / step - 1e-9) : Math.floor(hi / step + 1e-9)) * step;
  const out: number[] = [];
  for (let k = 0; first + k * step <= last + step * 1e-9; k++) out.push(Math.round((first + k * step) / step) * step);
  return out;
}

/** Ticks at 1, 2, 5 × 10^k inside [lo, hi] (both > 0). */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** Fewest decimals (up to 6) that show `step` exactly. */
function decimalsFor(step: number): number {
  for (let d = 0; d < 6; d++) {
    const v = Math.abs(step) * 10 ** d;
    if (Math.abs(v - Math.round(v)) < 1e-6 * Math.max(1, v)) return d;
  }
  return 6;
}

function tickText(v: number, ticks: number[], percent: boolean): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : Math.abs(v) || 1;
  return percent ? `${(100 * v).toFixed(decimalsFor(100 * step))}%` : v.toFixed(decimalsFor(step));
}

interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  sx: (v: number) => number;
  sy: (v: number) => number;
}

/** Axes, grid, tick labels and axis titles for a plot area. */
function axes(f: Frame, xt: number[], yt: number[], xLabel: string, yLabel: string, o: { xPercent?: boolean; yPercent?: boolean; yTickText?: (v: number) => string }): string {
  const parts: string[] = [];
  for (const t of xt) {
    const x = f.sx(t);
    parts.push(`<line x1="${c(x)}" y1="${f.y0}" x2="${c(x)}" y2="${f.y1}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${c(x)}" y="${f.y0 + 16}" text-anchor="middle" fill="#444">${esc(tickText(t, xt, !!o.xPercent))}</text>`);
  }
  for (const t of yt) {
    const y = f.sy(t);
    parts.push(`<line x1="${f.x0}" y1="${c(y)}" x2="${f.x1}" y2="${c(y)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${f.x0 - 6}" y="${c(y + 4)}" text-anchor="end" fill="#444">${esc(o.yTickText ? o.yTickText(t) : tickText(t, yt, !!o.yPercent))}</text>`);
  }
  parts.push(`<rect x="${f.x0}" y="${f.y1}" width="${f.x1 - f.x0}" height="${f.y0 - f.y1}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${c((f.x0 + f.x1) / 2)}" y="${f.y0 + 34}" text-anchor="middle" fill="#222">${esc(xLabel)}</text>`);
  const ym = c((f.y0 + f.y1) / 2);
  parts.push(`<text x="16" y="${ym}" text-anchor="middle" fill="#222" transform="rotate(-90 16 ${ym})">${esc(yLabel)}</text>`);
  return parts.join('');
}

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
  /** Stroke width (default 1.8). */
  width?: number;
  opacity?: number;
  dash?: string;
}

export interface LinePlotOptions {
  title?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Logarithmic y axis (values must be > 0). */
  logY?: boolean;
  /** Add `xmlns`, a white background: a valid .svg file. */
  standalone?: boolean;
}

/** Lines through (x, y) points; a legend at the top right when there is more than one series. */
export function linePlot(o: LinePlotOptions): string {
  const W = o.width ?? 640, H = o.height ?? 320;
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0));
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const xlo = Math.min(...xs, Infinity), xhi = Math.max(...xs, -Infinity);
  let ylo = Math.min(...ys, Infinity), yhi = Math.max(...ys, -Infinity);
  if (!all.length) return open(W, H, o.title, !!o.standalone) + `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`;
  const xt = niceTicks(xlo, xhi === xlo ? xlo + 1 : xhi, 6);
  let yt: number[];
  let ty: (v: number) => number;
  if (o.logY) {
    yt = logTicks(ylo, yhi);
    ty = Math.log10;
  } else {
    const pad = (yhi - ylo) * 0.05 || Math.abs(yhi) * 0.1 || 1;
    yt = niceTicks(ylo - pad, yhi + pad, 5);
    ty = (v) => v;
  }
  const dlo = Math.min(ty(ylo), ...yt.map(ty)), dhi = Math.max(ty(yhi), ...yt.map(ty));
  const x0 = 64, x1 = W - 16, y0 = H - 44, y1 = 14;
  const xmin = Math.min(xt[0]!, xlo), xmax = Math.max(xt[xt.length - 1]!, xhi);
  const f: Frame = {
    x0, x1, y0, y1,
    sx: (v) => x0 + ((v - xmin) / (xmax - xmin || 1)) * (x1 - x0),
    sy: (v) => y0 - ((ty(v) - dlo) / (dhi - dlo || 1)) * (y0 - y1),
  };
  const parts = [open(W, H, o.title, !!o.standalone), axes(f, xt, yt, o.xLabel, o.yLabel, { yTickText: o.logY ? (v) => String(+v.toPrecision(3)) : undefined })];
  o.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0));
    const d = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${c(f.sx(x))} ${c(f.sy(y))}`).join('');
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.width ?? 1.8}"${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${esc(s.name)}</title></path>`);
    if (pts.length <= 40) for (const [x, y] of pts) parts.push(`<circle cx="${c(f.sx(x))}" cy="${c(f.sy(y))}" r="2.5" fill="${color}"/>`);
  });
  if (o.series.length > 1) {
    o.series.forEach((s, i) => {
      const y = y1 + 14 + 16 * i;
      const color = s.color ?? PALETTE[i % PALETTE.length]!;
      parts.push(`<line x1="${x1 - 150}" y1="${y - 4}" x2="${x1 - 130}" y2="${y - 4}" stroke="${color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="${x1 - 124}" y="${y}" fill="#222">${esc(s.name)}</text>`);
    });
  }
  return parts.join('') + '</svg>';
}

export interface ScatterPoint {
  name: string;
  x: number;
  y: number;
  xLo?: number;
  xHi?: number;
  yLo?: number;
  yHi?: number;
  /** On the Pareto frontier: drawn filled, joined by the frontier line. */
  front: boolean;
  color?: string;
}

/**
 * A connected curve of operating points (e.g. one model's knob sweep): a polyline through the
 * points in the order given, each vertex marked and labelled, the curve named at its last point.
 */
export interface ScatterCurve {
  name: string;
  /** Vertices in drawing order; `label` is written beside each (e.g. "λ=-1"). */
  points: (Omit<ScatterPoint, 'name' | 'color'> & { label: string })[];
  color?: string;
}

export interface ParetoPlotOptions {
  title?: string;
  xLabel: string;
  yLabel: string;
  dirs: Directions;
  points: ScatterPoint[];
  /** Curves drawn as polylines (their points join the frontier staircase where `front`). */
  curves?: ScatterCurve[];
  /** Format both axes as percentages. */
  percent?: boolean;
  width?: number;
  height?: number;
  standalone?: boolean;
}

/**
 * The axis range: the data (with whiskers) and the ideal end of the axis, widened away from
 * the ideal end to span at least 0.05, plus a 4 % margin so points on the edge stay visible;
 * ticks are drawn only inside [0, 1].
 */
function unitDomain(vals: number[], dir: Direction): [number, number] {
  const ideal = dir === 'maximize' ? 1 : 0;
  const v = [...vals.filter(Number.isFinite), ideal];
  let lo = Math.min(...v), hi = Math.max(...v);
  if (hi - lo < 0.05) {
    if (dir === 'minimize') hi = lo + 0.05;
    else lo = hi - 0.05;
  }
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

/** Interval whiskers of one point (each axis only where both bounds are finite). */
function whiskers(f: Frame, p: Omit<ScatterPoint, 'name' | 'front'>, color: string, opacity: number, tick: number): string {
  const px = f.sx(p.x), py = f.sy(p.y);
  let out = '';
  if (p.xLo !== undefined && p.xHi !== undefined && Number.isFinite(p.xLo) && Number.isFinite(p.xHi)) {
    out += `<path d="M${c(f.sx(p.xLo))} ${c(py)}H${c(f.sx(p.xHi))}M${c(f.sx(p.xLo))} ${c(py - tick)}v${2 * tick}M${c(f.sx(p.xHi))} ${c(py - tick)}v${2 * tick}" stroke="${color}" stroke-opacity="${opacity}"/>`;
  }
  if (p.yLo !== undefined && p.yHi !== undefined && Number.isFinite(p.yLo) && Number.isFinite(p.yHi)) {
    out += `<path d="M${c(px)} ${c(f.sy(p.yLo))}V${c(f.sy(p.yHi))}M${c(px - tick)} ${c(f.sy(p.yLo))}h${2 * tick}M${c(px - tick)} ${c(f.sy(p.yHi))}h${2 * tick}" stroke="${color}" stroke-opacity="${opacity}"/>`;
  }
  return out;
}

/**
 * Points on a plane with interval whiskers, numbered, a legend of names below, the Pareto
 * frontier as a dashed staircase (each step passes through the corner both neighbours
 * dominate), and an arrow label toward the ideal corner. Curves (`curves`) are drawn as
 * polylines with a small marker and label at every vertex, and listed in the legend after the
 * points.
 */
export function paretoPlot(o: ParetoPlotOptions): string {
  const W = o.width ?? 480;
  const plotH = o.height ?? 360;
  const curves = o.curves ?? [];
  const legendH = 18 * (o.points.length + curves.length) + 8;
  const H = plotH + legendH;
  const all = [...o.points, ...curves.flatMap((cv) => cv.points)];
  const xd = unitDomain(all.flatMap((p) => [p.x, p.xLo ?? p.x, p.xHi ?? p.x]), o.dirs.x);
  const yd = unitDomain(all.flatMap((p) => [p.y, p.yLo ?? p.y, p.yHi ?? p.y]), o.dirs.y);
  const inUnit = (t: number) => t >= -1e-12 && t <= 1 + 1e-12;
  const xt = niceTicks(Math.max(0, xd[0]), Math.min(1, xd[1]), 5).filter(inUnit);
  const yt = niceTicks(Math.max(0, yd[0]), Math.min(1, yd[1]), 5).filter(inUnit);
  const x0 = 64, x1 = W - 20, y0 = plotH - 44, y1 = 30;
  const f: Frame = {
    x0, x1, y0, y1,
    sx: (v) => x0 + ((v - xd[0]) / (xd[1] - xd[0] || 1)) * (x1 - x0),
    sy: (v) => y0 - ((v - yd[0]) / (yd[1] - yd[0] || 1)) * (y0 - y1),
  };
  const parts = [open(W, H, o.title, !!o.standalone), axes(f, xt, yt, o.xLabel, o.yLabel, { xPercent: o.percent, yPercent: o.percent })];
  // Where the ideal corner is, above the frame.
  const toward = `${o.dirs.y === 'maximize' ? 'top' : 'bottom'} ${o.dirs.x === 'maximize' ? 'right' : 'left'}`;
  parts.push(`<text x="${x0}" y="18" fill="#2a7" font-weight="bold">better toward the ${toward} ${ARROWS[toward]}</text>`);
  // Frontier staircase.
  const front = all.filter((p) => p.front && Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x || a.y - b.y);
  if (front.length > 1) {
    const worse = (a: number, b: number, d: Direction) => (d === 'maximize' ? Math.min(a, b) : Math.max(a, b));
    let d = `M${c(f.sx(front[0]!.x))} ${c(f.sy(front[0]!.y))}`;
    for (let i = 1; i < front.length; i++) {
      const a = front[i - 1]!, b = front[i]!;
      d += `L${c(f.sx(worse(a.x, b.x, o.dirs.x)))} ${c(f.sy(worse(a.y, b.y, o.dirs.y)))}L${c(f.sx(b.x))} ${c(f.sy(b.y))}`;
    }
    parts.push(`<path d="${d}" fill="none" stroke="#2a7" stroke-width="2" stroke-dasharray="6 4"><title>Pareto frontier</title></path>`);
  }
  const curveColor = (cv: ScatterCurve, j: number) => cv.color ?? PALETTE[(o.points.length + j) % PALETTE.length]!;
  curves.forEach((cv, j) => {
    const color = curveColor(cv, j);
    const pts = cv.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (pts.length === 0) return;
    for (const p of pts) parts.push(whiskers(f, p, color, 0.35, 3));
    parts.push(`<polyline points="${pts.map((p) => `${c(f.sx(p.x))},${c(f.sy(p.y))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"><title>${esc(cv.name)}</title></polyline>`);
    // Consecutive vertices at the same spot get one marker and one label ("λ=-2 … λ=-0.5").
    for (let a = 0; a < pts.length; ) {
      let b = a + 1;
      while (b < pts.length && Math.abs(f.sx(pts[b]!.x) - f.sx(pts[a]!.x)) < 0.5 && Math.abs(f.sy(pts[b]!.y) - f.sy(pts[a]!.y)) < 0.5) b++;
      const p = pts[a]!;
      const label = b - a > 1 ? `${p.label} … ${pts[b - 1]!.label}` : p.label;
      const px = f.sx(p.x), py = f.sy(p.y);
      parts.push(`<circle cx="${c(px)}" cy="${c(py)}" r="3.5" fill="${pts.slice(a, b).some((q) => q.front) ? color : '#fff'}" stroke="${color}" stroke-width="1.5"><title>${esc(`${cv.name} ${label}`)}</title></circle>`);
      parts.push(`<text x="${c(px + 5)}" y="${c(py + 12)}" fill="${color}" font-size="9">${esc(label)}</text>`);
      a = b;
    }
    const end = pts[pts.length - 1]!;
    parts.push(`<text x="${c(f.sx(end.x) + 6)}" y="${c(f.sy(end.y) - 6)}" fill="${color}" font-weight="bold">${esc(cv.name)}</text>`);
  });
  o.points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) return;
    const color = p.color ?? PALETTE[i % PALETTE.length]!;
    const px = f.sx(p.x), py = f.sy(p.y);
    parts.push(whiskers(f, p, color, 0.7, 4));
    parts.push(`<circle cx="${c(px)}" cy="${c(py)}" r="6" fill="${p.front ? color : '#fff'}" stroke="${color}" stroke-width="2"><title>${esc(p.name)}</title></circle>`);
    parts.push(`<text x="${c(px + 8)}" y="${c(py - 8)}" fill="${color}" font-weight="bold">${i + 1}</text>`);
  });
  o.points.forEach((p, i) => {
    const y = plotH + 14 + 18 * i;
    const color = p.color ?? PALETTE[i % PALETTE.length]!;
    parts.push(`<circle cx="${x0 + 6}" cy="${y - 4}" r="5" fill="${p.front ? color : '#fff'}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${x0 + 18}" y="${y}" fill="#222">${i + 1}. ${esc(p.name)}${p.front ? ' (frontier)' : ''}</text>`);
  });
  curves.forEach((cv, j) => {
    const y = plotH + 14 + 18 * (o.points.length + j);
    const color = curveColor(cv, j);
    const onFront = cv.points.filter((p) => p.front).length;
    parts.push(`<path d="M${x0} ${y - 4}h12" stroke="${color}" stroke-width="2.5"/><circle cx="${x0 + 6}" cy="${y - 4}" r="3" fill="${color}"/>`);
    parts.push(`<text x="${x0 + 18}" y="${y}" fill="#222">${esc(cv.name)} (curve of ${cv.points.length}; ${onFront} on the frontier, filled)</text>`);
  });
  return parts.join('') + '</svg>';
}

export interface IntervalRow {
  label: string;
  /** One per series, in series order; NaN bounds draw the dot alone. */
  items: { estimate: number; lo: number; hi: number }[];
}

export interface IntervalPlotOptions {
  title?: string;
  rows: IntervalRow[];
  seriesNames: string[];
  xLabel: string;
  percent?: boolean;
  width?: number;
  standalone?: boolean;
}

/** Rows of dot-and-whisker intervals (a forest plot), one colored mark per series in each row. */
export function intervalPlot(o: IntervalPlotOptions): string {
  const W = o.width ?? 640;
  const k = o.seriesNames.length;
  const rowH = Math.max(22, 12 * k + 10);
  const legendH = 18 * k + 6;
  const top = legendH + 8, left = 150, right = W - 20;
  const H = top + rowH * o.rows.length + 44;
  const vals = o.rows.flatMap((r) => r.items.flatMap((it) => [it.estimate, it.hi])).filter(Number.isFinite);
  const xt = niceTicks(0, Math.max(0.05, ...vals), 5, true);
  const xmax = xt[xt.length - 1]!;
  const y0 = top + rowH * o.rows.length;
  const f: Frame = { x0: left, x1: right, y0, y1: top, sx: (v) => left + (v / xmax) * (right - left), sy: (v) => v };
  const parts = [open(W, H, o.title, !!o.standalone)];
  o.seriesNames.forEach((n, i) => {
    const y = 14 + 18 * i;
    parts.push(`<circle cx="${left + 6}" cy="${y - 4}" r="4.5" fill="${PALETTE[i % PALETTE.length]}"/><text x="${left + 16}" y="${y}" fill="#222">${esc(n)}</text>`);
  });
  for (const t of xt) {
    const x = f.sx(t);
    parts.push(`<line x1="${c(x)}" y1="${top}" x2="${c(x)}" y2="${y0}" stroke="#e5e5e5"/><text x="${c(x)}" y="${y0 + 16}" text-anchor="middle" fill="#444">${esc(tickText(t, xt, !!o.percent))}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${y0 - top}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${c((left + right) / 2)}" y="${y0 + 34}" text-anchor="middle" fill="#222">${esc(o.xLabel)}</text>`);
  o.rows.forEach((r, ri) => {
    const ry = top + ri * rowH;
    if (ri > 0) parts.push(`<line x1="${left}" y1="${ry}" x2="${right}" y2="${ry}" stroke="#ccc"/>`);
    parts.push(`<text x="${left - 8}" y="${c(ry + rowH / 2 + 4)}" text-anchor="end" fill="#222">${esc(r.label)}</text>`);
    r.items.forEach((it, i) => {
      if (!Number.isFinite(it.estimate)) return;
      const y = ry + 11 + i * ((rowH - 22) / Math.max(1, k - 1));
      const color = PALETTE[i % PALETTE.length]!;
      if (Number.isFinite(it.lo) && Number.isFinite(it.hi)) parts.push(`<path d="M${c(f.sx(it.lo))} ${c(y)}H${c(f.sx(it.hi))}" stroke="${color}" stroke-width="2"/>`);
      parts.push(`<circle cx="${c(f.sx(it.estimate))}" cy="${c(y)}" r="4" fill="${color}"><title>${esc(`${o.seriesNames[i]}: ${r.label}`)}</title></circle>`);
    });
  });
  return parts.join('') + '</svg>';
}

/** Several SVG plots (strings from the functions above) side by side in one standalone .svg file. */
export function combineSvg(plots: string[]): string {
  const size = (svg: string) => {
    const m = /^<svg[^>]* width="([\d.]+)" height="([\d.]+)"/.exec(svg);
    if (!m) throw new Error('combineSvg: expected an <svg> with width and height');
    return { w: Number(m[1]), h: Number(m[2]) };
  };
  const sizes = plots.map(size);
  const W = sizes.reduce((a, p) => a + p.w, 0);
  const H = Math.max(...sizes.map((p) => p.h));
  let x = 0;
  const inner = plots.map((svg, i) => {
    const g = `<g transform="translate(${x} 0)">${svg}</g>`;
    x += sizes[i]!.w;
    return g;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#fff"/>${inner.join('')}</svg>\n`;
}
