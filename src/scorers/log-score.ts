// Log-scores: energy-based targets multiply scorers, i.e. add their log-scores
// (SPEC §1). A scorer that knows its log-score exactly (an exponential exp(λ·φ), a
// product) says so by implementing LogScorer, so that exp never overflows on the way;
// any other scorer's log-score is log(score), with a score of 0 giving -Infinity.
import { fail } from '../util/errors.js';
import type { Scorer } from './scorer.js';
import { checkBatch, checkScores } from './validate.js';

export interface LogScorer extends Scorer {
  logScore(texts: readonly string[], contexts?: readonly string[]): Promise<Float64Array>;
}

/** The LogScorer whose log-score is `logScores` and whose score is its exp (which may overflow to Infinity). */
export function fromLogScores(name: string, logScores: LogScorer['logScore'], close?: () => Promise<void>): LogScorer {
  return {
    name,
    logScore: logScores,
    async score(texts, contexts) {
      return (await logScores(texts, contexts)).map(Math.exp);
    },
    close,
  };
}

export function hasLogScore(scorer: Scorer): scorer is LogScorer {
  return typeof (scorer as Partial<LogScorer>).logScore === 'function';
}

/** log of each score (0 → -Infinity); NaN or a negative score is the scorer's error. */
export async function logScore(scorer: Scorer, texts: readonly string[], contexts?: readonly string[]): Promise<Float64Array> {
  checkBatch(scorer.name, texts, contexts);
  if (hasLogScore(scorer)) return checkScores(scorer.name, await scorer.logScore(texts, contexts), texts.length);
  const scores = checkScores(scorer.name, await scorer.score(texts, contexts), texts.length);
  return scores.map((s, i) => {
    if (s < 0) fail(`scorer ${scorer.name} returned a negative score (${s}) for text ${i}, which has no log`);
    return Math.log(s);
  });
}
