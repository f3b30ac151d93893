// The exponential scorer exp(λ·φ(x)) of a RAW feature φ — not of log φ (SPEC §1: the
// GDC/RLHF target a(x)·exp(λ·φ(x)) or a(x)·exp(r(x)/β)). Its log-score λ·φ(x) is exact;
// its score may overflow to Infinity, which is why targets use the log-score.
import { fail } from '../util/errors.js';
import { fromLogScores, type LogScorer } from './log-score.js';
import type { Scorer } from './scorer.js';
import { checkBatch, checkScores } from './validate.js';

export function exponentialScorer(rawFeature: Scorer, lambda: number): LogScorer {
  if (!Number.isFinite(lambda)) fail(`the coefficient λ of exp(λ·${rawFeature.name}) must be a finite number, not ${lambda}`);
  const name = `exp(${lambda}·${rawFeature.name})`;
  const logScores = async (texts: readonly string[], contexts?: readonly string[]): Promise<Float64Array> => {
    checkBatch(name, texts, contexts);
    const phi = checkScores(rawFeature.name, await rawFeature.score(texts, contexts), texts.length);
    return checkScores(name, phi.map((v) => lambda * v), texts.length);
  };
  return fromLogScores(name, logScores, rawFeature.close?.bind(rawFeature));
}
