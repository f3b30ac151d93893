// A distribution over a finite set of strings: the enumerable "LM" that the closed-form
// tests use (exact Z, KL, TV, λ, QRS acceptance), and a convenient toy proposal.
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';
import { BaseDistribution, checkCount, type Contexts, type Sample, type Sampled, type SampleOptions } from './distribution.js';
import { logSumExp } from './log-space.js';

export interface CategoricalOptions {
  /** Seed of the generator used when `sample` gets no `random` (default 0). */
  seed?: number;
}

export class Categorical extends BaseDistribution {
  private readonly texts: readonly string[];
  private readonly logProbs: Float64Array;
  private readonly index: Map<string, number>;
  private readonly cumulative: Float64Array;
  private readonly random: Random;

  /** `logWeights`: unnormalised log-probabilities, one per text (-Infinity allowed). */
  constructor(texts: readonly string[], logWeights: ArrayLike<number>, options: CategoricalOptions = {}) {
    super();
    if (texts.length === 0) fail('a categorical distribution needs at least one text.');
    if (texts.length !== logWeights.length) fail(`got ${logWeights.length} weights for ${texts.length} texts.`);
    this.index = new Map(texts.map((t, i) => [t, i]));
    if (this.index.size !== texts.length) fail('the texts of a categorical distribution must be distinct.');
    for (let i = 0; i < logWeights.length; i++) {
      const w = logWeights[i];
      if (Number.isNaN(w) || w === Infinity) fail(`the log-weight of "${texts[i]}" is ${w}; it must be finite or -Infinity.`);
    }
    const lse = logSumExp(logWeights);
    if (lse === -Infinity) fail('a categorical distribution needs at least one text with non-zero weight.');
    this.texts = [...texts];
    this.logProbs = Float64Array.from(logWeights, (w) => w - lse);
    let acc = 0;
    this.cumulative = this.logProbs.map((lp) => (acc += Math.exp(lp)));
    this.random = new Random(options.seed ?? 0);
  }

  /** From probabilities (or any non-negative weights) instead of log-weights. */
  static fromWeights(texts: readonly string[], weights: ArrayLike<number>, options: CategoricalOptions = {}): Categorical {
    for (let i = 0; i < weights.length; i++) {
      if (!(weights[i] >= 0) || weights[i] === Infinity) fail(`the weight of "${texts[i]}" is ${weights[i]}; it must be a finite non-negative number.`);
    }
    return new Categorical(texts, Float64Array.from(weights, Math.log), options);
  }

  /** Every text, in the order given: the support for exact enumeration. */
  support(): Sample[] {
    return this.texts.map((text) => ({ text }));
  }

  /** Normalised probabilities, aligned with `support()`. */
  probabilities(): Float64Array {
    return this.logProbs.map(Math.exp);
  }

  /** The same distribution for every context: a context is accepted and ignored. */
  async sample(n: number, _context?: string, opts: SampleOptions = {}): Promise<Sampled> {
    checkCount(n);
    const random = opts.random ?? this.random;
    const total = this.cumulative[this.cumulative.length - 1];
    const samples: Sample[] = [];
    const logProbs = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = this.lowerBound(random.float() * total);
      samples.push({ text: this.texts[i] });
      logProbs[k] = this.logProbs[i];
    }
    return { samples, logProbs };
  }

  /** log-probability of each sample; -Infinity outside the support. */
  async logScore(samples: readonly Sample[], _context?: Contexts): Promise<Float64Array> {
    return Float64Array.from(samples, (s) => {
      const i = this.index.get(s.text);
      return i === undefined ? -Infinity : this.logProbs[i];
    });
  }

  // The first index whose cumulative probability exceeds u (never a zero-probability text).
  private lowerBound(u: number): number {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
