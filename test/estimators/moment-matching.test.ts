import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLambdas } from '../../src/estimators/moment-matching.js';
import { expect, prior, texts } from '../distributions/toy.js';

// The whole support as the pool, under a uniform q: SNIS moments are then exact, so
// the fitted λ must match closed forms and an independent Newton solve.
const a = prior.probabilities();
const logWeights = Float64Array.from(a, (x) => Math.log(x) + Math.log(texts.length));
const b = Float64Array.from(texts, (t) => (t.includes('b') ? 1 : 0));
const len = Float64Array.from(texts, (t) => t.length);

test('one binary feature: λ = log(μ̄(1−m)/(m(1−μ̄))) with m = E_a[φ]', () => {
  const m = expect(a, (t) => (t.includes('b') ? 1 : 0));
  for (const target of [0.2, 0.5, 0.9]) {
    const fit = fitLambdas({ logWeights, features: [b] }, [target], { lr: 1, tol: 1e-10, maxIter: 100_000 });
    const analytic = Math.log((target * (1 - m)) / (m * (1 - target)));
    assert.ok(Math.abs(fit.lambdas[0]! - analytic) < 1e-8, `μ̄ ${target}: λ ${fit.lambdas[0]} vs ${analytic}`);
    assert.ok(Math.abs(fit.moments[0]! - target) < 1e-10);
  }
});

test('one feature that converges too slowly is told apart from an unreachable one', () => {
  assert.throws(() => fitLambdas({ logWeights, features: [b] }, [0.95], { method: 'gradient', maxIter: 10 }), /after 10 iterations .*; the moment is reachable, so raise lr or maxIter\./);
  assert.throws(() => fitLambdas({ logWeights, features: [b] }, [0.95], { method: 'newton', maxIter: 1 }), /after 1 Newton step the moments .*; the moment is reachable, so raise maxIter, or tol/);
  // The default continues with Newton where the gradient iteration stopped.
  const fit = fitLambdas({ logWeights, features: [b] }, [0.95], { maxIter: 10 });
  assert.equal(fit.method, 'newton');
  assert.ok(fit.iterations > 10 && fit.iterations < 30 && Math.abs(fit.moments[0]! - 0.95) < 1e-3);
});

// A pool of n equally weighted samples of which k have φ = 1: the moment at λ = 0 is
// exactly m = k/n, and μ̄ needs λ = log(μ̄(1−m)/(m(1−μ̄))).
function binaryPool(k: number, n: number): { logWeights: Float64Array; features: Float64Array[] } {
  return { logWeights: new Float64Array(n), features: [Float64Array.from({ length: n }, (_, i) => (i < k ? 1 : 0))] };
}

test('moments near 0 or 1 that SPEC\'s gradient iteration cannot reach in 1000 steps converge by default', () => {
  for (const [k, target] of [
    [300, 0.9],
    [20, 0.9],
    [20, 0.5],
  ] as const) {
    const pool = binaryPool(k, 1000);
    const m = k / 1000;
    const analytic = Math.log((target * (1 - m)) / (m * (1 - target)));
    if (target === 0.9) assert.throws(() => fitLambdas(pool, [target], { method: 'gradient' }), /after 1000 iterations the moments \[0\.89\d+\]/);
    const fit = fitLambdas(pool, [target]);
    assert.ok(Math.abs(fit.moments[0]! - target) < 1e-3, `m ${m} → ${target}: reached ${fit.moments[0]}`);
    // |Δλ| ≤ |Δμ| / min Var_p(φ) over the last step, and Var_p(φ) ≥ 0.08 there.
    assert.ok(Math.abs(fit.lambdas[0]! - analytic) < 1e-3 / 0.08, `m ${m} → ${target}: λ ${fit.lambdas[0]} vs ${analytic}`);
    const newton = fitLambdas(pool, [target], { method: 'newton', tol: 1e-12 });
    assert.ok(newton.iterations < 15 && Math.abs(newton.lambdas[0]! - analytic) < 1e-10, `Newton: λ ${newton.lambdas[0]} vs ${analytic} after ${newton.iterations}`);
  }
});

