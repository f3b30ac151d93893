import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockStream, epochOrder, gatherBlocks, IGNORE, packDocuments, sequentialBatches } from '../../src/data/packing.js';
import { PosteriorError } from '../../src/util/errors.js';

const EOS = 0;
const doc = (...ids: number[]) => ({ ids: Int32Array.from(ids) });

test('documents are joined as EOS d1 EOS d2 EOS, skipping empty ones', () => {
  const c = packDocuments([doc(1, 2, 3), doc(), doc(4, 5)], { blockSize: 4, eosId: EOS });
  assert.deepEqual([...c.tokens], [0, 1, 2, 3, 0, 4, 5, 0]);
  assert.equal(c.documents, 2);
  assert.equal(c.scores, null);
  // 7 targets in blocks of 4: two blocks, the second padded.
  assert.equal(c.numBlocks, 2);
});

test('blocks overlap by one token so that every token after the first is a target exactly once', () => {
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  const c = packDocuments([doc(...ids.slice(0, 9)), doc(...ids.slice(9))], { blockSize: 5, eosId: EOS });
  const stream = [...c.tokens];
  const b = gatherBlocks(c, Array.from({ length: c.numBlocks }, (_, i) => i));
  const targets: number[] = [];
  for (let r = 0; r < c.numBlocks; r++) {
    for (let t = 0; t < 5; t++) {
      const tgt = b.target[r * 5 + t]!;
      if (tgt === IGNORE) continue;
      // The target is the token right after the input token.
      assert.equal(tgt, stream[stream.indexOf(b.input[r * 5 + t]!, r * 5 + t) + 1]);
      targets.push(tgt);
    }
  }
  assert.deepEqual(targets, stream.slice(1));
  assert.equal(b.tokens, stream.length - 1);
  // The input of block 1 starts with the last target of block 0.
  assert.equal(b.input[5], b.target[4]);
});

test('the tail block is padded: inputs with EOS, targets with IGNORE', () => {
  const c = packDocuments([doc(1, 2, 3, 4, 5)], { blockSize: 4, eosId: 9 });
  // stream 9 1 2 3 4 5 9: 6 targets → blocks of 4 and 2
  const b = gatherBlocks(c, [1]);
  assert.deepEqual([...b.input], [4, 5, 9, 9]);
  assert.deepEqual([...b.target], [5, 9, IGNORE, IGNORE]);
  assert.equal(b.tokens, 2);
});

test('per-token scores travel with their tokens; the EOS after a document takes its last score', () => {
  const c = packDocuments([
    { ids: Int32Array.of(1, 2), scores: Float32Array.of(0.5, 0.25) },
    { ids: Int32Array.of(3), scores: Float32Array.of(1) },
  ], { blockSize: 8, eosId: EOS });
  assert.deepEqual([...c.scores!], [0, 0.5, 0.25, 0.25, 1, 1]);
  const b = gatherBlocks(c, [0]);
  assert.deepEqual([...b.scores!], [0.5, 0.25, 0.25, 1, 1, 0, 0, 0]);
  // One unscored document makes the whole corpus unscored.
  assert.equal(packDocuments([{ ids: Int32Array.of(1), scores: Float32Array.of(0) }, doc(2)], { blockSize: 2, eosId: EOS }).scores, null);
});

test('epoch orders are permutations, fixed by (seed, epoch) and different across epochs and seeds', () => {
  const a = epochOrder(50, 7, 0);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(a, epochOrder(50, 7, 0));
  assert.notDeepEqual(a, epochOrder(50, 7, 1));
  assert.notDeepEqual(a, epochOrder(50, 8, 0));
});

test('a stream visits every block once per epoch, and seeking to a saved position replays it', () => {
  const c = packDocuments([doc(...Array.from({ length: 69 }, (_, i) => 1 + (i % 13)))], { blockSize: 7, eosId: EOS });
  assert.equal(c.numBlocks, 10);
  const s = new BlockStream(c, 3);
  const firstRows = (n: number) => {
    const b = s.next(n);
    return Array.from({ length: n }, (_, r) => b.input.slice(r * 7, r * 7 + 7).join(','));
  };
  const epoch0 = [...firstRows(4), ...firstRows(4)];
  const saved = s.position;
  assert.deepEqual(saved, { epoch: 0, index: 8 });
  const across = firstRows(4); // 2 from epoch 0, 2 from epoch 1
  assert.deepEqual(s.position, { epoch: 1, index: 2 });
  assert.equal(new Set([...epoch0, ...across.slice(0, 2)]).size, 10);
  const resumed = new BlockStream(c, 3, saved);
  const b = resumed.next(4);
  assert.deepEqual(Array.from({ length: 4 }, (_, r) => b.input.slice(r * 7, r * 7 + 7).join(',')), across);
});

test('sequential batches cover the first blocks in order', () => {
  const c = packDocuments([doc(...Array.from({ length: 30 }, (_, i) => i + 1))], { blockSize: 4, eosId: EOS });
  const batches = [...sequentialBatches(c, 3, 5)];
  assert.deepEqual(batches.map((b) => b.batchSize), [3, 2]);
  assert.deepEqual([...batches[1]!.input.slice(0, 4)], [...c.tokens.slice(12, 16)]);
});

test('an empty corpus and a bad position are refused with sentences', () => {
  const empty = packDocuments([doc()], { blockSize: 4, eosId: EOS });
  assert.equal(empty.numBlocks, 0);
  assert.throws(() => new BlockStream(empty, 0), PosteriorError);
  const c = packDocuments([doc(1, 2, 3)], { blockSize: 2, eosId: EOS });
  assert.throws(() => new BlockStream(c, 0, { epoch: 0, index: 5 }), /does not fit a corpus of 2 blocks/);
});
