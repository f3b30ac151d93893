// Each method, run through the tuning loop on the toy from π = a, must reach the optimum
// of its own objective, which enumeration gives exactly: DPG, KL-adaptive DPG and every
// f-DPG reach p; GDC reaches the required moment; CDPG reaches every p_c; REINFORCE
// with β = 0 collapses onto argmax r; REINFORCE and PPO with a KL penalty reach
// a·exp(r/β)/Z. At these optima the advantages vanish, so the loop settles rather
// than jitters, and tight tolerances are fair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CategoricalPolicy } from '../../src/distributions/categorical-policy.js';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { ContextDistribution } from '../../src/distributions/context-distribution.js';
import { ExponentialFactor } from '../../src/distributions/exponential-factor.js';
import { constrain } from '../../src/estimators/constrain.js';
import { DPG } from '../../src/tuners/dpg.js';
import { FDPG, fDivergences } from '../../src/tuners/f-dpg.js';
import { FixedKLController } from '../../src/tuners/kl-controller.js';
import { KLAdaptiveDPG } from '../../src/tuners/kl-dpg.js';
import { PPO } from '../../src/tuners/ppo.js';
import { Reinforce } from '../../src/tuners/reinforce.js';
import { Random } from '../../src/util/random.js';
import { hasB, textLength } from '../distributions/toy.js';
import { conditionalPrior, conditionalTarget, countA, exactTarget, kl, prior, runToy, texts, tv } from './toy.js';

const smooth = prior.times(new ExponentialFactor(textLength, 0.4), new ExponentialFactor(countA, -0.7));
const pointwise = prior.times(new BooleanFactor(hasB));
const a = prior.probabilities();

test('DPG and KL-adaptive DPG reach p for a smooth and a pointwise target', async () => {
  for (const target of [smooth, pointwise]) {
    const { p } = await exactTarget(target);
    assert.ok(kl(p, a) > 0.05, 'the target must differ from the prior');
    for (const [name, strategy] of [['dpg', () => new DPG()], ['kl-dpg', (pi: CategoricalPolicy) => new KLAdaptiveDPG(pi, { interval: 8 })]] as const) {
      const { policy, tuner } = await runToy({ target, strategy, steps: 300, samplesPerContext: 128, seed: 1 });
      const d = kl(p, policy.probabilities());
      assert.ok(d < 0.005, `${name}: KL(p‖π) = ${d}`);
      tuner.dispose();
      policy.dispose();
    }
  }
});

test('KL-adaptive DPG samples from a frozen q and copies π into q only when π is closer to p', async () => {
  const updates: number[] = [];
  const { policy, tuner } = await runToy({
    target: pointwise, strategy: (pi) => new KLAdaptiveDPG(pi, { interval: 4 }), steps: 40, samplesPerContext: 128, seed: 2,
    onStep: (step, m) => {
      if (step % 4 !== 0) assert.equal(m['proposal/updated'], undefined);
      else {
        updates.push(m['proposal/updated']!);
        assert.equal(m['proposal/updated'], m['proposal/kl_target_policy']! < m['proposal/kl_target_proposal']! ? 1 : 0);
      }
    },
  });
  assert.equal(updates.length, 10);
  assert.ok(updates.some((u) => u === 1), 'π improves on q early on, so q must be refreshed');
  tuner.dispose();
  policy.dispose();
});

test('every f-DPG divergence reaches p', async () => {
  const { p } = await exactTarget(smooth);
  for (const divergence of fDivergences) {
    const { policy, tuner } = await runToy({ target: smooth, strategy: () => new FDPG({ divergence }), steps: 250, samplesPerContext: 128, seed: 3 });
    const d = tv(p, policy.probabilities());
    // TV's pseudo-reward is a sign, so it keeps jittering around p instead of settling.
    assert.ok(d < (divergence === 'total-variation' ? 0.02 : 0.002), `${divergence}: TV(p, π) = ${d}`);
    tuner.dispose();
    policy.dispose();
  }
});

test('GDC (DPG on a fitted distributional target) reaches the required moment', async () => {
  const moment = 0.9;
  const baseMoment = a.reduce((s, x, i) => s + x * (texts[i]!.includes('b') ? 1 : 0), 0);
  const fitted = await constrain(prior, [{ feature: hasB, moment, boolean: true }], { random: new Random(4), poolSize: 20_000, tol: 1e-5, lr: 0.5 });
  const { policy, tuner } = await runToy({ target: fitted.ebm, strategy: () => new DPG(), steps: 300, samplesPerContext: 128, seed: 4, monitor: [hasB] });
  const reached = policy.probabilities().reduce((s, x, i) => s + x * (texts[i]!.includes('b') ? 1 : 0), 0);
  assert.ok(Math.abs(baseMoment - moment) > 0.2, 'the prior must be far from the moment');
  assert.ok(Math.abs(reached - moment) < 0.01, `E_π[b] = ${reached}, wanted ${moment}`);
  tuner.dispose();
  policy.dispose();
});

test('CDPG reaches p_c in every context, with Z_c estimated per context', async () => {
  const contexts = new ContextDistribution(conditionalPrior.contexts(), { seed: 5 });
  const { policy, tuner } = await runToy({
    base: conditionalPrior, target: conditionalTarget, contexts, contextsPerStep: 3, samplesPerContext: 64,
    partition: { kind: 'per-context', epsilon: 1e-4 }, strategy: () => new DPG(), steps: 400, seed: 5,
  });
  for (const c of conditionalPrior.contexts()) {
    const { p } = await exactTarget(conditionalTarget, c);
    const d = kl(p, policy.probabilities(c));
    assert.ok(d < 0.01, `context ${c}: KL(p_c‖π_c) = ${d}`);
  }
  tuner.dispose();
  policy.dispose();
});

test('REINFORCE without a KL penalty collapses onto argmax r', async () => {
  const { policy, tuner } = await runToy({ reward: countA, strategy: () => new Reinforce(), steps: 300, samplesPerContext: 128, seed: 6 });
  const pi = policy.probabilities();
  assert.ok(pi[texts.indexOf('aab')]! > 0.99, `π(aab) = ${pi[texts.indexOf('aab')]}`);
  tuner.dispose();
  policy.dispose();
});

test('REINFORCE (batch mean and leave-one-out) and PPO with KL penalty β reach a·exp(r/β)/Z', async () => {
  const beta = 0.5;
  const optimum = prior.times(new ExponentialFactor(countA, 1 / beta));
  const { p } = await exactTarget(optimum);
  assert.ok(tv(p, a) > 0.2, 'the optimum must differ from the prior');
  const runs = [
    ['reinforce, batch mean', () => new Reinforce({ kl: new FixedKLController(beta) }), 0.002, 0.05],
    ['reinforce, leave-one-out', () => new Reinforce({ kl: new FixedKLController(beta), baseline: 'leave-one-out' }), 0.002, 0.05],
    // Whitened advantages keep PPO's updates at unit scale near the optimum, so it jitters more.
    ['ppo', (pi: CategoricalPolicy) => new PPO(pi, { kl: new FixedKLController(beta) }), 0.04, 0.02],
  ] as const;
  for (const [name, strategy, tolerance, lr] of runs) {
    const { policy, tuner } = await runToy({ reward: countA, strategy, steps: 300, samplesPerContext: 128, seed: 7, lr });
    const d = tv(p, policy.probabilities());
    assert.ok(d < tolerance, `${name}: TV(π, a·exp(r/β)/Z) = ${d}`);
    tuner.dispose();
    policy.dispose();
  }
});
