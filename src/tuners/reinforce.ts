// REINFORCE with a KL penalty (SPEC §6): R(x) = r(x) − β·(log π(x) − log a(x)), a
// baseline b per context group (the batch mean, or leave-one-out as in RLOO), loss
// −mean (R − b)·log π(x) with R detached. Its optimum is a(x)·exp(r(x)/β)/Z; with
// β = 0 it is plain reward maximisation, which collapses onto the best sample.
import type { Tensor } from '../engine/tensor.js';
import { groupBaseline, groupBaselines, type GroupBaseline } from './baseline.js';
import { FixedKLController, type KLController } from './kl-controller.js';
import { required, type Rollout } from './rollout.js';
import { LossStrategy, policyGradientLoss, type LossOutput, type StrategyState } from './strategy.js';
import { fail } from '../util/errors.js';

export interface ReinforceOptions {
  /** β, fixed or adaptive (default: fixed 0, no penalty). */
  kl?: KLController;
  /** Default 'batch-mean'. */
  baseline?: GroupBaseline;
}

export class Reinforce extends LossStrategy {
  readonly name = 'reinforce';
  readonly needs = { target: false, reward: true };
  readonly kl: KLController;
  readonly baseline: GroupBaseline;

  constructor(options: ReinforceOptions = {}) {
    super();
    this.kl = options.kl ?? new FixedKLController(0);
    this.baseline = options.baseline ?? 'batch-mean';
    if (!groupBaselines.includes(this.baseline)) fail(`unknown baseline "${this.baseline}"; use one of ${groupBaselines.join(', ')}.`);
  }

  /** R_i = r_i − β·(log π_i − log a_i). */
  returns(r: Rollout, beta = this.kl.beta): Float64Array {
    const reward = required(r, 'reward', this.name);
    return Float64Array.from(reward, (x, i) => (beta === 0 ? x : x - beta * (r.logPolicy[i]! - r.logBase[i]!)));
  }

  loss(r: Rollout, logPolicy: Tensor): LossOutput {
    const beta = this.kl.beta;
    const R = this.returns(r, beta);
    const b = groupBaseline(R, r.groups, this.baseline);
    const loss = policyGradientLoss(R.map((x, i) => x - b[i]!), logPolicy);
    let kl = 0;
    for (let i = 0; i < R.length; i++) kl += r.logPolicy[i]! - r.logBase[i]!;
    this.kl.update(kl / R.length, R.length);
    return { loss, metrics: { beta, 'reinforce/return_mean': R.reduce((s, x) => s + x, 0) / R.length } };
  }

  override state(): StrategyState {
    return { beta: this.kl.state() };
  }

  override load(state: StrategyState): void {
    if (typeof state.beta === 'number') this.kl.load(state.beta);
  }
}
