// Distributional Policy Gradient (SPEC §5): minimise KL(p‖π_θ), whose gradient is
// −E_{x~q}[P(x)/(Z q(x)) ∇ log π(x)]. With the baseline the advantage is
// A(x) = P(x)/(Z q(x)) − π(x)/q(x), zero-mean under q, and the loss is
// −mean_i A(x_i)·log π(x_i) with A detached. GDC is this loss on a distributional
// target (from `constrain`); CDPG is this loss with a Z_c per context (the loop's
// per-context partition estimate, SPEC §7), the mean then running over contexts too.
// A context with no estimate of Z_c yet (no sample has hit the target) has no defined
// advantage; the loop leaves it out of the step (tuner.ts, `withEstimatedZ`, says why).
import type { Tensor } from '../engine/tensor.js';
import { required, type Rollout } from './rollout.js';
import { LossStrategy, policyGradientLoss, type LossOutput } from './strategy.js';

export class DPG extends LossStrategy {
  readonly name: string = 'dpg';
  readonly needs = { target: true, reward: false };

  loss(r: Rollout, logPolicy: Tensor): LossOutput {
    const advantages = dpgAdvantages(r, this.name);
    let sumAbs = 0;
    for (const a of advantages) sumAbs += Math.abs(a);
    return { loss: policyGradientLoss(advantages, logPolicy), metrics: { 'dpg/advantage_abs_mean': sumAbs / advantages.length } };
  }
}

/** A_i = P(x_i)/(Z q(x_i)) − π(x_i)/q(x_i), in log space until the last step. */
export function dpgAdvantages(r: Rollout, method = 'dpg'): Float64Array {
  const logTarget = required(r, 'logTarget', method);
  const logZ = required(r, 'logZ', method);
  return Float64Array.from(logTarget, (lp, i) => Math.exp(lp - logZ[i]! - r.logProposal[i]!) - Math.exp(r.logPolicy[i]! - r.logProposal[i]!));
}
