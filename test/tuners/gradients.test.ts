// The losses' gradients against closed forms on the toy. With the whole support under
// a uniform proposal, a loss's importance-weighted mean is an exact sum, so its
// backward pass must give the exact gradient of the divergence with respect to the
// logits; with many samples from π it must agree within Monte Carlo error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExponentialFactor } from '../../src/distributions/exponential-factor.js';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { DPG } from '../../src/tuners/dpg.js';
import { FDPG, fDivergences, type FDivergence } from '../../src/tuners/f-dpg.js';
import { FixedKLController } from '../../src/tuners/kl-controller.js';
import { Reinforce } from '../../src/tuners/reinforce.js';
import { groupByContext, type Rollout } from '../../src/tuners/rollout.js';
import { Random } from '../../src/util/random.js';
import { hasB, textLength } from '../distributions/toy.js';
import { countA, exactTarget, exhaustiveRollout, logitGrad, maxAbsDiff, prior, skewedPolicy, support } from './toy.js';

const smooth = prior.times(new ExponentialFactor(textLength, 0.4), new ExponentialFactor(countA, -0.7));
const pointwise = prior.times(new BooleanFactor(hasB));

test('the DPG loss on the whole support has exactly the gradient of KL(p‖π), π − p', async () => {
  for (const target of [smooth, pointwise]) {
    const policy = skewedPolicy();
    const { p, logZ } = await exactTarget(target);
    const r = await exhaustiveRollout(policy, prior, target, logZ);
    new DPG().loss(r, policy.logProbTensor(support)).loss.backward();
    const expected = policy.probabilities().map((pi, i) => pi - p[i]!);
    assert.ok(maxAbsDiff(logitGrad(policy), expected) < 2e-6);
    policy.dispose();
  }
});

test('the DPG loss on samples from π estimates the same gradient within Monte Carlo error', async () => {
  const policy = skewedPolicy();
  const { p, logZ } = await exactTarget(smooth);
  const n = 40_000;
  const { samples, logProbs } = await policy.sample(n, undefined, { random: new Random(5) });
  const r: Rollout = {
    samples, contexts: undefined, groups: groupByContext(undefined, n), logProposal: logProbs, logBase: await prior.logScore(samples),
    logPolicy: await policy.logScore(samples), logTarget: await smooth.logScore(samples), logZ: new Float64Array(n).fill(logZ),
  };
  new DPG().loss(r, policy.logProbTensor(samples)).loss.backward();
  const grad = logitGrad(policy);
  const pi = policy.probabilities();
  const index = new Map(support.map((s, i) => [s.text, i]));
  const A = r.logTarget!.map((lp, i) => Math.exp(lp - logZ - logProbs[i]!) - 1);
  for (let j = 0; j < pi.length; j++) {
    // Per-sample terms −A_i(δ_ij − π_j): their standard error bounds the estimate's error.
    const terms = samples.map((s, i) => -A[i]! * ((index.get(s.text) === j ? 1 : 0) - pi[j]!));
    const mean = terms.reduce((a, b) => a + b, 0) / n;
    const se = Math.sqrt(terms.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) / n);
    const exact = pi[j]! - p[j]!;
    assert.ok(Math.abs(grad[j]! - exact) < 5 * se, `logit ${j}: ${grad[j]} vs ${exact} (se ${se})`);
  }
  policy.dispose();
});

/** D_f(π‖p) = Σ_x p(x) f(π(x)/p(x)) for the table's f (f′ as in SPEC §5). */
const f: Record<FDivergence, (t: number) => number> = {
  'forward-kl': (t) => -Math.log(t),
  'reverse-kl': (t) => t * Math.log(t),
  'total-variation': (t) => 0.5 * Math.abs(t - 1),
  'jensen-shannon': (t) => t * Math.log((2 * t) / (1 + t)) + Math.log(2 / (1 + t)),
  'forward-chi2': (t) => t + 1 / t - 2,
  'reverse-chi2': (t) => (t - 1) ** 2,
};

