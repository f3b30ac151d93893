import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkImportanceWeights, effectiveSampleSize } from '../../src/estimators/effective-sample-size.js';

test('ESS is N for equal weights, (Σw)²/Σw² in general, 0 with no weight', () => {
  assert.ok(Math.abs(effectiveSampleSize(new Float64Array(10).fill(-3)) - 10) < 1e-12);
  const w = [1, 2, 3, 4];
  const expected = (1 + 2 + 3 + 4) ** 2 / (1 + 4 + 9 + 16);
  assert.ok(Math.abs(effectiveSampleSize(Float64Array.from(w, Math.log)) - expected) < 1e-12);
  assert.equal(effectiveSampleSize(Float64Array.of(-Infinity, -Infinity)), 0);
  // Huge log-weights stay finite.
  assert.ok(Math.abs(effectiveSampleSize(Float64Array.of(1000, 1000)) - 2) < 1e-12);
});

test('exploding weights raise the warning; healthy ones do not', () => {
  const warnings: string[] = [];
  const warn = (m: string): void => void warnings.push(m);
  const healthy = checkImportanceWeights(Float64Array.of(0, 0.1, -0.2, 0.3), { warn });
  assert.equal(healthy.exploding, false);
  assert.equal(warnings.length, 0);
  const dominated = checkImportanceWeights(Float64Array.of(7, 0, 0, 0), { warn, label: 'step 7' });
  assert.equal(dominated.exploding, true);
  assert.ok(dominated.maxShare > 0.99);
  assert.match(warnings[0]!, /importance weights explode \(step 7\): effective sample size 1.01 of 4, one sample holds 99.7% of the weight/);
  const lowEss = checkImportanceWeights(Float64Array.from({ length: 1000 }, (_, i) => (i < 5 ? 10 : 0)), { warn, minEssFraction: 0.01 });
  assert.equal(lowEss.exploding, true);
  assert.ok(lowEss.maxShare < 0.9);
  assert.equal(checkImportanceWeights(Float64Array.of(-Infinity, -Infinity), { warn }).exploding, false);
  assert.equal(warnings.length, 2);
});
