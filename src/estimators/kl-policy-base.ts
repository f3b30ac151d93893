// KL(π‖a) ≈ mean_{x~π}[log π(x) − log a(x)] on the policy's own samples (SPEC §2): how
// far tuning moved the policy from the prior. It cannot be negative in expectation,
// so a negative running value means the sampler and the scorer disagree (wrong
// temperature, mismatched tokenization, a stale reference) — we warn loudly.
import { fail } from '../util/errors.js';
import { checkSameLength } from './importance-weights.js';
import { warnLoudly, type Warn } from './warning.js';

export function klPolicyBase(logPolicy: Float64Array, logBase: Float64Array): number {
  checkSameLength(logPolicy, logBase, 'policy log-probabilities', 'base log-probabilities');
  let sum = 0;
  for (let i = 0; i < logPolicy.length; i++) {
    const d = logPolicy[i] - logBase[i];
    if (Number.isNaN(d)) fail(`KL(π‖a): sample ${i} has log π = ${logPolicy[i]} and log a = ${logBase[i]}.`);
    sum += d;
  }
  return sum / logPolicy.length;
}

export interface RunningKLOptions {
  /** Exponential moving average weight of each batch (default 0.1). */
  momentum?: number;
  /** Warn when the running value falls below −tolerance (default 0). */
  tolerance?: number;
  warn?: Warn;
  /** The running value saved in a checkpoint, to resume exactly. */
  running?: number;
}

export interface KLUpdate {
  batch: number;
  running: number;
  /** The running value is below −tolerance: the warning fired. */
  negative: boolean;
}

export class RunningPolicyKL {
  private value: number | undefined;
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
    const batch = klPolicyBase(logPolicy, logBase);
    this.value = this.value === undefined ? batch : (1 - this.momentum) * this.value + this.momentum * batch;
    const negative = this.value < -this.tolerance;
    if (negative) {
      this.warn(`the running KL(π‖a) is ${this.value.toPrecision(4)} < 0 (this batch: ${batch.toPrecision(4)}); it cannot be negative in expectation, so the policy's sampler and its log-probabilities (or the base's) disagree.`);
    }
    return { batch, running: this.value, negative };
  }
}
