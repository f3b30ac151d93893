// Fitting λ for a distributional (GDC) target P(x) = a(x)·exp(Σ_i λ_i φ_i(x)) so that
// E_p[φ_i] = μ̄_i (SPEC §3). On one pool x_k ~ q we iterate λ ← λ − lr·(μ̂(λ) − μ̄)
// with the SNIS moment μ̂(λ) under weights a(x)·exp(λ·φ(x))/q(x), from λ = 0. That
// is gradient descent on the convex dual log Ẑ(λ) − λ·μ̄, so it converges exactly
// when μ̄ is reachable from the pool; we refuse the cases where it cannot be.
import { logSumExp } from '../distributions/log-space.js';
import { fail } from '../util/errors.js';
import { effectiveSampleSize } from './effective-sample-size.js';

export interface MomentPool {
  /** log(a(x_k)·b(x_k)/q(x_k)) per pool sample: the weights at λ = 0 (b: pointwise factors, if any). */
  logWeights: Float64Array;
  /** `features[i][k]` = φ_i(x_k), the raw feature values. */
  features: readonly Float64Array[];
  /** Feature names for error messages. */
  names?: readonly string[];
}

export interface FitOptions {
  lr?: number;
  tol?: number;
  maxIter?: number;
}

export interface Fit {
  lambdas: Float64Array;
  /** The SNIS moments the fitted λ reaches on the pool. */
  moments: Float64Array;
  iterations: number;
  /** Effective sample size of the pool under the fitted target. */
  ess: number;
}

export function fitLambdas(pool: MomentPool, targets: ArrayLike<number>, options: FitOptions = {}): Fit {
  const { lr = 0.05, tol = 1e-3, maxIter = 1000 } = options;
  if (!(lr > 0) || !(tol > 0) || !Number.isSafeInteger(maxIter) || maxIter < 1) fail(`moment matching needs lr > 0, tol > 0 and an integer maxIter ≥ 1 (got ${lr}, ${tol}, ${maxIter}).`);
  const d = pool.features.length;
  if (targets.length !== d) fail(`got ${targets.length} target moments for ${d} features.`);
  const name = (i: number): string => pool.names?.[i] ?? `feature ${i}`;
  const live = checkReachable(pool, targets, name);

  // Only samples with positive base weight matter; compact them once.
  const logW0 = Float64Array.from(live, (k) => pool.logWeights[k]);
  const phi = pool.features.map((f) => Float64Array.from(live, (k) => f[k]));
  const lambdas = new Float64Array(d);
  const logW = new Float64Array(live.length);
  const moments = new Float64Array(d);
  const evaluate = (): number => {
    for (let k = 0; k < logW.length; k++) {
      let e = logW0[k];
      for (let i = 0; i < d; i++) e += lambdas[i] * phi[i][k];
      logW[k] = e;
    }
    const lse = logSumExp(logW);
    moments.fill(0);
    let gap = 0;
    for (let k = 0; k < logW.length; k++) {
      const p = Math.exp(logW[k] - lse);
      for (let i = 0; i < d; i++) moments[i] += p * phi[i][k];
    }
    for (let i = 0; i < d; i++) gap = Math.max(gap, Math.abs(moments[i] - targets[i]));
    return gap;
  };

  let gap = evaluate();
  let iterations = 0;
  while (gap >= tol) {
    if (iterations === maxIter) {
      // One feature inside its range is always reachable, so only the step size can be at fault.
      const why = d === 1 ? 'the moment is reachable, so raise lr or maxIter' : 'the constraints may contradict each other or be unreachable from this pool, or lr/maxIter are too small';
      fail(`moment matching did not converge: after ${maxIter} iterations the moments [${fmt(moments)}] are still ${gap.toPrecision(3)} from the targets [${fmt(targets)}] (λ = [${fmt(lambdas)}]); ${why}.`);
    }
    for (let i = 0; i < d; i++) lambdas[i] -= lr * (moments[i] - targets[i]);
    gap = evaluate();
    iterations++;
  }
  return { lambdas, moments, iterations, ess: effectiveSampleSize(logW) };
}

// Per feature, μ̄ must lie strictly inside the range the pool's weighted samples span:
// on the boundary λ would run to ±∞, outside no λ reaches it. Returns the live samples.
function checkReachable(pool: MomentPool, targets: ArrayLike<number>, name: (i: number) => string): number[] {
  const n = pool.logWeights.length;
  const live: number[] = [];
  for (let k = 0; k < n; k++) {
    const w = pool.logWeights[k];
    if (Number.isNaN(w) || w === Infinity) fail(`the pool's log-weight of sample ${k} is ${w}.`);
    if (w !== -Infinity) live.push(k);
  }
  if (live.length === 0) fail(`no sample of the pool of ${n} has positive weight under the base target; draw a larger pool or use a proposal closer to the target.`);
  pool.features.forEach((f, i) => {
    if (f.length !== n) fail(`feature "${name(i)}" has ${f.length} values for a pool of ${n} samples.`);
    const target = targets[i];
    if (!Number.isFinite(target)) fail(`the target moment of "${name(i)}" must be a finite number, got ${target}.`);
    let lo = Infinity;
    let hi = -Infinity;
    for (const k of live) {
      lo = Math.min(lo, f[k]);
      hi = Math.max(hi, f[k]);
    }
    if (lo === hi && lo === 0 && target !== 0) fail(`feature "${name(i)}" never fires in the pool (it is 0 on all ${live.length} samples with weight), so its moment ${target} cannot be reached; draw a larger pool or use a proposal closer to the target.`);
    if (!(target > lo && target < hi) && !(lo === hi && target === lo)) {
      fail(`the target moment ${target} of "${name(i)}" lies outside the range (${lo}, ${hi}) its values span in the pool, so no λ reaches it${lo <= target && target <= hi ? ' (on the boundary λ would be infinite; use a boolean constraint for a moment of 0 or 1)' : ''}.`);
    }
  });
  return live;
}

function fmt(xs: ArrayLike<number>): string {
  return Array.from(xs, (x) => x.toPrecision(4)).join(', ');
}
