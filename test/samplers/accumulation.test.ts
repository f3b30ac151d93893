import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Distribution, SampleOptions, Sampled } from '../../src/distributions/distribution.js';
import { accumulate } from '../../src/samplers/accumulation.js';
import { Random } from '../../src/util/random.js';
import { prior } from '../distributions/toy.js';

/** Wraps a distribution and records each requested batch size. */
function spy(d: Distribution): { dist: Distribution; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    dist: {
      sample: (n: number, c?: string, o?: SampleOptions) => {
        calls.push(n);
        return d.sample(n, c, o);
      },
      logScore: (s, c) => d.logScore(s, c),
    },
  };
}

test('draws batches until exactly N samples, never more than needed', async () => {
  const { dist, calls } = spy(prior);
  const out = await accumulate(dist, 150, { random: new Random(1), batchSize: 64 });
  assert.deepEqual(calls, [64, 64, 22]);
  assert.equal(out.samples.length, 150);
  assert.equal(out.drawn, 150);
  assert.deepEqual(Array.from(out.logProbs), Array.from(await prior.logScore(out.samples)));
  const again = await accumulate(prior, 150, { random: new Random(1), batchSize: 64 });
  assert.deepEqual(again.samples, out.samples);
});

test('a selection keeps some of each batch; the kept samples are the first accepted, in order', async () => {
  const seen: Sampled[] = [];
  const out = await accumulate(prior, 10, { random: new Random(2), batchSize: 4 }, async (batch) => {
    seen.push(batch);
    return batch.samples.map((s) => s.text.includes('b'));
  });
  const expected = seen.flatMap((b) => b.samples).filter((s) => s.text.includes('b')).slice(0, 10);
  assert.deepEqual(out.samples, expected);
  assert.equal(out.drawn, 4 * seen.length);
});

test('a selection that never accepts stops at the draw budget with one sentence', async () => {
  await assert.rejects(
    accumulate(prior, 5, { random: new Random(3), batchSize: 16, maxDraws: 100 }, async (batch) => batch.samples.map(() => false)),
    /after 100 proposals only 0 of the 5 samples requested were accepted \(acceptance rate 0.00\); raise maxDraws, or use a proposal closer to the target\./,
  );
});

test('a proposal that returns the wrong number of samples is caught', async () => {
  const broken: Distribution = { sample: async (n) => prior.sample(n + 1), logScore: (s) => prior.logScore(s) };
  await assert.rejects(accumulate(broken, 3, { random: new Random(4) }), /returned 4 samples and 4 log-probabilities when asked for 3/);
  await assert.rejects(accumulate(prior, 3, { random: new Random(4), batchSize: 0 }), /batch size must be a positive integer/);
});
