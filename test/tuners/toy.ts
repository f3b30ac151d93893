// The enumerable world of the tuner tests: the toy prior a over eight strings (shared
// with the estimator tests), targets on it, and helpers to build exact rollouts and to
// run a tuner on the toy and read its policy back.
import { zeroGrad } from '../../src/engine/autograd.js';
import { setNumThreads } from '../../src/engine/random.js';
import { Categorical } from '../../src/distributions/categorical.js';
import { CategoricalPolicy } from '../../src/distributions/categorical-policy.js';
import { ConditionalCategorical } from '../../src/distributions/conditional-categorical.js';
import type { LogScored, Sample } from '../../src/distributions/distribution.js';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import type { Scorer } from '../../src/scorers/scorer.js';
import { groupByContext, type Rollout } from '../../src/tuners/rollout.js';
import type { Strategy } from '../../src/tuners/strategy.js';
import { Tuner, type TunerOptions } from '../../src/tuners/tuner.js';
import { prior, scorer, texts } from '../distributions/toy.js';
// The exact divergences on enumerated supports are the estimator tests' own.
export { kl, tv } from '../estimators/exact.js';

export { prior, texts };

// The toy's tensors have a handful of elements: handing them to a thread pool costs more than the work.
setNumThreads(1);
export const support: Sample[] = texts.map((text) => ({ text }));

/** r(x) = the number of "a"s: a unique best text, "aab". */
export const countA = scorer('count-a', (t) => [...t].filter((ch) => ch === 'a').length);

/** Exact p = P/Z on the support, from log P. */
export async function exactTarget(target: LogScored, contexts?: string): Promise<{ p: Float64Array; logZ: number }> {
  const logP = await target.logScore(support, contexts);
  const P = logP.map(Math.exp);
  const Z = P.reduce((s, x) => s + x, 0);
  return { p: P.map((x) => x / Z), logZ: Math.log(Z) };
}

/** The whole support once, under a uniform proposal: importance-weighted means become exact sums. */
export async function exhaustiveRollout(policy: CategoricalPolicy, base: LogScored, target: LogScored | undefined, logZ: number | undefined, reward?: Scorer): Promise<Rollout> {
  const n = support.length;
  const logTarget = target ? await target.logScore(support) : undefined;
  return {
    samples: support,
    contexts: undefined,
    groups: groupByContext(undefined, n),
    logProposal: new Float64Array(n).fill(-Math.log(n)),
    logBase: await base.logScore(support),
    logPolicy: await policy.logScore(support),
    logTarget,
    logZ: logZ === undefined ? undefined : new Float64Array(n).fill(logZ),
    reward: reward ? await reward.score(texts) : undefined,
  };
}

/** A policy away from the prior, so gradients are not trivially zero. */
export function skewedPolicy(): CategoricalPolicy {
  return new CategoricalPolicy(texts, { logits: [0.3, -0.2, 0.5, 0.1, -0.4, 0.2, -0.1, 0.0] });
}

/** The gradient of a scalar loss with respect to the policy's logits; clears it for the next backward pass. */
export function logitGrad(policy: CategoricalPolicy): Float64Array {
  const g = policy.logits.grad;
  if (g === null) throw new Error('no gradient');
  const out = g.toFloat64Array();
  zeroGrad(policy.parameters());
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Swallows progress output. */
export const quiet = { write: () => true };

/** Runs a tuner on the toy (the policy starts at the prior) and returns the final policy. */
export async function runToy(options: Omit<TunerOptions, 'policy' | 'base' | 'steps' | 'optimizer' | 'strategy'> & {
  strategy: (policy: CategoricalPolicy) => Strategy;
  steps: number;
  lr?: number;
  base?: Categorical | ConditionalCategorical;
}): Promise<{ policy: CategoricalPolicy; tuner: Tuner }> {
  const base = options.base ?? prior;
  const policy = CategoricalPolicy.from(base);
  const tuner = new Tuner({ ...options, base, policy, strategy: options.strategy(policy), optimizer: { lr: options.lr ?? 0.05 }, warn: options.warn ?? (() => {}), stream: options.stream ?? quiet });
  await tuner.run();
  return { policy, tuner };
}

/** A conditional toy: three contexts, each with its own prior over the same texts; b(x, c) = [x contains c]. */
export const conditionalPrior = new ConditionalCategorical({
  a: Categorical.fromWeights(texts, [0.3, 0.2, 0.12, 0.1, 0.08, 0.1, 0.05, 0.05]),
  b: Categorical.fromWeights(texts, [0.05, 0.3, 0.05, 0.2, 0.1, 0.1, 0.1, 0.1]),
  c: Categorical.fromWeights(texts, [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.06, 0.04]),
});
export const containsContext: Scorer = {
  name: 'contains-context',
  score: async (xs, cs) => Float64Array.from(xs, (x, i) => (x.includes(cs![i]!) ? 1 : 0)),
};
export const conditionalTarget = conditionalPrior.times(new BooleanFactor(containsContext));
