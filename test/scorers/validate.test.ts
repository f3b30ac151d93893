import { it } from 'node:test';
import assert from 'node:assert/strict';
import { checkOutput, checkScores, type Blame, type Expect } from '../../src/scorers/validate.js';

const blame: Blame = { who: 'scorer "s"', inputs: 'samples', input: (i) => `sample ${i}` };
const accepts = (expect: Expect, v: number): boolean => {
  try {
    checkOutput(blame, Float64Array.of(v), 1, expect);
    return true;
  } catch {
    return false;
  }
};

it('accepts exactly what each kind of output may hold', () => {
  const values = [0, 1, 0.5, -2, Infinity, -Infinity, NaN];
  const table: Record<Expect, boolean[]> = {
    number: [true, true, true, true, true, true, false],
    finite: [true, true, true, true, false, false, false],
    boolean: [true, true, false, false, false, false, false],
    'log-score': [true, true, true, true, false, true, false],
  };
  for (const [expect, verdicts] of Object.entries(table) as [Expect, boolean[]][]) {
    assert.deepEqual(values.map((v) => accepts(expect, v)), verdicts, expect);
  }
});

it('returns the values it accepts and names the culprit and the input it failed on', () => {
  const ok = Float64Array.of(1, 0);
  assert.equal(checkOutput(blame, ok, 2, 'boolean'), ok);
  assert.throws(() => checkOutput(blame, Float64Array.of(0, 0.5), 2, 'boolean'), /^PosteriorError: scorer "s" returned 0\.5 for sample 1; it must return 0 or 1$/);
  assert.throws(() => checkOutput(blame, Float64Array.of(0, Infinity), 2, 'log-score'), /^PosteriorError: scorer "s" returned Infinity as a log-score for sample 1; log-scores must be finite or -Infinity$/);
  assert.throws(() => checkOutput(blame, Float64Array.of(1), 2, 'log-score'), /^PosteriorError: scorer "s" returned 1 log-scores for 2 samples$/);
  assert.throws(() => checkScores('t', Float64Array.of(1), 3), /^PosteriorError: scorer t returned 1 scores for 3 texts$/);
  assert.throws(() => checkScores('t', Float64Array.of(1, NaN), 2), /^PosteriorError: scorer t returned NaN for text 1$/);
});
