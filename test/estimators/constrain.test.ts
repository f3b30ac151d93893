import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Categorical } from '../../src/distributions/categorical.js';
import type { Distribution } from '../../src/distributions/distribution.js';
import { constrain } from '../../src/estimators/constrain.js';
import { PosteriorError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { expect, hasB, hasC, prior, proposal, scorer, texts, textLength } from '../distributions/toy.js';

const support = texts.map((text) => ({ text }));
const a = prior.probabilities();
const m = expect(a, (t) => (t.includes('b') ? 1 : 0));
const unsampleable: Distribution = {
  sample: async () => assert.fail('a pointwise target must not draw a pool'),
  logScore: async () => assert.fail('unused'),
};

test('boolean constraints with moment 1 or 0 give the pointwise product, without a pool', async () => {
  const r = await constrain(prior, [{ feature: hasB, moment: 1, boolean: true }, { feature: hasC, moment: 0, boolean: true }], { proposal: unsampleable });
  assert.equal(r.pointwise, true);
  assert.deepEqual(Array.from(r.lambdas), [Infinity, -Infinity]);
  assert.deepEqual(Array.from(r.moments), [1, 0]);
  const logP = await r.ebm.logScore(support);
  const logA = await prior.logScore(support);
  texts.forEach((t, i) => assert.equal(logP[i], t.includes('b') && !t.includes('c') ? logA[i] : -Infinity));
});

test('a distributional constraint from a pool of the base fits λ to the analytic value', async () => {
  const target = 0.5;
  const r = await constrain(prior, [{ feature: hasB, moment: target, boolean: true }], { random: new Random(3), lr: 0.5, tol: 1e-6 });
  assert.equal(r.pointwise, false);
  const analytic = Math.log((target * (1 - m)) / (m * (1 - target)));
  // With q = a the pool's m̂ has standard deviation √(m(1−m)/4096) ≈ 0.0075, so λ's is ≈ 0.033.
  assert.ok(Math.abs(r.lambdas[0]! - analytic) < 0.12, `λ ${r.lambdas[0]} vs ${analytic}`);
  assert.ok(Math.abs(r.moments[0]! - target) < 1e-6);
  const logP = await r.ebm.logScore(support);
  const logA = await prior.logScore(support);
  texts.forEach((t, i) => assert.ok(Math.abs(logP[i]! - (logA[i]! + r.lambdas[0]! * (t.includes('b') ? 1 : 0))) < 1e-12));
  // Exact moment of the fitted target on the support: close to μ̄.
  const p = logP.map(Math.exp);
  const z = p.reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(expect(p, (t) => (t.includes('b') ? 1 : 0)) / z - target) < 0.02);
});

test('a pool from another proposal gives the same λ up to sampling error, and is reproducible', async () => {
  const options = { proposal, random: new Random(4), lr: 0.5, tol: 1e-6, poolSize: 8192 };
  const r = await constrain(prior, [{ feature: hasB, moment: 0.8 }], options);
  const analytic = Math.log((0.8 * (1 - m)) / (m * 0.2));
  assert.ok(Math.abs(r.lambdas[0]! - analytic) < 0.15, `λ ${r.lambdas[0]} vs ${analytic}`);
  const again = await constrain(prior, [{ feature: hasB, moment: 0.8 }], { ...options, random: new Random(4) });
  assert.deepEqual(again.lambdas, r.lambdas);
});

test('pointwise and distributional constraints combine: λ is fitted on a·b', async () => {
  // Without "c" the prior's mass of "b" texts is m' = (0.2+0.12+0.1+0.08+0.1)/0.9.
  const mPrime = 0.6 / 0.9;
  const r = await constrain(prior, [{ feature: hasC, moment: 0, boolean: true }, { feature: hasB, moment: 0.4, boolean: true }], { random: new Random(5), lr: 0.5, tol: 1e-6 });
  assert.equal(r.lambdas[0], -Infinity);
  assert.ok(Math.abs(r.lambdas[1]! - Math.log((0.4 * (1 - mPrime)) / (mPrime * 0.6))) < 0.12);
  const logP = await r.ebm.logScore([{ text: 'abc' }, { text: 'c' }]);
  assert.deepEqual(Array.from(logP), [-Infinity, -Infinity]);
});

