// constrain(a, [{feature, moment}]) builds the target that the evidence defines
// (SPEC §1, §3): a boolean feature required always (moment 1) or never (moment 0) is
// pointwise conditioning a(x)·b(x); any other moment is distributional, and its λ is
// fitted by moment matching on one pool from a proposal — on top of the pointwise
// factors, so the two kinds combine. The fit's default is moment matching's 'auto':
// SPEC §3's gradient iteration (lr 0.05, tol 1e-3, ≤ 1000 iterations), continued by
// damped Newton when that has not converged, as it does not for moments near 0 or 1;
// `method: 'gradient'` is SPEC's iteration alone.
import { BooleanFactor } from '../distributions/boolean-factor.js';
import type { Distribution, Sample, SampleOptions } from '../distributions/distribution.js';
import { EBM, type Factor } from '../distributions/ebm.js';
import { ExponentialFactor } from '../distributions/exponential-factor.js';
import { scoreFeature } from '../distributions/feature.js';
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';
import { checkImportanceWeights } from './effective-sample-size.js';
import { logImportanceWeights } from './importance-weights.js';
import { fitLambdas, type Fit, type FitOptions } from './moment-matching.js';
import type { Warn } from './warning.js';

export interface Constraint {
  /** φ(x), used raw in the exponent (exp(λ·φ(x)), never log φ). */
  feature: Scorer;
  /** The required E_p[φ]. */
  moment: number;
  /** φ returns 0/1; with a moment of 0 or 1 it becomes a pointwise factor. */
  boolean?: boolean;
}

export interface ConstrainOptions<O extends SampleOptions = SampleOptions> extends FitOptions {
  /** Where the pool comes from (default: the base itself). */
  proposal?: Distribution<O>;
  /** Options for the proposal's sampler; `random` defaults to the one below. */
  sampleOptions?: O;
  /** Pool size (default 4096). */
  poolSize?: number;
  /** Samples per call to the proposal (default 256). */
  batchSize?: number;
  /** Condition the pool on one context. */
  context?: string;
  /** Default: a generator seeded with 0. */
  random?: Random;
  /** Where a warning about an unreliable pool goes. */
  warn?: Warn;
}

export interface Constrained {
  ebm: EBM;
  /** One λ per constraint; +Infinity / -Infinity for pointwise ones (moment 1 / 0). */
  lambdas: Float64Array;
  /** The moments the target reaches: SNIS on the pool for fitted ones, exact for pointwise ones. */
  moments: Float64Array;
  /** True when every constraint became a pointwise factor (no pool was drawn). */
  pointwise: boolean;
  /** Moment matching's iterations (0 when no pool), and the method that converged. */
  iterations: number;
  method?: Fit['method'];
  /** Effective sample size of the pool under the fitted target (NaN when no pool). */
  ess: number;
}

export async function constrain<O extends SampleOptions>(base: Distribution, constraints: readonly Constraint[], options: ConstrainOptions<O> = {}): Promise<Constrained> {
  if (constraints.length === 0) fail('constrain needs at least one constraint.');
  constraints.forEach((c) => {
    if (!Number.isFinite(c.moment)) fail(`the moment of "${c.feature.name}" must be a finite number, got ${c.moment}.`);
    if (c.boolean === true && (c.moment < 0 || c.moment > 1)) fail(`the moment of boolean feature "${c.feature.name}" must lie in [0, 1], got ${c.moment}.`);
  });
  const isPointwise = (c: Constraint): boolean => c.boolean === true && (c.moment === 0 || c.moment === 1);
  const pointwise: Factor[] = constraints.filter(isPointwise).map((c) => new BooleanFactor(c.feature, c.moment === 0));
  const fitted = constraints.filter((c) => !isPointwise(c));
  const lambdas = Float64Array.from(constraints, (c) => (isPointwise(c) ? (c.moment === 1 ? Infinity : -Infinity) : 0));
  const moments = Float64Array.from(constraints, (c) => c.moment);
  if (fitted.length === 0) return { ebm: new EBM(base, pointwise), lambdas, moments, pointwise: true, iterations: 0, ess: NaN };

  const { samples, logProposal } = await drawPool(base, options);
  const context = options.context;
  const pointwiseTarget = new EBM(base, pointwise);
  const logWeights = logImportanceWeights(await pointwiseTarget.logScore(samples, context), logProposal);
  const contexts = context === undefined ? undefined : new Array<string>(samples.length).fill(context);
  const features: Float64Array[] = [];
  for (const c of fitted) {
    features.push(await scoreFeature(c.feature, samples, contexts, c.boolean === true ? 'boolean' : 'finite'));
  }
  const fit = fitLambdas(
    { logWeights, features, names: fitted.map((c) => c.feature.name) },
    fitted.map((c) => c.moment),
    options,
  );
  const fittedLogWeights = logWeights.map((w, k) => w + fitted.reduce((e, _c, i) => e + fit.lambdas[i] * features[i][k], 0));
  checkImportanceWeights(fittedLogWeights, { warn: options.warn, label: `the pool of ${samples.length} samples that fitted λ` });

  let j = 0;
  constraints.forEach((c, i) => {
    if (isPointwise(c)) return;
    lambdas[i] = fit.lambdas[j];
    moments[i] = fit.moments[j];
    j++;
  });
  const exponentials = fitted.map((c, i) => new ExponentialFactor(c.feature, fit.lambdas[i]));
  return { ebm: new EBM(base, [...pointwise, ...exponentials]), lambdas, moments, pointwise: false, iterations: fit.iterations, method: fit.method, ess: fit.ess };
}

async function drawPool<O extends SampleOptions>(base: Distribution, options: ConstrainOptions<O>): Promise<{ samples: Sample[]; logProposal: Float64Array }> {
  const { poolSize = 4096, batchSize = 256 } = options;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) fail(`the pool size must be a positive integer, got ${poolSize}.`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) fail(`the batch size must be a positive integer, got ${batchSize}.`);
  const proposal = (options.proposal ?? base) as Distribution<O>;
  const random = options.random ?? new Random(0);
  const sampleOptions = { ...options.sampleOptions, random: options.sampleOptions?.random ?? random } as O;
  const samples: Sample[] = [];
  const logProposal = new Float64Array(poolSize);
  while (samples.length < poolSize) {
    const want = Math.min(batchSize, poolSize - samples.length);
    const batch = await proposal.sample(want, options.context, sampleOptions);
    if (batch.samples.length !== want || batch.logProbs.length !== want) fail(`the proposal returned ${batch.samples.length} samples and ${batch.logProbs.length} log-probabilities when asked for ${want}.`);
    logProposal.set(batch.logProbs, samples.length);
    samples.push(...batch.samples);
  }
  return { samples, logProposal };
}
