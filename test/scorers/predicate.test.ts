import { it } from 'node:test';
import assert from 'node:assert/strict';
import { predicateScorer } from '../../src/scorers/predicate.js';
import { logScore } from '../../src/scorers/log-score.js';

it('scores 1/0 from a predicate, with log-scores 0/-Infinity, and sees the context', async () => {
  const endsWithContext = predicateScorer('echo', (text, context) => context !== undefined && text.endsWith(context));
  assert.deepEqual([...(await endsWithContext.score(['ab', 'ba'], ['b', 'b']))], [1, 0]);
  assert.deepEqual([...(await logScore(endsWithContext, ['ab', 'ba'], ['b', 'b']))], [0, -Infinity]);
  assert.deepEqual([...(await endsWithContext.score(['ab']))], [0]);
});

it('rejects a predicate that does not return a boolean', async () => {
  const sloppy = predicateScorer('length', (text) => text.length as unknown as boolean);
  await assert.rejects(sloppy.score(['abc']), /predicate scorer length returned 3 for text 0, not a boolean/);
});
