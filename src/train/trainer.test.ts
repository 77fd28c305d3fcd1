import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { llamaConfig } from '../model/config.js';
import { LlamaModel, lowerLayerParams } from '../model/model.js';
import { Runtime } from '../engine/session.js';
import { Rng } from '../util/rng.js';
import { Trainer, trainConfig, DivergenceError } from './trainer.js';
import { MarkovSource } from './synthetic.js';
import { AdamW, learningRate, clipGradNorm } from '../engine/optim.js';

const cfg = llamaConfig({ vocabSize: 32, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32, maxSeqLen: 16 });
const source = new MarkovSource(32, 2, 7);

async function run(steps: number, opts: { threads?: number; trainer?: Trainer; rng?: Rng } = {}) {
  const rt = new Runtime({ threads: opts.threads ?? 1 });
  const trainer = opts.trainer ?? new Trainer(LlamaModel.init(cfg, { seed: 11, runtime: rt }), trainConfig({ lr: 3e-3, warmupSteps: 2, totalSteps: 12 }));
  const rng = opts.rng ?? new Rng(3);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await trainer.step([source.batch(rng, 4, 12)]))['train/loss']);
  return { trainer, rng, losses };
}

describe('Trainer', () => {
  it('frozen parameters get zero gradient and stay untouched; the trained ones get the unfrozen gradient', async () => {
    const batch = source.batch(new Rng(5), 4, 12);
    const full = LlamaModel.init(cfg, { seed: 4, runtime: new Runtime({ threads: 1 }) });
    const ref = await full.lossAndGrads(batch);
    const m = LlamaModel.init(cfg, { seed: 4, runtime: new Runtime({ threads: 1 }) });
    const names = lowerLayerParams(m, 1);
    expect(names).toContain('model.embed_tokens.weight');
    expect(names).toContain('model.layers.0.mlp.up_proj.weight');
    expect(names.some((n) => n.startsWith('model.layers.1.'))).toBe(false);
    m.freeze(names);
    const r = await m.lossAndGrads(batch);
    expect(r.loss).toBe(ref.loss);
    for (const s of m.params.specs) {
      const g = r.grads[s.name];
      if (m.frozen.has(s.name)) expect(g.every((x) => x === 0)).toBe(true);
      else {
        let worst = 0;
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - ref.grads[s.name][i]));
        expect(worst, s.name).toBeLessThan(1e-6);
      }
    }
    const before = Float32Array.from(m.params.flat);
    const t = new Trainer(m, trainConfig({ lr: 1e-2, weightDecay: 0.1 }));
    await t.step([batch]);
    for (const s of m.params.specs) {
      const off = m.params.offsets.get(s.name)!;
      const n = m.params.get(s.name).length;
      const same = m.params.flat.subarray(off, off + n).every((x, i) => x === before[off + i]);
      expect(same, s.name).toBe(m.frozen.has(s.name));
    }
    expect(() => m.freeze(['nope'])).toThrow(/freeze: the model has no parameter 'nope'/);
    expect(() => lowerLayerParams(m, 3)).toThrow(/n must be an integer in 0…2, got 3/);
  });

  it('is bit-identical for the same seed and thread count', async () => {
    for (const threads of [1, 2]) {
      const a = await run(4, { threads });
      const b = await run(4, { threads });
      expect(a.losses).toEqual(b.losses);
      expect(Buffer.compare(Buffer.from(a.trainer.model.params.flat.buffer), Buffer.from(b.trainer.model.params.flat.buffer))).toBe(0);
    }
  });

  it('resumes from a checkpoint with a bit-identical loss curve', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-ckpt-'));
    const full = await run(8);
    const first = await run(4);
    first.trainer.saveCheckpoint(path.join(dir, 'ckpt'), { dataRng: first.rng.getState() });
    // A new process would start here: nothing is shared but the directory.
    const { trainer, extra } = Trainer.resume(path.join(dir, 'ckpt'), new Runtime({ threads: 1 }));
    expect(trainer.stepCount).toBe(4);
    const rest = await run(4, { trainer, rng: Rng.fromState(extra.dataRng as never) });
    expect([...first.losses, ...rest.losses]).toEqual(full.losses);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resumes with the same parameters frozen: bit-identical to an uninterrupted run, frozen ones at their initial values', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-ckpt-frozen-'));
    const ckpt = path.join(dir, 'ckpt');
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const frozenTrainer = () => {
      const m = LlamaModel.init(cfg, { seed: 11, runtime: new Runtime({ threads: 1 }) });
      m.freeze(lowerLayerParams(m, 1));
      return new Trainer(m, trainConfig({ lr: 3e-3, warmupSteps: 2, totalSteps: 12 }));
    };
    const full = await run(6, { trainer: frozenTrainer() });
    const first = await run(3, { trainer: frozenTrainer() });
    first.trainer.saveCheckpoint(ckpt, { dataRng: first.rng.getState() });
    const { trainer, extra } = Trainer.resume(ckpt, new Runtime({ threads: 1 }));
    expect([...trainer.model.frozen].sort()).toEqual([...full.trainer.model.frozen].sort());
    const rest = await run(3, { trainer, rng: Rng.fromState(extra.dataRng as never) });
    expect([...first.losses, ...rest.losses]).toEqual(full.losses);
    const a = full.trainer;
    const b = rest.trainer;
    expect(b.stepCount).toBe(a.stepCount);
    expect(b.optimizer.state.step).toBe(a.optimizer.state.step);
    expect(Buffer.compare(bytes(b.model.params.flat), bytes(a.model.params.flat))).toBe(0);
    expect(Buffer.compare(bytes(b.optimizer.state.m), bytes(a.optimizer.state.m))).toBe(0);
    expect(Buffer.compare(bytes(b.optimizer.state.v), bytes(a.optimizer.state.v))).toBe(0);
    // Reference for the frozen parameters: a freshly initialised model with the same seed.
    const init = LlamaModel.init(cfg, { seed: 11 });
    expect(b.model.frozen.size).toBeGreaterThan(0);
    for (const s of b.model.params.specs) {
      const same = Buffer.compare(bytes(b.model.params.get(s.name)), bytes(init.params.get(s.name))) === 0;
      expect(same, s.name).toBe(b.model.frozen.has(s.name));
    }

    // A checkpoint written before `frozen` was recorded resumes with nothing frozen.
    const stateFile = path.join(ckpt, 'trainer_state.json');
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    const { frozen: _omit, ...old } = state;
    fs.writeFileSync(stateFile, JSON.stringify(old));
    expect(Trainer.resume(ckpt, new Runtime({ threads: 1 })).trainer.model.frozen.size).toBe(0);
    // A frozen name the model lacks is an error naming the file and the parameter.
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, frozen: ['model.layers.7.mlp.up_proj.weight'] }));
    expect(() => Trainer.resume(ckpt, new Runtime({ threads: 1 }))).toThrow(`${stateFile}: frozen parameter 'model.layers.7.mlp.up_proj.weight' is not a parameter of the checkpoint's model`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('learns the synthetic language (loss falls toward its entropy)', async () => {
    const rt = new Runtime({ threads: 1 });
    const trainer = new Trainer(LlamaModel.init(cfg, { seed: 1, runtime: rt }), trainConfig({ lr: 1e-2, warmupSteps: 5, totalSteps: 80, weightDecay: 0 }));
    const rng = new Rng(1);
    let first = 0;
    let last = 0;
    for (let i = 0; i < 80; i++) {
      const loss = (await trainer.step([source.batch(rng, 8, 12)]))['train/loss'];
      if (i === 0) first = loss;
      last = loss;
    }
    expect(first).toBeGreaterThan(Math.log(32) - 0.3);
    expect(last).toBeLessThan(source.entropy + 0.5);
  });

  it('gradient accumulation over two halves equals one step on the whole batch', async () => {
    const rng = new Rng(9);
    const whole = source.batch(rng, 4, 8);
    const half = (k: number) => ({ B: 2, T: 8, ids: whole.ids.slice(k * 16, k * 16 + 16), targets: whole.targets.slice(k * 16, k * 16 + 16), weights: whole.weights.slice(k * 16, k * 16 + 16) });
    const a = new Trainer(LlamaModel.init(cfg, { seed: 2, runtime: new Runtime({ threads: 1 }) }), trainConfig({ lr: 1e-2 }));
    const b = new Trainer(LlamaModel.init(cfg, { seed: 2, runtime: new Runtime({ threads: 1 }) }), trainConfig({ lr: 1e-2, gradAccum: 2 }));
    const ma = await a.step([whole]);
    const mb = await b.step([half(0), half(1)]);
    expect(mb['train/loss']).toBeCloseTo(ma['train/loss'], 5);
    let diff = 0;
    for (let i = 0; i < a.model.params.size; i++) diff = Math.max(diff, Math.abs(a.model.params.flat[i] - b.model.params.flat[i]));
    expect(diff).toBeLessThan(1e-5);
  });

  it('stops on a NaN loss naming the step', async () => {
    const m = LlamaModel.init(cfg, { seed: 2, runtime: new Runtime({ threads: 1 }) });
    m.params.get('model.layers.1.mlp.up_proj.weight')[3] = NaN;
    const t = new Trainer(m, trainConfig({}));
    await expect(t.step([source.batch(new Rng(1), 2, 8)])).rejects.toThrow(DivergenceError);
    await expect(t.step([source.batch(new Rng(1), 2, 8)])).rejects.toThrow(/step 1: loss is NaN/);
  });

  it('names the tensor whose gradient is not finite', async () => {
    const m = LlamaModel.init(cfg, { seed: 2, runtime: new Runtime({ threads: 1 }) });
    const real = m.lossAndGrads.bind(m);
    m.lossAndGrads = async (b) => {
      const r = await real(b);
      r.grads['model.layers.0.self_attn.v_proj.weight'][5] = Infinity;
      return r;
    };
    await expect(new Trainer(m, trainConfig({})).step([source.batch(new Rng(1), 2, 8)])).rejects.toThrow(/step 1: gradient of model.layers.0.self_attn.v_proj.weight contains NaN or Inf/);
  });

  it('rejects unknown config keys', () => {
    expect(() => trainConfig({ lr: 1e-3, learning_rate: 2 })).toThrow(/unrecognized key/i);
  });
});

