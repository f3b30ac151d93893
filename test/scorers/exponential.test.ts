import { it } from 'node:test';
import assert from 'node:assert/strict';
import { exponentialScorer } from '../../src/scorers/exponential.js';
import { logScore } from '../../src/scorers/log-score.js';
import type { Scorer } from '../../src/scorers/scorer.js';

const length: Scorer = { name: 'length', score: async (texts) => Float64Array.from(texts, (t) => t.length) };

it('is exp(λ·φ) of the raw feature, with the exact log-score λ·φ', async () => {
  const e = exponentialScorer(length, -0.5);
  assert.deepEqual([...(await e.logScore(['', 'abcd']))], [-0, -2]);
  assert.deepEqual([...(await e.score(['', 'abcd']))], [1, Math.exp(-2)]);
  // φ = 0 gives exp(0) = 1: the raw feature, not log φ (which would be -Infinity)
  assert.deepEqual([...(await logScore(e, ['']))], [-0]);
});

it('keeps the log-score exact where the score overflows', async () => {
  const e = exponentialScorer(length, 1000);
  const text = 'x'.repeat(1000);
  assert.deepEqual([...(await e.score([text]))], [Infinity]);
  assert.deepEqual([...(await logScore(e, [text]))], [1e6]);
});

it('rejects λ that is not finite and NaN from 0·Infinity', async () => {
  assert.throws(() => exponentialScorer(length, NaN), /must be a finite number/);
  const inf: Scorer = { name: 'inf', score: async (texts) => texts.map(() => Infinity) as unknown as Float64Array };
  await assert.rejects(exponentialScorer(inf, 0).score(['a']), /scorer exp\(0·inf\) returned NaN for text 0/);
});
