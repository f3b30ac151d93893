import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CategoricalPolicy } from '../../src/distributions/categorical-policy.js';
import { Categorical } from '../../src/distributions/categorical.js';
import { ConditionalCategorical } from '../../src/distributions/conditional-categorical.js';
import { PosteriorError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { chiSquare, counts, prior, texts } from './toy.js';

const support = texts.map((text) => ({ text }));

test('a policy made from a categorical is that distribution: samples, log-scores and the differentiable log π', async () => {
  const pi = CategoricalPolicy.from(prior);
  const a = prior.probabilities();
  pi.probabilities().forEach((x, i) => assert.ok(Math.abs(x - a[i]!) < 1e-7));
  const { samples, logProbs } = await pi.sample(20_000, undefined, { random: new Random(1) });
  const fit = chiSquare(counts(samples.map((s) => s.text)), a);
  assert.ok(fit.stat < fit.critical, `χ² ${fit.stat} ≥ ${fit.critical}`);
  assert.deepEqual(logProbs.slice(0, 50), (await pi.logScore(samples)).slice(0, 50));
  const tensorLogProbs = pi.logProbTensor(support).toFloat64Array();
  (await pi.logScore(support)).forEach((x, i) => assert.ok(Math.abs(x - tensorLogProbs[i]!) < 1e-6));
  // ∇_θ log π(x) = e_x − π.
  pi.logProbTensor([{ text: 'ab' }]).sum().backward();
  const g = pi.logits.grad!.toFloat64Array();
  const p = pi.probabilities();
  g.forEach((x, i) => assert.ok(Math.abs(x - ((texts[i] === 'ab' ? 1 : 0) - p[i]!)) < 1e-6));
  pi.dispose();
});

test('a conditional policy keeps one row per context', async () => {
  const base = new ConditionalCategorical({ x: prior, y: Categorical.fromWeights(texts, [1, 1, 1, 1, 1, 1, 1, 5]) });
  const pi = CategoricalPolicy.from(base);
  assert.ok(Math.abs(pi.probabilities('y')[7]! - 5 / 12) < 1e-7);
  const lp = pi.logProbTensor([{ text: 'c' }, { text: 'c' }], ['x', 'y']).toFloat64Array();
  assert.ok(Math.abs(lp[0]! - Math.log(0.05)) < 1e-6 && Math.abs(lp[1]! - Math.log(5 / 12)) < 1e-6);
  const tl = pi.tokenLogProbs([{ text: 'c' }], ['y']);
  assert.deepEqual(Array.from(tl.hidden.toFloat64Array()), [0, 1]);
  assert.throws(() => pi.logProbTensor([{ text: 'c' }]), PosteriorError);
  assert.throws(() => pi.logProbTensor([{ text: 'c' }], 'z'), /no context "z"/);
  pi.dispose();
});

test('frozen copies and copyFrom move weights, and bad construction is one sentence', () => {
  const pi = new CategoricalPolicy(texts, { logits: texts.map((_, i) => i / 10) });
  const q = pi.frozenCopy();
  assert.equal(q.logits.requiresGrad, false);
  assert.deepEqual(q.logits.toFloat64Array(), pi.logits.toFloat64Array());
  const other = new CategoricalPolicy(texts);
  pi.copyFrom(other);
  assert.deepEqual(Array.from(pi.logits.toFloat64Array()), new Array(texts.length).fill(0));
  assert.notDeepEqual(Array.from(q.logits.toFloat64Array()), new Array(texts.length).fill(0));
  assert.throws(() => new CategoricalPolicy(['a', 'a']), /distinct/);
  assert.throws(() => new CategoricalPolicy(['a', 'b'], { logits: [0, -Infinity] }), /must be finite/);
  assert.throws(() => pi.logProbTensor([{ text: 'zzz' }]), /not in the support/);
  for (const p of [pi, q, other]) p.dispose();
});
