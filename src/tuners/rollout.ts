// One step's batch, everything the loss strategies and the metrics need, as plain
// numbers: samples x_i ~ q(·|c_i) and their log-scores under the proposal q, the base
// a, the target P and the policy π (before this step's update), the normaliser Z (or
// Z_c) of each sample's target, and the reward when the method has one.
import type { Sample } from '../distributions/distribution.js';
import { fail } from '../util/errors.js';

export interface Rollout {
  samples: readonly Sample[];
  /** The context of each sample; undefined when tuning is unconditional. */
  contexts: readonly string[] | undefined;
  /** Sample indices by context, in order of first appearance (one group when unconditional). */
  groups: readonly (readonly number[])[];
  /** log q(x_i|c_i): the log-probability under the distribution that drew the sample. */
  logProposal: Float64Array;
  /** log a(x_i|c_i). */
  logBase: Float64Array;
  /** log π(x_i|c_i), detached, before this step's update. */
  logPolicy: Float64Array;
  /** log P(x_i|c_i) of the unnormalised target. */
  logTarget?: Float64Array;
  /** log Z of the target of each sample's context. */
  logZ?: Float64Array;
  /** r(x_i, c_i) for reward-based methods. */
  reward?: Float64Array;
  /** log a of each token of each sample (PPO's per-token KL penalty). */
  tokenLogBase?: readonly Float64Array[];
}

/** Groups sample indices by context (all in one group when there are none). */
export function groupByContext(contexts: readonly string[] | undefined, n: number): number[][] {
  if (contexts === undefined) return [Array.from({ length: n }, (_, i) => i)];
  const groups = new Map<string, number[]>();
  contexts.forEach((c, i) => {
    const g = groups.get(c);
    if (g === undefined) groups.set(c, [i]);
    else g.push(i);
  });
  return [...groups.values()];
}

/** The field a strategy needs, or one sentence saying which input supplies it. */
export function required<K extends 'logTarget' | 'logZ' | 'reward' | 'tokenLogBase'>(r: Rollout, key: K, method: string): NonNullable<Rollout[K]> {
  const v = r[key];
  if (v === undefined) {
    const what = { logTarget: 'a target', logZ: 'an estimate of Z', reward: 'a reward scorer', tokenLogBase: 'per-token base log-probabilities' }[key];
    fail(`${method} needs ${what}, and this tuning run has none.`);
  }
  return v as NonNullable<Rollout[K]>;
}
