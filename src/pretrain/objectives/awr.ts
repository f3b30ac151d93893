// Advantage-weighted regression (Peng et al.; SPEC §8). A value head on the last
// hidden state predicts each target's reward r = −score as V = −sigmoid(w·h + b), so
// V ∈ (−1, 0) like the rewards of scores in [0, 1]. Cross-entropy is weighted by
// w = min(exp(A/β), 1000) with the advantage A = r − V held constant, and the head
// learns by regression:  L = α·mean(w·CE) + (1 − α)·mean((V − r)²).
// Its gradient reaches the transformer too (the PHF runs' value heads were not detached).
import type { Tensor } from '../../engine/tensor.js';
import type { GPT } from '../../lm/gpt.js';
import { ValueHead } from '../../lm/value-head.js';
import type { Objective, ObjectiveContext, ObjectiveOutput, TrainBatch } from '../objective.js';
import { tokenMean, tokenTerms } from './token-terms.js';

/** Cap on a token's weight, so one very advantageous token cannot dominate a batch. */
export const MAX_WEIGHT = 1000;

export interface AwrParams {
  /** Weight of the weighted cross-entropy; 1 − alpha goes to the value loss. */
  alpha: number;
  /** Temperature β of the weights. */
  beta: number;
}

export class AwrObjective implements Objective {
  readonly name = 'awr';
  readonly needsScores = true;
  private head: ValueHead | undefined;

  constructor(private readonly params: AwrParams) {}

  /** Creates the value head, sized to the model's hidden states. */
  initModel(model: GPT): void {
    this.head ??= new ValueHead(model.config.n_embd);
  }

  /**
   * The value head. A resumed run has no initModel call, so the trainer should pass the
   * model here (the Objective interface does not take it yet).
   */
  parameters(model?: GPT): Map<string, Tensor> {
    if (model) this.initModel(model);
    if (!this.head) throw new Error('awr: parameters() needs the model to size the value head when initModel() was not called');
    return this.head.parameters();
  }

  /** V for hidden states [B, T, C] → [B, T], in (−1, 0). */
  values(hidden: Tensor): Tensor {
    if (!this.head) throw new Error('awr: values() before parameters() created the value head');
    return this.head.values(hidden).sigmoid().neg();
  }

  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput {
    const hidden = model.hidden(batch.input, { train: ctx.train });
    const t = tokenTerms(model.logits(hidden), batch, this.name);
    const values = this.values(hidden);
    const reward = t.scores.neg();
    const weights = reward.sub(values.detach()).div(this.params.beta).exp().clamp(null, MAX_WEIGHT);
    const lm = tokenMean(t.ce.mul(weights), t);
    const value = tokenMean(values.sub(reward).square(), t);
    const { alpha } = this.params;
    return {
      loss: lm.mul(alpha).add(value.mul(1 - alpha)),
      metrics: {
        'awr/weighted_lm_loss': lm.item(), 'awr/value_loss': value.item(),
        'awr/value_mean': tokenMean(values, t).item(), 'awr/weight_mean': tokenMean(weights, t).item(),
      },
    };
  }
}
