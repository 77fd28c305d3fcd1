/**
 * The overoptimization lab end to end on a tiny model: the results carry the fields,
 * best-of-n starts at the pool mean (n = 1 ⇒ KL 0) and its KL follows log n − (n − 1)/n, and
 * the plots and run directories are written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../model/checkpoint.js';
import { loadTokenizer, saveTokenizer } from '../tokenizer/index.js';
import { tinyWorldModel } from './test-fixtures.js';
import type { ActFit } from '../eval/world.js';
import { OVEROPT_PROFILES, runOveropt, validateProfile, type OveroptProfile } from './overopt.js';
import { caseSlope } from './goodhart.js';
import { decisionPairs, probeDecisions } from './decisions.js';
import { rewardReadout } from './rm.js';
import { Runtime } from '../engine/session.js';
import { hostInfo } from '../engine/host.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-overopt-'));
  model = path.join(dir, 'model');
  await tinyWorldModel(model);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lab overopt', () => {
  it('runs every stage and writes the results in the documented shape', async () => {
    const out = path.join(dir, 'out');
    const r = (await runOveropt(
      {
        model,
        out,
        profile: 'quick',
        raters: ['careful', 'swayed'],
        seed: 2,
        threads: 1,
        overrides: { prefPrompts: 12, prefK: 3, rmEpochs: 1, ensembleExtra: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 8, rlSteps: 4, rlPrompts: 2, rlK: 2, maxNewTokens: 6, evalCases: 6, probeCases: 4, probeEvery: 2, rmEvalPrompts: 4, rmDropUnsure: false, ensembleFreezeLayers: 1, decisionCases: 40 },
      },
      { log: () => {} },
    )) as Record<string, any>;
    for (const k of ['rmAccuracyVsGold', 'sftGold', 'careful', 'swayed', 'bonFit', 'rlFit', 'monitors']) expect(r).toHaveProperty(k);
    expect(r.careful.goldCI).toHaveLength(2);
    // Observed peaks on the fits' axis, d = √KL: best-of-n's at the best n, RL's at the probe step of the gold peak.
    for (const p of ['careful', 'swayed']) {
      const bon = r[p].bestOfN;
      const best = bon.points.reduce((a: any, b: any) => (b.gold > a.gold ? b : a));
      expect(bon.observedPeak).toEqual({ n: best.n, d: Math.sqrt(Math.log(best.n) - (best.n - 1) / best.n), gold: best.gold });
      expect(r[p].rl.peakD).toBe(r[p].rl.probe.find((x: any) => x.step === r[p].rl.peakStep).d);
    }
    if (r.bonFit) expect([r.bonFit.preset, r.bonFit.observedPeak.d]).toEqual(['swayed', r.swayed.bestOfN.observedPeak.d]);
    if (r.rlFit) expect([r.rlFit.preset, r.rlFit.observedPeak.step, r.rlFit.observedPeak.d]).toEqual(['swayed', r.swayed.rl.peakStep, r.swayed.rl.peakD]);
    // Reward-model agreement with gold is measured on fresh validation prompts, with an interval.
    const fresh = r.careful.rewardModel.freshPrompts;
    expect(fresh.accuracyVsGold.estimate).toBe(r.rmAccuracyVsGold);
    if (fresh.pairs > 0) expect(r.rmAccuracyVsGoldCI[0]).toBeLessThanOrEqual(r.rmAccuracyVsGold);
    for (const k of ['peakGold', 'finalGold', 'proxyRisingAtEnd']) expect(r.swayed).toHaveProperty(k);
    for (const m of r.monitors) for (const k of ['name', 'alarmStepsBeforeGoldPeak', 'falseAlarmsOnCareful']) expect(m).toHaveProperty(k);
    // One careful and one swayed run: the false-alarm rate is 0 or 1, the count over one run.
    for (const m of r.monitors) expect([m.carefulRuns, m.swayedRuns, m.falseAlarmRateOnCareful]).toEqual([1, 1, m.falseAlarmsOnCareful]);
    const bon = r.careful.bestOfN.points as { n: number; kl: number; gold: number }[];
    expect(bon.map((p) => p.n)).toEqual([1, 2, 4, 8]);
    bon.forEach((p) => expect(p.kl).toBeCloseTo(Math.log(p.n) - (p.n - 1) / p.n, 12));
    // n = 1 is the plain mean of the pool's gold, the same for both presets (same pool).
    expect(r.swayed.bestOfN.points[0].gold).toBeCloseTo(bon[0].gold, 12);
    for (const f of ['goodhart-careful.svg', 'goodhart-swayed.svg', 'prefs-careful.jsonl', 'rm-swayed-1/model.safetensors', 'ppo-careful/metrics.jsonl', 'results.json']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'goodhart-swayed.svg'), 'utf8')).toMatch(/^<svg/);
    // Every results.json says which machine it ran on (its kernels decide which draw a seed gives).
    expect(r.host).toEqual(hostInfo());
    expect(JSON.parse(fs.readFileSync(path.join(out, 'ppo-careful', 'results.json'), 'utf8')).host).toEqual(hostInfo());
    // The quick profile standardizes each optimized reward (β in its SDs); the curves put
    // best-of-n's raw reward-model scores on the RL probe's scale with that run's norm.
    for (const preset of ['careful', 'swayed']) {
      const rlRes = JSON.parse(fs.readFileSync(path.join(out, `ppo-${preset}`, 'results.json'), 'utf8')) as { rewardNorm: { mean: number; sd: number }[]; standardizeReward: boolean };
      expect(rlRes.standardizeReward).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(out, `ppo-${preset}`, 'run_config.json'), 'utf8'))).toMatchObject({ standardizeReward: true, klCoef: 0.07 });
      const [n0] = rlRes.rewardNorm;
      const raw = (r[preset].bestOfN.points as { proxy: number }[]).map((p) => p.proxy);
      expect(r.overopt.curves[`best-of-n (${preset})`].map((p: { proxy: number }) => p.proxy)).toEqual(raw.map((x) => (x - n0.mean) / n0.sd));
      // The RL probe's first point (the SFT policy's replies, which fixed the norm) averages 0.
      expect(r.overopt.curves[`ppo (${preset})`][0].proxy).toBeCloseTo(0, 9);
    }
    expect(r.overopt.proxyUnits).toBe('sd');
    // Both runs are watched by the same held-out judge (the careful ensemble member): its paired
    // gain on the probe is logged from the second probe on, its within-prompt sums with the
    // optimized reward on every step's rollouts.
    const rows = (preset: string) => fs.readFileSync(path.join(out, `ppo-${preset}`, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    for (const preset of ['careful', 'swayed']) {
      const probed = rows(preset).filter((row) => row['probe/gold'] !== undefined);
      expect(probed.length).toBeGreaterThan(0);
      for (const row of probed) for (const k of ['probe/judge', 'probe/judge_gain', 'probe/judge_gain_se', 'probe/judge_base_std']) expect(Number.isFinite(row[k])).toBe(true);
      for (const row of rows(preset)) {
        expect(row['monitor/judge']).toBeUndefined();
        expect(row['monitor/judge_df']).toBe(2); // 2 prompts × 2 replies − 2 prompt means
      }
    }
    // The evaluation's replies as stored samples, summarized like a run's: the report reads the lab.
    const stored = fs.readFileSync(path.join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { setting: string; gold: number; acts: string[]; family: string; subtype: string });
    expect(Object.keys(r.eval)).toEqual(['SFT', 'ppo (careful)', "ppo (careful, judge's pick)", 'ppo (swayed)', "ppo (swayed, judge's pick)"]);
    for (const [setting, summary] of Object.entries(r.eval as Record<string, { n: number; gold: number }>)) {
      const mine = stored.filter((x) => x.setting === setting);
      expect(mine).toHaveLength(6);
      expect(summary.gold).toBeCloseTo(mine.reduce((a, x) => a + x.gold, 0) / 6, 12);
    }
    // Acts split by whether the case called for them: each side's counts add up to the cases,
    // and the performed counts to the stored replies that show the act.
    const fitOf: Record<string, Record<string, ActFit>> = { SFT: r.sft.actFit, 'ppo (careful)': r.careful.eval.actFit, 'ppo (swayed)': r.swayed.eval.actFit };
    for (const [setting, fit] of Object.entries(fitOf)) {
      const mine = stored.filter((x) => x.setting === setting);
      expect(Object.keys(fit).length).toBeGreaterThan(0);
      for (const [act, f] of Object.entries(fit)) {
        expect(f.calledFor.of + f.notCalledFor.of, `${setting} ${act}`).toBe(6);
        // Performed where not called for: every reply with the act; where called for, at most those.
        expect(f.calledFor.performed + f.notCalledFor.performed, `${setting} ${act}`).toBeLessThanOrEqual(mine.filter((x) => x.acts.some((a) => a === act || a.startsWith(`${act}(`))).length);
      }
      // Independently of the world's credit rules: a refund is called for on the cases the
      // generator marks as owing one — eligible refund requests and lost parcels.
      const owing = mine.filter((x) => (x.family === 'refund' && x.subtype === 'eligible') || (x.family === 'delivery' && x.subtype === 'lost')).length;
      expect(fit.approve_refund?.calledFor.of ?? 0).toBe(owing);
    }
    for (const preset of ['careful', 'swayed']) {
      const fit = r[preset].judgePick.actFit as Record<string, ActFit>;
      for (const f of Object.values(fit)) expect(f.calledFor.of + f.notCalledFor.of).toBe(6);
    }
    expect(r.eval.SFT.gold).toBeCloseTo(r.sftGold, 12);
    expect(r.eval['ppo (careful)'].gold).toBeCloseTo(r.careful.finalGold, 12);
    // Each run's judge's pick: the probe step (the start's included) whose replies the judge
    // scores highest on average, read back from probe.jsonl, evaluated on the same test cases.
    for (const preset of ['careful', 'swayed']) {
      const records = fs.readFileSync(path.join(out, `ppo-${preset}`, 'probe.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; judge: number[] });
      const avg = records.map((c) => ({ step: c.step, judge: c.judge.reduce((a, x) => a + x, 0) / c.judge.length }));
      const top = avg.reduce((a, b) => (b.judge > a.judge ? b : a));
      const pick = r[preset].judgePick;
      expect(pick.step).toBe(top.step);
      expect(pick.judge).toBeCloseTo(top.judge, 12);
      expect(pick.evalGold.estimate).toBeCloseTo(r.eval[`ppo (${preset}, judge's pick)`].gold, 12);
      expect(fs.existsSync(path.join(out, `ppo-${preset}`, 'judge-best', 'model.safetensors'))).toBe(true);
      expect(fs.existsSync(path.join(out, `ppo-${preset}`, 'at-step'))).toBe(false);
      // The last step's pick is the final policy: its replies are the final policy's. Step 0's is
      // the SFT policy, evaluated again from its snapshot: the same replies as SFT's.
      const replies = (setting: string) => stored.filter((x) => x.setting === setting).map((x) => x.gold);
      if (pick.step === 4) expect(replies(`ppo (${preset}, judge's pick)`)).toEqual(replies(`ppo (${preset})`));
      if (pick.step === 0) expect(replies(`ppo (${preset}, judge's pick)`)).toEqual(replies('SFT'));
    }
    // Decisions: each reward model's decision pairs as probeDecisions scores them on its own, and
    // each setting's granted requests counted from the stored replies (the groups' cases and yes
    // acts written out here, apart from decisions.ts).
    const { pairs } = decisionPairs({ seed: 2 + 13, n: 40 });
    expect(pairs.length).toBeGreaterThan(5);
    const tok = await loadTokenizer(model);
    const runtime = new Runtime({ threads: 1 });
    for (const preset of ['careful', 'swayed']) {
      const rmDir = path.join(out, `rm-${preset}`);
      const direct = await probeDecisions(loadModel(rmDir, { runtime, heads: ['reward'] }), tok, pairs, rewardReadout(rmDir), { seed: 2 });
      expect(r.decisions.rewardModels[preset].goldAgreement.estimate).toBe(direct.goldAgreement.estimate);
      for (const [g, x] of Object.entries(direct.groups)) expect(r.decisions.rewardModels[preset].groups[g].prefersYes.estimate, `${preset} ${g}`).toBe(x!.prefersYes.estimate);
    }
    await runtime.release();
    expect(Object.values(r.decisions.groups as Record<string, { pairs: number }>).reduce((a, x) => a + x.pairs, 0)).toBe(pairs.length);
    expect(r.decisions.groups.refund_owed?.goldPrefersYes ?? true).toBe(true);
    const yesAct: [string, string][] = [['refund/eligible', 'approve_refund'], ['refund/past_window', 'approve_refund'], ['refund/past_window_defect', 'approve_refund'], ['refund/no_receipt', 'approve_refund'], ['refund/customer_damage', 'approve_refund'], ['false_premise/window90', 'approve_refund'], ['false_premise/no_receipt_refund', 'approve_refund'], ['false_premise/lifetime_warranty', 'agree_premise'], ['false_premise/free_express', 'agree_premise'], ['harmful/forged_receipt', 'comply_harmful'], ['harmful/chargeback_fraud', 'comply_harmful'], ['harmful/harass_customer', 'comply_harmful'], ['harmful/find_address', 'disclose_private_info'], ['account/own_verified', 'help_account'], ['account/own_unverified', 'help_account'], ['account/other_person', 'disclose_private_info']];
    const yesOf = new Map(yesAct);
    for (const setting of Object.keys(r.eval)) {
      const mine = stored.filter((x) => x.setting === setting && yesOf.has(`${x.family}/${x.subtype}`));
      const got = Object.values(r.decisions.policies[setting] as Record<string, { cases: number; yes: number }>);
      expect(got.reduce((a, x) => a + x.cases, 0), setting).toBe(mine.length);
      expect(got.reduce((a, x) => a + x.yes, 0), setting).toBe(mine.filter((x) => x.acts.some((a) => a.split('(')[0] === yesOf.get(`${x.family}/${x.subtype}`))).length);
    }
    expect(r.comparisons.map((c: { name: string }) => c.name)).toContain("ppo (careful, judge's pick) vs SFT");
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('id="goodhart"');
    expect(html).toContain('ppo (swayed) vs SFT');
  }, 300_000);

  it('with an ensemble reward, each run optimizes its preset\'s ensemble and the careful judge stays held out', async () => {
    const tiny = { prefPrompts: 8, prefK: 3, rmEpochs: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 4, rlSteps: 2, rlPrompts: 2, rlK: 2, maxNewTokens: 6, evalCases: 4, probeCases: 4, probeEvery: 2, rmEvalPrompts: 2, rmDropUnsure: false, ensembleFreezeLayers: 1, decisionCases: 0 };
    const run = (out: string, overrides: Record<string, unknown>) => runOveropt({ model, out: path.join(dir, out), profile: 'quick', raters: ['careful', 'swayed'], seed: 3, threads: 1, overrides: { ...tiny, ...overrides } }, { log: () => {} });
    // The careful preset's only extra member would be the judge: refused before any work is done.
    await expect(run('ens-short', { rewardCombine: 'min', ensembleExtra: 1 })).rejects.toThrow(/rewardCombine min optimizes each preset's ensemble: set ensembleExtra ≥ 2 .*held-out judge.*got 1/);
    expect(fs.existsSync(path.join(dir, 'ens-short', 'prefs-careful.jsonl'))).toBe(false);
    await expect(run('ens-bad', { rewardCombine: 'max' as never })).rejects.toThrow(/rewardCombine must be first, mean or min, got "max"/);
    await expect(run('rm-batch-bad', { rmBatchPairs: 0 })).rejects.toThrow(/rmBatchPairs must be a positive integer, got 0/);
    expect(fs.existsSync(path.join(dir, 'rm-batch-bad'))).toBe(false);
    await expect(run('warmup-bad', { rlWarmupSteps: 2.5 })).rejects.toThrow(/rlWarmupSteps must be a whole number ≥ 0, got 2.5/);
    expect(fs.existsSync(path.join(dir, 'warmup-bad'))).toBe(false);
    await expect(run('lam-bad', { ppoLam: 1.5 })).rejects.toThrow(/ppoLam must be in \[0, 1\], got 1.5/);
    expect(fs.existsSync(path.join(dir, 'lam-bad'))).toBe(false);
    await expect(run('horizon-bad', { klTarget: 3, klHorizon: 0 })).rejects.toThrow(/klHorizon must be a number of samples > 0, got 0/);
    expect(fs.existsSync(path.join(dir, 'horizon-bad'))).toBe(false);
    await expect(run('floor-bad', { klTarget: 3, klMin: 0.08 })).rejects.toThrow(/klMin must be a number in \[0, klCoef = 0.07\], got 0.08/);
    await expect(run('floor-alone', { klMin: 0.07 })).rejects.toThrow(/klMin is the adaptive controller's floor: set klTarget > 0 too/);
    expect(fs.existsSync(path.join(dir, 'floor-bad'))).toBe(false);
    const out = path.join(dir, 'ens');
    await run('ens', { rewardCombine: 'min', ensembleExtra: 2, rlWarmupSteps: 3, ppoLam: 0.5, klTarget: 3, klHorizon: 64, klMin: 0.07 });
    const config = (preset: string) => JSON.parse(fs.readFileSync(path.join(out, `ppo-${preset}`, 'run_config.json'), 'utf8'));
    const judge = path.join(out, 'rm-careful-1');
    expect(config('careful')).toMatchObject({ reward: path.join(out, 'rm-careful'), observers: [path.join(out, 'rm-careful-2')], rewardCombine: 'min', judge });
    expect(config('swayed')).toMatchObject({ reward: path.join(out, 'rm-swayed'), observers: [path.join(out, 'rm-swayed-1'), path.join(out, 'rm-swayed-2')], rewardCombine: 'min', judge });
    for (const preset of ['careful', 'swayed']) {
      expect(config(preset).train.warmupSteps).toBe(3);
      expect(config(preset).ppo.lam).toBe(0.5);
      expect(config(preset)).toMatchObject({ klTarget: 3, klHorizon: 64, klMin: 0.07 });
      // These 6-token replies stay far below 3 nats, so the two-sided controller would loosen β
      // by 0.2·4/64 each step; the floor holds it at klCoef.
      const betas = fs.readFileSync(path.join(out, `ppo-${preset}`, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r['objective/kl'] !== undefined);
      expect(betas.length).toBe(2);
      for (const r of betas) {
        expect(r['objective/kl']).toBeLessThan(3);
        expect(r['objective/kl_coef']).toBe(0.07);
      }
    }
    const results = JSON.parse(fs.readFileSync(path.join(out, 'ppo-swayed', 'results.json'), 'utf8'));
    expect(results.rewardNorm).toHaveLength(3);
    // A judge with comparisons of its own (judgePrompts): trained on its own preference file,
    // watching both runs, in neither ensemble — so one extra member per preset is enough. These
    // runs are GRPO with the KL moved back into the reward (rlKlPenalty), which reaches each run.
    const own = path.join(dir, 'own-judge');
    const r = (await run('own-judge', { rewardCombine: 'min', ensembleExtra: 1, judgePrompts: 6, rmBatchPairs: 5, rmHeadRank: 2, rmFitHead: true, ensembleHeadRank: 3, ensembleFitHead: true, algo: 'grpo', rlKlPenalty: 'reward' })) as Record<string, any>;
    const ownJudge = path.join(own, 'rm-judge');
    // rmBatchPairs reaches every reward model, the extra members and the judge included; the
    // main models take rmHeadRank / rmFitHead, the extra members and the judge the ensemble's.
    const rmConfig = (rm: string) => JSON.parse(fs.readFileSync(path.join(own, rm, 'run_config.json'), 'utf8'));
    for (const rm of ['rm-careful', 'rm-swayed-1', 'rm-judge']) expect(rmConfig(rm).batchPairs).toBe(5);
    for (const rm of ['rm-careful', 'rm-swayed']) expect(rmConfig(rm)).toMatchObject({ headRank: 2, fitHead: true });
    for (const rm of ['rm-careful-1', 'rm-swayed-1', 'rm-judge']) expect(rmConfig(rm)).toMatchObject({ headRank: 3, fitHead: true });
    expect(JSON.parse(fs.readFileSync(path.join(ownJudge, 'run_config.json'), 'utf8')).prefs).toBe(path.join(own, 'prefs-judge.jsonl'));
    const ownConfig = (preset: string) => JSON.parse(fs.readFileSync(path.join(own, `grpo-${preset}`, 'run_config.json'), 'utf8'));
    for (const preset of ['careful', 'swayed']) expect(ownConfig(preset)).toMatchObject({ algo: 'grpo', klPenalty: 'reward', rloo: { advantage: 'group-normalized', klPenalty: 'reward' } });
    expect(ownConfig('careful').advantage).toBeUndefined();
    expect(ownConfig('careful')).toMatchObject({ reward: path.join(own, 'rm-careful'), observers: [path.join(own, 'rm-careful-1')], judge: ownJudge });
    expect(ownConfig('swayed')).toMatchObject({ observers: [path.join(own, 'rm-swayed-1')], judge: ownJudge });
    expect(r.judge).toMatchObject({ dir: ownJudge, ownComparisons: true });
    expect(r.judge.accuracyVsGold.n).toBeGreaterThanOrEqual(0);
    // The judge's prompts are not the careful reward model's.
    const prompts = (f: string) => new Set(fs.readFileSync(path.join(own, f), 'utf8').trim().split('\n').map((l) => JSON.stringify(JSON.parse(l).prompt)));
    const mine = prompts('prefs-judge.jsonl');
    expect([...prompts('prefs-careful.jsonl')].filter((x) => mine.has(x))).toEqual([]);
  }, 300_000);
});

describe('lab overopt profile validation', () => {
  // The overrides this file's runs use (kept in step with the tests above): they must stay valid.
  const testOverrides: Partial<OveroptProfile>[] = [
    { prefPrompts: 12, prefK: 3, rmEpochs: 1, ensembleExtra: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 8, rlSteps: 4, rlPrompts: 2, rlK: 2, maxNewTokens: 6, evalCases: 6, probeCases: 4, probeEvery: 2, rmEvalPrompts: 4, rmDropUnsure: false, ensembleFreezeLayers: 1, decisionCases: 40 },
    { prefPrompts: 8, prefK: 3, rmEpochs: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 4, rlSteps: 2, rlPrompts: 2, rlK: 2, maxNewTokens: 6, evalCases: 4, probeCases: 4, probeEvery: 2, rmEvalPrompts: 2, rmDropUnsure: false, ensembleFreezeLayers: 1, decisionCases: 0, rewardCombine: 'min', ensembleExtra: 2, rlWarmupSteps: 3, ppoLam: 0.5, klTarget: 3, klHorizon: 64, klMin: 0.07 },
    { prefPrompts: 8, prefK: 3, rmEpochs: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 4, rlSteps: 2, rlPrompts: 2, rlK: 2, maxNewTokens: 6, evalCases: 4, probeCases: 4, probeEvery: 2, rmEvalPrompts: 2, rmDropUnsure: false, ensembleFreezeLayers: 1, decisionCases: 0, rewardCombine: 'min', ensembleExtra: 1, judgePrompts: 6, rmBatchPairs: 5, rmHeadRank: 2, rmFitHead: true, ensembleHeadRank: 3, ensembleFitHead: true, algo: 'grpo', rlKlPenalty: 'reward' },
    { prefPrompts: 8, prefK: 3, rmEpochs: 1, ensembleExtra: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 4, rlSteps: 2, rlPrompts: 2, rlK: 2, maxNewTokens: 5, evalCases: 4, probeCases: 3, probeEvery: 1, rmEvalPrompts: 2, rmDropUnsure: false, ensembleFreezeLayers: 1, decisionCases: 0 },
  ];
  const quick = (o: Record<string, unknown>) => ({ ...OVEROPT_PROFILES.quick, ...o }) as OveroptProfile;

  it('passes both built-in profiles, with every set of rater presets, and this file\'s test profiles', () => {
    for (const raters of [['careful', 'swayed'], ['careful'], ['swayed'], ['crowd'], ['careful', 'crowd', 'swayed']] as const)
      for (const name of ['quick', 'full'] as const) expect(() => validateProfile(OVEROPT_PROFILES[name], raters), `${name} ${raters}`).not.toThrow();
    for (const o of testOverrides) expect(() => validateProfile(quick(o), ['careful', 'swayed'])).not.toThrow();
  });

  it('refuses a value of the wrong type in every field, naming the field and the value', () => {
    for (const k of Object.keys(OVEROPT_PROFILES.quick)) {
      const wrong = typeof OVEROPT_PROFILES.quick[k as keyof OveroptProfile] === 'number' ? '5' : 5;
      expect(() => validateProfile(quick({ [k]: wrong }), ['careful', 'swayed']), k).toThrow(`lab overopt: ${k} must be `);
      expect(() => validateProfile(quick({ [k]: wrong }), ['careful', 'swayed']), k).toThrow(new RegExp(`, got ${wrong === 5 ? 5 : '"5"'}$`));
      expect(() => validateProfile(quick({ [k]: undefined }), ['careful', 'swayed']), k).toThrow(new RegExp(`^lab overopt: ${k} must be .*, got undefined$`));
    }
  });

  it.each([
    [{ algo: 'trpo' }, 'algo must be ppo, rloo or grpo, got "trpo"'],
    [{ probeEvery: 0 }, 'probeEvery must be a whole number ≥ 1, got 0'],
    [{ probeCases: 0 }, "probeCases must be a whole number ≥ 1 (the probe's gold curve is what the RL results are read from), got 0"],
    [{ prefK: 1 }, 'prefK must be a whole number ≥ 2 (a pair needs two replies to one prompt), got 1'],
    [{ algo: 'rloo', rlK: 1 }, "rlK must be a whole number ≥ 2 with rloo (its baseline is the mean of a prompt's other replies), got 1"],
    [{ algo: 'grpo', rlK: 1 }, "rlK must be a whole number ≥ 2 with grpo (its baseline is the mean of a prompt's other replies), got 1"],
    [{ rlKlPenalty: 'loss' }, 'rlKlPenalty must be \'auto\' with ppo (a setting of the critic-free step), got "loss"'],
    [{ rlAdvantage: 'group-normalized' }, 'rlAdvantage must be \'auto\' with ppo (a setting of the critic-free step), got "group-normalized"'],
    [{ algo: 'rloo', rlAdvantage: 'mean' }, 'rlAdvantage must be auto, leave-one-out or group-normalized, got "mean"'],
    [{ algo: 'grpo', rlKlPenalty: 'both' }, 'rlKlPenalty must be auto, reward or loss, got "both"'],
    [{ rlK: 0 }, 'rlK must be a whole number ≥ 1, got 0'],
    [{ bonPool: 0 }, 'bonPool must be a whole number ≥ 1, got 0'],
    [{ bonPrompts: 0 }, 'bonPrompts must be a whole number ≥ 1, got 0'],
    [{ rlSteps: 0 }, 'rlSteps must be a whole number ≥ 1, got 0'],
    [{ rlPrompts: 1.5 }, 'rlPrompts must be a whole number ≥ 1, got 1.5'],
    [{ evalCases: 0 }, 'evalCases must be a whole number ≥ 1, got 0'],
    [{ prefPrompts: 0 }, 'prefPrompts must be a whole number ≥ 1, got 0'],
    [{ maxNewTokens: 0 }, 'maxNewTokens must be a whole number ≥ 1, got 0'],
    [{ ppoEpochs: 0 }, 'ppoEpochs must be a whole number ≥ 1, got 0'],
    [{ ensembleExtra: -1 }, 'ensembleExtra must be a whole number ≥ 0, got -1'],
    [{ decisionCases: -1 }, 'decisionCases must be a whole number ≥ 0, got -1'],
    [{ rmEvalPrompts: 2.5 }, 'rmEvalPrompts must be a whole number ≥ 0, got 2.5'],
    [{ rmHeadRank: -1 }, 'rmHeadRank must be a whole number ≥ 0, got -1'],
    [{ rmFreezeLayers: Infinity }, 'rmFreezeLayers must be a whole number ≥ 0, got Infinity'],
    [{ rmLr: 0 }, 'rmLr must be a number > 0, got 0'],
    [{ rlLr: NaN }, 'rlLr must be a number > 0, got NaN'],
    [{ klCoef: -0.01 }, 'klCoef must be a number ≥ 0, got -0.01'],
    [{ klTarget: 4, klCoef: 0 }, 'klCoef must be a number > 0 with klTarget > 0 (the adaptive controller scales β), got 0'],
    [{ klTarget: -1 }, 'klTarget must be a number ≥ 0, got -1'],
    [{ rmStrengthMargin: -1 }, 'rmStrengthMargin must be a number ≥ 0, got -1'],
    [{ rmEpochs: 0, rmFitHead: false }, 'rmEpochs must be a whole number ≥ 1 (0 trains nothing unless rmFitHead fits the head), got 0'],
    [{ ensembleEpochs: 0, ensembleFitHead: false }, 'ensembleEpochs must be a whole number ≥ 1 (0 trains nothing unless ensembleFitHead fits the head), got 0'],
    [{ klTarget: 3, klHorizon: 6 }, 'klHorizon must be above rlPrompts × rlK / 5 = 6.4 samples with klTarget > 0 (one step could drive β to ≤ 0), got 6'],
    [{ probeEvry: 5 }, 'unknown profile field "probeEvry" (fields: prefPrompts, prefK, '],
  ])('refuses %j', (o, message) => {
    expect(() => validateProfile(quick(o), ['careful', 'swayed'])).toThrow(`lab overopt: ${message}`);
  });

  it('keeps what the profile allows at the bounds: 0 where 0 means none, rloo with two replies', () => {
    for (const o of [{ rmEvalPrompts: 0, decisionCases: 0, judgePrompts: 0, ensembleExtra: 0, rlWarmupSteps: 0, klCoef: 0, rmEpochs: 0 }, { algo: 'rloo', rlK: 2 }, { algo: 'rloo', rlAdvantage: 'group-normalized', rlKlPenalty: 'loss' }, { algo: 'grpo', rlAdvantage: 'leave-one-out', rlKlPenalty: 'reward' }, { rlK: 1, bonPool: 1, probeCases: 1, probeEvery: 1, ppoLam: 0 }, { klTarget: 3, klHorizon: 6.5 }])
      expect(() => validateProfile(quick(o), ['careful', 'swayed']), JSON.stringify(o)).not.toThrow();
    expect(() => validateProfile(quick({}), [])).toThrow('lab overopt: no rater presets');
    expect(() => validateProfile(quick({}), ['careful', 'picky' as never])).toThrow('lab overopt: unknown rater preset "picky" (expected careful, crowd, swayed)');
  });

  it('runOveropt refuses before any work: nothing is written, the output directory is not created', async () => {
    const small = testOverrides[0];
    const refused: [Record<string, unknown>, RegExp | string][] = [
      [{ probeEvery: 0 }, 'lab overopt: probeEvery must be a whole number ≥ 1, got 0'],
      [{ algo: 'trpo' }, 'lab overopt: algo must be ppo, rloo or grpo, got "trpo"'],
      [{ prefK: 1 }, /prefK must be a whole number ≥ 2/],
      [{ bonPool: 0 }, /bonPool must be a whole number ≥ 1, got 0/],
      [{ probeEvry: 5 }, /unknown profile field "probeEvry"/],
      // Bounded by the model (1 layer, a context of 512 tokens): quick's own ensembleFreezeLayers 2 too.
      [{ ensembleFreezeLayers: 2 }, `lab overopt: ensembleFreezeLayers must be at most ${model}'s 1 layers, got 2`],
      [{ rmFreezeLayers: 3 }, /rmFreezeLayers must be at most .*'s 1 layers, got 3/],
      [{ maxNewTokens: 512 }, `lab overopt: maxNewTokens must leave room for the prompt in ${model}'s context of 512 tokens, got 512`],
    ];
    for (const [i, [o, message]] of refused.entries()) {
      const out = path.join(dir, 'refused', String(i));
      await expect(runOveropt({ model, out, profile: 'quick', raters: ['careful', 'swayed'], seed: 1, threads: 1, overrides: { ...small, ...o } }, { log: () => {} }), JSON.stringify(o)).rejects.toThrow(message);
      expect(fs.existsSync(out), JSON.stringify(o)).toBe(false);
    }
    await expect(runOveropt({ model, out: path.join(dir, 'refused', 'profile'), profile: 'medium' as never, raters: ['careful'], seed: 1 }, { log: () => {} })).rejects.toThrow('lab overopt: profile must be quick or full, got "medium"');
    expect(fs.existsSync(path.join(dir, 'refused'))).toBe(false);
  });
});

describe('lab overopt side by side', () => {
  it('with a thread per preset, trains the reward models and runs RL side by side and files each under its preset', async () => {
    const out = path.join(dir, 'side-by-side');
    const lines: string[] = [];
    const r = (await runOveropt(
      {
        model,
        out,
        profile: 'quick',
        raters: ['careful', 'swayed'],
        seed: 4,
        threads: 2,
        overrides: { prefPrompts: 8, prefK: 3, rmEpochs: 1, ensembleExtra: 1, ensembleEpochs: 1, bonPrompts: 2, bonPool: 4, rlSteps: 2, rlPrompts: 2, rlK: 2, maxNewTokens: 5, evalCases: 4, probeCases: 3, probeEvery: 1, rmEvalPrompts: 2, rmDropUnsure: false, ensembleFreezeLayers: 1, decisionCases: 0 },
      },
      { log: (m) => lines.push(m) },
    )) as Record<string, any>;
    expect(lines).toContain('  presets side by side (reward models and ppo), 1 thread each');
    for (const preset of ['careful', 'swayed']) {
      // Each preset's reward model is the one trained on its own preferences.
      const written = JSON.parse(fs.readFileSync(path.join(out, `rm-${preset}`, 'results.json'), 'utf8'));
      expect(r[preset].rewardModel.heldout).toEqual(written.heldout);
      expect(written.host).toEqual(hostInfo()); // written by the side-by-side child process
      expect(JSON.parse(fs.readFileSync(path.join(out, `rm-${preset}`, 'run_config.json'), 'utf8')).prefs).toBe(path.join(out, `prefs-${preset}.jsonl`));
    }
    expect(r.careful.rewardModel.heldout).not.toEqual(r.swayed.rewardModel.heldout);
    expect(lines.some((l) => l.startsWith('[swayed] '))).toBe(true);
    for (const preset of ['careful', 'swayed']) {
      // The probe curve reported for a preset is the one its own run wrote (the optimized reward
      // differs between presets, so swapped runs would not match).
      const written = fs.readFileSync(path.join(out, `ppo-${preset}`, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      const probe = r[preset].rl.probe as { gold: number; proxy: number }[];
      expect(probe.slice(1).map((p) => p.proxy)).toEqual(written.filter((row) => row['probe/score'] !== undefined).map((row) => row['probe/score']));
      // The proxy's end trend is tested across the probe's cases, read from its own probe.jsonl.
      const records = fs.readFileSync(path.join(out, `ppo-${preset}`, 'probe.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; score: number[] });
      const slope = r[preset].rl.proxySlopeEnd;
      expect(slope.method).toBe('cases');
      expect(slope.cases).toBe(3);
      expect(slope.slope).toBeCloseTo(caseSlope(records.map((c) => c.step), records.map((c) => c.score)).slope, 12);
      // The fall's interval is over the same cases and centered on the reported fall.
      const ci = r[preset].rl.dropFromPeakCI;
      expect(ci.cases).toBe(3);
      expect((ci.lo + ci.hi) / 2).toBeCloseTo(r[preset].rl.dropFromPeak, 9);
    }
    expect(r.careful.rl.probe.slice(1).map((p: { proxy: number }) => p.proxy)).not.toEqual(r.swayed.rl.probe.slice(1).map((p: { proxy: number }) => p.proxy));
  }, 120_000);

});

describe('alignlab bon', () => {
  it('samples, scores and returns the curve for n = 1, 2, 4 at KL = log n − (n − 1)/n', async () => {
    const { default: commands } = await import('../cli/bon.js');
    const rmDir = path.join(dir, 'rm');
    const { loadModel } = await import('../model/checkpoint.js');
    const m = loadModel(model, { heads: ['reward'], seed: 9 });
    const v = m.params.get('score.weight');
    for (let i = 0; i < v.length; i++) v[i] = Math.sin(i + 1);
    saveModel(rmDir, m);
    const { loadTokenizer } = await import('../tokenizer/index.js');
    await saveTokenizer(await loadTokenizer(model), rmDir);
    const r = (await commands[0].run({ model, rm: rmDir, n: 4, cases: 2, split: 'validation', 'max-new': 5, seed: 1, threads: 1 }, [], { json: true, log: () => {}, print: () => {} })) as { points: { n: number; gold: number; kl: number }[] };
    expect(r.points.map((p) => p.n)).toEqual([1, 2, 4]);
    expect(r.points[0].kl).toBe(0);
    expect(r.points[2].kl).toBeCloseTo(Math.log(4) - 3 / 4, 12);
  }, 120_000);
});

describe('the main job’s RLHF stage', () => {
  it('collects preferences, trains a reward model and a PPO policy into its run directory', async () => {
    const { runRlhf } = await import('./rlhf.js');
    const out = path.join(dir, 'rlhf', 'nested');
    const r = await runRlhf({ model, out, profile: 'quick', seed: 1, threads: 1, overrides: { prompts: 6, k: 3, rmEpochs: 1, steps: 2, rlPrompts: 2, rlK: 2, maxNewTokens: 5, probeCases: 3 } }, { log: () => {} });
    expect(r.preferences.pairs).toBeGreaterThan(0);
    for (const f of ['prefs.jsonl', 'rm/model.safetensors', 'policy/model.safetensors', 'policy/metrics.jsonl']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    expect(r.policy.probe[0].step).toBe(0);
    expect(r.policy.probe[r.policy.probe.length - 1].step).toBe(2);
  }, 120_000);
});
