/** Test helpers shared by the training tests (imported by tests only). */
import type { LlamaModel } from '../model/model.js';

/**
 * The worst relative gap between the analytic gradient `flat` and central differences of the
 * loss (ε = 1e-2) at up to four entries `at(k, length)` of each named parameter, and where it is
 * (for the assertion's message).
 */
export async function worstFiniteDifference(m: LlamaModel, loss: () => Promise<{ loss: number }>, flat: Float32Array, names: string[], at: (k: number, n: number) => number): Promise<{ worst: number; where: string }> {
  const eps = 1e-2;
  let worst = 0;
  let where = '';
  for (const name of names) {
    const v = m.params.get(name);
    const off = m.params.offsets.get(name)!;
    for (let k = 0; k < Math.min(4, v.length); k++) {
      const i = at(k, v.length);
      const orig = v[i];
      v[i] = orig + eps;
      const lp = (await loss()).loss;
      v[i] = orig - eps;
      const lm = (await loss()).loss;
      v[i] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const err = Math.abs(numeric - flat[off + i]) / Math.max(0.05, Math.abs(numeric));
      if (err > worst) [worst, where] = [err, `${name}[${i}]: analytic ${flat[off + i]}, numeric ${numeric}`];
    }
  }
  return { worst, where };
}
