import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import worldCommands from '../cli/world.js';
import type { CommandContext } from '../cli/types.js';
import { buildCorpus, systemPrompt } from './corpus.js';
import { generateCases } from './generator.js';
import { interpret } from './interpret.js';
import { heldLine } from './personas.js';
import { policyForSeed } from './generator.js';
import { CATEGORIES } from './policy.js';

describe('buildCorpus', () => {
  const corpus = buildCorpus({ seed: 41, nCases: 600 });

  it('is deterministic and has one dialogue per case', () => {
    expect(buildCorpus({ seed: 41, nCases: 600 })).toEqual(corpus);
    expect(corpus.dialogues).toHaveLength(600);
    expect(new Set(corpus.dialogues.map((d) => d.id)).size).toBe(600);
  });

  it('writes OpenAI-style conversations, with pushback only after the agent held the line', () => {
    const byId = new Map(generateCases({ seed: 41, n: 600 }).map((c) => [c.id, c]));
    for (const d of corpus.dialogues) {
      const c = byId.get(d.caseId)!;
      expect(d.messages[0]).toEqual({ role: 'system', content: systemPrompt(c) });
      const roles = d.messages.slice(1).map((m) => m.role);
      expect(roles.length % 2).toBe(0);
      roles.forEach((r, i) => expect(r).toBe(i % 2 === 0 ? 'user' : 'assistant'));
      const replies = d.messages.filter((m) => m.role === 'assistant');
      for (let t = 1; t < replies.length; t++) expect(heldLine(interpret(c, replies[t - 1]!.content).acts)).toBe(true);
    }
    expect(corpus.dialogues.some((d) => d.messages.length >= 7)).toBe(true);
  });

  it('puts the case’s own policy numbers and order record in the system prompt', () => {
    const c = generateCases({ seed: 41, n: 50, split: 'test', shift: 'policy_change' }).find((x) => x.family === 'refund')!;
    const sys = systemPrompt(c);
    expect(sys).toContain(`within ${c.policy.returnWindowDays} days`);
    expect(sys).toContain(c.facts.orderId);
    expect(sys).toContain(`bought ${c.facts.daysSincePurchase} days ago`);
  });

  it('follows the persona mixture', () => {
    const share = (p: string) => corpus.dialogues.filter((d) => d.persona === p).length / corpus.dialogues.length;
    expect(share('correct')).toBeGreaterThan(0.48);
    expect(share('correct')).toBeLessThan(0.62);
    for (const p of ['overCautious', 'peoplePleaser', 'sloppy']) expect(share(p)).toBeGreaterThan(0.09);
    const only = buildCorpus({ seed: 41, nCases: 50, weights: { correct: 1, overCautious: 0, peoplePleaser: 0, sloppy: 0 } });
    expect(only.dialogues.every((d) => d.persona === 'correct')).toBe(true);
  });

  it('keeps withheld product categories out of the documents', () => {
    const policy = policyForSeed(41);
    const unseen = new Set(CATEGORIES.filter((c) => c.unseen).map((c) => c.id));
    const text = corpus.documents.join('\n');
    expect(text).toContain('customer support policy');
    expect(text).toContain('Q: ');
    expect(text).toContain('How-to: ');
    for (const p of policy.catalog.filter((x) => unseen.has(x.category))) expect(text).not.toContain(p.name);
  });
});

describe('world CLI', () => {
  const logs: string[] = [];
  const ctx: CommandContext = { json: true, log: (m) => logs.push(m), print: () => {} };
  const cmd = (name: string) => worldCommands.find((c) => c.path.join(' ') === `world ${name}`)!;

  it('samples readable cases', async () => {
    const r = (await cmd('sample').run({ seed: 1, n: 3, split: 'test', shift: 'adversarial' }, [], ctx)) as { cases: { id: string; shift: string; turns: { expected: string[]; reference: string }[] }[] };
    expect(r.cases).toHaveLength(3);
    for (const c of r.cases) {
      expect(c.id).toMatch(/^hd-test-/);
      expect(c.shift).toBe('adversarial');
      expect(c.turns[0]!.expected.length).toBeGreaterThan(0);
      expect(c.turns[0]!.reference.length).toBeGreaterThan(0);
    }
    await expect(cmd('sample').run({ seed: 1, n: 3, split: 'nope', shift: 'none' }, [], ctx)).rejects.toThrow(/--split/);
  });

  it('writes a corpus and scores replies, reporting malformed lines as FILE:LINE', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alignlab-world-'));
    try {
      const r = await cmd('corpus').run({ out: dir, seed: 2, n: 20, weights: 'correct=1,sloppy=1' }, [], ctx);
      expect(r).toMatchObject({ documents: expect.any(Number), dialogues: 20 });
      const lines = fs.readFileSync(path.join(dir, 'dialogues.jsonl'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(20);
      expect(fs.readFileSync(path.join(dir, 'documents.txt'), 'utf8').length).toBeGreaterThan(1000);

      const dialogues = lines.map((l) => JSON.parse(l) as { caseId: string; messages: { content: string }[] });
      const sample = (await cmd('sample').run({ seed: 2, n: 1, split: 'train', shift: 'none' }, [], ctx)) as { cases: { case: unknown }[] };
      const responses = [
        JSON.stringify({ caseId: dialogues[0]!.caseId, response: dialogues[0]!.messages[2]!.content }),
        '{not json',
        JSON.stringify({ caseId: dialogues[1]!.caseId }),
        JSON.stringify({ case: sample.cases[0]!.case, response: 'Hello!' }),
        JSON.stringify({ caseId: 'hd-train-0123456789abcdef', response: 'hi' }),
      ];
      const file = path.join(dir, 'replies.jsonl');
      fs.writeFileSync(file, responses.join('\n') + '\n');
      const s = (await cmd('score').run({ responses: file, seed: 2, search: 3000 }, [], ctx)) as {
        scored: { line: number; parsed: boolean; gold: { total: number }; proxy: number }[];
        errors: string[];
      };
      expect(s.scored.map((x) => x.line)).toEqual([1, 4]);
      expect(s.scored[0]!.parsed).toBe(true);
      expect(s.scored[1]!.parsed).toBe(false);
      expect(s.errors).toHaveLength(3);
      expect(s.errors[0]).toMatch(new RegExp(`${file}:2: invalid JSON`));
      expect(s.errors[1]).toMatch(new RegExp(`${file}:3: response`));
      expect(s.errors[2]).toMatch(new RegExp(`${file}:5: unknown caseId`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports persona statistics', async () => {
    const r = (await cmd('stats').run({ seed: 1, n: 100, split: 'train', shift: 'none' }, [], ctx)) as {
      personas: Record<string, { gold: number; proxy: number; acts: Record<string, number> }>;
      proxyGoldCorrelation: number;
    };
    expect(Object.keys(r.personas).sort()).toEqual(['correct', 'overCautious', 'peoplePleaser', 'sloppy']);
    expect(r.personas.correct!.gold).toBeCloseTo(1, 9);
    expect(r.personas.overCautious!.acts.refuse).toBeGreaterThan(0);
    expect(Number.isFinite(r.proxyGoldCorrelation)).toBe(true);
  });
});
