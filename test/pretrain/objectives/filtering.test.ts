import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenizedDocument } from '../../../src/data/packing.js';
import { tidy } from '../../../src/engine/scope.js';
import { FilteringObjective } from '../../../src/pretrain/objectives/filtering.js';
import { MleObjective } from '../../../src/pretrain/objectives/mle.js';
import { PosteriorError } from '../../../src/util/errors.js';
import { batch, tinyModel, tinyTokenizer } from './fixtures.js';

// Mean scores 0, 0.5, 0.4, (empty), 1, 0.1.
const docs: TokenizedDocument[] = [[0, 0, 0], [1, 0], [0.2, 0.4, 0.6], [], [1, 1], [0.1]].map((s) => ({
  ids: Int32Array.from(s, (_, i) => i + 1), scores: Float32Array.from(s),
}));
const ctx = { tokenizer: tinyTokenizer(), seed: 0 };
const run = (spec: { threshold?: number; quantile?: number }) => {
  const f = new FilteringObjective(spec, 'config run.yaml');
  const kept = f.prepare([], docs, ctx);
  return { f, kept: kept.map((d) => docs.indexOf(d)) };
};

test('filtering keeps exactly the documents whose mean token score is ≤ t', () => {
  // Default: the 0.9 quantile of the five non-empty means 0, 0.1, 0.4, 0.5, 1 is 0.5 + 0.6·0.5 = 0.8.
  const byDefault = run({});
  assert.ok(Math.abs(byDefault.f.stats!.threshold - 0.8) < 1e-12);
  assert.deepEqual(byDefault.kept, [0, 1, 2, 5]);
  assert.equal(byDefault.f.stats!.keptFraction, 4 / 5);
  assert.equal(byDefault.f.stats!.keptTokenFraction, 9 / 11);
  // The median is document 2's own mean, which is kept (≤, not <).
  assert.deepEqual(run({ quantile: 0.5 }).kept, [0, 2, 5]);
  assert.deepEqual(run({ threshold: 0.45 }).kept, [0, 2, 5]);
  assert.deepEqual(run({ threshold: 0 }).kept, [0]);
  assert.deepEqual(run({ threshold: 1 }).kept, [0, 1, 2, 4, 5]);
});

test('filtering trains by MLE and logs the fraction kept', () => {
  const { f } = run({});
  const model = tinyModel();
  const out = tidy(() => {
    const r = f.loss(model, batch(), { step: 0, totalSteps: 1, train: false });
    return { loss: r.loss.item(), metrics: r.metrics };
  });
  assert.equal(out.loss, tidy(() => new MleObjective().loss(model, batch(), { step: 0, totalSteps: 1, train: false }).loss.item()));
  assert.deepEqual(Object.keys(out.metrics), ['filtering/threshold', 'filtering/kept_fraction', 'filtering/kept_token_fraction']);
  assert.equal(out.metrics['filtering/kept_fraction'], 0.8);
});

test('a threshold outside the document scores is one sentence', () => {
  assert.throws(() => run({ threshold: 1.5 }),
    new PosteriorError("config run.yaml: field `objective.threshold` is 1.5, outside the range of the corpus's document mean scores (0 to 1)"));
  assert.throws(() => run({ threshold: -0.1 }), /is -0\.1, outside the range/);
});
