// A boolean scorer from a misalignment score: 1 when score ≤ t ("aligned enough"),
// else 0. Turns e.g. "pep8 violations per character ≤ 0.001" into pointwise evidence.
import { fail } from '../util/errors.js';
import type { Scorer } from './scorer.js';
import { checkBatch, checkScores } from './validate.js';

export function thresholdScorer(inner: Scorer, threshold: number): Scorer {
  if (Number.isNaN(threshold)) fail(`the threshold of ${inner.name} must be a number`);
  const name = `${inner.name}≤${threshold}`;
  return {
    name,
    async score(texts, contexts) {
      checkBatch(name, texts, contexts);
      const scores = checkScores(inner.name, await inner.score(texts, contexts), texts.length);
      return scores.map((s) => (s <= threshold ? 1 : 0));
    },
    close: inner.close?.bind(inner),
  };
}
