import { it } from 'node:test';
import assert from 'node:assert/strict';
import { thresholdScorer } from '../../src/scorers/threshold.js';
import type { Scorer } from '../../src/scorers/scorer.js';

const length: Scorer = { name: 'length', score: async (texts) => Float64Array.from(texts, (t) => t.length) };

it('is 1 exactly when the score is at most the threshold', async () => {
  const short = thresholdScorer(length, 2);
  assert.equal(short.name, 'length≤2');
  assert.deepEqual([...(await short.score(['', 'ab', 'abc']))], [1, 1, 0]);
});

it('names the inner scorer when it returns NaN', async () => {
  const broken: Scorer = { name: 'broken', score: async (texts) => texts.map(() => NaN) as unknown as Float64Array };
  await assert.rejects(thresholdScorer(broken, 1).score(['a']), /scorer broken returned NaN for text 0/);
});
