import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Categorical } from '../../src/distributions/categorical.js';
import type { EBM } from '../../src/distributions/ebm.js';
import { jsTargetPolicy, klTargetPolicy, tvTargetPolicy, type TargetPolicyLogProbs } from '../../src/estimators/divergences.js';
import { Random } from '../../src/util/random.js';
import { policy, prior, proposal, texts } from '../distributions/toy.js';
import { exact, exponential, js, kl, pointwise, sd, tv } from './exact.js';

const support = texts.map((text) => ({ text }));

async function inputs(target: EBM, q: Categorical, n: number, seed: number, onPolicy = false): Promise<TargetPolicyLogProbs> {
  const { samples, logProbs } = await q.sample(n, undefined, { random: new Random(seed) });
  return { logTarget: await target.logScore(samples), logPolicy: await policy.logScore(samples), ...(onPolicy ? {} : { logProposal: logProbs }) };
}

test('on the whole support under a uniform q the estimators are exactly KL, TV and JS', async () => {
  const logProposal = new Float64Array(texts.length).fill(-Math.log(texts.length));
  for (const target of [pointwise, exponential]) {
    const { p } = await exact(target);
    const pi = policy.probabilities();
    const input = { logTarget: await target.logScore(support), logPolicy: await policy.logScore(support), logProposal };
    assert.ok(Math.abs(klTargetPolicy(input) - kl(p, pi)) < 1e-12);
    assert.ok(Math.abs(tvTargetPolicy(input) - tv(p, pi)) < 1e-12);
    assert.ok(Math.abs(jsTargetPolicy(input) - js(p, pi)) < 1e-12);
  }
});

test('off-policy and on-policy estimates converge to the exact divergences', async () => {
  const n = 100_000;
  const cases = [
    { target: pointwise, q: proposal, onPolicy: false },
    { target: exponential, q: proposal, onPolicy: false },
    { target: exponential, q: prior, onPolicy: false },
    { target: exponential, q: policy, onPolicy: true },
  ];
  for (const [k, { target, q, onPolicy }] of cases.entries()) {
    const { p } = await exact(target);
    const pi = policy.probabilities();
    const input = await inputs(target, q, n, 100 + k, onPolicy);
    // Tolerance: 5 standard errors of the per-sample terms with the exact p.
    const probsQ = q.probabilities();
    const at = (x: string): number => texts.indexOf(x);
    const { samples } = await q.sample(n, undefined, { random: new Random(100 + k) });
    const terms = {
      kl: samples.map((s) => { const i = at(s.text); return p[i]! === 0 ? 0 : (p[i]! / probsQ[i]!) * Math.log(p[i]! / pi[i]!); }),
      tv: samples.map((s) => { const i = at(s.text); return Math.abs(p[i]! - pi[i]!) / (2 * probsQ[i]!); }),
    };
    const klTol = 5 * sd(terms.kl) / Math.sqrt(n) + 5e-3;
    const tvTol = 5 * sd(terms.tv) / Math.sqrt(n) + 5e-3;
    assert.ok(Math.abs(klTargetPolicy(input) - kl(p, pi)) < klTol, `case ${k}: KL ${klTargetPolicy(input)} vs ${kl(p, pi)}`);
    assert.ok(Math.abs(tvTargetPolicy(input) - tv(p, pi)) < tvTol, `case ${k}: TV ${tvTargetPolicy(input)} vs ${tv(p, pi)}`);
    assert.ok(Math.abs(jsTargetPolicy(input) - js(p, pi)) < 0.01, `case ${k}: JS ${jsTargetPolicy(input)} vs ${js(p, pi)}`);
  }
});

test('a known log Z is used instead of the batch estimate', async () => {
  const { Z, p } = await exact(exponential);
  const input = await inputs(exponential, proposal, 2000, 7);
  const withExact = klTargetPolicy({ ...input, logZ: Math.log(Z) });
  const withWrong = klTargetPolicy({ ...input, logZ: Math.log(Z) + 1 });
  assert.ok(Math.abs(withExact - kl(p, policy.probabilities())) < 0.1);
  assert.notEqual(withExact, withWrong);
});

test('with no sample of positive target weight the divergences are NaN', () => {
  const input = { logTarget: Float64Array.of(-Infinity, -Infinity), logPolicy: Float64Array.of(-1, -2) };
  assert.ok(Number.isNaN(klTargetPolicy(input)) && Number.isNaN(tvTargetPolicy(input)) && Number.isNaN(jsTargetPolicy(input)));
});

test('mismatched lengths are refused', () => {
  assert.throws(() => klTargetPolicy({ logTarget: Float64Array.of(0), logPolicy: Float64Array.of(0, 0) }), /1 target log-scores but 2 policy log-probabilities/);
});
