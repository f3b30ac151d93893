// An energy-based model P(x) = base(x) · Π_k factor_k(x), scored in log space as a sum
// (SPEC §1). It has a log-score and no sampler: samplers/ and tuners/ reach it
// through a proposal.
import { sumLogScores } from '../scorers/product.js';
import { checkOutput, type Blame } from '../scorers/validate.js';
import { perSampleContexts, type Contexts, type Distribution, type LogScored, type Sample } from './distribution.js';

/** One multiplicative term of an EBM, contributing its log-value per sample. */
export interface Factor {
  readonly name: string;
  /** `contexts`, when given, has one entry per sample. */
  logScore(samples: readonly Sample[], contexts?: readonly string[]): Promise<Float64Array>;
}

export class EBM implements LogScored {
  constructor(
    readonly base: Distribution,
    readonly factors: readonly Factor[],
  ) {}

  /** A new EBM with more factors; this one is unchanged. */
  times(...factors: Factor[]): EBM {
    return new EBM(this.base, [...this.factors, ...factors]);
  }

  /** log P(x) = log base(x) + Σ_k log factor_k(x). */
  async logScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array> {
    const [base, rest] = await Promise.all([this.base.logScore(samples, context), this.factorLogScore(samples, context)]);
    return base.map((b, i) => b + rest[i]);
  }

  /** log P(x) − log base(x): lets a tuner that already has log a(x) skip a forward pass. */
  async factorLogScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array> {
    const contexts = perSampleContexts(context, samples.length);
    return sumLogScores(this.factors, samples.length, async (factor) => checkOutput(blame(factor), await factor.logScore(samples, contexts), samples.length, 'log-score'));
  }
}

function blame(factor: Factor): Blame {
  return { who: `factor "${factor.name}"`, inputs: 'samples', input: (i) => `sample ${i}` };
}

/** `times(base, f1, f2)` = `base.times(f1, f2)`, for distributions without the method. */
export function times(base: Distribution, ...factors: Factor[]): EBM {
  return new EBM(base, factors);
}
