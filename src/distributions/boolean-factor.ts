// Pointwise evidence b(x) ∈ {0,1}: P(x) = a(x)·b(x) is exact Bayesian conditioning
// a(x | b = 1) (SPEC §1). In log space b contributes 0 or -Infinity.
import type { Scorer } from '../scorers/scorer.js';
import type { Sample } from './distribution.js';
import type { Factor } from './ebm.js';
import { scoreFeature } from './feature.js';

export class BooleanFactor implements Factor {
  readonly name: string;

  /** `negate`: keep the samples where the scorer says 0 instead (b = 1 − φ). */
  constructor(
    readonly scorer: Scorer,
    readonly negate = false,
  ) {
    this.name = negate ? `not ${scorer.name}` : scorer.name;
  }

  async logScore(samples: readonly Sample[], contexts?: readonly string[]): Promise<Float64Array> {
    const values = await scoreFeature(this.scorer, samples, contexts, 'boolean');
    const keep = this.negate ? 0 : 1;
    return values.map((v) => (v === keep ? 0 : -Infinity));
  }
}
