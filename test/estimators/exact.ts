// Exact values on the toy world, by enumeration, for the estimator tests to converge to.
import { ExponentialFactor } from '../../src/distributions/exponential-factor.js';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import type { EBM } from '../../src/distributions/ebm.js';
import { hasB, hasC, prior, texts, textLength } from '../distributions/toy.js';

/** Pointwise: a(x)·[x contains b]. */
export const pointwise: EBM = prior.times(new BooleanFactor(hasB));
/** Exponential: a(x)·exp(0.4·|x| − 1.2·[x contains c]). */
export const exponential: EBM = prior.times(new ExponentialFactor(textLength, 0.4), new ExponentialFactor(hasC, -1.2));

export interface Exact {
  /** Unnormalised P on the support. */
  P: Float64Array;
  Z: number;
  p: Float64Array;
}

export async function exact(target: EBM): Promise<Exact> {
  const P = (await target.logScore(texts.map((text) => ({ text })))).map(Math.exp);
  const Z = P.reduce((s, x) => s + x, 0);
  return { P, Z, p: P.map((x) => x / Z) };
}

export function kl(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) s += p[i]! * Math.log(p[i]! / q[i]!);
  return s;
}

export function tv(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i]! - q[i]!);
  return s / 2;
}

export function js(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const m = Array.from(p, (x, i) => (x + q[i]!) / 2);
  return kl(p, m) / 2 + kl(q, m) / 2;
}

/** Standard deviation of values (for tolerances of the form k·σ/√N). */
export function sd(values: ArrayLike<number>): number {
  const xs = Array.from(values);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
}
