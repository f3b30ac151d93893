// Reward-weighted regression (Peters & Schaal; SPEC §8): each target's cross-entropy
// weighted by exp(r/β), r = −score, so misaligned tokens count less. With scores ≥ 0
// the weights lie in (0, 1]; they are capped at AWR's 1000 all the same, as the PHF
// code runs RWR as AWR with α = 1, in case a corpus brings negative scores.
import type { GPT } from '../../lm/gpt.js';
import type { Objective, ObjectiveContext, ObjectiveOutput, TrainBatch } from '../objective.js';
import { MAX_WEIGHT } from './awr.js';
import { tokenMean, tokenTerms } from './token-terms.js';

export interface RwrParams {
  /** Temperature β of the weights. */
  beta: number;
}

export class RwrObjective implements Objective {
  readonly name = 'rwr';
  readonly needsScores = true;

  constructor(private readonly params: RwrParams) {}

  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput {
    const t = tokenTerms(model.forward(batch.input, { train: ctx.train }), batch, this.name);
    const weights = t.scores.neg().div(this.params.beta).exp().clamp(null, MAX_WEIGHT);
    return { loss: tokenMean(t.ce.mul(weights), t), metrics: { 'rwr/weight_mean': tokenMean(weights, t).item() } };
  }
}
