// Fitting λ for a distributional (GDC) target P(x) = a(x)·exp(Σ_i λ_i φ_i(x)) so that
// E_p[φ_i] = μ̄_i (SPEC §3). On one pool x_k ~ q, μ̂(λ) is the SNIS moment under the
// weights a(x)·exp(λ·φ(x))/q(x), and μ̂(λ) − μ̄ is the gradient of the convex dual
// log Ẑ(λ) − λ·μ̄, whose minimiser is the λ we want.
//
// Two methods, and the default between them:
// - 'gradient' is SPEC's iteration λ ← λ − lr·(μ̂(λ) − μ̄) from λ = 0 (lr 0.05, tol 1e-3,
//   ≤ 1000 iterations). Its rate is lr·Var_p(φ), so moments near 0 or 1, where the
//   variance is small, need far more than 1000 iterations (0.3 → 0.9 stops 0.0013 short).
// - 'newton' is damped Newton on the dual: the Hessian is the SNIS covariance of the
//   features, damped (Levenberg–Marquardt) so that a step never moves λ_i·range(φ_i) by
//   more than MAX_STEP, and halved until the dual decreases enough (Armijo). It
//   converges in a few steps.
// - 'auto' (the default) runs SPEC's gradient iteration and, only when it has not
//   converged after maxIter iterations, runs up to maxIter Newton steps from its λ (or
//   from 0, if that is lower on the dual): a fit that SPEC's method finishes gives
//   SPEC's λ, and the rest still converge.
// A μ̄ no λ reaches is refused before fitting (per feature), or by Newton as soon as the
// dual falls below a floor that every reachable μ̄ keeps it above (jointly).
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

export type FitMethod = 'gradient' | 'newton' | 'auto';

export interface FitOptions {
  /** Default 'auto': SPEC's gradient iteration, then Newton if it has not converged. */
  method?: FitMethod;
  /** Gradient step size (default 0.05). */
  lr?: number;
  /** Converged when max_i |μ̂_i − μ̄_i| < tol (default 1e-3). */
  tol?: number;
  /** Iterations of each method at the most (default 1000). */
  maxIter?: number;
}

export interface Fit {
  lambdas: Float64Array;
  /** The SNIS moments the fitted λ reaches on the pool. */
  moments: Float64Array;
  /** Gradient iterations plus Newton steps. */
  iterations: number;
  /** The method that reached tol. */
  method: 'gradient' | 'newton';
  /** Effective sample size of the pool under the fitted target. */
  ess: number;
}

/** The largest change of λ_i·range(φ_i) in one Newton step: e^10 is already a big reweighting. */
const MAX_STEP = 10;

export function fitLambdas(pool: MomentPool, targets: ArrayLike<number>, options: FitOptions = {}): Fit {
  const { method = 'auto', lr = 0.05, tol = 1e-3, maxIter = 1000 } = options;
  if (method !== 'gradient' && method !== 'newton' && method !== 'auto') fail(`moment matching's method must be "gradient", "newton" or "auto", got "${String(method)}".`);
  if (!(lr > 0) || !(tol > 0) || !Number.isSafeInteger(maxIter) || maxIter < 1) fail(`moment matching needs lr > 0, tol > 0 and an integer maxIter ≥ 1 (got ${lr}, ${tol}, ${maxIter}).`);
  const d = pool.features.length;
  if (targets.length !== d) fail(`got ${targets.length} target moments for ${d} features.`);
  const name = (i: number): string => pool.names?.[i] ?? `feature ${i}`;
  const live = checkReachable(pool, targets, name);

  // Only samples with positive base weight matter; compact them once.
  const dual = new Dual(
    Float64Array.from(live, (k) => pool.logWeights[k]),
    pool.features.map((f) => Float64Array.from(live, (k) => f[k])),
    Float64Array.from(targets),
  );
  const origin = dual.at(new Float64Array(d));
  let start = origin;
  if (method !== 'newton') {
    const { point, iterations } = gradientSteps(dual, origin, lr, tol, maxIter);
    if (point.gap < tol) return fitted(point, iterations, 'gradient');
    if (method === 'gradient') {
      // One feature inside its range is always reachable, so only the step size can be at fault.
      const why = d === 1 ? 'the moment is reachable, so raise lr or maxIter' : 'the constraints may contradict each other or be unreachable from this pool, or lr/maxIter are too small';
      notConverged(`${maxIter} iterations`, point, targets, why);
    }
    // A step size too large for a feature's scale makes the gradient iteration swing
    // far off; Newton starts from whichever λ is lower on the dual.
    if (point.dual < origin.dual) start = point;
  }
  const before = method === 'auto' ? maxIter : 0;
  const { point, iterations, unreachable } = newtonSteps(dual, start, tol, maxIter);
  if (point.gap < tol) return fitted(point, before + iterations, 'newton');
  const steps = `${iterations} Newton step${iterations === 1 ? '' : 's'}`;
  const ran = method === 'auto' ? `${maxIter} iterations and ${steps}` : steps;
  // Newton does not depend on a step size: with one feature only tol or maxIter can be at fault.
  const why = d === 1 ? 'the moment is reachable, so raise maxIter, or tol if it is below the precision of the pool' : 'the constraints may contradict each other or be unreachable from this pool';
  notConverged(ran, point, targets, unreachable ? `no weighting of the pool's samples has these moments, so ${why}` : why);
}

