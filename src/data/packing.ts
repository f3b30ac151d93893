// Packing a tokenised corpus into training blocks. Documents are joined into one
// stream `EOS d1 EOS d2 EOS …` (so every document starts after an EOS, which is also
// the prompt for unconditional sampling) and cut into blocks of blockSize+1 tokens
// that overlap by one: block i holds stream[i·T .. i·T+T], its input is the first T
// tokens and its target the last T, so every token after the first is a target
// exactly once. The tail becomes a last block padded with IGNORE targets.
//
// Each epoch visits the blocks in a permutation that depends only on (seed, epoch),
// so the data position is just {epoch, index}: saving it is enough to resume exactly.
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';

/** Target id of padding: PyTorch's cross-entropy ignore_index. */
export const IGNORE = -100;

export interface TokenizedDocument {
  ids: Int32Array;
  /** One misalignment score per token (a token inherits its segment's score). */
  scores?: Float32Array;
}

export interface PackedCorpus {
  /** The whole stream, EOS-separated. */
  readonly tokens: Int32Array;
  /** Per-token scores aligned with `tokens`, or null if some document had none. */
  readonly scores: Float32Array | null;
  readonly blockSize: number;
  readonly numBlocks: number;
  readonly eosId: number;
  /** Number of documents packed. */
  readonly documents: number;
}

export interface PackOptions {
  blockSize: number;
  eosId: number;
}

/**
 * Joins documents into one stream. The EOS after a document takes the score of the
 * document's last token (it is that document's ending); the leading EOS is never a
 * target and scores 0. Empty documents are skipped.
 */
export function packDocuments(docs: readonly TokenizedDocument[], { blockSize, eosId }: PackOptions): PackedCorpus {
  if (!Number.isInteger(blockSize) || blockSize < 1) fail(`block size must be a positive integer, got ${blockSize}`);
  const kept = docs.filter((d) => d.ids.length > 0);
  const length = 1 + kept.reduce((n, d) => n + d.ids.length + 1, 0);
  const tokens = new Int32Array(length);
  const withScores = kept.length > 0 && kept.every((d) => d.scores !== undefined);
  const scores = withScores ? new Float32Array(length) : null;
  tokens[0] = eosId;
  let at = 1;
  for (const d of kept) {
    if (d.scores && d.scores.length !== d.ids.length) throw new Error(`a document has ${d.ids.length} tokens but ${d.scores.length} scores`);
    tokens.set(d.ids, at);
    scores?.set(d.scores!, at);
    at += d.ids.length;
    tokens[at] = eosId;
    if (scores) scores[at] = scores[at - 1]!;
    at++;
  }
  const numBlocks = Math.ceil((length - 1) / blockSize);
  return { tokens, scores, blockSize, numBlocks, eosId, documents: kept.length };
}

/** A batch of blocks as flat row-major [B, T] arrays. */
export interface BlockBatch {
  batchSize: number;
  blockSize: number;
  input: Int32Array;
  /** IGNORE where the block runs past the end of the stream. */
  target: Int32Array;
  /** Scores of the target tokens (0 under padding), if the corpus has scores. */
  scores: Float32Array | null;
  /** Number of real (non-padding) target tokens. */
  tokens: number;
}

/** Copies blocks `indices` of the corpus into a batch. */
export function gatherBlocks(corpus: PackedCorpus, indices: readonly number[]): BlockBatch {
  const T = corpus.blockSize;
  const B = indices.length;
  const input = new Int32Array(B * T).fill(corpus.eosId);
  const target = new Int32Array(B * T).fill(IGNORE);
  const scores = corpus.scores ? new Float32Array(B * T) : null;
  let tokens = 0;
  indices.forEach((block, row) => {
    if (!Number.isInteger(block) || block < 0 || block >= corpus.numBlocks) throw new RangeError(`block ${block} is outside 0..${corpus.numBlocks - 1}`);
    const start = block * T;
    const n = Math.min(T, corpus.tokens.length - 1 - start);
    input.set(corpus.tokens.subarray(start, start + n), row * T);
    target.set(corpus.tokens.subarray(start + 1, start + 1 + n), row * T);
    scores?.set(corpus.scores!.subarray(start + 1, start + 1 + n), row * T);
    tokens += n;
  });
  return { batchSize: B, blockSize: T, input, target, scores, tokens };
}

/** Where a stream stands: the next block is `order(epoch)[index]`. */
export interface DataPosition {
  epoch: number;
  index: number;
}

/** The order of blocks in `epoch`: a Fisher–Yates permutation seeded by (seed, epoch). */
export function epochOrder(numBlocks: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(numBlocks);
  for (let i = 0; i < numBlocks; i++) order[i] = i;
  const rng = new Random(seed * 1_000_003 + epoch);
  for (let i = numBlocks - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** An endless, resumable stream of shuffled batches; an epoch boundary may fall inside a batch. */
export class BlockStream {
  private epoch = -1;
  private index = 0;
  private order: Uint32Array = new Uint32Array(0);

  constructor(readonly corpus: PackedCorpus, readonly seed: number, start: DataPosition = { epoch: 0, index: 0 }) {
    if (corpus.numBlocks === 0) fail('the corpus holds no tokens to train on');
    this.seek(start);
  }

  get position(): DataPosition {
    return { epoch: this.epoch, index: this.index };
  }

  seek({ epoch, index }: DataPosition): void {
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(index) || index < 0 || index >= this.corpus.numBlocks) {
      fail(`data position (epoch ${epoch}, index ${index}) does not fit a corpus of ${this.corpus.numBlocks} blocks`);
    }
    if (epoch !== this.epoch) this.order = epochOrder(this.corpus.numBlocks, this.seed, epoch);
    this.epoch = epoch;
    this.index = index;
  }

  next(batchSize: number): BlockBatch {
    const picks: number[] = [];
    while (picks.length < batchSize) {
      picks.push(this.order[this.index]!);
      if (++this.index === this.corpus.numBlocks) this.seek({ epoch: this.epoch + 1, index: 0 });
    }
    return gatherBlocks(this.corpus, picks);
  }
}

/** Batches covering the first `maxBlocks` blocks in corpus order (evaluation: no shuffling). */
export function* sequentialBatches(corpus: PackedCorpus, batchSize: number, maxBlocks = corpus.numBlocks): Generator<BlockBatch> {
  const end = Math.min(maxBlocks, corpus.numBlocks);
  for (let start = 0; start < end; start += batchSize) {
    const picks = Array.from({ length: Math.min(batchSize, end - start) }, (_, i) => start + i);
    yield gatherBlocks(corpus, picks);
  }
}
