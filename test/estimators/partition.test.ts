import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logImportanceWeights } from '../../src/estimators/importance-weights.js';
import { logPartition } from '../../src/estimators/partition.js';
import { RunningPartition } from '../../src/estimators/running-partition.js';
import { logMeanExp } from '../../src/distributions/log-space.js';
import { Random } from '../../src/util/random.js';
import { prior, proposal, texts } from '../distributions/toy.js';
import { exact, exponential, pointwise } from './exact.js';

const support = texts.map((text) => ({ text }));
const uniform = new Float64Array(texts.length).fill(-Math.log(texts.length));

test('Ẑ is exact when the samples are the whole support, each once, under a uniform q', async () => {
  for (const target of [pointwise, exponential]) {
    const { Z } = await exact(target);
    const logZ = logPartition(logImportanceWeights(await target.logScore(support), uniform));
    assert.ok(Math.abs(Math.exp(logZ) - Z) < 1e-12, `${Math.exp(logZ)} vs ${Z}`);
  }
});

test('Ẑ from samples of q converges to Z within 4 standard errors', async () => {
  const n = 50_000;
  for (const [target, q] of [[pointwise, prior], [pointwise, proposal], [exponential, proposal]] as const) {
    const { Z, P } = await exact(target);
    const probsQ = q.probabilities();
    const variance = P.reduce((s, x, i) => s + (x * x) / probsQ[i]!, 0) - Z * Z;
    const { samples, logProbs } = await q.sample(n, undefined, { random: new Random(21) });
    const zHat = Math.exp(logPartition(logImportanceWeights(await target.logScore(samples), logProbs)));
    assert.ok(Math.abs(zHat - Z) < 4 * Math.sqrt(variance / n), `Ẑ ${zHat} vs Z ${Z}`);
  }
});

test('the running Z pools every sample seen, per context', async () => {
  const r = new RunningPartition();
  const all: number[] = [];
  for (let step = 0; step < 5; step++) {
    const { samples, logProbs } = await proposal.sample(100 + 37 * step, undefined, { random: new Random(step) });
    const logW = logImportanceWeights(await exponential.logScore(samples), logProbs);
    all.push(...logW);
    const running = r.update(logW);
    assert.ok(Math.abs(running - logMeanExp(all)) < 1e-12);
  }
  assert.equal(r.count(), all.length);
  assert.equal(r.logZ('other'), undefined);
  r.update(Float64Array.of(Math.log(3)), 'other');
  assert.ok(Math.abs(r.logZ('other')! - Math.log(3)) < 1e-15);
  assert.ok(Math.abs(r.logZ()! - logMeanExp(all)) < 1e-12);
});

test('with momentum α the running Z is an exponential moving average of batch estimates', () => {
  const r = new RunningPartition(0.25);
  r.update(Float64Array.of(Math.log(2), Math.log(4))); // batch Ẑ = 3
  const z = Math.exp(r.update(Float64Array.of(Math.log(7)))); // 0.75·3 + 0.25·7
  assert.ok(Math.abs(z - 4) < 1e-12);
  assert.throws(() => new RunningPartition(0), /momentum must lie in \(0, 1\]/);
});

test('grouped updates keep contexts apart, and a saved state resumes exactly', () => {
  const r = new RunningPartition();
  const perSample = r.updateGrouped(Float64Array.of(0, Math.log(3), Math.log(5)), ['x', 'y', 'x']);
  assert.ok(Math.abs(Math.exp(perSample[0]!) - 3) < 1e-12 && Math.abs(Math.exp(perSample[1]!) - 3) < 1e-12 && perSample[2] === perSample[0]);
  const resumed = RunningPartition.fromState(JSON.parse(JSON.stringify(r.state())));
  const next = Float64Array.of(Math.log(9));
  assert.equal(resumed.update(next, 'x'), r.update(next, 'x'));
  assert.ok(Math.abs(Math.exp(r.logZ('x')!) - 5) < 1e-12); // (1 + 5 + 9) / 3
  assert.throws(() => r.updateGrouped(Float64Array.of(0), ['x', 'y']), /2 contexts for 1 log-weights/);
});

test('no sample with weight gives log Ẑ = -Infinity, not an error', () => {
  assert.equal(logPartition(Float64Array.of(-Infinity, -Infinity)), -Infinity);
});
