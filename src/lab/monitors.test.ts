/**
 * Reward-hacking monitors on synthetic metric streams whose answer is known by hand: flat
 * streams never alarm; a step change alarms exactly where the smoothing, threshold and
 * patience arithmetic says; seeded noise-only streams stay under the documented false-alarm
 * rate; the scoring against gold matches hand-computed leads.
 */
import { describe, expect, it } from 'vitest';
import {
  EnsembleDisagreementMonitor, EntropyCollapseMonitor, JudgeAgreementMonitor, JudgeDivergenceMonitor, KlGrowthMonitor, MonitorSet,
  RewardLengthCorrMonitor, defaultMonitors, evaluateMonitors, scoreMonitor, type Monitor, type MetricsRow,
} from './monitors.js';
import { Rng } from '../util/rng.js';
import { withinPrompt } from './rl.js';

/** Feed rows 0..n−1 (row t from f(t)); return the monitor's first alarm step. */
function run(m: Monitor, n: number, f: (t: number) => MetricsRow): number | null {
  for (let t = 0; t < n; t++) m.update(f(t), t);
  return m.alarmStep;
}

const flatRow: MetricsRow = {
  'monitor/ensemble_std': 0.3,
  'objective/kl': 1.5,
  'objective/entropy': 2,
  'monitor/reward_length_corr': 0.1,
  'objective/scores': 0.5,
};

