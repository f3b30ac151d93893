import { it } from 'node:test';
import assert from 'node:assert/strict';
import { logScore } from '../../src/scorers/log-score.js';
import type { Scorer } from '../../src/scorers/scorer.js';

const fixed = (name: string, values: number[]): Scorer => ({ name, score: async () => Float64Array.from(values) });

it('is log of the score, with 0 giving -Infinity', async () => {
  assert.deepEqual([...(await logScore(fixed('f', [1, Math.E, 0]), ['a', 'b', 'c']))], [0, 1, -Infinity]);
});

it('names the scorer that returns NaN, a negative score or the wrong count', async () => {
  await assert.rejects(logScore(fixed('nanny', [1, NaN]), ['a', 'b']), /scorer nanny returned NaN for text 1/);
  await assert.rejects(logScore(fixed('neg', [-0.5]), ['a']), /scorer neg returned a negative score \(-0.5\) for text 0/);
  await assert.rejects(logScore(fixed('short', [1]), ['a', 'b']), /scorer short returned 1 scores for 2 texts/);
  await assert.rejects(logScore(fixed('ctx', [1]), ['a'], ['x', 'y']), /1 texts but 2 contexts/);
});