describe('optimizer pieces against analytic values', () => {
  it('AdamW first step: θ(1−ηλ) − η·g/(|g|+ε)', () => {
    const p = Float32Array.from([1, -2]);
    const opt = new AdamW(2, { weightDecay: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, Uint8Array.from([1, 0]));
    opt.step(p, Float32Array.from([0.5, -0.25]), 0.1);
    expect(p[0]).toBeCloseTo(1 * (1 - 0.01) - 0.1, 6);
    expect(p[1]).toBeCloseTo(-2 + 0.1, 6); // no decay on the masked-out entry
    // Second step with the same gradient: m̂ = g, v̂ = g², so the step is again η·sign(g).
    opt.step(p, Float32Array.from([0.5, -0.25]), 0.1);
    expect(p[0]).toBeCloseTo((1 * 0.99 - 0.1) * 0.99 - 0.1, 5);
  });

  it('warmup then cosine schedule', () => {
    const s = { lr: 1, warmupSteps: 4, totalSteps: 14, minLrRatio: 0.1 };
    expect(learningRate(s, 0)).toBeCloseTo(0.25);
    expect(learningRate(s, 3)).toBeCloseTo(1);
    expect(learningRate(s, 4)).toBeCloseTo(1);
    expect(learningRate(s, 9)).toBeCloseTo(0.55);
    expect(learningRate(s, 14)).toBeCloseTo(0.1);
  });

  it('global-norm clipping', () => {
    const g = Float32Array.from([3, 4]);
    expect(clipGradNorm(g, 1)).toBeCloseTo(5);
    expect(Math.hypot(g[0], g[1])).toBeCloseTo(1, 5);
  });
});

describe('gradients are bit-identical run to run with 2 threads', () => {
  it('on a batch big enough for ONNX Runtime to split kernels across threads (repeated token ids)', async () => {
    const c = llamaConfig({ vocabSize: 256, dModel: 256, nLayers: 1, nHeads: 2, dFF: 64, maxSeqLen: 256 });
    const m = LlamaModel.init(c, { seed: 1, runtime: new Runtime({ threads: 2 }) });
    const rng = new Rng(3);
    const B = 16;
    const T = 256;
    const ids = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(20)));
    const targets = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(256)));
    const batch = { B, T, ids, targets, weights: new Float32Array(B * T).fill(1) };
    const first = Float32Array.from((await m.lossAndGrads(batch)).flat);
    for (let r = 0; r < 4; r++) {
      const again = (await m.lossAndGrads(batch)).flat;
      expect(Buffer.compare(Buffer.from(first.buffer), Buffer.from(again.buffer, again.byteOffset, again.byteLength))).toBe(0);
    }
  });
});
