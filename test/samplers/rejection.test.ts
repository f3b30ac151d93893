import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectionSample } from '../../src/samplers/rejection.js';
import { Random } from '../../src/util/random.js';
import { chiSquare, counts, prior, proposal } from '../distributions/toy.js';
import { exact, exponential, pointwise } from '../estimators/exact.js';

test('with q = a and M = 1, a·b is sampled exactly and the acceptance rate is Z', async () => {
  const n = 20_000;
  const { p, Z } = await exact(pointwise);
  const out = await rejectionSample(pointwise, prior, n, { logBound: 0, random: new Random(1), batchSize: 512 });
  const observed = counts(out.samples.map((s) => s.text));
  const fit = chiSquare(observed, p);
  assert.ok(fit.stat < fit.critical, `χ² ${fit.stat} ≥ ${fit.critical}`);
  // The same counts are far from the prior: the check has power.
  const wrong = chiSquare(observed, prior.probabilities());
  assert.ok(wrong.stat > wrong.critical);
  assert.ok(Math.abs(out.acceptanceRate - Z) < 4 * Math.sqrt((Z * (1 - Z)) / out.drawn));
  assert.ok(Math.abs(Math.exp(out.logZ) - Z) < 0.02);
  assert.equal(out.accepted >= n, true);
});

test('with another proposal and the tight bound M = max P/q, the output is p and the rate is Z/M', async () => {
  const { P, p, Z } = await exact(exponential);
  const q = proposal.probabilities();
  const M = Math.max(...Array.from(P, (x, i) => x / q[i]!));
  const out = await rejectionSample(exponential, proposal, 10_000, { logBound: Math.log(M), random: new Random(2), batchSize: 256 });
  const fit = chiSquare(counts(out.samples.map((s) => s.text)), p);
  assert.ok(fit.stat < fit.critical, `χ² ${fit.stat} ≥ ${fit.critical}`);
  const rate = Z / M;
  assert.ok(Math.abs(out.acceptanceRate - rate) < 4 * Math.sqrt((rate * (1 - rate)) / out.drawn));
});

test('a bound that P breaks is refused rather than sampled inexactly', async () => {
  await assert.rejects(rejectionSample(exponential, proposal, 100, { logBound: 0, random: new Random(3) }), /the bound is violated: log P\(x\) − log q\(x\) = .* > log M = 0 for ".*", so rejection sampling would not be exact; raise M\./);
  await assert.rejects(rejectionSample(pointwise, prior, 10, { logBound: Infinity, random: new Random(3) }), /log-bound log M must be a finite number/);
});