describe('monitors on known streams', () => {
  it('a flat stream never alarms', () => {
    for (const m of defaultMonitors()) expect(run(m, 200, () => flatRow)).toBeNull();
  });

  it('ensemble std tripling at step 30 alarms at 30 + patience (window 5, factor 1.5)', () => {
    // Trailing mean of 5 with j tripled values: (3j + (5 − j))/5 > 1.5 ⇔ j > 1.25 ⇔ j ≥ 2, so the
    // first triggering step is 31; with patience 3 the alarm is raised at 33 = 30 + 3.
    const stream = (t: number) => ({ 'monitor/ensemble_std': t < 30 ? 1 : 3 });
    const m = new EnsembleDisagreementMonitor();
    expect(run(m, 60, stream)).toBe(33);
    // Raw (window 1): triggers from step 30 itself, so the alarm is the patience-th step, 30 + p − 1.
    for (const patience of [1, 2, 5]) expect(run(new EnsembleDisagreementMonitor({ smoothWindow: 1, patience }), 60, stream)).toBe(30 + patience - 1);
    // A 40 % rise stays under the 1.5× factor.
    expect(run(new EnsembleDisagreementMonitor(), 60, (t) => ({ 'monitor/ensemble_std': t < 30 ? 1 : 1.4 }))).toBeNull();
  });

  it('steps without the metric change nothing; a broken streak starts over', () => {
    const m = new EnsembleDisagreementMonitor({ smoothWindow: 1 });
    for (let t = 0; t < 10; t++) m.update({ 'monitor/ensemble_std': 1 }, t);
    m.update({ 'monitor/ensemble_std': 5 }, 10);
    m.update({ 'monitor/ensemble_std': 5 }, 11);
    m.update({}, 12);
    m.update({ 'monitor/ensemble_std': NaN }, 13);
    expect(m.streak).toBe(2);
    expect(m.alarm).toBe(false);
    m.update({ 'monitor/ensemble_std': 1 }, 14);
    expect(m.streak).toBe(0);
    for (let t = 15; t < 18; t++) m.update({ 'monitor/ensemble_std': 5 }, t);
    expect(m.alarmStep).toBe(17);
    expect(m.state()).toMatchObject({ alarm: true, streak: 3, baselineMean: 1, baselineSd: 0 });
  });

  it('KL: over budget alarms where the trailing mean crosses it; steady growth does not count as acceleration', () => {
    // KL = 0.5·t: the mean of the last 5 is 0.5(t − 2) > 10 ⇔ t > 22, first trigger 23, alarm 25.
    const m = new KlGrowthMonitor();
    expect(run(m, 60, (t) => ({ 'objective/kl': 0.5 * t }))).toBe(25);
    expect(run(new KlGrowthMonitor({ budget: null }), 200, (t) => ({ 'objective/kl': 0.5 * t }))).toBeNull();
    // Exponential growth (the slope ×7.4 every 10 steps): unmistakable from the first check, at
    // the 20th observation (step 19), so the alarm is at 19 + 2 = 21.
    expect(run(new KlGrowthMonitor({ budget: null }), 60, (t) => ({ 'objective/kl': 0.01 * Math.exp(t / 5) }))).toBe(21);
  });

  it('entropy falling to a quarter alarms where the trailing mean drops under half the baseline', () => {
    // Trailing mean of 5 with j values of 0.5 (else 2): (10 − 1.5j)/5 < 1 ⇔ j ≥ 4: first trigger 23, alarm 25.
    expect(run(new EntropyCollapseMonitor(), 60, (t) => ({ 'objective/entropy': t < 20 ? 2 : 0.5 }))).toBe(25);
    expect(run(new EntropyCollapseMonitor(), 60, (t) => ({ 'objective/entropy': t < 20 ? 2 : 1.2 }))).toBeNull();
  });

  it('reward–length correlation alarms only after 5 consecutive steps above 0.5', () => {
    const corr = (t: number) => ({ 'monitor/reward_length_corr': (t >= 10 && t < 14) || t >= 20 ? 0.6 : 0.1 });
    expect(run(new RewardLengthCorrMonitor(), 40, corr)).toBe(24);
    expect(run(new RewardLengthCorrMonitor(), 40, (t) => ({ 'monitor/reward_length_corr': t >= 20 ? -0.9 : 0 }))).toBeNull();
  });

  it('judge divergence: a clear proxy gain on the probe that the judge does not share; inert without probe rows', () => {
    // Probe rows: gains over the start policy's replies, their standard errors and the first
    // replies' spread. Proxy: base SD 1, SE 0.05. Judge: base SD 0.5, SE 0.02 → 0.04 standardized.
    // Without a correlation key ρ = 0: SE(shortfall)² = 0.5²·0.05² + 0.04² = 0.002225 (SE 0.04717).
    const probe = (proxyGain: number, judgeGain: number, extra: Record<string, number> = {}) => ({
      'probe/score_gain': proxyGain, 'probe/score_gain_se': 0.05, 'probe/score_base_std': 1,
      'probe/judge_gain': judgeGain, 'probe/judge_gain_se': 0.02, 'probe/judge_base_std': 0.5, ...extra,
    });
    const fires = (row: MetricsRow) => new JudgeDivergenceMonitor().update(row, 0);
    // Judge flat: shortfall 0.5·0.3 − 0 = 0.15 = 3.18 SE > 2.
    expect(fires(probe(0.3, 0))).toBe(true);
    // Judge gain 0.02 → 0.04 standardized: shortfall 0.11 = 2.33 SE > 2; 0.03 → 0.09 = 1.91 SE: no.
    expect(fires(probe(0.3, 0.02))).toBe(true);
    expect(fires(probe(0.3, 0.03))).toBe(false);
    // Correlated gains (ρ = 0.8) shrink the shortfall's SE: 0.002225 − 2·0.5·0.8·0.05·0.04 = 0.000625
    // (SE 0.025), so the same 0.09 shortfall is 3.6 SE; anticorrelated (ρ = −0.8) it is 1.40 SE.
    expect(fires(probe(0.3, 0.03, { 'probe/gain_corr': 0.8 }))).toBe(true);
    expect(fires(probe(0.3, 0.02, { 'probe/gain_corr': -0.8 }))).toBe(false);
    // The proxy's gain not clear (0.145 / 0.05 = 2.9 SE ≤ 3): no alarm even with the judge falling.
    expect(fires(probe(0.145, -0.1))).toBe(false);
    // The judge following the proxy at 90 % of its standardized gain, over a whole run: never.
    const following = new JudgeDivergenceMonitor();
    expect(run(following, 60, (t) => (t % 5 === 4 ? probe(0.02 * t, 0.5 * 0.9 * 0.02 * t) : flatRow))).toBeNull();
    // A flat judge: at probe step t the proxy's gain is 0.005·t (t-stat 0.1·t > 3 ⇔ t > 30) and the
    // shortfall 0.0025·t / 0.04717 > 2 ⇔ t > 37.7; the probe rows are steps 4, 9, …: alarm at 39.
    expect(run(new JudgeDivergenceMonitor(), 60, (t) => (t % 5 === 4 ? probe(0.005 * t, 0) : flatRow))).toBe(39);
    // Rows without probe keys (and a zero base spread) change nothing.
    const none = new JudgeDivergenceMonitor();
    expect(run(none, 80, () => flatRow)).toBeNull();
    expect(none.update({ ...probe(0.3, 0), 'probe/judge_base_std': 0 }, 81)).toBe(false);
    expect(none.streak).toBe(0);
  });

  it('judge divergence under a realistic null: proxy and judge rise together with correlated noise, at most 2 of 100 runs alarm (seeded)', () => {
    // Twenty probes; the true standardized gain grows by 0.05 per probe for both models; each
    // probe's estimates carry noise of SE 0.05 (proxy) and 0.04 (judge) with correlation 0.5.
    const rng = new Rng(7);
    let alarmed = 0;
    for (let s = 0; s < 100; s++) {
      const m = new JudgeDivergenceMonitor();
      for (let k = 1; k <= 20; k++) {
        const e1 = rng.normal(), e2 = 0.5 * e1 + Math.sqrt(0.75) * rng.normal();
        const mu = 0.05 * k;
        m.update({ 'probe/score_gain': mu + 0.05 * e1, 'probe/score_gain_se': 0.05, 'probe/score_base_std': 1, 'probe/judge_gain': 0.5 * (mu + 0.04 * e2), 'probe/judge_gain_se': 0.02, 'probe/judge_base_std': 0.5, 'probe/gain_corr': 0.5 }, 5 * k);
      }
      if (m.alarmStep !== null) alarmed++;
    }
    expect(alarmed).toBeLessThanOrEqual(2);
  });

  /**
   * One step's judge row as rl.ts logs it: 8 prompts × 4 replies; each prompt has its own level
   * (shared by both scores, SD 10: what a prompt-blind correlation would see as agreement), and
   * the replies' deviations are bivariate normal with correlation rho.
   */
  function judgeRow(rng: Rng, rho: number): MetricsRow {
    const x: number[] = [], y: number[] = [], g: number[] = [];
    for (let p = 0; p < 8; p++) {
      const level = 10 * rng.normal();
      for (let r = 0; r < 4; r++) {
        const e1 = rng.normal(), e2 = rho * e1 + Math.sqrt(1 - rho * rho) * rng.normal();
        x.push(level + e1);
        y.push(0.3 * level + 0.2 * e2);
        g.push(p);
      }
    }
    const w = withinPrompt(x, y, g);
    return { 'monitor/judge_sxy': w.sxy, 'monitor/judge_sxx': w.sxx, 'monitor/judge_syy': w.syy, 'monitor/judge_df': w.df };
  }

  it('judge agreement: pools a window of within-prompt sums; alarms on an unrelated judge at the first full window, never on an agreeing one', () => {
    const rng = new Rng(11);
    let agreeing = 0, unrelatedOnTime = 0;
    for (let s = 0; s < 100; s++) {
      if (run(new JudgeAgreementMonitor(), 40, () => judgeRow(rng, 0.8)) !== null) agreeing++;
      if (run(new JudgeAgreementMonitor(), 40, () => judgeRow(rng, 0)) === 4) unrelatedOnTime++;
    }
    expect(agreeing).toBe(0);
    // ρ = 0 over 5 × 24 df: the upper bound is ≈ tanh(2/√118) ≈ 0.18 < 0.5 in essentially every window.
    expect(unrelatedOnTime).toBe(100);
    // The pooled correlation is that of the pooled sums (by hand), inert without the keys.
    const m = new JudgeAgreementMonitor({ window: 2 });
    m.update({ 'monitor/judge_sxy': 1, 'monitor/judge_sxx': 2, 'monitor/judge_syy': 2, 'monitor/judge_df': 30 }, 1);
    expect(m.state().corr).toBeNaN();
    m.update({ 'objective/kl': 1 }, 2);
    m.update({ 'monitor/judge_sxy': 3, 'monitor/judge_sxx': 2, 'monitor/judge_syy': 8, 'monitor/judge_df': 30 }, 3);
    expect(m.state().corr).toBeCloseTo(4 / Math.sqrt(4 * 10), 12);
    expect(m.state().upper).toBeCloseTo(Math.tanh(Math.atanh(4 / Math.sqrt(40)) + 2 / Math.sqrt(58)), 12);
    expect(m.state().df).toBe(60);
    expect(m.alarmStep).toBeNull();
    // A window without spread in a score says nothing and clears the last window's numbers; a
    // NaN sum is no data.
    const flat = new JudgeAgreementMonitor({ window: 1 });
    flat.update({ 'monitor/judge_sxy': 1, 'monitor/judge_sxx': 2, 'monitor/judge_syy': 2, 'monitor/judge_df': 30 }, 1);
    expect(flat.state().corr).toBeCloseTo(0.5, 12);
    flat.update({ 'monitor/judge_sxy': 0, 'monitor/judge_sxx': 0, 'monitor/judge_syy': 2, 'monitor/judge_df': 30 }, 2);
    expect(flat.state().corr).toBeNaN();
    flat.update({ 'monitor/judge_sxy': NaN, 'monitor/judge_sxx': 2, 'monitor/judge_syy': 2, 'monitor/judge_df': 30 }, 3);
    expect(flat.state().df).toBe(30);
    expect(flat.alarmStep).toBeNull();
    expect(() => new JudgeAgreementMonitor({ share: 1 })).toThrow(/judge_agreement monitor config: share/);
  });

  it('judge agreement at the threshold: a true correlation of exactly 0.5 triggers in Φ(−2) ≈ 2.3 % of windows (seeded)', () => {
    // Disjoint windows of 5 steps, each a fresh monitor: the Fisher bound's one-sided level.
    const rng = new Rng(12);
    let fired = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) if (run(new JudgeAgreementMonitor(), 5, () => judgeRow(rng, 0.5)) !== null) fired++;
    // Binomial(2000, 0.0228): SD 0.0033; allow ±3 SD.
    expect(fired / n).toBeGreaterThan(0.0228 - 0.01);
    expect(fired / n).toBeLessThan(0.0228 + 0.01);
  });

  it('noise-only streams: at most 2 of 100 raise any given alarm (seeded)', () => {
    const rng = new Rng(20240611);
    const alarmed: Record<string, number> = {};
    for (let s = 0; s < 100; s++) {
      const ms = defaultMonitors();
      for (let t = 0; t < 100; t++) {
        const row = {
          'monitor/ensemble_std': 1 + 0.1 * rng.normal(),
          'objective/kl': 0.03 * t + 0.2 * rng.normal(), // a careful run's steady KL growth
          'objective/entropy': 2 + 0.1 * rng.normal(),
          'monitor/reward_length_corr': 0.15 * rng.normal(),
          'objective/scores': 0.5 + 0.05 * rng.normal(),
          // The judge ranks each prompt's replies like the optimized reward, with correlation 0.7.
          ...judgeRow(rng, 0.7),
          // Every 5th step a probe row whose gains are pure noise around 0.
          ...(t % 5 === 4
            ? { 'probe/score_gain': 0.05 * rng.normal(), 'probe/score_gain_se': 0.05, 'probe/score_base_std': 1, 'probe/judge_gain': 0.02 * rng.normal(), 'probe/judge_gain_se': 0.02, 'probe/judge_base_std': 0.5 }
            : {}),
        };
        for (const m of ms) m.update(row, t);
      }
      for (const m of ms) if (m.alarmStep !== null) alarmed[m.name] = (alarmed[m.name] ?? 0) + 1;
    }
    for (const m of defaultMonitors()) expect(alarmed[m.name] ?? 0).toBeLessThanOrEqual(2);
  });

  it('configs are validated with the field named', () => {
    expect(() => new KlGrowthMonitor({ budjet: 5 })).toThrow(/kl_growth monitor config: .*budjet/);
    expect(() => new EnsembleDisagreementMonitor({ patience: 0 })).toThrow(/ensemble_disagreement monitor config: patience/);
    expect(() => new RewardLengthCorrMonitor({ threshold: 2 })).toThrow(/threshold/);
  });
});

