import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Categorical } from '../../src/distributions/categorical.js';
import { ConditionalCategorical } from '../../src/distributions/conditional-categorical.js';
import { PosteriorError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { chiSquare, counts, prior, texts } from './toy.js';

test('probabilities are normalised and logScore is -Infinity outside the support', async () => {
  const d = new Categorical(['x', 'y', 'z'], [Math.log(2), Math.log(6), -Infinity]);
  const probs = d.probabilities();
  [0.25, 0.75, 0].forEach((p, i) => assert.ok(Math.abs(probs[i]! - p) < 1e-15));
  const ls = await d.logScore([{ text: 'y' }, { text: 'w' }, { text: 'z' }]);
  assert.ok(Math.abs(ls[0]! - Math.log(0.75)) < 1e-15);
  assert.equal(ls[1], -Infinity);
  assert.equal(ls[2], -Infinity);
});

test('samples follow the probabilities (chi-square), never a zero-probability text, and logProbs match logScore', async () => {
  const d = Categorical.fromWeights(['x', 'never', 'y', 'z', 'also-never'], [1, 0, 2, 5, 0], { seed: 3 });
  const { samples, logProbs } = await d.sample(40_000);
  assert.deepEqual(Array.from(logProbs), Array.from(await d.logScore(samples)));
  const tally = new Map<string, number>();
  for (const s of samples) tally.set(s.text, (tally.get(s.text) ?? 0) + 1);
  assert.equal(tally.get('never'), undefined);
  assert.equal(tally.get('also-never'), undefined);
  const observed = d.support().map((s) => tally.get(s.text) ?? 0);
  const { stat, critical } = chiSquare(observed, d.probabilities());
  assert.ok(stat < critical, `chi2 ${stat} ≥ ${critical}`);
});

test('the toy prior samples match its probabilities; sampling is reproducible from a seed', async () => {
  const a = await prior.sample(20_000, undefined, { random: new Random(11) });
  const { stat, critical } = chiSquare(counts(a.samples.map((s) => s.text)), prior.probabilities());
  assert.ok(stat < critical, `chi2 ${stat} ≥ ${critical}`);
  const b = await prior.sample(50, undefined, { random: new Random(12) });
  const c = await prior.sample(50, undefined, { random: new Random(12) });
  assert.deepEqual(b, c);
  assert.deepEqual(prior.support().map((s) => s.text), texts);
});

test('bad weights are refused with a sentence', async () => {
  assert.throws(() => new Categorical([], []), /at least one text/);
  assert.throws(() => new Categorical(['x', 'x'], [0, 0]), /distinct/);
  assert.throws(() => new Categorical(['x'], [NaN]), /log-weight of "x" is NaN/);
  assert.throws(() => new Categorical(['x', 'y'], [0]), /1 weights for 2 texts/);
  assert.throws(() => Categorical.fromWeights(['x', 'y'], [0, 0]), /non-zero weight/);
  assert.throws(() => Categorical.fromWeights(['x'], [-1]), PosteriorError);
  assert.throws(() => Categorical.fromWeights(['x'], [Infinity]), PosteriorError);
  return assert.rejects(Categorical.fromWeights(['x'], [1]).sample(-1), /non-negative integer, got -1/);
});

test('a conditional categorical samples and scores per context', async () => {
  const d = new ConditionalCategorical({
    hi: Categorical.fromWeights(['x', 'y'], [1, 3]),
    yo: Categorical.fromWeights(['x', 'z'], [1, 1]),
  });
  const { samples } = await d.sample(200, 'yo', { random: new Random(1) });
  assert.ok(samples.every((s) => s.text === 'x' || s.text === 'z'));
  const ls = await d.logScore([{ text: 'y' }, { text: 'y' }, { text: 'x' }], ['hi', 'yo', 'yo']);
  assert.ok(Math.abs(ls[0]! - Math.log(0.75)) < 1e-15 && ls[1] === -Infinity && Math.abs(ls[2]! - Math.log(0.5)) < 1e-15);
  await assert.rejects(d.sample(1), /conditional: give a context/);
  await assert.rejects(d.sample(1, 'nope'), /unknown context "nope"/);
  await assert.rejects(d.logScore([{ text: 'x' }], ['hi', 'yo']), /2 contexts for 1 samples/);
});
