// Log-space arithmetic shared by distributions, estimators and samplers: targets are
// unnormalised and products of tiny probabilities, so everything stays in logs and
// sums go through logsumexp (SPEC §0).

/** log Σ exp(x_i); -Infinity for an empty or all -Infinity input. */
export function logSumExp(xs: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i] > max) max = xs[i];
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += Math.exp(xs[i] - max);
  return max + Math.log(sum);
}

/** log((1/N) Σ exp(x_i)). */
export function logMeanExp(xs: ArrayLike<number>): number {
  return logSumExp(xs) - Math.log(xs.length);
}

/** log(exp(a) + exp(b)). */
export function logAddExp(a: number, b: number): number {
  const max = Math.max(a, b);
  if (max === -Infinity) return -Infinity;
  return max + Math.log1p(Math.exp(Math.min(a, b) - max));
}

/** exp(x_i − logSumExp(x)): the normalised probabilities of log-weights. */
export function softmax(xs: ArrayLike<number>): Float64Array {
  const lse = logSumExp(xs);
  return Float64Array.from(xs, (x) => Math.exp(x - lse));
}
