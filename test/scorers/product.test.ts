import { it } from 'node:test';
import assert from 'node:assert/strict';
import { productScorer } from '../../src/scorers/product.js';
import { exponentialScorer } from '../../src/scorers/exponential.js';
import { predicateScorer } from '../../src/scorers/predicate.js';
import type { Scorer } from '../../src/scorers/scorer.js';

const length: Scorer = { name: 'length', score: async (texts) => Float64Array.from(texts, (t) => t.length) };

it('adds log-scores: a boolean factor zeroes, an exponential factor multiplies', async () => {
  const hasA = predicateScorer('hasA', (t) => t.includes('a'));
  const p = productScorer([hasA, exponentialScorer(length, -1), length]);
  assert.equal(p.name, 'hasA·exp(-1·length)·length');
  const texts = ['a', 'bb', 'aaa'];
  assert.deepEqual([...(await p.logScore(texts))], [-1 + Math.log(1), -Infinity, -3 + Math.log(3)]);
  const scores = await p.score(texts);
  [1 * Math.exp(-1) * 1, 0, 1 * Math.exp(-3) * 3].forEach((v, i) => assert.ok(Math.abs(scores[i]! - v) < 1e-15));
});

it('names the product when +Infinity meets -Infinity', async () => {
  const p = productScorer([exponentialScorer(length, 1e308), predicateScorer('never', () => false)]);
  await assert.rejects(p.logScore(['xx']), /add up to NaN/);
});

it('needs a factor and closes every factor', async () => {
  assert.throws(() => productScorer([]), /at least one factor/);
  const closed: string[] = [];
  const closing = (name: string): Scorer => ({ name, score: async (t) => new Float64Array(t.length), close: async () => void closed.push(name) });
  await productScorer([closing('a'), closing('b')]).close?.();
  assert.deepEqual(closed, ['a', 'b']);
});
