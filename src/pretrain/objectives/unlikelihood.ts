// Unlikelihood training (Welleck et al.; SPEC §8): maximum likelihood on good tokens
// (segment score ≤ t) and unlikelihood on bad ones,
//   L = mean over targets of  −[good] log p(x_t) − α [bad] log(1 − p(x_t)),
// with 1 − p clamped at 1e-20 so a bad token the model is sure of costs a bounded
// 46·α instead of infinity. t is fixed from the corpus's segment scores before
// training (prepare), like the other thresholded objectives.
import type { TokenizedDocument } from '../../data/packing.js';
import type { GPT } from '../../lm/gpt.js';
import type { Document } from '../corpus.js';
import type { Objective, ObjectiveContext, ObjectiveOutput, PrepareContext, TrainBatch } from '../objective.js';
import { resolveThreshold, segmentScores, type ThresholdSpec } from './threshold.js';
import { tokenMean, tokenTerms } from './token-terms.js';

/** Default t: the median segment score, as for conditional training. */
export const UNLIKELIHOOD_QUANTILE = 0.5;
export const MIN_ONE_MINUS_P = 1e-20;

export interface UnlikelihoodParams extends ThresholdSpec {
  /** Weight of the unlikelihood term (1 for text, 0.01 for code in the PHF paper). */
  alpha: number;
}

export class UnlikelihoodObjective implements Objective {
  readonly name = 'unlikelihood';
  readonly needsScores = true;
  /** Set by prepare. */
  threshold: number | undefined;

  constructor(private readonly params: UnlikelihoodParams, private readonly source: string) {}

  /** Fixes t from the corpus; the documents stay as they are. */
  prepare(docs: readonly Document[], tokenized: TokenizedDocument[], _ctx: PrepareContext): TokenizedDocument[] {
    this.threshold = resolveThreshold(this.params, UNLIKELIHOOD_QUANTILE, segmentScores(docs), 'segment', this.source);
    return tokenized;
  }

  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput {
    if (this.threshold === undefined) throw new Error('unlikelihood: loss before prepare fixed the threshold');
    const t = tokenTerms(model.forward(batch.input, { train: ctx.train }), batch, this.name);
    const bad = t.scores.gt(this.threshold).to('float32').mul(t.mask);
    const good = t.mask.sub(bad);
    const likelihood = tokenMean(t.ce.mul(good), t);
    const oneMinusP = t.ce.neg().exp().neg().add(1).clamp(MIN_ONE_MINUS_P);
    const unlikelihood = tokenMean(oneMinusP.log().neg().mul(bad), t);
    const loss = likelihood.add(unlikelihood.mul(this.params.alpha));
    return {
      loss,
      metrics: {
        'unlikelihood/bad_fraction': bad.sum().item() / t.count,
        'unlikelihood/likelihood_loss': likelihood.item(),
        'unlikelihood/unlikelihood_loss': unlikelihood.item(),
      },
    };
  }
}
