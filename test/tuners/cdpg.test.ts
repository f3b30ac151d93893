// CDPG against the enumerable conditional toy: the per-context estimate of Z_c (with ε
// added to b, SPEC §7) and the gradient of E_c KL(p_c‖π_c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CategoricalPolicy } from '../../src/distributions/categorical-policy.js';
import { DPG } from '../../src/tuners/dpg.js';
import { PartitionEstimate } from '../../src/tuners/partition-estimate.js';
import { groupByContext, type Rollout } from '../../src/tuners/rollout.js';
import { Random } from '../../src/util/random.js';
import { conditionalPrior, conditionalTarget, exactTarget, logitGrad, maxAbsDiff, support, texts } from './toy.js';

const contexts = conditionalPrior.contexts();
const K = texts.length;

/** Every (context, text) pair once, under a uniform proposal per context. */
async function exhaustive(policy: CategoricalPolicy, epsilon: number): Promise<Rollout> {
  const samples = contexts.flatMap(() => support);
  const perSample = contexts.flatMap((c) => new Array<string>(K).fill(c));
  const n = samples.length;
  const groups = groupByContext(perSample, n);
  const logProposal = new Float64Array(n).fill(-Math.log(K));
  const logBase = await conditionalPrior.logScore(samples, perSample);
  const logTarget = await conditionalTarget.logScore(samples, perSample);
  const logZ = new PartitionEstimate({ kind: 'per-context', epsilon }).estimate({ logTarget, logBase, logProposal, contexts: perSample, groups });
  return { samples, contexts: perSample, groups, logProposal, logBase, logTarget, logZ, logPolicy: await policy.logScore(samples, perSample) };
}

test('the per-context estimate is Z_c + ε exactly on the whole support, and converges to it from samples of a(·|c)', async () => {
  const epsilon = 1e-4;
  const r = await exhaustive(CategoricalPolicy.from(conditionalPrior), epsilon);
  for (const [k, c] of contexts.entries()) {
    const { logZ } = await exactTarget(conditionalTarget, c);
    assert.ok(Math.abs(Math.exp(r.logZ![k * K]!) - (Math.exp(logZ) + epsilon)) < 1e-12, `context ${c}`);
  }
  // From samples: Ẑ_c = mean (P + ε·a)/q with x ~ q = a(·|c).
  const random = new Random(11);
  for (const c of contexts) {
    const n = 50_000;
    const { samples, logProbs } = await conditionalPrior.sample(n, c, { random });
    const logTarget = await conditionalTarget.logScore(samples, c);
    const estimate = new PartitionEstimate({ kind: 'per-context', epsilon: 0.01 }).estimate({
      logTarget, logBase: logProbs, logProposal: logProbs, contexts: new Array<string>(n).fill(c), groups: [Array.from({ length: n }, (_, i) => i)],
    });
    const Z = Math.exp((await exactTarget(conditionalTarget, c)).logZ);
    const se = Math.sqrt((Z * (1 - Z)) / n);
    assert.ok(Math.abs(Math.exp(estimate[0]!) - (Z + 0.01)) < 5 * se, `context ${c}: ${Math.exp(estimate[0]!)} vs ${Z + 0.01}`);
  }
});

test('a context whose samples all miss the constraint still gets a finite Z_c = ε·mean(a/q)', async () => {
  const { samples, logProbs } = await conditionalPrior.sample(16, 'c', { random: new Random(2) });
  const misses = samples.filter((s) => !s.text.includes('c'));
  const n = misses.length;
  const logBase = await conditionalPrior.logScore(misses, 'c');
  const estimate = new PartitionEstimate({ kind: 'per-context', epsilon: 1e-4 }).estimate({
    logTarget: new Float64Array(n).fill(-Infinity), logBase, logProposal: logBase, contexts: new Array<string>(n).fill('c'), groups: [Array.from({ length: n }, (_, i) => i)],
  });
  assert.ok(logProbs.length === 16 && n > 0);
  assert.ok(Math.abs(estimate[0]! - Math.log(1e-4)) < 1e-12);
});

test('the CDPG loss has the gradient of the context-averaged KL(p_c‖π_c), up to the ε in Z_c', async () => {
  for (const epsilon of [0, 1e-4]) {
    const policy = new CategoricalPolicy(texts, { contexts, logits: Array.from({ length: contexts.length * K }, (_, i) => Math.sin(i)) });
    const r = await exhaustive(policy, epsilon);
    new DPG().loss(r, policy.logProbTensor(r.samples, r.contexts)).loss.backward();
    const grad = logitGrad(policy);
    for (const [k, c] of contexts.entries()) {
      const { p, logZ } = await exactTarget(conditionalTarget, c);
      const pi = policy.probabilities(c);
      // Row c of ∇ (1/C) Σ_c KL(p_c‖π_c) is (π_c − p_c)/C; dividing by Z_c + ε instead of Z_c scales it by s = Z_c/(Z_c + ε).
      const s = Math.exp(logZ) / (Math.exp(logZ) + epsilon);
      const expected = pi.map((x, i) => (s * (x - p[i]!)) / contexts.length);
      const row = grad.subarray(k * K, (k + 1) * K);
      assert.ok(maxAbsDiff(row, expected) < 2e-6, `ε ${epsilon}, context ${c}: ${Array.from(row)} vs ${Array.from(expected)}`);
      if (epsilon > 0) assert.ok(maxAbsDiff(row, pi.map((x, i) => (x - p[i]!) / contexts.length)) < 1e-3);
    }
    policy.dispose();
  }
});

test('the pooled running estimate is one Z for every context: the mean of the Z_c under a uniform τ', async () => {
  const r = await exhaustive(CategoricalPolicy.from(conditionalPrior), 0);
  const perSample = r.contexts!;
  const pooled = new PartitionEstimate({ kind: 'running', pooled: true }).estimate({ ...r, logTarget: r.logTarget!, contexts: perSample });
  const zs = await Promise.all(contexts.map(async (c) => Math.exp((await exactTarget(conditionalTarget, c)).logZ)));
  const mean = zs.reduce((s, z) => s + z, 0) / zs.length;
  assert.ok(pooled.every((lz) => Math.abs(Math.exp(lz) - mean) < 1e-12), `${Array.from(pooled, Math.exp)} vs ${mean}`);
  assert.ok(new Set(zs.map((z) => z.toFixed(6))).size > 1, 'the toy must have different Z_c for the test to mean anything');
});
