import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logImportanceWeights } from '../../src/estimators/importance-weights.js';
import { constraintSatisfaction, featureMoments, mean, snisMoment, snisMoments } from '../../src/estimators/moments.js';
import { Random } from '../../src/util/random.js';
import { expect, hasB, policy, proposal, texts, textLength } from '../distributions/toy.js';
import { exact, exponential, pointwise } from './exact.js';

const support = texts.map((text) => ({ text }));

test('SNIS moments are exact on the whole support under a uniform q', async () => {
  const { p } = await exact(exponential);
  const logW = logImportanceWeights(await exponential.logScore(support), new Float64Array(texts.length).fill(-Math.log(8)));
  const [len, b] = snisMoments(logW, [await textLength.score(texts), await hasB.score(texts)]);
  assert.ok(Math.abs(len! - expect(p, (t) => t.length)) < 1e-12);
  assert.ok(Math.abs(b! - expect(p, (t) => (t.includes('b') ? 1 : 0))) < 1e-12);
});

test('SNIS moments from samples of q converge to E_p[φ]', async () => {
  const n = 50_000;
  for (const target of [pointwise, exponential]) {
    const { p } = await exact(target);
    const { samples, logProbs } = await proposal.sample(n, undefined, { random: new Random(5) });
    const logW = logImportanceWeights(await target.logScore(samples), logProbs);
    const mu = snisMoment(logW, await textLength.score(samples.map((s) => s.text)));
    assert.ok(Math.abs(mu - expect(p, (t) => t.length)) < 0.02, `${mu} vs ${expect(p, (t) => t.length)}`);
  }
});

test('on-policy moments and constraint satisfaction are plain means of samples of π', async () => {
  const { samples } = await policy.sample(50_000, undefined, { random: new Random(6) });
  const xs = samples.map((s) => s.text);
  const pi = policy.probabilities();
  const satisfaction = constraintSatisfaction(await hasB.score(xs));
  const exactB = expect(pi, (t) => (t.includes('b') ? 1 : 0));
  assert.ok(Math.abs(satisfaction - exactB) < 4 * Math.sqrt((exactB * (1 - exactB)) / 50_000));
  const [len] = featureMoments([await textLength.score(xs)]);
  assert.ok(Math.abs(len! - expect(pi, (t) => t.length)) < 0.02);
  assert.equal(mean(Float64Array.of(1, 2, 6)), 3);
});

test('degenerate inputs: NaN without weight, refusal for non-0/1 satisfaction and empty input', () => {
  assert.ok(Number.isNaN(snisMoment(Float64Array.of(-Infinity), Float64Array.of(1))));
  assert.throws(() => constraintSatisfaction(Float64Array.of(0, 0.5)), /needs 0\/1 values, got 0.5/);
  assert.throws(() => mean(new Float64Array(0)), /at least one sample/);
});
