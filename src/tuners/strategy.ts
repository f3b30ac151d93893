// What distinguishes the tuning methods: given one rollout, how to turn it into
// gradient steps. DPG, KL-adaptive DPG, f-DPG, REINFORCE and PPO each implement this;
// the loop (tuner.ts) does everything else — sampling, scoring, estimates, metrics,
// checkpoints — the same way for all of them.
import type { Distribution } from '../distributions/distribution.js';
import { tensor } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import type { Random } from '../util/random.js';
import type { Rollout } from './rollout.js';

export type Metrics = Record<string, number>;

/** Strategy state for checkpoints: plain JSON (non-finite numbers are preserved by the checkpoint). */
export type StrategyState = Record<string, unknown>;

export interface StepContext {
  /** Backpropagates `loss`, clips the gradient, takes one AdamW step and clears the gradients; returns the gradient norm. */
  step(loss: Tensor): number;
  /** The tuner's generator, for anything a strategy shuffles. */
  random: Random;
}

export interface Strategy {
  readonly name: string;
  /** Inputs the rollout must carry. */
  readonly needs: { target: boolean; reward: boolean; tokenLogBase?: boolean };
  /**
   * True when `update` uses the differentiable log π of the rollout's samples: the loop
   * then computes it once and takes the rollout's detached log π from the same pass.
   */
  readonly usesLogPolicyTensor: boolean;
  /** Parameters of the strategy the optimiser also updates (PPO's value head). */
  parameters(): ReadonlyMap<string, Tensor>;
  /** Tensors a checkpoint must hold besides the parameters (KL-adaptive DPG's proposal). */
  buffers(): ReadonlyMap<string, Tensor>;
  /** Where this step's samples come from (default: the policy itself, on-policy). */
  proposal?(): Distribution;
  /** Gradient steps from one rollout; runs inside a tidy() scope. */
  update(r: Rollout, ctx: StepContext, logPolicy: Tensor | undefined): Metrics;
  /** Called after the update (e.g. to refresh the proposal). */
  afterUpdate?(r: Rollout, step: number): Promise<Metrics>;
  state(): StrategyState;
  load(state: StrategyState): void;
  dispose(): void;
}

export interface LossOutput {
  /** A scalar with gradient. */
  loss: Tensor;
  metrics: Metrics;
}

/** A method whose update is one loss, one step: DPG and its family, REINFORCE. */
export abstract class LossStrategy implements Strategy {
  abstract readonly name: string;
  abstract readonly needs: Strategy['needs'];
  readonly usesLogPolicyTensor = true;

  /** The loss on a rollout, `logPolicy` the differentiable log π of its samples [N]. */
  abstract loss(r: Rollout, logPolicy: Tensor): LossOutput;

  update(r: Rollout, ctx: StepContext, logPolicy: Tensor | undefined): Metrics {
    if (logPolicy === undefined) throw new Error(`${this.name}: the tuner did not pass the differentiable log π`);
    const { loss, metrics } = this.loss(r, logPolicy);
    const value = loss.item();
    const gradNorm = ctx.step(loss);
    return { ...metrics, loss: value, grad_norm: gradNorm };
  }

  parameters(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  buffers(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  state(): StrategyState {
    return {};
  }

  load(_state: StrategyState): void {}

  dispose(): void {}
}

/** −mean_i c_i · log π(x_i) with detached coefficients c: the score-function loss every method shares. */
export function policyGradientLoss(coefficients: Float64Array, logPolicy: Tensor): Tensor {
  if (coefficients.length !== logPolicy.shape[0]) throw new Error(`policyGradientLoss: ${coefficients.length} coefficients for ${logPolicy.shape[0]} log-probabilities`);
  return tensor(coefficients, [coefficients.length], 'float64').mul(logPolicy).mean().neg();
}