function fitted(point: Point, iterations: number, method: Fit['method']): Fit {
  return { lambdas: point.lambdas, moments: point.moments, iterations, method, ess: effectiveSampleSize(point.logW) };
}

function notConverged(ran: string, point: Point, targets: ArrayLike<number>, why: string): never {
  fail(`moment matching did not converge: after ${ran} the moments [${fmt(point.moments)}] are still ${point.gap.toPrecision(3)} from the targets [${fmt(targets)}] (λ = [${fmt(point.lambdas)}]); ${why}.`);
}

/** Everything the methods need at one λ. */
interface Point {
  lambdas: Float64Array;
  /** Per sample: log-weight under λ, and its normalised weight. */
  logW: Float64Array;
  probs: Float64Array;
  moments: Float64Array;
  /** max_i |μ̂_i − μ̄_i|. */
  gap: number;
  /** The dual objective log Ẑ(λ) − λ·μ̄. */
  dual: number;
}

/** The dual of moment matching on a compacted pool. */
class Dual {
  readonly ranges: Float64Array;

  constructor(
    readonly logW0: Float64Array,
    readonly phi: readonly Float64Array[],
    readonly targets: Float64Array,
  ) {
    this.ranges = Float64Array.from(phi, (f) => f.reduce((hi, v) => Math.max(hi, v), -Infinity) - f.reduce((lo, v) => Math.min(lo, v), Infinity));
  }

  at(lambdas: Float64Array): Point {
    const { logW0, phi, targets } = this;
    const d = phi.length;
    const logW = new Float64Array(logW0.length);
    for (let k = 0; k < logW.length; k++) {
      let e = logW0[k];
      for (let i = 0; i < d; i++) e += lambdas[i] * phi[i][k];
      logW[k] = e;
    }
    const lse = logSumExp(logW);
    const probs = new Float64Array(logW.length);
    for (let k = 0; k < logW.length; k++) probs[k] = Math.exp(logW[k] - lse);
    const moments = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      const f = phi[i];
      let m = 0;
      for (let k = 0; k < f.length; k++) m += probs[k] * f[k];
      moments[i] = m;
    }
    let gap = 0;
    let dual = lse;
    for (let i = 0; i < d; i++) {
      gap = Math.max(gap, Math.abs(moments[i] - targets[i]));
      dual -= lambdas[i] * targets[i];
    }
    return { lambdas, logW, probs, moments, gap, dual };
  }

  /** μ̂(λ) − μ̄, the dual's gradient. */
  gradient(point: Point): Float64Array {
    return point.moments.map((m, i) => m - this.targets[i]);
  }

  /** The SNIS covariance of the features with indices `free`: the dual's Hessian there. */
  covariance(point: Point, free: readonly number[]): Float64Array[] {
    const centred = free.map((i) => this.phi[i].map((v) => v - point.moments[i]));
    return centred.map((a) => Float64Array.from(centred, (b) => a.reduce((s, v, k) => s + point.probs[k] * v * b[k], 0)));
  }
}

interface Run {
  point: Point;
  iterations: number;
}

