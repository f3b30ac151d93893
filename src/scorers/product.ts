// The product of scorers, b1(x)·b2(x)·…, computed as the sum of their log-scores so
// that tiny factors do not underflow: P = a·b1·b2·exp(λ·φ) is a sum in log space
// (SPEC §1). Its score is exp of that sum.
import { fail } from '../util/errors.js';
import { fromLogScores, logScore, type LogScorer } from './log-score.js';
import type { Scorer } from './scorer.js';
import { checkBatch } from './validate.js';

export function productScorer(factors: readonly Scorer[]): LogScorer {
  if (factors.length === 0) fail('a product of scorers needs at least one factor');
  const name = factors.map((f) => f.name).join('·');
  const logScores = async (texts: readonly string[], contexts?: readonly string[]): Promise<Float64Array> => {
    checkBatch(name, texts, contexts);
    const sum = await sumLogScores(factors, texts.length, (factor) => logScore(factor, texts, contexts));
    const bad = sum.findIndex((s) => Number.isNaN(s));
    if (bad >= 0) fail(`scorer ${name}: its factors' log-scores for text ${bad} add up to NaN (+Infinity and -Infinity)`);
    return sum;
  };
  return fromLogScores(name, logScores, async () => {
    for (const f of factors) await f.close?.();
  });
}

/**
 * Σ_k log f_k per input: the product of factors in log space, for scorers here and for
 * an EBM's factors. `logScores` gives one factor's log-scores, checked, one per input;
 * the factors run one after another, as they may be outside programs.
 */
export async function sumLogScores<F>(factors: readonly F[], count: number, logScores: (factor: F) => Promise<Float64Array>): Promise<Float64Array> {
  const sum = new Float64Array(count);
  for (const factor of factors) {
    const logs = await logScores(factor);
    for (let i = 0; i < count; i++) sum[i] += logs[i];
  }
  return sum;
}
