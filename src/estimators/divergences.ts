// Divergences between the target p = P/Z and the policy π, importance-weighted with
// samples x_i ~ q (SPEC §2; q = π when on-policy). Z is the batch's own estimate unless
// the caller passes a better one (a running estimate). When no sample has positive
// target weight, Ẑ = 0 and p is unknown on the batch: the estimates are NaN.
import { logAddExp } from '../distributions/log-space.js';
import { checkSameLength, logImportanceWeights } from './importance-weights.js';
import { logPartition } from './partition.js';

export interface TargetPolicyLogProbs {
  /** log P(x_i), the unnormalised target. */
  logTarget: Float64Array;
  /** log π(x_i). */
  logPolicy: Float64Array;
  /** log q(x_i), the distribution the samples came from; omit when q = π. */
  logProposal?: Float64Array;
  /** log Z to normalise P with; default: log Ẑ from these samples. */
  logZ?: number;
}

interface Normalised {
  /** log p(x_i) = log P(x_i) − log Z. */
  logP: Float64Array;
  logPolicy: Float64Array;
  logQ: Float64Array;
}

function normalise(input: TargetPolicyLogProbs): Normalised | undefined {
  const logQ = input.logProposal ?? input.logPolicy;
  checkSameLength(input.logTarget, input.logPolicy, 'target log-scores', 'policy log-probabilities');
  const logW = logImportanceWeights(input.logTarget, logQ);
  checkSameLength(input.logPolicy, logQ, 'policy log-probabilities', 'proposal log-probabilities');
  const logZ = input.logZ ?? logPartition(logW);
  if (!Number.isFinite(logZ)) return undefined;
  return { logP: input.logTarget.map((lp) => lp - logZ), logPolicy: input.logPolicy, logQ };
}

// (1/N) Σ_i (r(x_i)/q(x_i)) · g_i, where a zero density r contributes 0 even if g_i is infinite.
function weightedMean(logR: Float64Array, logQ: Float64Array, g: (i: number) => number): number {
  let sum = 0;
  for (let i = 0; i < logR.length; i++) if (logR[i] !== -Infinity) sum += Math.exp(logR[i] - logQ[i]) * g(i);
  return sum / logR.length;
}

/** KL(p‖π) ≈ (1/N) Σ (p(x_i)/q(x_i))·(log p(x_i) − log π(x_i)). */
export function klTargetPolicy(input: TargetPolicyLogProbs): number {
  const n = normalise(input);
  if (n === undefined) return NaN;
  return weightedMean(n.logP, n.logQ, (i) => n.logP[i] - n.logPolicy[i]);
}

/** TV(p,π) ≈ (1/2N) Σ |p(x_i) − π(x_i)| / q(x_i). */
export function tvTargetPolicy(input: TargetPolicyLogProbs): number {
  const n = normalise(input);
  if (n === undefined) return NaN;
  let sum = 0;
  for (let i = 0; i < n.logP.length; i++) sum += Math.abs(Math.exp(n.logP[i] - n.logQ[i]) - Math.exp(n.logPolicy[i] - n.logQ[i]));
  return sum / (2 * n.logP.length);
}

/** JS(p,π) = ½KL(p‖m) + ½KL(π‖m) with m = (p+π)/2, both terms weighted by 1/q. */
export function jsTargetPolicy(input: TargetPolicyLogProbs): number {
  const n = normalise(input);
  if (n === undefined) return NaN;
  const logM = n.logP.map((lp, i) => logAddExp(lp, n.logPolicy[i]) - Math.LN2);
  return 0.5 * weightedMean(n.logP, n.logQ, (i) => n.logP[i] - logM[i]) + 0.5 * weightedMean(n.logPolicy, n.logQ, (i) => n.logPolicy[i] - logM[i]);
}
