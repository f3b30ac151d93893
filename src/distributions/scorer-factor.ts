// Any Scorer as an EBM factor, contributing log(score(x)): a 0/1 scorer (e.g.
// predicateScorer) gives pointwise conditioning, a LogScorer (exponentialScorer,
// productScorer from scorers/) its exact log-score. BooleanFactor and
// ExponentialFactor remain the explicit forms, with their own checks.
import { logScore } from '../scorers/log-score.js';
import type { Scorer } from '../scorers/scorer.js';
import type { Sample } from './distribution.js';
import type { Factor } from './ebm.js';

export class ScorerFactor implements Factor {
  readonly name: string;

  constructor(readonly scorer: Scorer) {
    this.name = scorer.name;
  }

  logScore(samples: readonly Sample[], contexts?: readonly string[]): Promise<Float64Array> {
    return logScore(
      this.scorer,
      samples.map((s) => s.text),
      contexts,
    );
  }
}