describe('MonitorSet', () => {
  it('reports each raised alarm once, calls onAlarm, stops when asked, and logs alarm/<name>', () => {
    const seen: string[] = [];
    const set = new MonitorSet(defaultMonitors({ rewardLengthCorr: { patience: 2 } }), {
      onAlarm: (e) => {
        seen.push(`${e.monitor}@${e.step}`);
        return e.monitor === 'reward_length_corr';
      },
    });
    const stops: boolean[] = [];
    for (let t = 0; t < 10; t++) {
      const { alarms, stop } = set.update({ ...flatRow, 'monitor/reward_length_corr': t >= 5 ? 0.9 : 0 }, t);
      stops.push(stop);
      if (t === 6) expect(alarms.map((a) => a.monitor)).toEqual(['reward_length_corr']);
      else expect(alarms).toEqual([]);
    }
    expect(seen).toEqual(['reward_length_corr@6']);
    expect(stops).toEqual([false, false, false, false, false, false, true, true, true, true]);
    expect(set.metrics()).toEqual({ 'alarm/ensemble_disagreement': 0, 'alarm/kl_growth': 0, 'alarm/entropy_collapse': 0, 'alarm/reward_length_corr': 1, 'alarm/judge_divergence': 0, 'alarm/judge_agreement': 0 });
    expect(() => new MonitorSet([new KlGrowthMonitor(), new KlGrowthMonitor()])).toThrow(/two monitors are named "kl_growth"/);
  });
});

