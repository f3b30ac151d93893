// A linear value head on an LM's last hidden states, V_t = w·h_t + b: PPO reads it as
// is, AWR squashes it into (−1, 0). It starts at zero, so it predicts a constant at
// first while its gradient still reaches the hidden states that feed it.
import { zeros } from '../engine/create.js';
import { linear } from '../engine/functional.js';
import type { Tensor } from '../engine/tensor.js';

export class ValueHead {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(hiddenSize: number) {
    this.weight = zeros([1, hiddenSize]).keep().requiresGrad_(true);
    this.bias = zeros([1]).keep().requiresGrad_(true);
  }

  /** The trainable tensors under the names checkpoints use. */
  parameters(): Map<string, Tensor> {
    return new Map([['value_head.weight', this.weight], ['value_head.bias', this.bias]]);
  }

  /** One value per position: hidden states [..., H] → [...]. */
  values(hidden: Tensor): Tensor {
    return linear(hidden, this.weight, this.bias).squeeze(-1);
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}
