import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Categorical } from '../../src/distributions/categorical.js';
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

// A larger world than the toy's eight texts: a prior a over 500 texts and a policy π a
// few small steps away from it (logits moved by 0.1·N(0, 1)), so the true KL(π‖a) is
// tiny next to the noise of a 64-sample mean of log π − log a.
const many = Array.from({ length: 500 }, (_, i) => `t${i}`);
function gaussians(n: number, random: Random): Float64Array {
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - random.float())) * Math.cos(2 * Math.PI * random.float()));
}
const priorLogits = gaussians(many.length, new Random(31)).map((x) => 2 * x);
const nearPolicyLogits = priorLogits.map((x, i) => x + 0.1 * gaussians(many.length, new Random(32))[i]!);
const bigPrior = new Categorical(many, priorLogits);
const nearPolicy = new Categorical(many, nearPolicyLogits);

test('near π = a, 64-sample estimates that dip below 0 by noise do not warn', async () => {
  const warnings: string[] = [];
  const running = new RunningPolicyKL({ warn: (m) => void warnings.push(m), tolerance: 1e-3 });
  const random = new Random(33);
  let negativeBatches = 0, negativeRunning = 0;
  for (let step = 0; step < 200; step++) {
    const { samples, logProbs } = await nearPolicy.sample(64, undefined, { random });
    const u = running.update(logProbs, await bigPrior.logScore(samples));
    if (u.batch < 0) negativeBatches++;
    if (u.running < -1e-3) negativeRunning++;
    assert.ok(u.standardError > 0);
  }
  // The old rule (warn below −1e-3) would have fired on these.
  assert.ok(negativeBatches > 20 && negativeRunning > 0, `${negativeBatches} negative batches, ${negativeRunning} negative running values`);
  assert.deepEqual(warnings, []);
});

// The mismatch shifts the mean by −0.07 against a 64-sample standard error of 0.05: one
// batch cannot tell, but the running value's error shrinks as batches accumulate.
test('log π computed at the wrong temperature (0.8 instead of 1) warns within ten steps, and keeps warning', async () => {
  const warnings: string[] = [];
  const running = new RunningPolicyKL({ warn: (m) => void warnings.push(m), tolerance: 1e-3 });
  const wrongTemperature = new Categorical(many, nearPolicyLogits.map((x) => x / 0.8));
  const random = new Random(34);
  let firstWarning = -1;
  for (let step = 0; step < 40; step++) {
    const { samples } = await nearPolicy.sample(64, undefined, { random });
    const u = running.update(await wrongTemperature.logScore(samples), await bigPrior.logScore(samples));
    if (u.negative && firstWarning < 0) firstWarning = step;
  }
  assert.ok(firstWarning >= 0 && firstWarning < 10, `first warning at step ${firstWarning}`);
  assert.ok(warnings.length > 20, `${warnings.length} warnings in 40 steps`);
  assert.match(warnings[0]!, /running KL\(π‖a\) is -[0-9.]+ < 0 \(more than 3 standard errors .* disagree/);
});
