// A distribution we can both sample and score (SPEC §0): the prior a, a policy π, a
// proposal q. Samplers and tuners only need these two methods, so the LM
// distribution over our GPT and the toy categoricals in tests are interchangeable.
import { fail } from '../util/errors.js';
import type { Random } from '../util/random.js';
import { EBM, type Factor } from './ebm.js';

/** A sampled sequence; LM samples also carry their token ids. */
export interface Sample {
  readonly text: string;
  readonly tokens?: Int32Array;
}

/** Options every distribution accepts; an LM adds its own (temperature, top-k, …). */
export interface SampleOptions {
  /** The generator to draw with; a distribution falls back to its own seeded one. */
  random?: Random;
}

export interface Sampled {
  samples: Sample[];
  /** log-probability of each sample under the distribution that drew it, with the
   *  options it was drawn with — usable directly as `log q(x)` by a sampler. */
  logProbs: Float64Array;
}

/** One context shared by every sample, or one context per sample. */
export type Contexts = string | readonly string[];

/** Anything with a log-score: a Distribution or an unnormalised EBM. */
export interface LogScored {
  /** log-probability (or unnormalised log-score) of each sample given its context. */
  logScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array>;
}

export interface Distribution<O extends SampleOptions = SampleOptions> extends LogScored {
  /** Draws `n` samples, all under `context` when the distribution is conditional. */
  sample(n: number, context?: string, opts?: O): Promise<Sampled>;
}

/** Gives every distribution the product algebra `base.times(factor, …)`. */
export abstract class BaseDistribution<O extends SampleOptions = SampleOptions> implements Distribution<O> {
  abstract sample(n: number, context?: string, opts?: O): Promise<Sampled>;
  abstract logScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array>;

  /** The EBM `P(x) = this(x) · Π factors(x)`; it can be scored, not sampled. */
  times(...factors: Factor[]): EBM {
    return new EBM(this, factors);
  }
}

/** Expands `context` to one entry per sample (undefined stays undefined). */
export function perSampleContexts(context: Contexts | undefined, n: number): readonly string[] | undefined {
  if (context === undefined) return undefined;
  if (typeof context === 'string') return new Array<string>(n).fill(context);
  if (context.length !== n) fail(`got ${context.length} contexts for ${n} samples; give one context or one per sample.`);
  return context;
}

/** Validates a requested sample count. */
export function checkCount(n: number, what = 'sample count'): void {
  if (!Number.isSafeInteger(n) || n < 0) fail(`${what} must be a non-negative integer, got ${n}.`);
}
