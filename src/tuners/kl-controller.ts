// The KL coefficient β of KL-penalised RL (SPEC §6): fixed, or adapted towards a
// target KL as in Ziegler et al. (2019):
//   β ← β·(1 + clip((KL − KL_target)/KL_target, −0.2, 0.2)·n/horizon),
// n the number of samples behind the KL measurement.
import { fail } from '../util/errors.js';

export interface KLController {
  readonly beta: number;
  /** Folds in the KL(π‖a) measured on `n` samples. */
  update(kl: number, n: number): void;
  state(): number;
  load(beta: number): void;
}

export class FixedKLController implements KLController {
  constructor(public beta: number) {
    if (!(beta >= 0) || !Number.isFinite(beta)) fail(`the KL coefficient β must be a finite number ≥ 0, got ${beta}.`);
  }

  update(_kl: number, _n: number): void {}

  state(): number {
    return this.beta;
  }

  load(beta: number): void {
    this.beta = beta;
  }
}

export interface AdaptiveKLOptions {
  /** β at the start. */
  initBeta: number;
  /** The KL(π‖a) to hold. */
  target: number;
  /** Samples over which β may change by the full ±20 %. */
  horizon: number;
}

export class AdaptiveKLController implements KLController {
  beta: number;
  readonly target: number;
  readonly horizon: number;

  constructor(options: AdaptiveKLOptions) {
    if (!(options.initBeta > 0) || !Number.isFinite(options.initBeta)) fail(`the initial KL coefficient must be a positive number, got ${options.initBeta}.`);
    if (!(options.target > 0)) fail(`the target KL must be positive, got ${options.target}.`);
    if (!(options.horizon > 0)) fail(`the KL controller's horizon must be positive, got ${options.horizon}.`);
    this.beta = options.initBeta;
    this.target = options.target;
    this.horizon = options.horizon;
  }

  update(kl: number, n: number): void {
    if (!Number.isFinite(kl)) return;
    const error = Math.min(0.2, Math.max(-0.2, (kl - this.target) / this.target));
    this.beta *= 1 + (error * n) / this.horizon;
  }

  state(): number {
    return this.beta;
  }

  load(beta: number): void {
    this.beta = beta;
  }
}
