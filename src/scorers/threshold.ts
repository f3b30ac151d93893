// A boolean scorer from a misalignment score: 1 when score ≤ t ("aligned enough"),
// else 0. Turns e.g. "pep8 violations per character ≤ 0.001" into pointwise evidence.
// A text the scorer refuses (pycodestyle crashes on about 1 in 500 samples of a small
// code model) was not shown to be within t, so it scores 0 rather than ending a
// tuning run; a scorer that refuses every text of a batch still fails.
import { fail } from '../util/errors.js';
import type { Scorer } from './scorer.js';
import { scoreTexts } from './score-texts.js';
import { checkBatch } from './validate.js';

export function thresholdScorer(inner: Scorer, threshold: number): Scorer {
  if (Number.isNaN(threshold)) fail(`the threshold of ${inner.name} must be a number`);
  const name = `${inner.name}≤${threshold}`;
  return {
    name,
    async score(texts, contexts) {
      checkBatch(name, texts, contexts);
      const { scores } = await scoreTexts(inner, texts, contexts, 'any');
      return scores.map((s) => (s <= threshold ? 1 : 0));
    },
    close: inner.close?.bind(inner),
  };
}
