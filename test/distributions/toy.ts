// A small enumerable world shared by the closed-form tests: a prior a over eight
// strings, a proposal q ≠ a, a policy π, and a few features. Everything the
// estimators and samplers approximate can be computed exactly here by enumeration.
import { Categorical } from '../../src/distributions/categorical.js';
import type { Scorer } from '../../src/scorers/scorer.js';

export const texts = ['a', 'b', 'ab', 'ba', 'aab', 'bb', 'abc', 'c'];

export const prior = Categorical.fromWeights(texts, [0.3, 0.2, 0.12, 0.1, 0.08, 0.1, 0.05, 0.05], { seed: 1 });
export const proposal = Categorical.fromWeights(texts, [0.1, 0.15, 0.15, 0.15, 0.1, 0.15, 0.1, 0.1], { seed: 2 });
export const policy = Categorical.fromWeights(texts, [0.2, 0.1, 0.2, 0.1, 0.15, 0.05, 0.1, 0.1], { seed: 3 });

export function scorer(name: string, f: (text: string) => number): Scorer {
  return { name, score: async (xs) => Float64Array.from(xs, f) };
}

/** 1 when the text contains "b". */
export const hasB = scorer('has-b', (t) => (t.includes('b') ? 1 : 0));
/** 1 when the text contains "c". */
export const hasC = scorer('has-c', (t) => (t.includes('c') ? 1 : 0));
/** The length of the text, a real-valued feature. */
export const textLength = scorer('length', (t) => t.length);

/** Exact expectations over the toy support. */
export function expect(probs: ArrayLike<number>, f: (text: string, i: number) => number): number {
  return texts.reduce((s, t, i) => s + probs[i]! * f(t, i), 0);
}

/** Normalises non-negative weights. */
export function normalise(weights: ArrayLike<number>): Float64Array {
  const z = Array.from(weights).reduce((s, w) => s + w, 0);
  return Float64Array.from(weights, (w) => w / z);
}

/** Counts of each toy text in a list of texts. */
export function counts(xs: readonly string[]): Float64Array {
  const c = new Float64Array(texts.length);
  for (const x of xs) c[texts.indexOf(x)]! += 1;
  return c;
}

/**
 * Pearson's χ² statistic of observed counts against expected probabilities (cells with
 * zero probability must have zero counts), and the 0.999 quantile of χ² with k−1
 * degrees of freedom (Wilson–Hilferty): a fixed-seed test fails only on a real mismatch.
 */
export function chiSquare(observed: ArrayLike<number>, probs: ArrayLike<number>): { stat: number; critical: number } {
  const n = Array.from(observed).reduce((s, o) => s + o, 0);
  let stat = 0;
  let cells = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) {
      if (observed[i] !== 0) return { stat: Infinity, critical: 0 };
      continue;
    }
    cells++;
    stat += (observed[i]! - n * probs[i]!) ** 2 / (n * probs[i]!);
  }
  const df = cells - 1;
  const z = 3.09;
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { stat, critical };
}
