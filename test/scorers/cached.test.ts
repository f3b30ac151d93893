import { it } from 'node:test';
import assert from 'node:assert/strict';
import { cachedScorer } from '../../src/scorers/cached.js';
import { exponentialScorer } from '../../src/scorers/exponential.js';
import { hasLogScore } from '../../src/scorers/log-score.js';
import type { Scorer } from '../../src/scorers/scorer.js';

/** Scores a text by its length and records every text it was asked about. */
function recording(): Scorer & { seen: string[] } {
  const seen: string[] = [];
  return {
    name: 'length',
    seen,
    async score(texts, contexts) {
      seen.push(...texts.map((t, i) => (contexts ? `${contexts[i]}|${t}` : t)));
      return Float64Array.from(texts, (t, i) => t.length + (contexts?.[i]?.length ?? 0) * 100);
    },
  };
}

it('scores each distinct (text, context) once, within and across batches', async () => {
  const inner = recording();
  const cached = cachedScorer(inner);
  assert.deepEqual([...(await cached.score(['a', 'bb', 'a', 'bb', 'ccc']))], [1, 2, 1, 2, 3]);
  assert.deepEqual([...(await cached.score(['ccc', 'dddd', 'a']))], [3, 4, 1]);
  assert.deepEqual(inner.seen, ['a', 'bb', 'ccc', 'dddd']);
  assert.equal(cached.misses, 4);
  // the same text in another context, or with no context versus an empty one, is another key
  assert.deepEqual([...(await cached.score(['a', 'a', 'a'], ['x', '', 'x']))], [101, 1, 101]);
  assert.deepEqual(inner.seen.slice(4), ['x|a', '|a']);
  // strings with different lone surrogates are different texts
  await cached.score(['\ud800', '\ud801']);
  assert.equal(cached.misses, 8);
});

it('shares a batch still in flight with a concurrent caller', async () => {
  const inner = recording();
  const cached = cachedScorer(inner);
  const [a, b] = await Promise.all([cached.score(['x', 'y']), cached.score(['y', 'x', 'z'])]);
  assert.deepEqual([...a, ...b], [1, 1, 1, 1, 1]);
  assert.deepEqual(inner.seen, ['x', 'y', 'z']);
});

it('forgets a failed batch and keeps at most maxEntries results', async () => {
  let fail = true;
  const flaky: Scorer = {
    name: 'flaky',
    async score(texts) {
      if (fail) throw new Error('down');
      return Float64Array.from(texts, (t) => t.length);
    },
  };
  const cached = cachedScorer(flaky, { maxEntries: 2 });
  await assert.rejects(cached.score(['a']), /down/);
  fail = false;
  assert.deepEqual([...(await cached.score(['a', 'bb', 'ccc']))], [1, 2, 3]);
  assert.equal(cached.misses, 4);
  await cached.score(['bb', 'ccc']); // the two most recent are kept
  assert.equal(cached.misses, 4);
  await cached.score(['a']);
  assert.equal(cached.misses, 5);
});

it('caches the log-score of a scorer that has one', async () => {
  const inner = recording();
  const cached = cachedScorer(exponentialScorer(inner, 2));
  assert.ok(hasLogScore(cached));
  assert.deepEqual([...(await cached.logScore(['ab', 'ab']))], [4, 4]);
  assert.deepEqual([...(await cached.logScore(['ab']))], [4]);
  assert.equal(inner.seen.length, 1);
  assert.ok(!hasLogScore(cachedScorer(recording())));
});