test('bad constraints and a pool that cannot reach the moments are refused with a sentence', async () => {
  const noC = Categorical.fromWeights(texts, texts.map((t) => (t.includes('c') ? 0 : 1)));
  await assert.rejects(constrain(prior, [{ feature: hasC, moment: 0.2 }], { proposal: noC, poolSize: 512 }), /feature "has-c" never fires in the pool/);
  await assert.rejects(constrain(prior, [{ feature: textLength, moment: 4 }], { poolSize: 512 }), /target moment 4 of "length" lies outside the range \(1, 3\)/);
  await assert.rejects(constrain(prior, [{ feature: hasB, moment: 0.4 }, { feature: textLength, moment: 2 }], { poolSize: 512 }), /did not converge/);
  await assert.rejects(constrain(prior, [{ feature: hasB, moment: 1.5, boolean: true }]), /moment of boolean feature "has-b" must lie in \[0, 1\], got 1.5/);
  await assert.rejects(constrain(prior, [{ feature: textLength, moment: 0.5, boolean: true }], { poolSize: 64 }), /boolean scorer "length" returned 2/);
  await assert.rejects(constrain(prior, [{ feature: scorer('nan', () => NaN), moment: 0.5 }], { poolSize: 64 }), /scorer "nan" returned NaN/);
  await assert.rejects(constrain(prior, []), /at least one constraint/);
  await assert.rejects(constrain(prior, [{ feature: hasB, moment: Infinity }]), PosteriorError);
  // A pointwise factor no pool sample satisfies leaves nothing to fit on.
  await assert.rejects(constrain(prior, [{ feature: hasC, moment: 1, boolean: true }, { feature: hasB, moment: 0.5 }], { proposal: noC, poolSize: 256 }), /no sample of the pool of 256 has positive weight/);
  await assert.rejects(constrain(prior, [{ feature: hasB, moment: 0.5 }], { poolSize: 0 }), /pool size must be a positive integer/);
});

test('with default options, moments far from the base moment converge (Newton after SPEC\'s 1000 steps)', async () => {
  const rare = Categorical.fromWeights(['x', 'y'], [0.98, 0.02], { seed: 6 });
  const hasY = scorer('has-y', (t) => (t === 'y' ? 1 : 0));
  const skewed = Categorical.fromWeights(['x', 'y'], [0.7, 0.3], { seed: 7 });
  for (const [base, m, target] of [
    [skewed, 0.3, 0.9],
    [rare, 0.02, 0.9],
    [rare, 0.02, 0.5],
  ] as const) {
    const r = await constrain(base, [{ feature: hasY, moment: target }], { random: new Random(8) });
    assert.ok(Math.abs(r.moments[0]! - target) < 1e-3, `${m} → ${target}: ${r.moments[0]}`);
    // The pool's m̂ has sd √(m(1−m)/4096), so λ's is ≈ 1/√(4096·m(1−m)): 0.11 for m = 0.02.
    const analytic = Math.log((target * (1 - m)) / (m * (1 - target)));
    const sd = 1 / Math.sqrt(4096 * m * (1 - m));
    assert.ok(Math.abs(r.lambdas[0]! - analytic) < 4 * sd + 0.02, `${m} → ${target}: λ ${r.lambdas[0]} vs ${analytic}`);
  }
  const spec = { random: new Random(8), method: 'gradient' as const };
  await assert.rejects(constrain(skewed, [{ feature: hasY, moment: 0.9 }], spec), /after 1000 iterations .* the moment is reachable, so raise lr or maxIter/);
});
