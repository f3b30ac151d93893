// Soft evidence: the factor exp(λ·φ(x)) with the RAW feature value φ(x) in the
// exponent — not log φ(x), which is the open ambiguity SPEC §1 asks us to settle.
// It is scorers/' exponentialScorer as an EBM factor, with φ checked as a feature.
// RLHF's target a·exp(r/β) is `new ExponentialFactor(r, 1/β)`; GDC's
// a·exp(Σ λ_i φ_i) is `exponentialTarget(a, φ, λ)`.
import { exponentialScorer } from '../scorers/exponential.js';
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';
import type { Distribution } from './distribution.js';
import { EBM } from './ebm.js';
import { asFeature } from './feature.js';
import { ScorerFactor } from './scorer-factor.js';

export class ExponentialFactor extends ScorerFactor {
  /** Contributes `lambda · rawFeature(x)` to log P. */
  constructor(
    readonly rawFeature: Scorer,
    readonly lambda: number,
  ) {
    super(exponentialScorer(asFeature(rawFeature), lambda));
  }
}

/** `P(x) = base(x) · exp(Σ_i λ_i φ_i(x))`, with raw feature values φ_i. */
export function exponentialTarget(base: Distribution, rawFeatures: readonly Scorer[], lambdas: ArrayLike<number>): EBM {
  if (rawFeatures.length !== lambdas.length) fail(`got ${lambdas.length} coefficients λ for ${rawFeatures.length} features.`);
  return new EBM(
    base,
    rawFeatures.map((f, i) => new ExponentialFactor(f, lambdas[i])),
  );
}