/** Steps from `start` until the gap is below tol, maxIter steps are done, or `step` gives up. */
function iterate(start: Point, tol: number, maxIter: number, step: (point: Point) => Point | undefined): Run {
  let point = start;
  let iterations = 0;
  for (; point.gap >= tol && iterations < maxIter; iterations++) {
    const next = step(point);
    if (next === undefined) break;
    point = next;
  }
  return { point, iterations };
}

function gradientSteps(dual: Dual, start: Point, lr: number, tol: number, maxIter: number): Run {
  return iterate(start, tol, maxIter, (point) => {
    const g = dual.gradient(point);
    return dual.at(point.lambdas.map((l, i) => l - lr * g[i]));
  });
}

/**
 * Stops early when a step cannot lower the dual, or, `unreachable`, when the dual has
 * proven that no weighting of the pool's samples has the moments μ̄.
 *
 * The proof: for any weighting p of the pool's samples with moments μ̄, Jensen gives
 * log Ẑ(λ) − λ·μ̄ ≥ Σ_k p_k·log w_k + H(p) ≥ min_k log w_k, with w the weights at λ = 0.
 * A dual below that floor shows that no such p exists.
 */
function newtonSteps(dual: Dual, start: Point, tol: number, maxIter: number): Run & { unreachable: boolean } {
  // A feature constant on the pool has its target as its value (checkReachable), no
  // variance and no say in the weights: its λ stays where it is.
  const free = Array.from(dual.ranges.keys()).filter((i) => dual.ranges[i] > 0);
  const ranges = free.map((i) => dual.ranges[i]);
  const floor = dual.logW0.reduce((m, w) => Math.min(m, w), Infinity);
  const run = iterate(start, tol, maxIter, (point) => {
    if (point.dual < floor) return undefined;
    const g = dual.gradient(point);
    const step = dampedNewtonStep(
      dual.covariance(point, free),
      free.map((i) => -g[i]),
      ranges,
    );
    return lineSearch(dual, point, free, step, step.reduce((s, v, j) => s + v * g[free[j]], 0));
  });
  return { ...run, unreachable: run.point.dual < floor };
}

/** Halves the step until the dual falls by Armijo's fraction of the slope; undefined when it never does. */
function lineSearch(dual: Dual, point: Point, free: readonly number[], step: Float64Array, slope: number): Point | undefined {
  for (let t = 1, halvings = 0; halvings <= 50; t /= 2, halvings++) {
    const lambdas = Float64Array.from(point.lambdas);
    free.forEach((i, j) => (lambdas[i] += t * step[j]));
    const next = dual.at(lambdas);
    if (next.dual <= point.dual + 1e-4 * t * slope) return next;
    // Near the optimum the decrease is below the rounding of the dual; then a smaller gap decides.
    if (Math.abs(next.dual - point.dual) <= 1e-12 * (1 + Math.abs(point.dual)) && next.gap < point.gap) return next;
  }
  return undefined;
}

/**
 * The Levenberg–Marquardt step x = (H + ν·diag(H))⁻¹·b for the covariance H: ν starts
 * negligible and grows until H + ν·diag(H) is numerically positive definite (features
 * linear in each other make H singular) and no λ_i·range_i moves by more than MAX_STEP.
 * Damping shrinks the flat directions most, where λ would run far on little evidence.
 */
function dampedNewtonStep(h: readonly Float64Array[], b: readonly number[], ranges: readonly number[]): Float64Array {
  // A vanished variance (all weight on one value) is stood in for by a tiny one.
  const diagonal = h.map((row, i) => Math.max(row[i], 1e-12 * ranges[i] ** 2));
  for (let nu = 1e-12; ; nu *= 10) {
    const x = solveCholesky(h.map((row, i) => row.map((v, j) => (i === j ? v + nu * diagonal[i] : v))), b);
    if (x !== undefined && x.every((v, i) => Math.abs(v) * ranges[i] <= MAX_STEP)) return x;
  }
}

/** Solves A·x = b by Cholesky; undefined when A is not numerically positive definite. */
function solveCholesky(a: readonly Float64Array[], b: readonly number[]): Float64Array | undefined {
  const n = b.length;
  const l = a.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i !== j) l[i][j] = s / l[j][j];
      else if (s > 0) l[i][i] = Math.sqrt(s);
      else return undefined;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
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
