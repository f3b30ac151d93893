// A run stopped and resumed from its checkpoint ends bit-identical to an uninterrupted
// one: weights, the strategy's tensors and state, both generators and the running
// estimates all travel in the checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CategoricalPolicy } from '../../src/distributions/categorical-policy.js';
import { ContextDistribution } from '../../src/distributions/context-distribution.js';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { readMetrics } from '../../src/runs/metrics.js';
import { FDPG } from '../../src/tuners/f-dpg.js';
import { AdaptiveKLController } from '../../src/tuners/kl-controller.js';
import { KLAdaptiveDPG } from '../../src/tuners/kl-dpg.js';
import { PPO } from '../../src/tuners/ppo.js';
import { DPG } from '../../src/tuners/dpg.js';
import type { Strategy } from '../../src/tuners/strategy.js';
import { Tuner, type TunerOptions } from '../../src/tuners/tuner.js';
import { PosteriorError } from '../../src/util/errors.js';
import { hasB } from '../distributions/toy.js';
import { conditionalPrior, conditionalTarget, countA, prior, quiet } from './toy.js';

const pointwise = prior.times(new BooleanFactor(hasB));

interface Case {
  name: string;
  strategy: (policy: CategoricalPolicy) => Strategy;
  options: Partial<TunerOptions>;
  conditional?: boolean;
}

const cases: Case[] = [
  { name: 'kl-dpg', strategy: (p) => new KLAdaptiveDPG(p, { interval: 2 }), options: { target: pointwise } },
  { name: 'f-dpg', strategy: () => new FDPG({ divergence: 'jensen-shannon' }), options: { target: pointwise } },
  { name: 'ppo', strategy: (p) => new PPO(p, { kl: new AdaptiveKLController({ initBeta: 0.1, target: 0.05, horizon: 500 }), minibatches: 2 }), options: { reward: countA, target: pointwise } },
  { name: 'conditional dpg', strategy: () => new DPG(), options: { target: conditionalTarget, contextsPerStep: 2 }, conditional: true },
];

async function run(c: Case, outDir: string, steps: number, resume: boolean): Promise<{ logits: Float64Array; strategyTensors: Float64Array[] }> {
  const base = c.conditional ? conditionalPrior : prior;
  const policy = CategoricalPolicy.from(base);
  const strategy = c.strategy(policy);
  const tuner = new Tuner({
    ...c.options, base, policy, strategy, steps, samplesPerContext: 16, seed: 3, optimizer: { lr: 0.1, gradClip: 1 }, outDir, checkpointInterval: 3,
    contexts: c.conditional ? new ContextDistribution(conditionalPrior.contexts()) : undefined, warn: () => {}, stream: quiet,
  });
  await tuner.run({ resume });
  const out = { logits: policy.logits.toFloat64Array(), strategyTensors: [...strategy.parameters().values(), ...strategy.buffers().values()].map((t) => t.toFloat64Array()) };
  tuner.dispose();
  policy.dispose();
  return out;
}

const stable = (dir: string) => readMetrics(join(dir, 'metrics.jsonl')).map(({ time: _t, ...m }) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('time/') && k !== 'samples_per_second')));

for (const c of cases) {
  test(`${c.name}: stopped after 3 steps and resumed, the run ends bit-identical to an uninterrupted one`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'posterior-tune-resume-'));
    const straight = await run(c, join(root, 'a'), 7, false);
    await run(c, join(root, 'b'), 3, false);
    const resumed = await run(c, join(root, 'b'), 7, true);
    assert.deepEqual(resumed.logits, straight.logits);
    assert.deepEqual(resumed.strategyTensors, straight.strategyTensors);
    assert.deepEqual(stable(join(root, 'b')), stable(join(root, 'a')));
    assert.ok(existsSync(join(root, 'b', 'checkpoint', 'weights.safetensors')));
  });
}

test('a fresh run refuses a directory that holds a run, and resuming needs a checkpoint', async () => {
  const root = mkdtempSync(join(tmpdir(), 'posterior-tune-resume-'));
  const c = cases[1]!;
  await run(c, join(root, 'a'), 2, false);
  await assert.rejects(run(c, join(root, 'a'), 4, false), (e: unknown) => e instanceof PosteriorError && /already holds a tuning run/.test(e.message));
  await assert.rejects(run(c, join(root, 'none'), 4, true), (e: unknown) => e instanceof PosteriorError && /does not exist/.test(e.message));
  // A checkpoint of another method does not fit this one's tensors.
  await assert.rejects(run(cases[2]!, join(root, 'a'), 4, true), (e: unknown) => e instanceof PosteriorError && /another policy or method/.test(e.message));
});
