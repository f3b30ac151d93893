// KL(π‖a) ≈ mean_{x~π}[log π(x) − log a(x)] on the policy's own samples (SPEC §2): how
// far tuning moved the policy from the prior. It cannot be negative in expectation,
// so a clearly negative running value means the sampler and the scorer disagree (wrong
// temperature, mismatched tokenization, a stale reference) — we warn loudly. "Clearly":
// near π = a the true KL is second order in the per-sample log-ratios d = log π − log a
// while the mean's noise is first order (sd(d)/√n), so an honest estimate from 64
// samples dips below 0 all the time; we only warn beyond 3 standard errors of the
// running value, plus an absolute tolerance.
import { fail } from '../util/errors.js';
import { checkSameLength } from './importance-weights.js';
import { warnLoudly, type Warn } from './warning.js';

export function klPolicyBase(logPolicy: Float64Array, logBase: Float64Array): number {
  return klPolicyBaseWithError(logPolicy, logBase).mean;
}

/** The estimate and its standard error sd(d)/√n (0 for a single sample: no spread to measure). */
export function klPolicyBaseWithError(logPolicy: Float64Array, logBase: Float64Array): { mean: number; standardError: number } {
  checkSameLength(logPolicy, logBase, 'policy log-probabilities', 'base log-probabilities');
  const n = logPolicy.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = logPolicy[i] - logBase[i];
    if (Number.isNaN(d)) fail(`KL(π‖a): sample ${i} has log π = ${logPolicy[i]} and log a = ${logBase[i]}.`);
    sum += d;
  }
  const mean = sum / n;
  if (n < 2) return { mean, standardError: 0 };
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (logPolicy[i] - logBase[i] - mean) ** 2;
  return { mean, standardError: Math.sqrt(squares / (n - 1) / n) };
}

export interface RunningKLOptions {
  /** Exponential moving average weight of each batch (default 0.1). */
  momentum?: number;
  /** Warn when the running value falls below −(tolerance + 3·its standard error) (default 0). */
  tolerance?: number;
  warn?: Warn;
  /** The running value saved in a checkpoint, to resume exactly. */
  running?: number;
}

export interface KLUpdate {
  batch: number;
  running: number;
  /** The standard error of the running value, from each batch's spread of log π − log a. */
  standardError: number;
  /** The running value is below −(tolerance + 3·standardError): the warning fired. */
  negative: boolean;
}

export class RunningPolicyKL {
  private value: number | undefined;
  /** Variance of the running value; unknown after a resume until the next batch. */
  private variance: number | undefined;
  private readonly momentum: number;
  private readonly tolerance: number;
  private readonly warn: Warn;

  constructor(options: RunningKLOptions = {}) {
    this.momentum = options.momentum ?? 0.1;
    if (!(this.momentum > 0 && this.momentum <= 1)) fail(`the running-KL momentum must lie in (0, 1], got ${this.momentum}.`);
    this.tolerance = options.tolerance ?? 0;
    this.warn = options.warn ?? warnLoudly;
    this.value = options.running;
  }

  get running(): number | undefined {
    return this.value;
  }

  update(logPolicy: Float64Array, logBase: Float64Array): KLUpdate {
    const { mean: batch, standardError } = klPolicyBaseWithError(logPolicy, logBase);
    const batchVariance = standardError ** 2;
    const a = this.momentum;
    this.value = this.value === undefined ? batch : (1 - a) * this.value + a * batch;
    // Batches are independent draws, so the EMA's variance follows the same recursion
    // with squared weights; after a resume (value known, variance not) the batch's stands in.
    this.variance = this.variance === undefined ? batchVariance : (1 - a) ** 2 * this.variance + a ** 2 * batchVariance;
    const se = Math.sqrt(this.variance);
    const negative = this.value < -(this.tolerance + 3 * se);
    if (negative) {
      this.warn(`the running KL(π‖a) is ${this.value.toPrecision(4)} < 0 (more than 3 standard errors of ${se.toPrecision(2)} below; this batch: ${batch.toPrecision(4)}); it cannot be negative in expectation, so the policy's sampler and its log-probabilities (or the base's) disagree.`);
    }
    return { batch, running: this.value, standardError: se, negative };
  }
}
