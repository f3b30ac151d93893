import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { quantile, summariseScores } from '../../src/data/manifest.js';

test('quantiles interpolate linearly, as numpy does by default', () => {
  const sorted = Float64Array.from([0, 1, 2, 10]);
  assert.equal(quantile(sorted, 0.5), 1.5);
  assert.ok(Math.abs(quantile(sorted, 0.9) - (2 + 0.7 * 8)) < 1e-12);
  assert.equal(quantile(Float64Array.from([7]), 0.99), 7);
  const python = '.venv/bin/python';
  if (!existsSync(python)) return;
  let seed = 1;
  const values = Float64Array.from({ length: 257 }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) ** 3);
  const r = spawnSync(python, ['-c', 'import sys, json, numpy as np; v = json.load(sys.stdin); print(json.dumps([float(np.quantile(v, q)) for q in (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)]))'], {
    input: JSON.stringify([...values]),
    encoding: 'utf8',
  });
  const expected = JSON.parse(r.stdout) as number[];
  const got = Object.values(summariseScores(values).quantiles);
  got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]!) < 1e-12, `${g} vs ${expected[i]}`));
});

test('the summary counts zeros and handles an empty list', () => {
  const s = summariseScores(Float64Array.from([0, 0, 3, 1]));
  assert.deepEqual([s.count, s.mean, s.max, s.zeroShare], [4, 1, 3, 0.5]);
  assert.deepEqual(summariseScores(new Float64Array(0)).count, 0);
});
