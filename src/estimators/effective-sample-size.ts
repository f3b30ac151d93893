// How many samples the importance weights are really worth: ESS = (Σw)²/Σw² (SPEC §2).
// When one sample carries nearly all the weight the estimates of Z, KL and the
// moments are noise, so we also flag exploding weights.
import { logSumExp } from '../distributions/log-space.js';
import { fail } from '../util/errors.js';
import { warnLoudly, type Warn } from './warning.js';

export function effectiveSampleSize(logWeights: Float64Array): number {
  if (logWeights.length === 0) fail('the effective sample size needs at least one sample.');
  const lse = logSumExp(logWeights);
  if (lse === -Infinity) return 0;
  return Math.exp(2 * lse - logSumExp(logWeights.map((w) => 2 * w)));
}

export interface WeightDiagnostics {
  ess: number;
  /** ESS / N, in (0, 1]. */
  essFraction: number;
  /** The largest normalised weight, max_i w_i / Σw. */
  maxShare: number;
  /** True when the weights fail the thresholds below. */
  exploding: boolean;
}

export interface WeightThresholds {
  /** Flag when ESS/N falls below this (default 0.01). */
  minEssFraction?: number;
  /** Flag when one sample holds more than this share of the total weight (default 0.9). */
  maxShare?: number;
  /** Where the warning goes (default: stderr, loudly). */
  warn?: Warn;
  /** Names the estimate in the warning, e.g. "KL(p‖π) at step 120". */
  label?: string;
}

/** Diagnoses a batch of log-weights and warns when they explode. A lone sample or no weight at all is not an explosion. */
export function checkImportanceWeights(logWeights: Float64Array, thresholds: WeightThresholds = {}): WeightDiagnostics {
  const n = logWeights.length;
  const ess = effectiveSampleSize(logWeights);
  const lse = logSumExp(logWeights);
  let max = -Infinity;
  for (const w of logWeights) if (w > max) max = w;
  const maxShare = lse === -Infinity ? 0 : Math.exp(max - lse);
  const exploding = n > 1 && lse !== -Infinity && (ess / n < (thresholds.minEssFraction ?? 0.01) || maxShare > (thresholds.maxShare ?? 0.9));
  if (exploding) {
    const where = thresholds.label === undefined ? '' : ` (${thresholds.label})`;
    (thresholds.warn ?? warnLoudly)(
      `importance weights explode${where}: effective sample size ${ess.toFixed(2)} of ${n}, one sample holds ${(100 * maxShare).toFixed(1)}% of the weight; estimates from this batch are unreliable.`,
    );
  }
  return { ess, essFraction: ess / n, maxShare, exploding };
}