test('a feature on a large scale, where lr 0.05 makes the gradient iteration swing, still converges', () => {
  const big = len.map((x) => 100 * x);
  assert.throws(() => fitLambdas({ logWeights, features: [big] }, [200], { method: 'gradient' }), /did not converge/);
  const fit = fitLambdas({ logWeights, features: [big] }, [200]);
  assert.equal(fit.method, 'newton');
  assert.ok(Math.abs(fit.moments[0]! - 200) < 1e-3);
});

test('with SPEC defaults (lr 0.05, tol 1e-3) the reached moment is within tol and λ near the analytic value', () => {
  const m = expect(a, (t) => (t.includes('b') ? 1 : 0));
  const fit = fitLambdas({ logWeights, features: [b] }, [0.5]);
  assert.ok(Math.abs(fit.moments[0]! - 0.5) < 1e-3);
  assert.ok(fit.iterations > 0 && fit.iterations < 1000);
  // dμ/dλ = Var_p(φ) = 0.25 at the optimum, so a moment error < 1e-3 bounds λ's error by ≈ 4e-3.
  assert.ok(Math.abs(fit.lambdas[0]! - Math.log((1 - m) / m)) < 5e-3);
  // The default 'auto' is exactly SPEC's iteration whenever that converges.
  assert.equal(fit.method, 'gradient');
  assert.deepEqual(fit.lambdas, fitLambdas({ logWeights, features: [b] }, [0.5], { method: 'gradient' }).lambdas);
});

// Newton's method on the dual log Σ a·exp(λ·φ) − λ·μ̄, written independently of the library.
function newton(features: Float64Array[], targets: number[]): number[] {
  let lambda = [0, 0];
  for (let it = 0; it < 100; it++) {
    const logits = Array.from(a, (x, k) => Math.log(x) + lambda[0]! * features[0]![k]! + lambda[1]! * features[1]![k]!);
    const max = Math.max(...logits);
    const w = logits.map((l) => Math.exp(l - max));
    const z = w.reduce((s, x) => s + x, 0);
    const p = w.map((x) => x / z);
    const mu = [0, 1].map((i) => p.reduce((s, pk, k) => s + pk * features[i]![k]!, 0));
    const cov = [0, 1].map((i) => [0, 1].map((j) => p.reduce((s, pk, k) => s + pk * features[i]![k]! * features[j]![k]!, 0) - mu[i]! * mu[j]!));
    const g = [mu[0]! - targets[0]!, mu[1]! - targets[1]!];
    const det = cov[0]![0]! * cov[1]![1]! - cov[0]![1]! * cov[1]![0]!;
    const step = [(cov[1]![1]! * g[0]! - cov[0]![1]! * g[1]!) / det, (-cov[1]![0]! * g[0]! + cov[0]![0]! * g[1]!) / det];
    lambda = [lambda[0]! - step[0]!, lambda[1]! - step[1]!];
  }
  return lambda;
}

test('two features: λ matches a Newton solve on the enumerated support, by either method', () => {
  const targets = [0.5, 1.7];
  const reference = newton([b, len], targets);
  const fit = fitLambdas({ logWeights, features: [b, len] }, targets, { method: 'gradient', lr: 0.5, tol: 1e-10, maxIter: 200_000 });
  assert.ok(Math.abs(fit.lambdas[0]! - reference[0]!) < 1e-6 && Math.abs(fit.lambdas[1]! - reference[1]!) < 1e-6, `λ ${Array.from(fit.lambdas)} vs Newton ${reference}`);
  assert.ok(fit.ess > 1 && fit.ess <= 8);
  const damped = fitLambdas({ logWeights, features: [b, len] }, targets, { method: 'newton', tol: 1e-12 });
  assert.equal(damped.method, 'newton');
  assert.ok(damped.iterations < 20);
  assert.ok(Math.abs(damped.lambdas[0]! - reference[0]!) < 1e-9 && Math.abs(damped.lambdas[1]! - reference[1]!) < 1e-9, `λ ${Array.from(damped.lambdas)} vs Newton ${reference}`);
  // SPEC's defaults stop 0.004 short here; the default then finishes with Newton.
  assert.throws(() => fitLambdas({ logWeights, features: [b, len] }, targets, { method: 'gradient' }), /still 0\.00400 from the targets/);
  const auto = fitLambdas({ logWeights, features: [b, len] }, targets);
  assert.equal(auto.method, 'newton');
  assert.ok(auto.iterations > 1000 && Math.abs(auto.moments[0]! - 0.5) < 1e-3 && Math.abs(auto.moments[1]! - 1.7) < 1e-3);
});

