import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmupCosine } from '../../src/pretrain/schedule.js';
import { PosteriorError } from '../../src/util/errors.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-15 * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test('warmup rises linearly to lr, then a half cosine falls to min_lr', () => {
  const lr = 1e-3, minLr = 1e-4, W = 10, N = 110;
  const s = warmupCosine({ lr, minLr, warmupSteps: W, totalSteps: N });
  for (let k = 0; k < W; k++) close(s(k), (lr * (k + 1)) / W);
  close(s(W), lr); // the top of the cosine
  close(s(W + 50), (lr + minLr) / 2); // half way down
  close(s(W + 25), minLr + 0.5 * (lr - minLr) * (1 + Math.SQRT1_2));
  close(s(N - 1), minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * 99 / 100)));
  close(s(N), minLr);
  close(s(N + 7), minLr);
  for (let k = W; k < N - 1; k++) assert.ok(s(k + 1) < s(k), `not decreasing at ${k}`);
});

test('no warmup starts at lr; warmup as long as the run stays in warmup', () => {
  close(warmupCosine({ lr: 2, minLr: 0, warmupSteps: 0, totalSteps: 4 })(0), 2);
  close(warmupCosine({ lr: 2, minLr: 0, warmupSteps: 0, totalSteps: 4 })(2), 1);
  const s = warmupCosine({ lr: 1, minLr: 0.5, warmupSteps: 8, totalSteps: 4 });
  close(s(3), 0.5);
});

test('min_lr above lr is refused with a sentence', () => {
  assert.throws(() => warmupCosine({ lr: 1e-4, minLr: 1e-3, warmupSteps: 0, totalSteps: 10 }), (e: Error) => e instanceof PosteriorError && /min_lr/.test(e.message));
});
