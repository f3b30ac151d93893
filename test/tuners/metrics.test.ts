// The loop's metrics on an exhaustive rollout (the whole support under a uniform
// proposal) equal the exact values, and the two symptoms that must not pass silently —
// a negative running KL(π‖a) and exploding importance weights — warn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExponentialFactor } from '../../src/distributions/exponential-factor.js';
import { RolloutMonitor } from '../../src/tuners/rollout-metrics.js';
import { textLength } from '../distributions/toy.js';
import { countA, exactTarget, exhaustiveRollout, kl, prior, skewedPolicy, support, texts, tv } from './toy.js';

const target = prior.times(new ExponentialFactor(textLength, 0.4));

test('on the whole support the metrics are the exact divergences, moments, KL(π‖a) and entropy', async () => {
  const policy = skewedPolicy();
  const { p, logZ } = await exactTarget(target);
  const r = await exhaustiveRollout(policy, prior, target, logZ);
  const lengths = Float64Array.from(texts, (t) => t.length);
  const m = new RolloutMonitor({ warn: () => assert.fail('no warning expected') }).metrics(r, new Map([['length', lengths]]), 1);
  const pi = policy.probabilities();
  const a = prior.probabilities();
  const close = (x: number | undefined, y: number, what: string) => assert.ok(Math.abs(x! - y) < 1e-12, `${what}: ${x} vs ${y}`);
  close(m.kl_target_policy, kl(p, pi), 'KL(p‖π)');
  close(m.tv_target_policy, tv(p, pi), 'TV(p, π)');
  close(m.kl_target_proposal, kl(p, new Float64Array(texts.length).fill(1 / texts.length)), 'KL(p‖q)');
  close(m.kl_policy_base, kl(pi, a), 'KL(π‖a)');
  close(m['objective/kl'], kl(pi, a), 'objective/kl');
  close(m['objective/entropy'], -pi.reduce((s, x) => s + x * Math.log(x), 0), 'entropy');
  close(m['moment/length'], pi.reduce((s, x, i) => s + x * lengths[i]!, 0), 'E_π[length]');
  close(m.z, Math.exp(logZ), 'Z');
  close(m['b/mean'], 1, 'E_π[P > 0]');
  policy.dispose();
});

test('a running KL(π‖a) below zero warns loudly, naming the likely cause', async () => {
  const policy = skewedPolicy();
  const r = await exhaustiveRollout(policy, prior, undefined, undefined);
  // A base that scores every sample above the policy: the sampler and the scorer disagree.
  const warnings: string[] = [];
  new RolloutMonitor({ warn: (w) => warnings.push(w) }).metrics({ ...r, logBase: r.logPolicy.map((x) => x + 0.5) }, new Map(), 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /running KL\(π‖a\) is -0\.5.*disagree/);
  policy.dispose();
});

test('importance weights dominated by one sample warn, with the step', async () => {
  const policy = skewedPolicy();
  const spiky = prior.times(new ExponentialFactor(countA, 12));
  const { logZ } = await exactTarget(spiky);
  const r = await exhaustiveRollout(policy, prior, spiky, logZ);
  const warnings: string[] = [];
  const m = new RolloutMonitor({ warn: (w) => warnings.push(w) }).metrics(r, new Map(), 42);
  assert.ok(m.ess! < 1.01, `ESS ${m.ess}`);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /importance weights explode \(step 42\)/);
  assert.equal(support.length, texts.length);
  policy.dispose();
});