test('Newton copes with features that are linear in each other', () => {
  // b twice with one target: the covariance is singular, the moments still fit.
  const twice = fitLambdas({ logWeights, features: [b, b] }, [0.3, 0.3], { method: 'newton', tol: 1e-9 });
  assert.ok(Math.abs(twice.moments[0]! - 0.3) < 1e-9);
  const m = expect(a, (t) => (t.includes('b') ? 1 : 0));
  assert.ok(Math.abs(twice.lambdas[0]! + twice.lambdas[1]! - Math.log((0.3 * (1 - m)) / (m * 0.7))) < 1e-6);
});

test('unreachable, contradictory and never-firing constraints are refused with a sentence', () => {
  const names = ['has-b', 'length'];
  // Each moment is inside its own range, but no distribution on the support has both:
  // with 60% of the mass on texts without "b" (length 1), the mean length is at most 1.8.
  assert.throws(() => fitLambdas({ logWeights, features: [b, len], names }, [0.4, 2.0]), /moment matching did not converge: after 1000 iterations .* the constraints may contradict each other or be unreachable from this pool/);
  assert.throws(() => fitLambdas({ logWeights, features: [b, b], names: ['b1', 'b2'] }, [0.3, 0.6]), /did not converge/);
  // Newton proves these out of reach within a few steps, not after maxIter.
  for (const [features, targets] of [
    [[b, len], [0.4, 2.0]],
    [[b, b], [0.3, 0.6]],
  ] as const) {
    assert.throws(
      () => fitLambdas({ logWeights, features: [...features] }, [...targets], { method: 'newton' }),
      /after [1-9]\d? Newton steps? .*; no weighting of the pool's samples has these moments, so the constraints may contradict each other or be unreachable from this pool\./,
    );
  }
  assert.throws(() => fitLambdas({ logWeights, features: [b, len], names }, [0.4, 2.0], { method: 'gradient' }), /after 1000 iterations .* unreachable from this pool, or lr\/maxIter are too small\./);
  assert.throws(() => fitLambdas({ logWeights, features: [len], names: ['length'] }, [5]), /the target moment 5 of "length" lies outside the range \(1, 3\) its values span in the pool, so no λ reaches it\./);
  assert.throws(() => fitLambdas({ logWeights, features: [b], names: ['has-b'] }, [1]), /on the boundary λ would be infinite; use a boolean constraint/);
  assert.throws(() => fitLambdas({ logWeights, features: [new Float64Array(8)], names: ['rare'] }, [0.1]), /feature "rare" never fires in the pool \(it is 0 on all 8 samples with weight\)/);
  assert.throws(() => fitLambdas({ logWeights: new Float64Array(8).fill(-Infinity), features: [b] }, [0.5]), /no sample of the pool of 8 has positive weight/);
  assert.throws(() => fitLambdas({ logWeights, features: [b] }, [0.5, 0.5]), /2 target moments for 1 features/);
  assert.throws(() => fitLambdas({ logWeights, features: [b] }, [NaN]), /must be a finite number/);
  assert.throws(() => fitLambdas({ logWeights, features: [b] }, [0.5], { lr: -1 }), /needs lr > 0/);
  assert.throws(() => fitLambdas({ logWeights, features: [b] }, [0.5], { method: 'lbfgs' as 'newton' }), /method must be "gradient", "newton" or "auto", got "lbfgs"/);
});

test('a feature that is constant at its target moment is accepted and barely moves', () => {
  const one = new Float64Array(8).fill(1);
  const fit = fitLambdas({ logWeights, features: [b, one] }, [0.5, 1], { lr: 1, tol: 1e-9, maxIter: 10_000 });
  assert.ok(Math.abs(fit.lambdas[1]!) < 1e-12);
  assert.ok(Math.abs(fit.moments[0]! - 0.5) < 1e-9);
  const newton = fitLambdas({ logWeights, features: [b, one] }, [0.5, 1], { method: 'newton', tol: 1e-9 });
  assert.equal(newton.lambdas[1], 0);
  assert.ok(Math.abs(newton.moments[0]! - 0.5) < 1e-9);
});
