/** `alignlab lab …`: experiments that combine the toolkit (src/lab). */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { runOveropt, validateProfile, OVEROPT_PROFILES, type OveroptProfile } from '../lab/overopt.js';
import type { RaterPreset } from '../world/index.js';

const PRESETS: RaterPreset[] = ['careful', 'crowd', 'swayed'];

const overopt: Command = {
  path: ['lab', 'overopt'],
  summary: 'Reward hacking and Goodhart: reward models from simulated raters, best-of-n and RL against them, gold measured throughout',
  options: {
    model: { type: 'string', default: 'runs/latest/baseline', describe: 'SFT policy directory (npm start writes runs/latest/baseline)' },
    profile: { type: 'string', default: 'quick', describe: 'quick (aimed at ≤ 10 min on 2 cores; 10.5 min measured on Zen 5, 32 on an AVX2-only host: README) or full' },
    raters: { type: 'string', default: 'careful,swayed', describe: 'comma-separated rater presets: careful, crowd, swayed' },
    set: { type: 'string', describe: 'profile overrides, e.g. rlSteps=40,rlLr=3e-5 (fields of OveroptProfile)' },
    seed: { type: 'number', default: 1, describe: 'random seed' },
    out: { type: 'string', default: 'runs/overopt', describe: 'output directory' },
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const profile = String(o.profile);
    if (profile !== 'quick' && profile !== 'full') throw new UsageError(`lab overopt: --profile must be quick or full, got "${profile}"`);
    const raters = String(o.raters).split(',').filter(Boolean);
    for (const r of raters) if (!PRESETS.includes(r as RaterPreset)) throw new UsageError(`lab overopt: --raters: unknown preset "${r}" (expected ${PRESETS.join(', ')})`);
    // --set key=value: each value parsed as its field's type here; every field's range (and the
    // combinations) is checked by validateProfile, which runOveropt also runs before any work.
    const base = OVEROPT_PROFILES[profile] as unknown as Record<string, unknown>;
    const overrides: Partial<OveroptProfile> = {};
    for (const kv of String(o.set ?? '').split(',').filter(Boolean)) {
      const eq = kv.indexOf('=');
      const [k, v] = eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
      if (!Object.hasOwn(base, k)) throw new UsageError(`lab overopt: --set: unknown field "${k}" (fields: ${Object.keys(base).join(', ')})`);
      if (v.trim() === '') throw new UsageError(`lab overopt: --set ${k}: expected ${k}=value, got "${kv}"`);
      if (typeof base[k] === 'boolean' && v !== 'true' && v !== 'false') throw new UsageError(`lab overopt: --set ${k}: expected true or false, got "${v}"`);
      const parsed = typeof base[k] === 'number' ? Number(v) : typeof base[k] === 'boolean' ? v === 'true' : v;
      if (typeof parsed === 'number' && !Number.isFinite(parsed)) throw new UsageError(`lab overopt: --set ${k}: expected a number, got "${v}"`);
      (overrides as Record<string, unknown>)[k] = parsed;
    }
    try {
      validateProfile({ ...OVEROPT_PROFILES[profile], ...overrides }, raters as RaterPreset[]);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const r = await runOveropt({ model: String(o.model), out: String(o.out), profile, raters: raters as RaterPreset[], seed: Number(o.seed), overrides, threads: Number(o.threads) }, { log: ctx.log });
    ctx.print(`lab overopt (${profile}, seed ${o.seed}): ${JSON.stringify({ rmAccuracyVsGold: r.rmAccuracyVsGold, sftGold: r.sftGold, bonFit: r.bonFit, rlFit: r.rlFit })}`);
    const { overopt: _c, ...rest } = r;
    return rest;
  },
};

export default [overopt];
