// Bad input stops a tuning run with one sentence that names the culprit; a run with
// an output directory also says where its last good checkpoint is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { CategoricalPolicy } from '../../src/distributions/categorical-policy.js';
import type { Distribution } from '../../src/distributions/distribution.js';
import { DPG } from '../../src/tuners/dpg.js';
import { Reinforce } from '../../src/tuners/reinforce.js';
import { Tuner } from '../../src/tuners/tuner.js';
import { PosteriorError } from '../../src/util/errors.js';
import { scorer } from '../distributions/toy.js';
import { prior, quiet, runToy } from './toy.js';

const oneSentence = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof PosteriorError, `expected a PosteriorError, got ${String(e)}`);
  assert.match(e.message, pattern);
  assert.ok(!e.message.includes('\n'), 'one line');
  return true;
};

test('a reward scorer that returns NaN stops the run, naming the scorer and the last checkpoint', async () => {
  let calls = 0;
  const flaky = scorer('flaky', (t) => (++calls > 100 ? NaN : t.length));
  const outDir = join(mkdtempSync(join(tmpdir(), 'posterior-tune-bad-')), 'run');
  await assert.rejects(
    runToy({ reward: flaky, strategy: () => new Reinforce(), steps: 10, samplesPerContext: 16, outDir, checkpointInterval: 5 }),
    oneSentence(/flaky.*returned NaN.*; the last checkpoint \(step 5\) is kept in .*checkpoint\.$/),
  );
});

test('a target factor whose scorer returns NaN is refused the same way', async () => {
  const target = prior.times(new BooleanFactor(scorer('broken', () => NaN)));
  await assert.rejects(runToy({ target, strategy: () => new DPG(), steps: 3, samplesPerContext: 8 }), oneSentence(/broken.*returned NaN/));
});

test('a target that no sample satisfies stops after maxEmptySteps, saying why', async () => {
  const target = prior.times(new BooleanFactor(scorer('never', () => 0)));
  await assert.rejects(
    runToy({ target, strategy: () => new DPG(), steps: 50, samplesPerContext: 32, maxEmptySteps: 5 }),
    oneSentence(/no sample of the last 5 steps \(160 samples\) has positive weight under the target/),
  );
});

test('a base or proposal with a different tokenizer than the policy is refused', () => {
  const policy = Object.assign(CategoricalPolicy.from(prior), { tokenizerFingerprint: 'bpe-8192-abc' });
  const otherBase: Distribution & { tokenizerFingerprint: string } = { tokenizerFingerprint: 'gpt2-50257', sample: prior.sample.bind(prior), logScore: prior.logScore.bind(prior) };
  assert.throws(
    () => new Tuner({ policy, base: otherBase, target: prior.times(), strategy: new DPG(), steps: 1, optimizer: { lr: 0.1 }, stream: quiet }),
    oneSentence(/the base uses a different tokenizer than the policy/),
  );
  policy.dispose();
});

test('a method without the input it needs is refused before any step', () => {
  const policy = CategoricalPolicy.from(prior);
  assert.throws(() => new Tuner({ policy, base: prior, strategy: new Reinforce(), steps: 1, optimizer: { lr: 0.1 } }), oneSentence(/reinforce needs a reward scorer/));
  assert.throws(() => new Tuner({ policy, base: prior, strategy: new DPG(), steps: 1, optimizer: { lr: 0.1 } }), oneSentence(/dpg needs a target/));
  assert.throws(() => new Tuner({ policy, base: prior, target: prior.times(), strategy: new DPG(), steps: 1, contextsPerStep: 4, optimizer: { lr: 0.1 } }), oneSentence(/without contexts/));
  policy.dispose();
});
