// A reward given as a list of features is their product: for 0/1 features, 1 only
// where every one holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReward, featureSchema } from '../../src/tuners/feature-spec.js';

test('a list of features rewards their product', async () => {
  const texts = ['the cat sat', 'a cat ran', 'the dog sat'];
  const both = await buildReward(featureSchema.array().parse([{ contains: 'cat' }, { contains: 'sat' }]));
  assert.deepEqual(Array.from(await both.score(texts)), [1, 0, 0]);
  const one = await buildReward(featureSchema.parse({ contains: 'cat' }));
  assert.deepEqual(Array.from(await one.score(texts)), [1, 1, 0]);
});
