/**
 * `alignlab eval rm --rm DIR[,DIR…] --prefs FILE`: reward models scored on a preference file —
 * `accuracy`, `margin`, `min|mean|max_reward`, calibration error, reward–length correlation and
 * agreement with gold where the rows carry it — and, for two or more, their ensemble: its mean
 * reward's metrics, how much the members disagree, and whether disagreement finds the pairs the
 * ensemble gets wrong better than its own margin does (src/lab/rm-ensemble.ts).
 *
 *   alignlab prefs collect --model runs/sft --n 400 --k 4 --raters careful --split validation --seed 9 --out fresh.jsonl
 *   alignlab eval rm --rm runs/rm-ens/member-1,runs/rm-ens/member-2,runs/rm-ens/member-3 --prefs fresh.jsonl --json
 */
import type { Command } from './types.js';
import { UsageError } from './types.js';
import { evaluateRewardModels } from '../lab/rm-ensemble.js';
import { onErrorOf, prefsOnError, printEnsemble } from './train.js';

const evalRm: Command = {
  path: ['eval', 'rm'],
  summary: "Score reward models on a preference file: TRL's reward metrics, calibration, agreement with gold, and with several models their ensemble's disagreement as an error detector",
  options: {
    rm: { type: 'string', required: true, describe: 'reward-model directory, or several separated by commas (an ensemble)' },
    prefs: { type: 'string', required: true, describe: 'preference JSONL (TRL prompt/chosen/rejected; chosen_gold/rejected_gold for agreement with gold)' },
    'on-error': prefsOnError,
    threads: { type: 'number', default: 2, describe: 'ONNX Runtime intra-op threads' },
  },
  async run(o, _p, ctx) {
    const dirs = String(o.rm).split(',').map((d) => d.trim()).filter((d) => d.length > 0);
    if (dirs.length === 0) throw new UsageError('eval rm: --rm names no directory');
    const onError = onErrorOf('eval rm', o['on-error']);
    const r = await evaluateRewardModels(dirs, String(o.prefs), { threads: Number(o.threads), onError, log: ctx.log }).catch((e: Error) => {
      throw new UsageError(`eval rm: ${e.message}`);
    });
    const f = (x: number | null) => (x === null ? '–' : x.toFixed(3));
    ctx.print(`${r.pairs} pairs of ${r.prefs}${r.skipped ? ` (${r.skipped} bad lines skipped)` : ''}`);
    for (const m of r.models) ctx.print(`  ${m.dir}: accuracy ${f(m.metrics.accuracy)} (vs raters), ${f(m.metrics.accuracyVsGold)} (vs gold); margin ${f(m.metrics.margin)}, calibration error ${f(m.metrics.calibration_error)}, reward–length correlation ${f(m.metrics.reward_length_corr)}${m.truncated ? `; ${m.truncated} pairs truncated to the context` : ''}`);
    if (r.ensemble) printEnsemble(r.ensemble, ctx.print);
    return r;
  },
};

export default [evalRm];
