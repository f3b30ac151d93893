// Soft evidence: the factor exp(λ·φ(x)) with the RAW feature value φ(x) in the
// exponent — not log φ(x), which is the open ambiguity SPEC §1 asks us to settle.
// RLHF's target a·exp(r/β) is `new ExponentialFactor(r, 1/β)`; GDC's
// a·exp(Σ λ_i φ_i) is `exponentialTarget(a, φ, λ)`.
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';
import type { Distribution, Sample } from './distribution.js';
import { EBM, type Factor } from './ebm.js';
import { scoreFeature } from './feature.js';

export class ExponentialFactor implements Factor {
  readonly name: string;

  /** Contributes `lambda · rawFeature(x)` to log P. */
  constructor(
    readonly rawFeature: Scorer,
    readonly lambda: number,
  ) {
    if (!Number.isFinite(lambda)) fail(`the coefficient λ of feature "${rawFeature.name}" must be a finite number, got ${lambda}.`);
    this.name = `exp(${lambda}·${rawFeature.name})`;
  }

  async logScore(samples: readonly Sample[], contexts?: readonly string[]): Promise<Float64Array> {
    const values = await scoreFeature(this.rawFeature, samples, contexts);
    return values.map((v) => this.lambda * v);
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
