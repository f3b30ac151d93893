import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveKLController, FixedKLController } from '../../src/tuners/kl-controller.js';
import { PosteriorError } from '../../src/util/errors.js';

test('the adaptive controller follows Ziegler et al.: β ← β(1 + clip((KL − target)/target, ±0.2)·n/horizon)', () => {
  const c = new AdaptiveKLController({ initBeta: 0.1, target: 6, horizon: 10_000 });
  // Above target by 1/12: proportional error 1/12, within the clip.
  c.update(6.5, 64);
  let beta = 0.1 * (1 + (0.5 / 6) * (64 / 10_000));
  assert.equal(c.beta, beta);
  // Far above: the error clips at +0.2.
  c.update(60, 256);
  beta *= 1 + 0.2 * (256 / 10_000);
  assert.equal(c.beta, beta);
  // Far below: clips at −0.2.
  c.update(0, 1000);
  beta *= 1 - 0.2 * (1000 / 10_000);
  assert.equal(c.beta, beta);
  // At target: unchanged; a non-finite measurement is ignored.
  c.update(6, 512);
  c.update(NaN, 512);
  assert.equal(c.beta, beta);
  // It restores from its state.
  const d = new AdaptiveKLController({ initBeta: 1, target: 6, horizon: 10_000 });
  d.load(c.state());
  d.update(7, 64);
  c.update(7, 64);
  assert.equal(d.beta, c.beta);
});

test('the adaptive controller drives the KL towards its target', () => {
  // A toy response: the policy's KL falls as β grows, KL = 1/β.
  const c = new AdaptiveKLController({ initBeta: 0.05, target: 4, horizon: 1000 });
  for (let i = 0; i < 2000; i++) c.update(1 / c.beta, 64);
  assert.ok(Math.abs(1 / c.beta - 4) < 0.1, `KL settles at ${1 / c.beta}`);
});

test('a fixed controller never moves, and bad settings are one sentence', () => {
  const f = new FixedKLController(0.2);
  f.update(100, 64);
  assert.equal(f.beta, 0.2);
  assert.throws(() => new FixedKLController(-1), PosteriorError);
  assert.throws(() => new AdaptiveKLController({ initBeta: 0.1, target: 0, horizon: 10 }), /target KL must be positive/);
});