function fDivergence(div: FDivergence, logits: number[], p: Float64Array): number {
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.reduce((s, x, i) => s + p[i]! * f[div](x / z / p[i]!), 0);
}

test('every f-DPG loss on the whole support has the gradient of its D_f(π‖p), checked by finite differences of D_f', async () => {
  const { p, logZ } = await exactTarget(smooth);
  for (const divergence of fDivergences) {
    for (const baseline of ['running-mean', 'none'] as const) {
      const policy = skewedPolicy();
      const logits = Array.from(policy.logits.toFloat64Array());
      const r = await exhaustiveRollout(policy, prior, smooth, logZ);
      new FDPG({ divergence, baseline }).loss(r, policy.logProbTensor(support)).loss.backward();
      const grad = logitGrad(policy);
      const h = 1e-5;
      const numeric = logits.map((_, j) => {
        const up = [...logits], down = [...logits];
        up[j]! += h;
        down[j]! -= h;
        return (fDivergence(divergence, up, p) - fDivergence(divergence, down, p)) / (2 * h);
      });
      assert.ok(maxAbsDiff(grad, numeric) < 2e-5, `${divergence} (${baseline}): ${Array.from(grad)} vs ${numeric}`);
      policy.dispose();
    }
  }
});

test('f-DPG with reverse KL on a·exp(r/β) has the gradient of REINFORCE with KL penalty β, divided by β', async () => {
  // −f′(t) = −log t − 1 with log t = log π − log a − r/β + log Z, i.e. the pseudo-reward is
  // (r − β(log π − log a))/β − (log Z + 1) = R/β − const. The batch-mean baseline removes the
  // constant and on-policy π/q = 1, so L_f-DPG = L_REINFORCE/β on the same samples.
  const beta = 0.5;
  const target = prior.times(new ExponentialFactor(countA, 1 / beta));
  const policy = skewedPolicy();
  const n = 64;
  const { samples, logProbs } = await policy.sample(n, undefined, { random: new Random(9) });
  const logTarget = await target.logScore(samples);
  const r: Rollout = {
    samples, contexts: undefined, groups: groupByContext(undefined, n), logProposal: logProbs, logBase: await prior.logScore(samples),
    logPolicy: await policy.logScore(samples), logTarget, logZ: new Float64Array(n).fill(1.234), reward: await countA.score(samples.map((s) => s.text)),
  };
  new FDPG({ divergence: 'reverse-kl', baseline: 'batch-mean' }).loss(r, policy.logProbTensor(samples)).loss.backward();
  const fdpg = logitGrad(policy);
  new Reinforce({ kl: new FixedKLController(beta), baseline: 'batch-mean' }).loss(r, policy.logProbTensor(samples)).loss.backward();
  const reinforce = logitGrad(policy);
  assert.ok(Math.max(...reinforce.map(Math.abs)) > 1e-3, 'the gradient must not vanish');
  assert.ok(maxAbsDiff(fdpg.map((g) => g * beta), reinforce) < 1e-6, `${Array.from(fdpg)} · β vs ${Array.from(reinforce)}`);
  policy.dispose();
});

test('REINFORCE on the whole support with β = 0 has the gradient of E_π[r]', async () => {
  const policy = skewedPolicy();
  const r = await exhaustiveRollout(policy, prior, undefined, undefined, countA);
  // Uniform q and the whole support: weight each term by Kπ to make −mean(R − b)·log π an exact −E_π.
  const K = support.length;
  const pi = policy.probabilities();
  const rewards = r.reward!;
  const weighted: Rollout = { ...r, reward: rewards.map((x, i) => x * K * pi[i]!), groups: [support.map((_, i) => i)] };
  new Reinforce({ baseline: 'none' }).loss(weighted, policy.logProbTensor(support)).loss.backward();
  const expectedR = pi.reduce((s, x, i) => s + x * rewards[i]!, 0);
  // ∇_θ E_π[r] = π ⊙ (r − E_π[r]); the loss is its negative.
  const expected = pi.map((x, i) => -x * (rewards[i]! - expectedR));
  assert.ok(maxAbsDiff(logitGrad(policy), expected) < 2e-6);
  policy.dispose();
});
