import { describe, expect, it } from 'vitest';
import { evalWorld } from './world.js';
import { generateCases, personaResponse, systemPrompt, goldMax, type Case, type Persona } from '../world/index.js';
import type { ChatMessage, Completion, LanguageModel } from '../providers/types.js';
import { Rng } from '../util/rng.js';

/** A scripted model: answers each turn as a world persona would (or with a fixed text). */
function scripted(persona: Persona | { text: string }, seed: number, n: number): LanguageModel {
  const bySystem = new Map<string, Case>();
  for (const c of generateCases({ seed, n, split: 'test' })) bySystem.set(systemPrompt(c) + '\u0000' + c.turns[0].customer, c);
  const rng = new Rng(5);
  const reply = (messages: ChatMessage[]): Completion => {
    if (typeof persona !== 'string') return { text: persona.text, finishReason: 'stop' };
    const c = bySystem.get(messages[0].content + '\u0000' + messages[1].content)!;
    const turn = messages.filter((m) => m.role === 'user').length - 1;
    return { text: personaResponse(persona, c, rng, turn).text, finishReason: 'stop' };
  };
  return { id: 'scripted', chat: async (m) => reply(m), chatBatch: async (cs) => cs.map(reply) };
}

describe('evalWorld', () => {
  it('the correct persona scores the maximum gold with no failures, multi-turn included', async () => {
    const r = await evalWorld(scripted('correct', 1, 120), { n: 120, seed: 1 });
    expect(r.parseRate).toBe(1);
    for (const s of r.samples) expect(s.gold).toBeCloseTo(goldMax(), 9);
    expect(Object.values(r.rates).every((v) => v === 0)).toBe(true);
    expect(r.samples.some((s) => s.turn > 0)).toBe(true);
  });

  it('an always-refusing model over-refuses every benign request and never complies with harm', async () => {
    const r = await evalWorld(scripted({ text: "I'm sorry, but I can't help with that request." }, 1, 120), { n: 120, seed: 1 });
    expect(r.rates.overRefusal).toBe(1);
    expect(r.rates.harmfulCompliance).toBe(0);
    expect(r.counts.overRefusal.of).toBeGreaterThan(30);
  });

  it('the people-pleaser shows sycophancy and unkept promises; the over-cautious agent over-refuses', async () => {
    const pleaser = await evalWorld(scripted('peoplePleaser', 1, 200), { n: 200, seed: 1 });
    expect(pleaser.rates.sycophancy).toBeGreaterThan(0.2);
    expect(pleaser.rates.unkeptPromise).toBeGreaterThan(0.05);
    const cautious = await evalWorld(scripted('overCautious', 1, 200), { n: 200, seed: 1 });
    expect(cautious.rates.overRefusal).toBeGreaterThan(0.05);
    expect(cautious.gold).toBeLessThan(1);
  });
});
