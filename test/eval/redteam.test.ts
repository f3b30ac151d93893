import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed } from '../../src/engine/random.js';
import type { CorpusDocument } from '../../src/data/corpus.js';
import { evalModel } from '../../src/eval/eval-model.js';
import { drawFewShot, redTeam, seedPrompts, selectionProbabilities } from '../../src/eval/redteam.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { Random } from '../../src/util/random.js';

test('selection probabilities are exp(score/0.1), normalised', () => {
  const p = selectionProbabilities([0, 0.1, 0.2]);
  const z = 1 + Math.E + Math.E ** 2;
  [1 / z, Math.E / z, Math.E ** 2 / z].forEach((q, i) => assert.ok(Math.abs(p[i]! - q) < 1e-12));
  // Large scores do not overflow.
  assert.deepEqual(Array.from(selectionProbabilities([1000, 1000])), [0.5, 0.5]);
});

test('few-shot draws: the first ∝ exp(score/0.1), the next among the rest in the same proportions, never twice', () => {
  const scores = [0, 0.1, 0.2, 0.05, 0.3];
  const p = selectionProbabilities(scores);
  const rng = new Random(11);
  const n = 20_000;
  const first = new Array<number>(scores.length).fill(0);
  const pairs = new Map<string, number>();
  for (let t = 0; t < n; t++) {
    const [a, b] = drawFewShot(scores, 2, rng);
    assert.notEqual(a, b);
    first[a!]!++;
    pairs.set(`${a},${b}`, (pairs.get(`${a},${b}`) ?? 0) + 1);
  }
  const within = (count: number, q: number, what: string) => {
    const sd = Math.sqrt(n * q * (1 - q));
    assert.ok(Math.abs(count - n * q) < 4.5 * sd, `${what}: ${count} vs expected ${n * q}`);
  };
  first.forEach((c, i) => within(c, p[i]!, `first = ${i}`));
  // P(first = i, second = j) = p_i · p_j / (1 − p_i).
  for (const [i, j] of [[4, 2], [2, 4], [0, 1], [3, 4]] as const) within(pairs.get(`${i},${j}`) ?? 0, p[i]! * p[j]! / (1 - p[i]!), `pair ${i},${j}`);
  const four = drawFewShot(scores, 4, new Random(1));
  assert.equal(new Set(four).size, 4);
  assert.throws(() => drawFewShot([1, 2, 3], 4, new Random(1)), { message: 'the red-team pool has 3 prompts, fewer than the 4 few-shot examples a proposal needs' });
});

function doc(id: string, parts: [string, number][]): CorpusDocument {
  let start = 0;
  const segments = parts.map(([t, score]) => {
    const s = { start, end: start + t.length, score };
    start += t.length;
    return s;
  });
  return { id, source: 'test', text: parts.map(([t]) => t).join(''), segments, score: 0 };
}

const docs = [
  doc('a', [['Calm words here. ', 0], ['More calm. ', 0], ['Bad words! ', 0.5]]),
  doc('b', [['Opening line. ', 0], ['Fine. ', 0]]),
  doc('c', [['Hello there. ', 0], ['Rude! ', 0.2], ['Rude again! ', 0.3]]),
];

test('the pool is seeded with the segments before misaligned ones, then document openings', () => {
  assert.deepEqual(seedPrompts(docs, 10, 200), ['More calm. ', 'Hello there. ', 'Rude! ', 'Calm words here. ', 'Opening line. ']);
  assert.deepEqual(seedPrompts(docs, 2, 200), ['More calm. ', 'Hello there. ']);
  assert.deepEqual(seedPrompts(docs, 1, 6), ['calm. ']);
});

test('red-teaming logs the pool per round and repeats exactly with the same seed', async () => {
  // A small vocabulary: top-p sorts the whole vocabulary at every step.
  const tok = trainBpe(docs.map((d) => d.text), { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  manualSeed(0);
  const model = new GPT(gptConfig({ vocab_size: tok.vocabSize, n_positions: 256, n_embd: 8, n_layer: 1, n_head: 1, initializer_range: 0.5 })).initWeights();
  const m = evalModel('tiny', model, tok);
  // Share of the letter e: a misalignment score anyone can recompute.
  const scorer = { name: 'e-share', score: async (texts: readonly string[]) => Float64Array.from(texts, (t) => (t.length ? (t.match(/e/g)?.length ?? 0) / t.length : 0)) };
  const run = () => redTeam({ target: m, red: m, scorer, docs, rounds: 2, proposals: 3, continuations: 2, seedPrompts: 4, promptTokens: 8, seed: 5 });
  const a = await run();
  assert.equal(a.rounds.length, 3);
  assert.deepEqual(a.rounds.map((r) => r.poolSize), [4, 7, 10]);
  assert.deepEqual(a.pool.map((e) => e.round).sort(), [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
  const scores = a.pool.map((e) => e.score);
  const last = a.rounds[2]!;
  assert.equal(last.best, Math.max(...scores));
  assert.ok(Math.abs(last.poolMean - scores.reduce((s, x) => s + x, 0) / scores.length) < 1e-12);
  assert.ok(Math.abs(last.top10 - last.poolMean) < 1e-12); // a pool of 10: its top 10 is all of it
  const round2 = a.pool.filter((e) => e.round === 2).map((e) => e.score);
  assert.ok(Math.abs(last.roundMean - round2.reduce((s, x) => s + x, 0) / 3) < 1e-12);
  assert.ok(a.rounds[1]!.best >= a.rounds[0]!.best && last.best >= a.rounds[1]!.best);
  assert.deepEqual(await run(), a);
});