describe('scoring against gold', () => {
  it('scoreMonitor: positive before the peak, negative after, null without an alarm', () => {
    expect(scoreMonitor(20, 30, 100)).toEqual({ alarmStep: 20, goldPeakStep: 30, alarmStepsBeforeGoldPeak: 10, beforeGoldFalls: true, leadFraction: 0.1 });
    expect(scoreMonitor(30, 30, 100).beforeGoldFalls).toBe(true);
    expect(scoreMonitor(35, 30, 100)).toMatchObject({ alarmStepsBeforeGoldPeak: -5, beforeGoldFalls: false });
    expect(scoreMonitor(null, 30, 100)).toMatchObject({ alarmStepsBeforeGoldPeak: null, beforeGoldFalls: false, leadFraction: null });
    expect(() => scoreMonitor(1, 2, 0)).toThrow(/totalSteps/);
  });

  it('evaluateMonitors: leads on swayed runs, false alarms on careful ones, in the results shape', () => {
    const n = 80;
    // Swayed: gold a symmetric tent peaking at step 40 (its smoothed peak stays at 40), ensemble
    // std tripling at step 30 (alarm at 33, see above): 7 steps of warning.
    const swayed = Array.from({ length: n }, (_, t) => ({ ...flatRow, 'monitor/ensemble_std': t < 30 ? 1 : 3, 'world/gold': 1 - Math.abs(t - 40) / 40, 'objective/scores': 0.01 * t }));
    // Careful: gold rising throughout, flat metrics — and a second careful run whose ensemble std jumps (a false alarm).
    const careful = Array.from({ length: n }, (_, t) => ({ ...flatRow, 'world/gold': t / n }));
    const noisy = careful.map((r, t) => ({ ...r, 'monitor/ensemble_std': t < 50 ? 1 : 3 }));
    const res = evaluateMonitors([
      { name: 'swayed', rows: swayed, label: 'runs/rloo-proxy' },
      { name: 'careful', rows: careful },
      { name: 'careful', rows: noisy, gold: careful.map((r) => r['world/gold']) },
    ]);
    expect(res.map((r) => r.name)).toEqual(['ensemble_disagreement', 'kl_growth', 'entropy_collapse', 'reward_length_corr', 'judge_divergence', 'judge_agreement']);
    const ens = res[0]!;
    expect(ens).toMatchObject({ alarmStepsBeforeGoldPeak: 7, alarmStep: 33, falseAlarmsOnCareful: 1, carefulRuns: 2, detectedOnSwayed: 1, detectedBeforeGoldFalls: 1, swayedRuns: 1 });
    expect(ens.runs[0]).toMatchObject({ run: 0, kind: 'swayed', label: 'runs/rloo-proxy', goldPeakStep: 40, alarmStep: 33 });
    expect(ens.runs[0]!.goldDropRelToGain).toBeGreaterThan(0.9);
    expect(ens.runs[2]).toMatchObject({ kind: 'careful', alarmStep: 53 });
    expect(res[1]).toMatchObject({ alarmStepsBeforeGoldPeak: null, alarmStep: null, falseAlarmsOnCareful: 0, detectedOnSwayed: 0 });
    expect(() => evaluateMonitors([{ name: 'swayed', rows: [{ 'objective/kl': 1 }] }])).toThrow(/histories\[0\]: gold at row 0 .*world\/gold/);
    expect(() => evaluateMonitors([{ name: 'bold' as 'swayed', rows: swayed }])).toThrow(/histories\[0\]\.name/);
  });
});
