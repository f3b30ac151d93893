import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Categorical } from '../../src/distributions/categorical.js';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { quasiRejectionSample } from '../../src/samplers/quasi-rejection.js';
import { Random } from '../../src/util/random.js';
import { chiSquare, counts, hasC, normalise, proposal, texts } from '../distributions/toy.js';
import { exact, exponential, tv } from '../estimators/exact.js';

async function closedForm(beta: number): Promise<{ pBeta: Float64Array; p: Float64Array; acceptance: number }> {
  const { P, p } = await exact(exponential);
  const q = proposal.probabilities();
  const clipped = P.map((x, i) => Math.min(x, beta * q[i]!));
  return { pBeta: normalise(clipped), p, acceptance: clipped.reduce((s, x) => s + x, 0) / beta };
}

test('QRS output follows ∝ min(P, βq), its acceptance rate is Σ min(P, βq)/β, and TV(p_β, p) is estimated', async () => {
  const { P } = await exact(exponential);
  const q = proposal.probabilities();
  const ratios = Array.from(P, (x, i) => x / q[i]!).sort((x, y) => x - y);
  const beta = ratios[3]!; // half the support is clipped
  const { pBeta, p, acceptance } = await closedForm(beta);
  assert.ok(tv(pBeta, p) > 0.05, 'the test needs p_β visibly different from p');

  const n = 20_000;
  const out = await quasiRejectionSample(exponential, proposal, n, { beta, random: new Random(1), batchSize: 512 });
  assert.equal(out.samples.length, n);
  const observed = counts(out.samples.map((s) => s.text));
  const fit = chiSquare(observed, pBeta);
  assert.ok(fit.stat < fit.critical, `χ² against p_β ${fit.stat} ≥ ${fit.critical}`);
  const notP = chiSquare(observed, p);
  assert.ok(notP.stat > notP.critical, 'the output must be p_β, not p');

  const se = Math.sqrt((acceptance * (1 - acceptance)) / out.drawn);
  assert.ok(Math.abs(out.acceptanceRate - acceptance) < 4 * se, `rate ${out.acceptanceRate} vs ${acceptance}`);
  assert.ok(Math.abs(out.expectedAcceptanceRate - acceptance) < 0.02, `expected rate ${out.expectedAcceptanceRate} vs ${acceptance}`);
  assert.ok(Math.abs(out.tvToTarget - tv(pBeta, p)) < 0.02, `TV ${out.tvToTarget} vs ${tv(pBeta, p)}`);
  assert.ok(Math.abs(Math.exp(out.logZ) - (await exact(exponential)).Z) < 0.05);
  const logP = await exponential.logScore(out.samples);
  assert.deepEqual(Array.from(out.logTarget), Array.from(logP));
});

test('larger β: closer to p, lower acceptance; β ≥ max P/q is exact rejection sampling', async () => {
  const { P, p } = await exact(exponential);
  const q = proposal.probabilities();
  const maxRatio = Math.max(...Array.from(P, (x, i) => x / q[i]!));
  const small = await quasiRejectionSample(exponential, proposal, 2000, { beta: maxRatio / 4, random: new Random(2) });
  const large = await quasiRejectionSample(exponential, proposal, 20_000, { logBeta: Math.log(maxRatio), random: new Random(3), batchSize: 512 });
  assert.ok(large.acceptanceRate < small.acceptanceRate);
  assert.ok(large.tvToTarget < small.tvToTarget);
  assert.equal(large.tvToTarget, 0);
  const fit = chiSquare(counts(large.samples.map((s) => s.text)), p);
  assert.ok(fit.stat < fit.critical, `χ² ${fit.stat} ≥ ${fit.critical}`);
});

test('a target that no proposal satisfies, and a bad β, get one sentence', async () => {
  const noC = Categorical.fromWeights(texts, texts.map((t) => (t.includes('c') ? 0 : 1)));
  const impossible = noC.times(new BooleanFactor(hasC));
  await assert.rejects(quasiRejectionSample(impossible, noC, 10, { beta: 1, random: new Random(4), maxDraws: 500 }), /after 500 proposals only 0 of the 10 samples requested were accepted/);
  await assert.rejects(quasiRejectionSample(exponential, proposal, 10, { random: new Random(4) }), /exactly one of beta and logBeta/);
  await assert.rejects(quasiRejectionSample(exponential, proposal, 10, { beta: 1, logBeta: 0, random: new Random(4) }), /exactly one of beta and logBeta/);
  await assert.rejects(quasiRejectionSample(exponential, proposal, 10, { beta: -2, random: new Random(4) }), /β must be a positive finite number, got -2/);
});
