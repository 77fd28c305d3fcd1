/**
 * Best-of-n in the HelpDesk world: sample a pool of m replies per case from a policy, score
 * every reply with the world's gold and proxy and with a reward model, and read off best-of-n
 * for every n ≤ m with the unbiased subset estimator (src/lab/goodhart.ts) — what picking the
 * reward model's favourite of n samples buys in true intent, at KL = log n − (n − 1)/n.
 *
 *   const pool = await samplePool(policy, tok, cases, { m: 64, maxNewTokens: 48, seed: 1 });
 *   const rm = await rewardOf(rmModel, rmReadout, pool, padId);
 *   bestOfN(pool.map((p, i) => ({ proxy: rm[i], gold: p.gold })), [1, 2, 4, …, 64]);
 */
import type { LlamaModel } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { generate } from '../sample/generate.js';
import { scoreReplies, type Readout } from '../train/reward.js';
import { scoreResponse, type Case } from '../world/index.js';
import { casePromptIds, replyText } from './prompts.js';
import { progress } from '../util/progress.js';

/** One case's pool: its prompt ids, m sampled replies, and each reply's world gold and proxy. */
export interface CasePool {
  caseId: string;
  prompt: number[];
  replies: number[][];
  texts: string[];
  gold: number[];
  proxy: number[];
}

/** m replies per case at temperature 1 (64 rows per generate call, the prompt prefilled once). */
export async function samplePool(policy: LlamaModel, tok: Tokenizer, cases: readonly Case[], o: { m: number; maxNewTokens: number; seed: number; label?: string }): Promise<CasePool[]> {
  const info = tok.chatTemplate;
  if (!info) throw new Error('samplePool: the tokenizer has no chat template');
  const bar = progress(o.label ?? 'bon', cases.length);
  const out: CasePool[] = [];
  for (const [ci, c] of cases.entries()) {
    const prompt = casePromptIds(tok, c);
    const replies: number[][] = [];
    for (let s = 0; s < o.m; s += 64) {
      const n = Math.min(64, o.m - s);
      const g = await generate(policy, Array.from({ length: n }, () => prompt), { maxNewTokens: o.maxNewTokens, temperature: 1, stopTokenIds: info.stopTokenIds, seed: o.seed * 7919 + ci * 131 + s });
      replies.push(...g.map((x) => x.tokens));
    }
    const texts = replies.map((r) => replyText(tok, r));
    const scored = texts.map((t) => scoreResponse(c, t));
    out.push({ caseId: c.id, prompt, replies, texts, gold: scored.map((x) => x.gold.total), proxy: scored.map((x) => x.proxy) });
    bar.tick();
  }
  bar.done();
  return out;
}

/** A reward model's score of every reply in the pools (each prompt run once per batch). */
export function rewardOf(rm: LlamaModel, readout: Readout, pools: readonly CasePool[], padId: number): Promise<number[][]> {
  return scoreReplies(rm, pools.map((p) => ({ prompt: p.prompt, replies: p.replies })), { padId, readout });
}

/** n = 1, 2, 4, … up to m (and m itself). */
export function powersUpTo(m: number): number[] {
  const ns: number[] = [];
  for (let n = 1; n <= m; n *= 2) ns.push(n);
  if (ns[ns.length - 1] !== m) ns.push(m);
  return ns;
}
