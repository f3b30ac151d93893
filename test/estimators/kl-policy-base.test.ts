import { test } from 'node:test';
import assert from 'node:assert/strict';
import { klPolicyBase, RunningPolicyKL } from '../../src/estimators/kl-policy-base.js';
import { Random } from '../../src/util/random.js';
import { policy, prior } from '../distributions/toy.js';
import { kl } from './exact.js';

test('KL(π‖a) on samples of π converges to the exact value', async () => {
  const { samples, logProbs } = await policy.sample(50_000, undefined, { random: new Random(8) });
  const estimate = klPolicyBase(logProbs, await prior.logScore(samples));
  const exactKL = kl(policy.probabilities(), prior.probabilities());
  assert.ok(Math.abs(estimate - exactKL) < 0.01, `${estimate} vs ${exactKL}`);
});

test('a negative running KL warns loudly through the hook; a sound one does not', async () => {
  const warnings: string[] = [];
  const running = new RunningPolicyKL({ warn: (m) => void warnings.push(m), momentum: 0.5 });
  for (let step = 0; step < 3; step++) {
    const { samples, logProbs } = await policy.sample(500, undefined, { random: new Random(step) });
    const u = running.update(logProbs, await prior.logScore(samples));
    assert.equal(u.negative, false);
  }
  assert.equal(warnings.length, 0);
  // A sampler/scorer mismatch: log-probabilities from the base, samples from π.
  for (let step = 0; step < 20; step++) {
    const { samples } = await policy.sample(500, undefined, { random: new Random(50 + step) });
    running.update(await prior.logScore(samples), await policy.logScore(samples));
  }
  assert.ok(running.running! < 0);
  assert.ok(warnings.length > 0);
  assert.match(warnings[0]!, /running KL\(π‖a\) is -[0-9.]+ < 0 .* sampler and its log-probabilities \(or the base's\) disagree/);
});

test('the running value is an exponential moving average and resumes from a checkpoint', () => {
  const r = new RunningPolicyKL({ momentum: 0.5, warn: () => {} });
  r.update(Float64Array.of(1), Float64Array.of(0));
  const u = r.update(Float64Array.of(3), Float64Array.of(0));
  assert.equal(u.running, 2);
  const resumed = new RunningPolicyKL({ momentum: 0.5, running: r.running });
  assert.equal(resumed.update(Float64Array.of(1), Float64Array.of(0)).running, r.update(Float64Array.of(1), Float64Array.of(0)).running);
  assert.throws(() => new RunningPolicyKL({ momentum: 2 }), /momentum must lie in \(0, 1\]/);
});
