import { it } from 'node:test';
import assert from 'node:assert/strict';
import { thresholdScorer } from '../../src/scorers/threshold.js';
import type { Scorer } from '../../src/scorers/scorer.js';
import { fail } from '../../src/util/errors.js';

const length: Scorer = { name: 'length', score: async (texts) => Float64Array.from(texts, (t) => t.length) };

it('is 1 exactly when the score is at most the threshold', async () => {
  const short = thresholdScorer(length, 2);
  assert.equal(short.name, 'length≤2');
  assert.deepEqual([...(await short.score(['', 'ab', 'abc']))], [1, 1, 0]);
});

it('names the inner scorer when it returns NaN', async () => {
  const broken: Scorer = { name: 'broken', score: async (texts) => texts.map(() => NaN) as unknown as Float64Array };
  await assert.rejects(thresholdScorer(broken, 1).score(['a']), /scorer broken returned NaN for sample 0/);
});

it('a text the scorer refuses scores 0, the others as usual; refusing every text still fails', async () => {
  const picky: Scorer = {
    name: 'picky',
    async score(texts) {
      const bad = texts.findIndex((t) => t.includes('crash'));
      if (bad >= 0) fail(`the tool crashed on text ${bad}`);
      return Float64Array.from(texts, (t) => t.length);
    },
  };
  const short = thresholdScorer(picky, 4);
  assert.deepEqual([...(await short.score(['ab', 'crash', 'abcdef', 'a']))], [1, 0, 0, 1]);
  await assert.rejects(short.score(['crash']), /the tool crashed on text 0/);
});
