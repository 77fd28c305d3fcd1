/**
 * `alignlab train ppo|rloo|grpo`: every option the command hands to runRl is named in runRl's messages
 * (a refused resume lists the differing options) by a flag the command really has.
 */
import { describe, expect, it, vi } from 'vitest';

const seen: Record<string, unknown>[] = [];
vi.mock('../lab/rl.js', () => ({
  runRl: vi.fn(async (o: Record<string, unknown>) => {
    seen.push(o);
    return { start: { gold: 0, proxy: 0, score: 0 }, end: { gold: 0, proxy: 0, score: 0, kl: 0 }, history: [], probes: [] };
  }),
}));
const { default: commands, rlFlag } = await import('./train.js');

describe.each(['ppo', 'rloo', 'grpo'])('train %s: option names in messages', (algo) => {
  it('maps each runRl option to a flag of the command', async () => {
    const cmd = commands.find((c) => c.path.join(' ') === `train ${algo}`)!;
    const defaults = Object.fromEntries(Object.entries(cmd.options).filter(([, s]) => s.default !== undefined).map(([k, s]) => [k, s.default as string | number | boolean]));
    seen.length = 0;
    await cmd.run({ ...defaults, model: 'm', reward: 'gold', out: 'o', 'kl-target': 6, 'kl-min': 0.01, observers: 'a,b', judge: 'j', 'stop-on': 'kl_growth' }, [], { json: true, log: () => {}, print: () => {} }).catch(() => {});
    expect(seen).toHaveLength(1);
    const keys = Object.keys(seen[0]).filter((k) => seen[0][k] !== undefined && k !== 'algo' && k !== 'monitors' && k !== 'probe');
    expect(keys.length).toBeGreaterThan(20);
    for (const k of keys) expect(Object.keys(cmd.options), `${k} → ${rlFlag(k)}`).toContain(rlFlag(k).slice(2));
    expect(rlFlag('probe')).toBe('--probe/--probe-every');
    expect(rlFlag('monitors')).toBe('--monitor-config');
  });
});
