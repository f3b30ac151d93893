// The loop with contexts when some prompt's completions all miss the target: the
// contexts with no estimate of Z_c yet are left out of the step's loss, the others
// train every step, and only a step where no context has a hit is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { Categorical } from '../../src/distributions/categorical.js';
import type { CategoricalPolicy } from '../../src/distributions/categorical-policy.js';
import { ConditionalCategorical } from '../../src/distributions/conditional-categorical.js';
import { ContextDistribution } from '../../src/distributions/context-distribution.js';
import { DPG } from '../../src/tuners/dpg.js';
import { FDPG } from '../../src/tuners/f-dpg.js';
import { KLAdaptiveDPG } from '../../src/tuners/kl-dpg.js';
import type { Strategy } from '../../src/tuners/strategy.js';
import { PosteriorError } from '../../src/util/errors.js';
import { containsContext, exactTarget, kl, maxAbsDiff, runToy, texts } from './toy.js';

/** Contexts a and b are reachable; no text contains "d", so context d never hits. */
const priorD = Categorical.fromWeights(texts, [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.06, 0.04]);
const prior = new ConditionalCategorical({
  a: Categorical.fromWeights(texts, [0.3, 0.2, 0.12, 0.1, 0.08, 0.1, 0.05, 0.05]),
  b: Categorical.fromWeights(texts, [0.05, 0.3, 0.05, 0.2, 0.1, 0.1, 0.1, 0.1]),
  d: priorD,
});
const target = prior.times(new BooleanFactor(containsContext));

/** Every prompt in every step, in order, so each step holds the context that never hits. */
class EveryPrompt extends ContextDistribution {
  override sample(n: number): string[] {
    return Array.from({ length: n }, (_, i) => this.contexts()[i % this.size]!);
  }
}

test('a context that never hits is left out of the loss while the others train every step', async () => {
  const strategies: [string, (pi: CategoricalPolicy) => Strategy][] = [
    ['dpg', () => new DPG()],
    ['kl-dpg', (pi) => new KLAdaptiveDPG(pi, { interval: 8 })],
    ['f-dpg (reverse-kl)', () => new FDPG({ divergence: 'reverse-kl' })],
  ];
  for (const [name, strategy] of strategies) {
    let steps = 0;
    const { policy, tuner } = await runToy({
      base: prior, target, contexts: new EveryPrompt(['a', 'b', 'd']), contextsPerStep: 3, samplesPerContext: 64, strategy, steps: 200, seed: 9,
      onStep: (step, m) => {
        steps++;
        assert.equal(m.skipped, 0, `${name}, step ${step}`);
        assert.equal(m.contexts_with_hits, 2 / 3, `${name}, step ${step}`);
        assert.ok(Number.isFinite(m.loss), `${name}, step ${step}: loss ${m.loss}`);
      },
    });
    assert.equal(steps, 200);
    for (const c of ['a', 'b']) {
      const { p } = await exactTarget(target, c);
      const d = kl(p, policy.probabilities(c));
      assert.ok(d < 0.01, `${name}, context ${c}: KL(p_c‖π_c) = ${d}`);
    }
    // No gradient ever reached π(·|d): AdamW (no weight decay) leaves its logits where they started.
    assert.ok(maxAbsDiff(policy.probabilities('d'), priorD.probabilities()) < 1e-6, `${name}: π(·|d) moved`);
    tuner.dispose();
    policy.dispose();
  }
});

test('with contexts, a run where no context ever hits still stops after maxEmptySteps', async () => {
  const never = new ConditionalCategorical({ d: Categorical.fromWeights(texts, [1, 1, 1, 1, 1, 1, 1, 1]), e: Categorical.fromWeights(texts, [1, 1, 1, 1, 1, 1, 1, 1]) });
  await assert.rejects(
    runToy({ base: never, target: never.times(new BooleanFactor(containsContext)), contexts: new EveryPrompt(['d', 'e']), contextsPerStep: 2, samplesPerContext: 16, strategy: () => new DPG(), steps: 50, maxEmptySteps: 5 }),
    (e: unknown) => e instanceof PosteriorError && /no sample of the last 5 steps \(160 samples\) has positive weight/.test(e.message),
  );
});
