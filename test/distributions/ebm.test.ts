import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { times } from '../../src/distributions/ebm.js';
import { ExponentialFactor, exponentialTarget } from '../../src/distributions/exponential-factor.js';
import type { Scorer } from '../../src/scorers/scorer.js';
import { PosteriorError } from '../../src/util/errors.js';
import { hasB, hasC, prior, scorer, textLength } from './toy.js';

const support = prior.support();

test('a boolean factor conditions: log P = log a where b = 1, -Infinity elsewhere', async () => {
  const target = prior.times(new BooleanFactor(hasB));
  const logA = await prior.logScore(support);
  const logP = await target.logScore(support);
  support.forEach((s, i) => assert.equal(logP[i], s.text.includes('b') ? logA[i] : -Infinity));
  const negated = await prior.times(new BooleanFactor(hasB, true)).logScore(support);
  support.forEach((s, i) => assert.equal(negated[i], s.text.includes('b') ? -Infinity : logA[i]));
});

test('an exponential factor adds λ·φ(x) with the raw feature, not λ·log φ(x)', async () => {
  const target = prior.times(new ExponentialFactor(textLength, 0.5));
  const logA = await prior.logScore(support);
  const logP = await target.logScore(support);
  // "aab" has length 3: raw gives +1.5, the log reading would give 0.5·log 3 ≈ 0.55.
  support.forEach((s, i) => assert.ok(Math.abs(logP[i]! - (logA[i]! + 0.5 * s.text.length)) < 1e-12));
  assert.match(target.factors[0]!.name, /exp\(0.5·length\)/);
});

test('products compose as sums of log-scores, in any grouping', async () => {
  const f1 = new BooleanFactor(hasB);
  const f2 = new ExponentialFactor(textLength, -0.7);
  const f3 = new ExponentialFactor(hasC, 2);
  const all = await prior.times(f1, f2, f3).logScore(support);
  const chained = await prior.times(f1).times(f2).times(f3).logScore(support);
  const viaFunction = await times(prior, f3, f2, f1).logScore(support);
  const logA = await prior.logScore(support);
  const b = await f1.logScore(support);
  support.forEach((s, i) => {
    const expected = logA[i]! + b[i]! - 0.7 * s.text.length + 2 * (s.text.includes('c') ? 1 : 0);
    assert.equal(all[i], chained[i]);
    if (expected === -Infinity) assert.equal(viaFunction[i], -Infinity);
    else assert.ok(Math.abs(viaFunction[i]! - expected) < 1e-12 && Math.abs(all[i]! - expected) < 1e-12);
  });
  const energy = await prior.times(f2, f3).factorLogScore(support);
  support.forEach((s, i) => assert.ok(Math.abs(energy[i]! - (-0.7 * s.text.length + 2 * (s.text.includes('c') ? 1 : 0))) < 1e-12));
});

test('exponentialTarget builds a(x)·exp(Σ λ_i φ_i(x))', async () => {
  const logP = await exponentialTarget(prior, [textLength, hasB], [0.3, -1]).logScore(support);
  const logA = await prior.logScore(support);
  support.forEach((s, i) => assert.ok(Math.abs(logP[i]! - (logA[i]! + 0.3 * s.text.length - (s.text.includes('b') ? 1 : 0))) < 1e-12));
  assert.throws(() => exponentialTarget(prior, [textLength], [1, 2]), /2 coefficients λ for 1 features/);
  assert.throws(() => new ExponentialFactor(textLength, NaN), PosteriorError);
});

test('contexts reach the scorers, one per sample', async () => {
  const seen: (readonly string[] | undefined)[] = [];
  const contextual: Scorer = {
    name: 'echo',
    score: async (xs, contexts) => {
      seen.push(contexts);
      return Float64Array.from(xs, (x, i) => (contexts?.[i] === x ? 1 : 0));
    },
  };
  const target = prior.times(new BooleanFactor(contextual));
  const logP = await target.logScore([{ text: 'a' }, { text: 'b' }], 'a');
  assert.deepEqual(seen[0], ['a', 'a']);
  assert.ok(Number.isFinite(logP[0]) && logP[1] === -Infinity);
  await target.logScore([{ text: 'a' }, { text: 'b' }], ['x', 'b']);
  assert.deepEqual(seen[1], ['x', 'b']);
});

test('bad scorer output gets one sentence naming the scorer', async () => {
  const nan = scorer('flaky', (t) => (t === 'ab' ? NaN : 1));
  await assert.rejects(prior.times(new ExponentialFactor(nan, 1)).logScore(support), /scorer "flaky" returned NaN for sample 2 \("ab"\)/);
  await assert.rejects(prior.times(new BooleanFactor(textLength)).logScore(support), /boolean scorer "length" returned 2 for sample 2/);
  const short: Scorer = { name: 'short', score: async () => new Float64Array(1) };
  await assert.rejects(prior.times(new BooleanFactor(short)).logScore(support), /"short" returned 1 scores for 8 samples/);
  const inf = { name: 'inf', logScore: async () => Float64Array.of(Infinity) };
  await assert.rejects(prior.times(inf).logScore([{ text: 'a' }]), /factor "inf" returned Infinity/);
  // exp(λ·φ) as a factor needs a finite φ, though exponentialScorer alone lets ±Infinity through.
  const infinite = scorer('huge', (t) => (t === 'b' ? Infinity : 0));
  await assert.rejects(prior.times(new ExponentialFactor(infinite, -1)).logScore(support), /^PosteriorError: scorer "huge" returned Infinity for sample 1 \("b"\); scores must be finite numbers$/);
  assert.throws(() => new ExponentialFactor(textLength, Infinity), /the coefficient λ of exp\(λ·length\) must be a finite number, not Infinity/);
});
