// Feature moments: on-policy means E_π[φ] (including constraint satisfaction E_π[b] for
// a boolean b), and self-normalised importance sampling (SNIS) moments under the target,
// μ̂ = Σ w_i φ(x_i) / Σ w_i (SPEC §2).
import { logSumExp } from '../distributions/log-space.js';
import { fail } from '../util/errors.js';
import { checkSameLength } from './importance-weights.js';

/** E_π[φ] from samples of π: the plain mean. */
export function mean(values: Float64Array): number {
  if (values.length === 0) fail('a moment needs at least one sample.');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** E_π[b] for a boolean scorer's 0/1 values on samples of π. */
export function constraintSatisfaction(hits: Float64Array): number {
  for (const h of hits) if (h !== 0 && h !== 1) fail(`constraint satisfaction needs 0/1 values, got ${h}.`);
  return mean(hits);
}

/** On-policy means of several features, one value each. */
export function featureMoments(features: readonly Float64Array[]): Float64Array {
  return Float64Array.from(features, mean);
}

/** The SNIS estimate of E_p[φ]; NaN when every weight is zero (nothing to normalise). */
export function snisMoment(logWeights: Float64Array, values: Float64Array): number {
  checkSameLength(logWeights, values, 'log-weights', 'feature values');
  const lse = logSumExp(logWeights);
  if (lse === -Infinity) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) if (logWeights[i] !== -Infinity) sum += Math.exp(logWeights[i] - lse) * values[i];
  return sum;
}

/** SNIS estimates of several features under the same weights. */
export function snisMoments(logWeights: Float64Array, features: readonly Float64Array[]): Float64Array {
  return Float64Array.from(features, (values) => snisMoment(logWeights, values));
}
