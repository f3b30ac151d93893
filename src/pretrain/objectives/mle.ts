// Maximum likelihood: the mean next-token cross-entropy over real (non-padding) targets.
import { crossEntropy } from '../../engine/functional.js';
import { IGNORE } from '../../data/packing.js';
import type { GPT } from '../../lm/gpt.js';
import type { Objective, ObjectiveContext, ObjectiveOutput, TrainBatch } from '../objective.js';

export class MleObjective implements Objective {
  readonly name = 'mle';
  readonly needsScores = false;

  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput {
    const [B, T] = batch.input.shape as [number, number];
    const logits = model.forward(batch.input, { train: ctx.train });
    const loss = crossEntropy(logits.view(B * T, -1), batch.target.view(B * T), { ignoreIndex: IGNORE });
    return { loss, metrics: {} };
  }
}
