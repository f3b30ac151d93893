// The partition function Z = Σ_x P(x), estimated by importance sampling:
// Ẑ = mean_i w_i, computed in log space (SPEC §2). -Infinity when no sample has weight.
import { logMeanExp } from '../distributions/log-space.js';
import { fail } from '../util/errors.js';

export function logPartition(logWeights: Float64Array): number {
  if (logWeights.length === 0) fail('estimating Z needs at least one sample.');
  return logMeanExp(logWeights);
}
