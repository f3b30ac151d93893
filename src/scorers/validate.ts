// Checks at a scorer's boundary: a batch going in (texts and their contexts) and the
// numbers coming out. Scorers wrap other scorers and outside programs, so a bad
// value is caught where it appears and blamed on the scorer that produced it.
import { fail } from '../util/errors.js';

export function checkBatch(name: string, texts: readonly string[], contexts?: readonly string[]): void {
  if (contexts !== undefined && contexts.length !== texts.length) {
    fail(`scorer ${name} got ${texts.length} texts but ${contexts.length} contexts; give one context per text`);
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string') fail(`scorer ${name} got a ${typeof t} as text ${i}; texts must be strings`);
  });
  contexts?.forEach((c, i) => {
    if (typeof c !== 'string') fail(`scorer ${name} got a ${typeof c} as context ${i}; contexts must be strings`);
  });
}

/** Scores must be one number per text and never NaN. */
export function checkScores(name: string, scores: Float64Array, count: number): Float64Array {
  if (scores.length !== count) fail(`scorer ${name} returned ${scores.length} scores for ${count} texts`);
  const bad = scores.findIndex((s) => Number.isNaN(s));
  if (bad >= 0) fail(`scorer ${name} returned NaN for text ${bad}`);
  return scores;
}
