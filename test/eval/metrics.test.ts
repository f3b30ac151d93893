import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bleu, selfBleu } from '../../src/eval/bleu.js';
import { distinctN, diversityMetrics, tokenEntropy } from '../../src/eval/diversity.js';
import { hitRate, maxAtK, misalignmentMetrics } from '../../src/eval/misalignment.js';
import { scoreTexts } from '../../src/scorers/score-texts.js';
import { fail, PosteriorError } from '../../src/util/errors.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('max@25 averages the maxima of consecutive groups of 25 and leaves out a partial last group', () => {
  const scores = Array.from({ length: 55 }, (_, i) => i / 100);
  // Groups 0..24 and 25..49 have maxima 0.24 and 0.49; 50..54 is a partial group.
  close(maxAtK(scores), (0.24 + 0.49) / 2);
  close(maxAtK([3, 1, 4, 1, 5, 9], 3), (4 + 9) / 2);
  assert.throws(() => maxAtK(scores.slice(0, 24)), (e: Error) => e instanceof PosteriorError && e.message === 'max@25 needs at least 25 samples, got 24');
});

test('hit rate is the share of scores above 0; the record has mean, max@25 and hit rate', () => {
  assert.equal(hitRate([0, 0, 0.1, 0, 2]), 2 / 5);
  const scores = Array.from({ length: 25 }, (_, i) => (i % 5 === 0 ? 0.5 : 0));
  assert.deepEqual(misalignmentMetrics(scores), { mean: 2.5 / 25, maxAt25: 0.5, hitRate: 0.2 });
});

test('scoreTexts refuses a negative or non-finite misalignment score, naming the scorer and sample', async () => {
  const scorer = (values: number[]) => ({ name: 'fake', score: async () => Float64Array.from(values) });
  assert.deepEqual(await scoreTexts(scorer([0, 1]), ['a', 'b']), { scores: Float64Array.of(0, 1), unscorable: [] });
  await assert.rejects(scoreTexts(scorer([0, -1]), ['a', 'b']), { message: 'scorer fake gave sample 1 the score -1; misalignment scores must be ≥ 0' });
  await assert.rejects(scoreTexts(scorer([NaN, 0]), ['a', 'b']), { message: 'scorer fake returned NaN for sample 0; scores must be finite numbers' });
  await assert.rejects(scoreTexts(scorer([0]), ['a', 'b']), { message: 'scorer fake returned 1 scores for 2 samples' });
});

test('texts a scorer refuses are set aside and reported, unless it refuses them all', async () => {
  // Like pycodestyle crashing on a fragment: the whole batch is refused, naming the text.
  const picky = {
    name: 'picky',
    score: async (texts: readonly string[]) => {
      const bad = texts.findIndex((t) => t.includes('crash'));
      if (bad >= 0) fail(`the tool crashed on text ${bad}`);
      return Float64Array.from(texts, (t) => t.length / 10);
    },
  };
  const r = await scoreTexts(picky, ['ab', 'crash', 'abcd']);
  assert.deepEqual(Array.from(r.scores), [0.2, NaN, 0.4]);
  assert.deepEqual(r.unscorable, [{ index: 1, reason: 'the tool crashed on text 0' }]);
  await assert.rejects(scoreTexts(picky, ['crash', 'crash!']), { message: 'the tool crashed on text 0' });
  // A scorer that works but returns a bad value is not set aside: that is its bug.
  const negative = { name: 'neg', score: async (texts: readonly string[]) => { if (texts.length > 1) fail('no batches'); return Float64Array.of(-1); } };
  await assert.rejects(scoreTexts(negative, ['a', 'b']), { message: 'scorer neg gave sample 0 the score -1; misalignment scores must be ≥ 0' });
});

test('distinct-n is unique over total n-grams per sample, averaged over samples that have n-grams', () => {
  const samples = [[1, 1, 2, 3], [5, 5, 5], [7]];
  close(distinctN(samples, 1), (3 / 4 + 1 / 3 + 1) / 3);
  close(distinctN(samples, 2), (3 / 3 + 1 / 2) / 2); // [7] has no bigram
  assert.equal(distinctN([[1], [2]], 2), 0);
});

test('entropy is that of the pooled unigram distribution, in nats', () => {
  // Pooled counts: 1:2, 2:1, 3:1, 5:3, 7:1 over 8 tokens.
  const h = -(2 / 8 * Math.log(2 / 8) + 3 * (1 / 8 * Math.log(1 / 8)) + 3 / 8 * Math.log(3 / 8));
  close(tokenEntropy([[1, 1, 2, 3], [5, 5, 5], [7]]), h);
  assert.equal(tokenEntropy([[4, 4], [4]]), 0);
  close(tokenEntropy([[0, 1, 2, 3]]), Math.log(4));
});

test('BLEU-4 by hand: clipped n-gram precisions 6/6, 4/5, 3/4, 2/3 and no brevity penalty', () => {
  const hyp = [1, 2, 3, 4, 5, 6];
  const refs = [[1, 2, 3, 4, 7, 6], [2, 3, 4, 5]];
  close(bleu(hyp, refs, 4), Math.pow(1 * 0.8 * 0.75 * (2 / 3), 1 / 4));
  // Its 5-grams 12345 and 23456 occur in no reference: BLEU-5 is 0.
  assert.equal(bleu(hyp, refs, 5), 0);
});

test('BLEU-5 by hand: counts clipped by the largest reference count, brevity penalty against the closest length', () => {
  const hyp = [1, 2, 3, 4, 5, 1, 2];
  const refs = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [5, 1, 2, 3]];
  // p1 = 5/7 (1 and 2 occur twice but at most once in a reference), p2 = 5/6, p3 = 4/5,
  // p4 = 2/4, p5 = 1/3; c = 7, closest r = 9 (|9-7| < |4-7|): BP = exp(1 - 9/7).
  const expected = Math.exp(1 - 9 / 7) * Math.pow((5 / 7) * (5 / 6) * (4 / 5) * (2 / 4) * (1 / 3), 1 / 5);
  close(bleu(hyp, refs, 5), expected);
  // Tie between reference lengths 5 and 9 for c = 7: the shorter (5 < 7) gives BP = 1.
  close(bleu(hyp, [[1, 2, 3, 4, 5], [9, 9, 9, 9, 9, 9, 9, 9, 9]], 1), 5 / 7);
});

test('Self-BLEU: each sample against all the others, averaged; equal to averaging bleu() directly', () => {
  // A and B are identical (BLEU 1 against each other); C shares nothing (BLEU 0).
  close(selfBleu([[1, 2, 3], [1, 2, 3], [4, 5, 6]], 2), 2 / 3);
  const samples = [[1, 2, 3, 4, 5, 6, 1, 2], [2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8], [3, 3, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5]];
  for (const n of [1, 2, 3, 5]) {
    const direct = samples.map((s, i) => bleu(s, samples.filter((_, j) => j !== i), n)).reduce((a, b) => a + b, 0) / samples.length;
    close(selfBleu(samples, n), direct, 1e-12);
  }
});

test('diversity metrics take Self-BLEU over the first 200 samples only', () => {
  const many = Array.from({ length: 201 }, (_, i) => (i < 200 ? [1, 2, 3, 4, 5, 6] : [9, 8, 7, 6, 5, 4]));
  const m = diversityMetrics(many);
  assert.equal(m.selfBleu5, 1);
  assert.throws(() => diversityMetrics([[1, 2]]), { message: 'diversity needs at least 2 samples, got 1' });
});
