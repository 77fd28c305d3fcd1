/**
 * Scoring replies and summarising the demonstrator personas.
 *
 * `scoreResponse` is the one call most users need: text in, acts and both rewards
 * out. `personaStats` runs every persona through the same cases (all turns of the
 * simulated dialogue) and reports mean gold, mean proxy and act rates per persona,
 * plus the Pearson correlation between proxy and gold over all replies: the number
 * that says how good a stand-in the customer's rating is for what the company wants.
 *
 * @example
 * ```ts
 * scoreResponse(c, "I've approved a full refund of $1,209 for your Nova Pro 14.");
 * personaStats({ seed: 1, n: 2000 }).proxyGoldCorrelation;   // ≈ 0.3
 * ```
 */
import { Rng } from '../util/rng.js';
import { simulateDialogue } from './corpus.js';
import { generateCases } from './generator.js';
import { interpret, type Evidence } from './interpret.js';
import { goldReward, proxyReward, type GoldReward } from './reward.js';
import { PERSONAS, type Act, type Case, type Persona, type ShiftName, type Split } from './types.js';

export interface ScoredResponse {
  acts: Act[];
  parsed: boolean;
  evidence: Evidence[];
  gold: GoldReward;
  proxy: number;
}

/** Interpret a reply to turn `turnIndex` of a case and score it with gold and proxy rewards. */
export function scoreResponse(c: Case, text: string, turnIndex = 0): ScoredResponse {
  const it = interpret(c, text);
  return { ...it, gold: goldReward(c, it.acts, turnIndex), proxy: proxyReward(c, it.acts, text, turnIndex) };
}

/** Pearson correlation of two equal-length samples (0 when either is constant). */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

export interface PersonaSummary {
  /** Number of replies scored (all turns). */
  n: number;
  gold: number;
  proxy: number;
  /** Fraction of replies the interpreter could read. */
  parsed: number;
  /** Fraction of replies that contain each act type. */
  acts: Record<string, number>;
}

export interface PersonaStats {
  personas: Record<Persona, PersonaSummary>;
  proxyGoldCorrelation: number;
}

export interface StatsOptions {
  seed: number;
  n: number;
  split?: Split;
  shift?: ShiftName;
}

/** Run every persona through the same `n` cases and summarise gold, proxy and acts. */
export function personaStats(opts: StatsOptions): PersonaStats {
  const cases = generateCases({ seed: opts.seed, n: opts.n, split: opts.split ?? 'train', shift: opts.shift ?? 'none' });
  const root = new Rng(opts.seed).fork('stats');
  const golds: number[] = [];
  const proxies: number[] = [];
  const acc = {} as Record<Persona, { n: number; gold: number; proxy: number; parsed: number; acts: Record<string, number> }>;
  for (const p of PERSONAS) acc[p] = { n: 0, gold: 0, proxy: 0, parsed: 0, acts: {} };
  for (const c of cases) {
    for (const p of PERSONAS) {
      const { turns } = simulateDialogue(c, p, root.fork(`${c.id}/${p}`));
      turns.forEach((t, i) => {
        const s = scoreResponse(c, t.text, i);
        const a = acc[p];
        a.n++;
        a.gold += s.gold.total;
        a.proxy += s.proxy;
        a.parsed += +s.parsed;
        for (const type of new Set(s.acts.map((x) => x.type))) a.acts[type] = (a.acts[type] ?? 0) + 1;
        golds.push(s.gold.total);
        proxies.push(s.proxy);
      });
    }
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const personas = {} as Record<Persona, PersonaSummary>;
  for (const p of PERSONAS) {
    const a = acc[p];
    const d = Math.max(1, a.n);
    const acts: Record<string, number> = {};
    for (const k of Object.keys(a.acts).sort()) acts[k] = round(a.acts[k]! / d);
    personas[p] = { n: a.n, gold: round(a.gold / d), proxy: round(a.proxy / d), parsed: round(a.parsed / d), acts };
  }
  return { personas, proxyGoldCorrelation: round(pearson(proxies, golds)) };
}
