import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logImportanceWeights } from '../../src/estimators/importance-weights.js';

test('log-weights are log P − log q, with -Infinity where P = 0', () => {
  assert.deepEqual(Array.from(logImportanceWeights(Float64Array.of(-1, -Infinity, 2), Float64Array.of(-3, -1, -0.5))), [2, -Infinity, 2.5]);
});

test('impossible inputs get one sentence', () => {
  assert.throws(() => logImportanceWeights(Float64Array.of(0), Float64Array.of(0, 0)), /got 1 target log-scores but 2 proposal log-probabilities/);
  assert.throws(() => logImportanceWeights(new Float64Array(0), new Float64Array(0)), /at least one sample/);
  assert.throws(() => logImportanceWeights(Float64Array.of(NaN), Float64Array.of(0)), /target's log-score of sample 0 is NaN/);
  assert.throws(() => logImportanceWeights(Float64Array.of(0), Float64Array.of(-Infinity)), /which it drew, is -Infinity; the proposal's sampler and scorer disagree/);
});
