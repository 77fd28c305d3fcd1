/**
 * RL runs in the world: same seed → identical runs, and a run interrupted after a checkpoint
 * resumes to exactly the parameters and metrics of an uninterrupted one (PPO, value head and
 * KL controller included).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyWorldModel } from './test-fixtures.js';
import { combineScores, differingOptions, judgeBestStep, pairedGain, runRl, withinPrompt, type JudgeBest, type ProbeRecord, type RlRunOptions } from './rl.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { loadModel, saveModel } from '../model/checkpoint.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-rl-'));
  model = path.join(dir, 'model');
  await tinyWorldModel(model);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const quiet = { log: () => {} };
const strip = (rows: Record<string, number>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('time/'))));
const metrics = (out: string) => strip(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));

describe('runRl', () => {
  it('resumes PPO from a checkpoint bit-identically (parameters and metrics)', async () => {
    // With a judge on the probe: the resumed run re-derives the first probe (the paired gains'
    // base) from the reference, so its gains at step 4 must equal the straight run's.
    const judgeDir = path.join(dir, 'judge');
    saveModel(judgeDir, loadModel(model, { heads: ['reward'], seed: 8 }));
    const base: RlRunOptions = { algo: 'ppo', model, reward: 'gold', judge: judgeDir, steps: 4, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, warmupSteps: 6, klCoef: 0.05, klTarget: 1, klHorizon: 8, ppoEpochs: 2, seed: 3, out: '', threads: 1, checkpointEvery: 2, probe: { n: 2, every: 2 }, keepJudgeBest: true };
    const a = path.join(dir, 'straight');
    await runRl({ ...base, out: a }, quiet);
    // The warm-up ramps the rate over 6 optimizer steps (2 per RL step; each row logs its step's
    // last); the checkpoint at step 2 falls inside it, so the resumed run must continue the ramp.
    expect(metrics(a).map((r) => r['train/learning_rate'])).toEqual([1e-3 * (2 / 6), 1e-3 * (4 / 6), 1e-3, 1e-3]);
    const b = path.join(dir, 'resumed');
    // A crash after step 4 (the checkpoint holds step 2): the resumed run recomputes steps 3 and
    // 4, so it must drop step 4's stale probe record and write it anew.
    await expect(runRl({ ...base, out: b }, { ...quiet, onStep: (_r, s) => { if (s === 3) throw new Error('killed'); } })).rejects.toThrow('killed');
    expect(fs.readFileSync(path.join(b, 'probe.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([0, 2, 4]);
    expect(fs.existsSync(path.join(b, 'checkpoint', 'trainer_state.json'))).toBe(true);
    await runRl({ ...base, out: b, resume: true }, quiet);
    expect(Buffer.compare(fs.readFileSync(path.join(a, 'model.safetensors')), fs.readFileSync(path.join(b, 'model.safetensors')))).toBe(0);
    expect(metrics(b)).toEqual(metrics(a));
    expect(metrics(a)[3]['probe/judge_gain']).toBeDefined();
    // The judge's pick survives the resume: the same step, the same weights.
    const pick = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'results.json'), 'utf8')).judgeBest as JudgeBest;
    expect({ ...pick(b), dir: '' }).toEqual({ ...pick(a), dir: '' });
    expect(Buffer.compare(fs.readFileSync(path.join(a, 'judge-best', 'model.safetensors')), fs.readFileSync(path.join(b, 'judge-best', 'model.safetensors')))).toBe(0);
    // The per-case probe records too: the resumed file has the start policy's, step 2's (kept)
    // and step 4's (recomputed) records, byte for byte those of the straight run.
    expect(fs.readFileSync(path.join(b, 'probe.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(a, 'probe.jsonl'), 'utf8'));
    expect(fs.readFileSync(path.join(a, 'probe.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([0, 2, 4]);
    // A resume whose probe.jsonl lost a record goes on, and says its records are incomplete.
    const c = path.join(dir, 'resumed-gap');
    await expect(runRl({ ...base, out: c }, { ...quiet, onStep: (_r, s) => { if (s === 2) throw new Error('killed'); } })).rejects.toThrow('killed');
    const lines = fs.readFileSync(path.join(c, 'probe.jsonl'), 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(c, 'probe.jsonl'), lines.filter((l) => JSON.parse(l).step !== 2).join('\n') + '\n{"step": 3, "gold": [0.');
    const logs: string[] = [];
    const gap = await runRl({ ...base, out: c, resume: true }, { log: (m) => logs.push(m) });
    expect(gap.probeRecordsComplete).toBe(false);
    expect(gap.probes).toBeUndefined();
    expect(logs.some((l) => /per-case records for steps \[\], but the checkpoint's probes ran after steps \[2\]/.test(l))).toBe(true);
    expect(metrics(c)).toEqual(metrics(a));
    // The adaptive controller's β moved and was carried across the resume, by the formula with
    // the given horizon: β ← β·(1 + clip(KL/target − 1, ±0.2)·n/horizon), n = 2 prompts × 2.
    const rows = metrics(a);
    expect(rows[3]['objective/kl_coef']).not.toBe(rows[0]['objective/kl_coef']);
    for (let i = 0; i < 3; i++) {
      const err = Math.max(-0.2, Math.min(0.2, rows[i]['objective/kl'] / 1 - 1));
      expect(rows[i + 1]['objective/kl_coef']).toBeCloseTo(rows[i]['objective/kl_coef'] * (1 + (err * 4) / 8), 12);
    }
  }, 120_000);

  it('same seed → same RLOO run; a different seed differs', async () => {
    const base: RlRunOptions = { algo: 'rloo', model, reward: 'proxy', steps: 2, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, seed: 5, out: '', threads: 1 };
    const x = path.join(dir, 'x');
    const y = path.join(dir, 'y');
    const z = path.join(dir, 'z');
    await runRl({ ...base, out: x }, quiet);
    await runRl({ ...base, out: y }, quiet);
    await runRl({ ...base, out: z, seed: 6 }, quiet);
    expect(metrics(y)).toEqual(metrics(x));
    expect(metrics(z)).not.toEqual(metrics(x));
  }, 120_000);
  it('GRPO: resumes bit-identically with an adaptive β (fed to the loss each step); its config records the advantage and where the KL acts; k < 2 is refused first', async () => {
    const base: RlRunOptions = { algo: 'grpo', model, reward: 'proxy', steps: 4, prompts: 2, k: 3, maxNewTokens: 6, lr: 1e-3, klCoef: 0.2, klEstimator: 'k3', klTarget: 0.01, klHorizon: 6, seed: 4, out: '', threads: 1, checkpointEvery: 2 };
    const a = path.join(dir, 'grpo-straight');
    await runRl({ ...base, out: a }, quiet);
    const rows = metrics(a);
    expect(rows[3]['objective/kl_coef']).not.toBe(rows[0]['objective/kl_coef']);
    expect(rows.every((r) => r['loss/kl_avg'] >= 0 && r['objective/frac_reward_zero_std'] >= 0)).toBe(true);
    const cfgA = JSON.parse(fs.readFileSync(path.join(a, 'run_config.json'), 'utf8'));
    expect([cfgA.kind, cfgA.rloo.advantage, cfgA.rloo.klPenalty]).toEqual(['grpo', 'group-normalized', 'loss']);
    const b = path.join(dir, 'grpo-resumed');
    await expect(runRl({ ...base, out: b }, { ...quiet, onStep: (_r, s) => { if (s === 3) throw new Error('killed'); } })).rejects.toThrow('killed');
    await runRl({ ...base, out: b, resume: true }, quiet);
    expect(Buffer.compare(fs.readFileSync(path.join(a, 'model.safetensors')), fs.readFileSync(path.join(b, 'model.safetensors')))).toBe(0);
    expect(metrics(b)).toEqual(rows);
    const c = path.join(dir, 'grpo-k1');
    await expect(runRl({ ...base, k: 1, out: c }, quiet)).rejects.toThrow(/grpo compares each reply with the other replies to its prompt: k must be a whole number ≥ 2, got 1/);
    expect(fs.existsSync(c)).toBe(false);
  }, 120_000);

  it("the critic-free step's two settings on their own: rloo with group-normalized advantages and the KL in the loss is grpo, bit for bit; either alone differs from both; ppo refuses them before any work", async () => {
    const base: RlRunOptions = { model, reward: 'proxy', steps: 2, prompts: 2, k: 3, maxNewTokens: 6, lr: 1e-3, klCoef: 0.2, seed: 5, out: '', threads: 1 };
    const run = async (name: string, extra: Partial<RlRunOptions>) => {
      const out = path.join(dir, name);
      await runRl({ ...base, ...extra, out }, quiet);
      return { out, rows: metrics(out), weights: fs.readFileSync(path.join(out, 'model.safetensors')), cfg: JSON.parse(fs.readFileSync(path.join(out, 'run_config.json'), 'utf8')).rloo };
    };
    const grpo = await run('set-grpo', { algo: 'grpo' });
    const asGrpo = await run('set-rloo-as-grpo', { algo: 'rloo', advantage: 'group-normalized', klPenalty: 'loss' });
    expect(Buffer.compare(asGrpo.weights, grpo.weights)).toBe(0);
    expect(asGrpo.rows).toEqual(grpo.rows);
    const rloo = await run('set-rloo', { algo: 'rloo' });
    const advOnly = await run('set-adv', { algo: 'rloo', advantage: 'group-normalized' });
    const klOnly = await run('set-kl', { algo: 'grpo', klPenalty: 'reward' });
    expect([advOnly.cfg.advantage, advOnly.cfg.klPenalty ?? 'reward', klOnly.cfg.advantage, klOnly.cfg.klPenalty]).toEqual(['group-normalized', 'reward', 'group-normalized', 'reward']);
    // The KL term is logged only where it is in the loss.
    expect([grpo, rloo, advOnly, klOnly].map((r) => 'loss/kl_avg' in r.rows[0])).toEqual([true, false, false, false]);
    for (const x of [advOnly, klOnly]) for (const y of [grpo, rloo]) expect(Buffer.compare(x.weights, y.weights)).not.toBe(0);
    // Group-normalized advantages with the KL in the reward, whichever algorithm is named, are the same step.
    expect(Buffer.compare(advOnly.weights, klOnly.weights)).toBe(0);
    const p = path.join(dir, 'set-ppo');
    await expect(runRl({ ...base, algo: 'ppo', klPenalty: 'loss', out: p }, quiet)).rejects.toThrow(/advantage and klPenalty are settings of the critic-free step/);
    await expect(runRl({ ...base, algo: 'rloo', advantage: 'mean' as never, out: p }, quiet)).rejects.toThrow(/advantage must be 'leave-one-out' or 'group-normalized', got "mean"/);
    expect(fs.existsSync(p)).toBe(false);
  }, 180_000);
  it('probe gains are paired differences against the first probe; a judge that is the proxy gains exactly as much', async () => {
    const rm = path.join(dir, 'rm');
    saveModel(rm, loadModel(model, { heads: ['reward'], seed: 4 }));
    const out = path.join(dir, 'probed');
    const r = await runRl({ algo: 'ppo', model, reward: rm, judge: rm, steps: 4, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-2, klCoef: 0.05, ppoEpochs: 1, seed: 2, out, threads: 1, probe: { n: 4, every: 2 }, snapshotAtProbes: true, keepJudgeBest: true }, quiet);
    const before = r.probeBefore as Record<string, number>;
    const probed = metrics(out).filter((row) => row['probe/score'] !== undefined);
    expect(probed.map((row) => row.step)).toEqual([2, 4]);
    // The policy moved: the probe's replies (and so their scores) changed.
    expect(probed.some((row) => Math.abs(row['probe/score'] - before['probe/score']) > 1e-6)).toBe(true);
    for (const row of probed) {
      // Mean of per-case differences = difference of the means.
      expect(row['probe/score_gain']).toBeCloseTo(row['probe/score'] - before['probe/score'], 9);
      expect(row['probe/judge_gain']).toBeCloseTo(row['probe/score_gain'], 9);
      expect(row['probe/judge_gain_se']).toBeCloseTo(row['probe/score_gain_se'], 9);
      expect(row['probe/score_base_std']).toBeCloseTo(before['probe/score_std'], 9);
      expect(row['probe/score_gain_se']).toBeGreaterThanOrEqual(0);
      // A judge identical to the proxy: its per-case gains are the proxy's, correlation 1.
      expect(row['probe/gain_corr']).toBeCloseTo(1, 9);
    }
    // The judge scores the rollouts too: identical to the optimized reward, it ranks every
    // prompt's replies the same way (within-prompt correlation 1, equal sums).
    for (const row of metrics(out)) {
      expect(row['monitor/judge_corr']).toBeCloseTo(1, 9);
      expect(row['monitor/judge_sxy']).toBeCloseTo(row['monitor/judge_sxx'], 9);
      expect(row['monitor/judge_syy']).toBeCloseTo(row['monitor/judge_sxx'], 9);
      expect(row['monitor/judge_df']).toBe(2); // 2 prompts × 2 replies − 2 prompt means
    }
    // probe.jsonl holds each probe's per-case values, whose means are the logged metrics.
    const records = fs.readFileSync(path.join(out, 'probe.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ProbeRecord);
    expect(r.probes).toEqual(records);
    expect(records.map((c) => c.step)).toEqual([0, 2, 4]);
    const avg = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    for (const [c, row] of records.map((c, i) => [c, i === 0 ? before : probed[i - 1]] as const)) {
      expect(c.gold).toHaveLength(4);
      expect(avg(c.gold)).toBeCloseTo(row['probe/gold'], 9);
      expect(avg(c.proxy)).toBeCloseTo(row['probe/proxy'], 9);
      expect(avg(c.score)).toBeCloseTo(row['probe/score'], 9);
      expect(avg(c.kl)).toBeCloseTo(row['probe/kl'], 9);
      expect(avg(c.judge!)).toBeCloseTo(row['probe/judge'], 9);
    }
    // The policy of each probe step was kept: the last is the final policy byte for byte, the
    // first is not (the policy moved after it).
    const weights = (d: string) => fs.readFileSync(path.join(d, 'model.safetensors'));
    expect(fs.readdirSync(path.join(out, 'at-step')).sort()).toEqual(['0', '2', '4']);
    expect(Buffer.compare(weights(path.join(out, 'at-step', '4')), weights(out))).toBe(0);
    expect(Buffer.compare(weights(path.join(out, 'at-step', '2')), weights(out))).not.toBe(0);
    // Step 0 is the start policy (with the value head PPO added): the start model's tensors, equal.
    const start = loadModel(model);
    const zero = loadModel(path.join(out, 'at-step', '0'));
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const sp of start.params.specs) expect(Buffer.compare(bytes(zero.params.get(sp.name)), bytes(start.params.get(sp.name)))).toBe(0);
    // The judge's pick is the probe step with the highest mean judge score (the start's
    // included), found here from the logged rows; judge-best/ holds that step's policy and a
    // tokenizer, so it loads like a model directory.
    const judged = [{ step: 0, judge: before['probe/judge'] }, ...probed.map((row) => ({ step: row.step, judge: row['probe/judge'] }))];
    const top = judged.reduce((a, b) => (b.judge > a.judge ? b : a));
    const jb = r.judgeBest as JudgeBest;
    expect(jb.step).toBe(top.step);
    expect(jb.judge).toBe(top.judge);
    expect(Buffer.compare(weights(path.join(out, 'judge-best')), weights(path.join(out, 'at-step', String(top.step))))).toBe(0);
    expect((await loadTokenizer(path.join(out, 'judge-best'))).chatTemplate).toBeDefined();
    expect(loadModel(path.join(out, 'judge-best')).cfg).toEqual(loadModel(out).cfg);
    // Without snapshotAtProbes the other snapshots are not kept; the pick is the same.
    const lean = path.join(dir, 'probed-lean');
    const r2 = await runRl({ algo: 'ppo', model, reward: rm, judge: rm, steps: 4, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-2, klCoef: 0.05, ppoEpochs: 1, seed: 2, out: lean, threads: 1, probe: { n: 4, every: 2 }, keepJudgeBest: true }, quiet);
    expect(fs.existsSync(path.join(lean, 'at-step'))).toBe(false);
    expect((r2.judgeBest as JudgeBest).step).toBe(top.step);
    expect(Buffer.compare(weights(path.join(lean, 'judge-best')), weights(path.join(out, 'judge-best')))).toBe(0);
    // A judge that is the optimized reward model negated prefers the replies the policy moved
    // away from: its pick is the start policy (step 0), a snapshot taken before any update, and a
    // run resumed from a checkpoint picks the same (its step-0 snapshot rewritten from the reference).
    const neg = path.join(dir, 'rm-negated');
    const negModel = loadModel(rm, { heads: ['reward'] });
    const w = negModel.params.get('score.weight');
    for (let i = 0; i < w.length; i++) w[i] = -w[i];
    saveModel(neg, negModel);
    const negOpts: RlRunOptions = { algo: 'ppo', model, reward: rm, judge: neg, steps: 4, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-2, klCoef: 0.05, ppoEpochs: 1, seed: 2, out: '', threads: 1, probe: { n: 4, every: 2 }, keepJudgeBest: true, checkpointEvery: 2 };
    const negA = path.join(dir, 'neg-straight');
    const ra = await runRl({ ...negOpts, out: negA }, quiet);
    const negRows = metrics(negA).filter((row) => row['probe/judge'] !== undefined);
    // The policy raised its reward at every probe, so the negated judge fell below its start.
    for (const row of negRows) expect(row['probe/judge_gain']).toBeLessThan(0);
    expect((ra.judgeBest as JudgeBest).step).toBe(0);
    const fromStart = loadModel(path.join(negA, 'judge-best'));
    for (const sp of start.params.specs) expect(Buffer.compare(bytes(fromStart.params.get(sp.name)), bytes(start.params.get(sp.name)))).toBe(0);
    const negB = path.join(dir, 'neg-resumed');
    await expect(runRl({ ...negOpts, out: negB }, { ...quiet, onStep: (_r, st) => { if (st === 3) throw new Error('killed'); } })).rejects.toThrow('killed');
    fs.rmSync(path.join(negB, 'at-step', '0'), { recursive: true });
    const rb = await runRl({ ...negOpts, out: negB, resume: true }, quiet);
    expect((rb.judgeBest as JudgeBest).step).toBe(0);
    expect(Buffer.compare(weights(path.join(negB, 'judge-best')), weights(path.join(negA, 'judge-best')))).toBe(0);
    // A finished run has no snapshots left: resuming it with keepJudgeBest says why it cannot.
    fs.rmSync(path.join(negB, 'at-step'), { recursive: true, force: true });
    await expect(runRl({ ...negOpts, out: negB, resume: true }, quiet)).rejects.toThrow(/at-step\/ lacks steps \[2\] \(the run was started without keepJudgeBest, or it finished/);
    // A fresh run clears an earlier run's pick and snapshots from its directory.
    await runRl({ ...negOpts, out: negA, keepJudgeBest: false, steps: 1, checkpointEvery: 0 }, quiet);
    expect(fs.existsSync(path.join(negA, 'judge-best'))).toBe(false);
    expect(fs.existsSync(path.join(negA, 'at-step'))).toBe(false);
    // The pick needs a judge and a probe.
    await expect(runRl({ algo: 'ppo', model, reward: rm, steps: 1, seed: 2, out: path.join(dir, 'nojudge'), threads: 1, probe: { n: 2, every: 1 }, keepJudgeBest: true }, quiet)).rejects.toThrow(/keepJudgeBest .* needs a judge and a probe of at least one case \(got no judge, a probe of 2 cases\)/);
    await expect(runRl({ algo: 'ppo', model, reward: rm, judge: rm, steps: 1, seed: 2, out: path.join(dir, 'noprobe-pick'), threads: 1, keepJudgeBest: true }, quiet)).rejects.toThrow(/needs a judge and a probe of at least one case \(got a judge, no probe\)/);
    await expect(runRl({ algo: 'ppo', model, reward: rm, steps: 1, seed: 2, out: path.join(dir, 'floor-fixed'), threads: 1, klMin: 0.05 }, quiet)).rejects.toThrow(/klMin 0.05 is the adaptive controller's floor on β, and without klTarget β is fixed: give klTarget too/);
    expect(fs.existsSync(path.join(dir, 'floor-fixed'))).toBe(false);
    // Without a probe the judge still scores the rollouts.
    await runRl({ algo: 'ppo', model, reward: rm, judge: rm, steps: 1, prompts: 2, k: 2, maxNewTokens: 6, seed: 2, out: path.join(dir, 'noprobe'), threads: 1 }, quiet);
    const [only] = metrics(path.join(dir, 'noprobe'));
    expect(only['monitor/judge_corr']).toBeCloseTo(1, 9);
    expect(only['probe/judge']).toBeUndefined();
    // A judge that is also an observer reuses the observer's scores: the same metrics as a copy
    // of it at another path, which is scored on its own.
    const obs = path.join(dir, 'obs');
    saveModel(obs, loadModel(model, { heads: ['reward'], seed: 9 }));
    fs.cpSync(obs, path.join(dir, 'obs-copy'), { recursive: true });
    const one = { algo: 'ppo' as const, model, reward: rm, observers: [obs], steps: 2, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-2, seed: 2, threads: 1 };
    await runRl({ ...one, judge: obs, out: path.join(dir, 'judge-obs') }, quiet);
    await runRl({ ...one, judge: path.join(dir, 'obs-copy'), out: path.join(dir, 'judge-copy') }, quiet);
    expect(metrics(path.join(dir, 'judge-obs'))).toEqual(metrics(path.join(dir, 'judge-copy')));
    expect(metrics(path.join(dir, 'judge-obs'))[0]['monitor/judge_corr']).toBeLessThan(0.999);
  }, 120_000);

  it('an ensemble reward (mean, min) is its members standardized on the start policy and combined; resumes bit-identically', async () => {
    const rmA = path.join(dir, 'ens-a');
    const rmB = path.join(dir, 'ens-b');
    saveModel(rmA, loadModel(model, { heads: ['reward'], seed: 11 }));
    saveModel(rmB, loadModel(model, { heads: ['reward'], seed: 12 }));
    const base: RlRunOptions = { algo: 'ppo', model, reward: rmA, observers: [rmB], steps: 3, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, klCoef: 0.05, ppoEpochs: 1, seed: 4, out: '', threads: 1 };
    // 'mean' is linear: each step's mean reward follows from the members' mean scores (rm/0, rm/1).
    const r = await runRl({ ...base, out: path.join(dir, 'ens-mean'), rewardCombine: 'mean', probe: { n: 4, every: 3 } }, quiet);
    const norm = r.rewardNorm as { mean: number; sd: number }[];
    expect(norm).toHaveLength(2);
    for (const row of metrics(path.join(dir, 'ens-mean'))) {
      const z = (row['rm/0'] - norm[0].mean) / norm[0].sd / 2 + (row['rm/1'] - norm[1].mean) / norm[1].sd / 2;
      expect(row['objective/scores']).toBeCloseTo(norm[0].mean + norm[0].sd * z, 9);
    }
    // The norms come from the first probe's replies: standardized there, every member averages 0.
    expect((r.probeBefore as Record<string, number>)['probe/score']).toBeCloseTo(norm[0].mean, 9);
    // 'min' of a model with itself is that model: the reward is rm/0's, up to rounding.
    await runRl({ ...base, observers: [rmA], out: path.join(dir, 'ens-self'), rewardCombine: 'min' }, quiet);
    for (const row of metrics(path.join(dir, 'ens-self'))) expect(row['objective/scores']).toBeCloseTo(row['rm/0'], 9);
    // Without a probe the norms come from the first rollouts and travel in the checkpoint.
    const straight = path.join(dir, 'ens-straight');
    const resumed = path.join(dir, 'ens-resumed');
    const opts: RlRunOptions = { ...base, rewardCombine: 'min', checkpointEvery: 1 };
    await runRl({ ...opts, out: straight }, quiet);
    await expect(runRl({ ...opts, out: resumed }, { ...quiet, onStep: (_r, s) => { if (s === 1) throw new Error('killed'); } })).rejects.toThrow('killed');
    await runRl({ ...opts, out: resumed, resume: true }, quiet);
    expect(Buffer.compare(fs.readFileSync(path.join(straight, 'model.safetensors')), fs.readFileSync(path.join(resumed, 'model.safetensors')))).toBe(0);
    expect(metrics(resumed)).toEqual(metrics(straight));
    // A judge that the ensemble optimizes is not held out: refused.
    await expect(runRl({ ...base, judge: rmB, out: path.join(dir, 'ens-judge'), rewardCombine: 'mean' }, quiet)).rejects.toThrow(/judge .* is a member of the optimized ensemble/);
    // An ensemble needs members.
    await expect(runRl({ ...base, observers: [], out: path.join(dir, 'ens-none'), rewardCombine: 'min' }, quiet)).rejects.toThrow(/rewardCombine 'min' optimizes an ensemble/);
  }, 180_000);

  it('standardizeReward: the optimized reward in units of its spread on the start policy; resumes bit-identically', async () => {
    const rmA = path.join(dir, 'std-a');
    const rmB = path.join(dir, 'std-b');
    saveModel(rmA, loadModel(model, { heads: ['reward'], seed: 21 }));
    saveModel(rmB, loadModel(model, { heads: ['reward'], seed: 22 }));
    const base: RlRunOptions = { algo: 'ppo', model, reward: rmA, observers: [rmB], steps: 3, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, klCoef: 0.05, ppoEpochs: 1, seed: 5, out: '', threads: 1, standardizeReward: true };
    // One model: its raw score (rm/0) standardized by the start policy's probe replies.
    const r = await runRl({ ...base, out: path.join(dir, 'std-first'), probe: { n: 6, every: 3 } }, quiet);
    const norm = r.rewardNorm as { mean: number; sd: number }[];
    expect(norm).toHaveLength(1);
    expect(norm[0].sd).toBeGreaterThan(0);
    expect(r.standardizeReward).toBe(true);
    for (const row of metrics(path.join(dir, 'std-first'))) expect(row['objective/scores']).toBeCloseTo((row['rm/0'] - norm[0].mean) / norm[0].sd, 9);
    // On the replies that fixed the norm the reward has mean 0 and SD 1.
    const start = JSON.parse(fs.readFileSync(path.join(dir, 'std-first', 'probe.jsonl'), 'utf8').split('\n')[0]) as { score: number[] };
    const m = start.score.reduce((a, b) => a + b, 0) / start.score.length;
    expect(m).toBeCloseTo(0, 9);
    expect(Math.sqrt(start.score.reduce((a, b) => a + (b - m) ** 2, 0) / start.score.length)).toBeCloseTo(1, 9);
    // The same run on raw scores: rm/0 identical at the first step, the optimized reward not.
    const rawRes = await runRl({ ...base, standardizeReward: false, out: path.join(dir, 'std-raw'), probe: { n: 6, every: 3 } }, quiet);
    expect(rawRes.rewardNorm).toBeUndefined();
    expect(rawRes.standardizeReward).toBeUndefined();
    const [raw0] = metrics(path.join(dir, 'std-raw'));
    const [std0] = metrics(path.join(dir, 'std-first'));
    expect(std0['rm/0']).toBe(raw0['rm/0']);
    expect(raw0['objective/scores']).toBe(raw0['rm/0']);
    // An ensemble mean, standardized: the mean of the members' z-scores, not put back on rm/0's scale.
    const e = await runRl({ ...base, rewardCombine: 'mean', out: path.join(dir, 'std-mean') }, quiet);
    const en = e.rewardNorm as { mean: number; sd: number }[];
    for (const row of metrics(path.join(dir, 'std-mean'))) expect(row['objective/scores']).toBeCloseTo(((row['rm/0'] - en[0].mean) / en[0].sd + (row['rm/1'] - en[1].mean) / en[1].sd) / 2, 9);
    // The ensemble minimum, standardized: the lower of the members' z-scores, per reply. The
    // metrics keep per-step means only, so one prompt and one reply per step makes each row a
    // single reply's scores; the norms come from a probe's four replies.
    const mn = await runRl({ ...base, rewardCombine: 'min', prompts: 1, k: 1, probe: { n: 4, every: 3 }, out: path.join(dir, 'std-min') }, quiet);
    const mnn = mn.rewardNorm as { mean: number; sd: number }[];
    expect(mnn).toHaveLength(2);
    for (const x of mnn) expect(x.sd).not.toBe(1);
    for (const row of metrics(path.join(dir, 'std-min'))) expect(row['objective/scores']).toBeCloseTo(Math.min((row['rm/0'] - mnn[0].mean) / mnn[0].sd, (row['rm/1'] - mnn[1].mean) / mnn[1].sd), 9);
    // Without a probe the norm comes from the first rollouts and travels in the checkpoint.
    const opts: RlRunOptions = { ...base, checkpointEvery: 1 };
    await runRl({ ...opts, out: path.join(dir, 'std-straight') }, quiet);
    await expect(runRl({ ...opts, out: path.join(dir, 'std-resumed') }, { ...quiet, onStep: (_r, s) => { if (s === 1) throw new Error('killed'); } })).rejects.toThrow('killed');
    await runRl({ ...opts, out: path.join(dir, 'std-resumed'), resume: true }, quiet);
    expect(Buffer.compare(fs.readFileSync(path.join(dir, 'std-straight', 'model.safetensors')), fs.readFileSync(path.join(dir, 'std-resumed', 'model.safetensors')))).toBe(0);
    expect(metrics(path.join(dir, 'std-resumed'))).toEqual(metrics(path.join(dir, 'std-straight')));
    // With a probe the norm comes from the first probe's replies; a resumed run keeps it (the
    // probe at the start is not run again) and ends with the same weights, metrics and probes.
    const popts: RlRunOptions = { ...base, checkpointEvery: 1, probe: { n: 4, every: 2 } };
    await runRl({ ...popts, out: path.join(dir, 'std-probe-straight') }, quiet);
    await expect(runRl({ ...popts, out: path.join(dir, 'std-probe-resumed') }, { ...quiet, onStep: (_r, s) => { if (s === 1) throw new Error('killed'); } })).rejects.toThrow('killed');
    const pr = await runRl({ ...popts, out: path.join(dir, 'std-probe-resumed'), resume: true }, quiet);
    expect(Buffer.compare(fs.readFileSync(path.join(dir, 'std-probe-straight', 'model.safetensors')), fs.readFileSync(path.join(dir, 'std-probe-resumed', 'model.safetensors')))).toBe(0);
    expect(metrics(path.join(dir, 'std-probe-resumed'))).toEqual(metrics(path.join(dir, 'std-probe-straight')));
    const probeLines = (d: string) => fs.readFileSync(path.join(dir, d, 'probe.jsonl'), 'utf8').trim().split('\n');
    expect(probeLines('std-probe-resumed')).toEqual(probeLines('std-probe-straight'));
    expect(pr.rewardNorm).toEqual(JSON.parse(fs.readFileSync(path.join(dir, 'std-probe-straight', 'results.json'), 'utf8')).rewardNorm);
    // A standardized run's checkpoint does not resume on raw scores.
    await expect(runRl({ ...opts, out: path.join(dir, 'std-mismatch') }, { ...quiet, onStep: (_r, s) => { if (s === 1) throw new Error('killed'); } })).rejects.toThrow('killed');
    await expect(runRl({ ...opts, standardizeReward: false, out: path.join(dir, 'std-mismatch'), resume: true }, quiet)).rejects.toThrow(/resume with options that differ from the run in .*std-mismatch: standardizeReward true \(stored\) vs false \(given\) — /);
    // Without run_config.json to compare with, the checkpoint's own record still refuses it.
    fs.rmSync(path.join(dir, 'std-mismatch', 'run_config.json'));
    await expect(runRl({ ...opts, standardizeReward: false, out: path.join(dir, 'std-mismatch'), resume: true }, quiet)).rejects.toThrow(/the checkpoint's run standardized its reward .* resume it with the same options/);
    // The world's gold or proxy is not a reward model's score: refused before anything runs.
    await expect(runRl({ ...base, reward: 'gold', observers: [], out: path.join(dir, 'std-gold') }, quiet)).rejects.toThrow(/standardizeReward standardizes a reward model's scores; the reward is the world's gold/);
  }, 180_000);

  it('refuses a directory without a trained reward head as reward, observer or judge, before anything is written', async () => {
    const rm = path.join(dir, 'head-rm');
    saveModel(rm, loadModel(model, { heads: ['reward'], seed: 4 }));
    // A PPO policy: a value head, no reward head.
    const valued = path.join(dir, 'head-value');
    saveModel(valued, loadModel(model, { heads: ['value'], seed: 4 }));
    // score.weight in the weights but not listed in config.json: loadModel would not read it.
    const unlisted = path.join(dir, 'head-unlisted');
    fs.cpSync(rm, unlisted, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(unlisted, 'config.json'), 'utf8'));
    delete cfg.alignlab_heads;
    fs.writeFileSync(path.join(unlisted, 'config.json'), JSON.stringify(cfg));
    const base: RlRunOptions = { algo: 'rloo', model, reward: rm, steps: 1, prompts: 2, k: 2, maxNewTokens: 6, seed: 1, out: '', threads: 1 };
    const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const cases: [Partial<RlRunOptions>, string, string][] = [
      [{ reward: model }, 'reward', model],
      [{ observers: [rm, model] }, 'observer', model],
      [{ judge: model }, 'judge', model],
      [{ judge: valued }, 'judge', valued],
    ];
    for (const [i, [o, role, d]] of cases.entries()) {
      const out = path.join(dir, `no-head-${i}`);
      await expect(runRl({ ...base, ...o, out }, quiet)).rejects.toThrow(new RegExp(`^runRl: ${role} ${esc(d)} has no reward head \\(model\\.safetensors has no score\\.weight\\): train one with \`alignlab train rm\`$`));
      expect(fs.existsSync(out)).toBe(false);
    }
    await expect(runRl({ ...base, reward: unlisted, out: path.join(dir, 'no-head-unlisted') }, quiet)).rejects.toThrow(`runRl: reward ${unlisted} has no reward head (model.safetensors has score.weight but config.json's alignlab_heads does not list "reward", so it would load with a fresh random head)`);
    expect(fs.existsSync(path.join(dir, 'no-head-unlisted'))).toBe(false);
    // A reward model in every role runs, and its scores are its trained head's: rm/0 (the reward)
    // and rm/1 (the same directory as an observer) agree.
    const out = path.join(dir, 'head-ok');
    await runRl({ ...base, observers: [rm], judge: rm, out }, quiet);
    const [row] = metrics(out);
    expect(row['rm/1']).toBe(row['rm/0']);
    expect(row['objective/scores']).toBe(row['rm/0']);
  }, 120_000);

  it('a resume with options that differ from the run is refused, naming each, and changes nothing; more steps continue it as a longer run', async () => {
    const base: RlRunOptions = { algo: 'rloo', model, reward: 'proxy', steps: 3, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, klCoef: 0.05, seed: 7, out: '', threads: 1, checkpointEvery: 1 };
    const out = path.join(dir, 'resume-opts');
    // Killed during step 2: the checkpoint holds step 1.
    await expect(runRl({ ...base, out }, { ...quiet, onStep: (_r, s) => { if (s === 1) throw new Error('killed'); } })).rejects.toThrow('killed');
    const files = () => {
      const all = ['run_config.json', 'metrics.jsonl', ...fs.readdirSync(path.join(out, 'checkpoint')).map((f) => path.join('checkpoint', f))];
      return Object.fromEntries(all.map((f) => [f, fs.readFileSync(path.join(out, f)).toString('base64')]));
    };
    const before = files();
    expect(Object.keys(before)).toContain(path.join('checkpoint', 'model.safetensors'));
    await expect(runRl({ ...base, out, resume: true, lr: 0.5, klCoef: 0.2, seed: 8 }, quiet)).rejects.toThrow(
      `runRl: resume with options that differ from the run in ${out}: lr 0.001 (stored) vs 0.5 (given), klCoef 0.05 (stored) vs 0.2 (given), seed 7 (stored) vs 8 (given) — resume with the stored options (${path.join(out, 'run_config.json')}), or start a new run in another directory`,
    );
    // The CLI names its flags instead (train.ts, rlFlag).
    await expect(runRl({ ...base, out, resume: true, klCoef: 0.2 }, { ...quiet, optionName: (k) => `--${k}!` })).rejects.toThrow(`${out}: --klCoef! 0.05 (stored) vs 0.2 (given) — `);
    // Reward-model and world options alike; an option left unset differs from one given.
    await expect(runRl({ ...base, out, resume: true, reward: 'gold', caseSeed: 2 }, quiet)).rejects.toThrow(/differ from the run in .*: reward "proxy" \(stored\) vs "gold" \(given\), caseSeed unset \(stored\) vs 2 \(given\) — /);
    // Fewer steps than the checkpoint has done cannot be resumed.
    await expect(runRl({ ...base, out, resume: true, steps: 1 }, quiet)).rejects.toThrow(`runRl: steps 1, but the checkpoint in ${path.join(out, 'checkpoint')} is at step 1 already: give more steps to continue the run`);
    expect(files()).toEqual(before);
    // More steps (and another checkpoint interval) continue the run: it ends as a straight run
    // of 4 steps, and run_config.json records the steps it ran to.
    const straight = path.join(dir, 'resume-opts-straight');
    await runRl({ ...base, out: straight, steps: 4 }, quiet);
    await runRl({ ...base, out, resume: true, steps: 4, checkpointEvery: 2 }, quiet);
    expect(Buffer.compare(fs.readFileSync(path.join(straight, 'model.safetensors')), fs.readFileSync(path.join(out, 'model.safetensors')))).toBe(0);
    expect(metrics(out)).toEqual(metrics(straight));
    expect(JSON.parse(fs.readFileSync(path.join(out, 'run_config.json'), 'utf8')).steps).toBe(4);
  }, 120_000);

  it('differingOptions: every option but out, resume, steps, checkpointEvery and threads, compared as given (by hand)', () => {
    expect(differingOptions({ kind: 'rloo', lr: 1e-5, steps: 10, seed: 1, threads: 2, out: 'a' }, { lr: 0.5, steps: 20, seed: 1, threads: 4, out: 'b', resume: true })).toEqual([{ option: 'lr', stored: '0.00001', given: '0.5' }]);
    // Objects compare by content whatever their key order; an unset option differs from a given one.
    expect(differingOptions({ probe: { n: 4, every: 2 } }, { probe: { every: 2, n: 4 } })).toEqual([]);
    expect(differingOptions({ observers: ['a'] }, { observers: ['a', 'b'], judge: 'j' })).toEqual([
      { option: 'observers', stored: '["a"]', given: '["a","b"]' },
      { option: 'judge', stored: 'unset', given: '"j"' },
    ]);
    // run_config.json's derived sections are not options.
    expect(differingOptions({ kind: 'ppo', rloo: {}, ppo: { k: 2 }, train: { lr: 1 } }, {})).toEqual([]);
  });

  it('combineScores: standardize, take the mean or the minimum, back on the first scale (by hand)', () => {
    const norm = [{ mean: 2, sd: 1 }, { mean: 20, sd: 10 }];
    // z = [[-1, 1], [1, -1]]
    expect(combineScores([[1, 3], [30, 10]], norm, 'min')).toEqual([1, 1]);
    expect(combineScores([[1, 3], [30, 10]], norm, 'mean')).toEqual([2, 2]);
    expect(combineScores([[1, 3], [10, 30]], norm, 'min')).toEqual([1, 3]);
    expect(() => combineScores([[1, 3]], norm, 'min')).toThrow(/1 members' scores but 2 norms/);
    expect(() => combineScores([[1, 3], [1]], norm, 'mean')).toThrow(/member 1 scored 1 replies, member 0 2/);
  });

  it('withinPrompt: sums of products of deviations from each prompt\'s mean, by hand', () => {
    // Group 0: x̃ = (−1, 1), ỹ = (0, 0); group 1: x̃ = (−2, 2), ỹ = (−2, 2).
    expect(withinPrompt([1, 3, 10, 14], [2, 2, 5, 9], [0, 0, 1, 1])).toEqual({ sxy: 8, sxx: 10, syy: 8, df: 2 });
    // Group labels need not be contiguous or sorted; a shift of one prompt's scores changes nothing.
    expect(withinPrompt([10, 1, 14, 3], [5, 2, 9, 2], [7, 3, 7, 3])).toEqual({ sxy: 8, sxx: 10, syy: 8, df: 2 });
    expect(withinPrompt([101, 103, 10, 14], [2, 2, -95, -91], [0, 0, 1, 1])).toEqual({ sxy: 8, sxx: 10, syy: 8, df: 2 });
    expect(() => withinPrompt([1, 2], [1, 2], [0])).toThrow(/2 and 2 scores for 1 group labels/);
  });

  it('judgeBestStep: the highest judge score, the earliest on a tie, entries without one skipped', () => {
    expect(judgeBestStep([{ step: 0, judge: 0.1 }, { step: 5, judge: 0.4 }, { step: 10, judge: 0.4 }])).toBe(5);
    expect(judgeBestStep([{ step: 0, judge: 0.5 }, { step: 5, judge: 0.4 }])).toBe(0);
    expect(judgeBestStep([{ step: 0, judge: -2 }, { step: 5 }, { step: 10, judge: Number.NaN }, { step: 15, judge: -1 }])).toBe(15);
    expect(judgeBestStep([{ step: 3 }])).toBeNull();
  });

  it('pairedGain: mean difference and its standard error, by hand', () => {
    // d = [1, 2, 3, 4]: mean 2.5, sample variance 5/3, SE √(5/3)/2.
    const g = pairedGain([2, 3, 5, 6], [1, 1, 2, 2]);
    expect(g.gain).toBeCloseTo(2.5, 12);
    expect(g.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
    expect(g.diffs).toEqual([1, 2, 3, 4]);
    expect(pairedGain([3], [1])).toEqual({ gain: 2, se: 0, diffs: [2] });
    expect(() => pairedGain([1, 2], [1])).toThrow(/2 values against 1/);
  });
});

describe('runRl monitors', () => {
  // A budget monitor on a metric that is positive from the first step alarms at step 1.
  const tripwire = { klGrowth: { key: 'objective/response_length', budget: 1e-9, smoothWindow: 1, z: null, patience: 1 } };
  let base: RlRunOptions;
  beforeAll(() => {
    base = { algo: 'rloo', model, reward: 'gold', steps: 3, prompts: 2, k: 2, maxNewTokens: 6, lr: 1e-3, seed: 5, out: '', threads: 1 };
  });

  it('stops only on the monitors in stopOn, with thresholds from the monitors config', async () => {
    const a = path.join(dir, 'stop-kl');
    const ra = (await runRl({ ...base, out: a, monitors: tripwire, stopOnAlarm: true, stopOn: ['kl_growth'] }, quiet)) as { steps: number; stoppedAt: number | null };
    expect([ra.steps, ra.stoppedAt]).toEqual([1, 1]);
    const b = path.join(dir, 'stop-judge');
    const rb = (await runRl({ ...base, out: b, monitors: tripwire, stopOnAlarm: true, stopOn: ['judge_agreement'] }, quiet)) as { steps: number; stoppedAt: number | null };
    expect([rb.steps, rb.stoppedAt]).toEqual([3, null]);
    expect(metrics(b).map((r) => r['alarm/kl_growth'])).toEqual([1, 1, 1]); // alarmed, did not stop
    // Without the override the default budget (10 nats of KL) is not reached.
    const c = path.join(dir, 'no-tripwire');
    await runRl({ ...base, out: c }, quiet);
    expect(metrics(c).map((r) => r['alarm/kl_growth'])).toEqual([0, 0, 0]);
  }, 120_000);

  it('refuses an unknown monitor name or config, a bad threshold, and stopOn without stopOnAlarm, before any work', async () => {
    const out = path.join(dir, 'monitors-refused');
    await expect(runRl({ ...base, out, stopOnAlarm: true, stopOn: ['kl'] }, quiet)).rejects.toThrow('runRl: stopOn: unknown monitor "kl" (monitors: ensemble_disagreement, kl_growth,');
    await expect(runRl({ ...base, out, stopOn: ['kl_growth'] }, quiet)).rejects.toThrow('set stopOnAlarm too');
    await expect(runRl({ ...base, out, monitors: { klgrowth: {} } as never }, quiet)).rejects.toThrow('unknown monitor config "klgrowth"');
    await expect(runRl({ ...base, out, monitors: { klGrowth: { budget: -1 } } }, quiet)).rejects.toThrow('kl_growth monitor config');
    expect(fs.existsSync(out)).toBe(false);
  });
});
