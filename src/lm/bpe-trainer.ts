// Byte-level BPE training, following Hugging Face `tokenizers`' BpeTrainer step for step
// so that both learn the same merges from the same text:
//  1. count GPT-2 pre-tokens ("words"); BPE never merges across them, so each distinct
//     word is processed once, weighted by its count;
//  2. ids: special tokens first, then the 256 byte stand-ins in code-point order;
//  3. count adjacent pairs over the words and remember which words hold each pair;
//  4. repeatedly take the most frequent pair (ties: the smallest pair of ids), merge it
//     in the words that hold it, and update the counts of the neighbouring pairs only.
// A lazy max-heap holds (count, pair, words) entries: an entry whose count went stale is
// refreshed and pushed back when it surfaces, so no step rescans the corpus.
import { fail } from '../util/errors.js';
import { alphabetInCodePointOrder, BYTE_TO_CHAR } from './byte-level.js';
import { pretokenize } from './pretokenize.js';
import { Tokenizer } from './tokenizer.js';

export interface TrainProgress {
  phase: 'counting' | 'merging';
  /** counting: characters read so far; merging: vocabulary size so far. */
  done: number;
  /** merging: the target vocabulary size. */
  total?: number;
}

export interface TrainOptions {
  /** Final vocabulary size, special tokens and the 256 bytes included. */
  vocabSize: number;
  /** Get the first ids (0, 1, …) and are never split or learned from. */
  specialTokens?: readonly string[];
  /** Stop when the best pair occurs fewer times than this (default 2, as `ByteLevelBPETokenizer`). */
  minFrequency?: number;
  onProgress?: (progress: TrainProgress) => void;
}

const ID_LIMIT = 2 ** 26;
const PROGRESS_EVERY = 64;

/** Learns a byte-level BPE tokenizer from `texts` (an array, any iterable or an iterator; read once). */
export function trainBpe(texts: Iterable<string> | Iterator<string>, options: TrainOptions): Tokenizer {
  const specials = [...new Set(options.specialTokens ?? [])];
  checkOptions(options, specials);
  const iterable: Iterable<string> = Symbol.iterator in texts ? texts : { [Symbol.iterator]: () => texts };
  const wordCounts = countWords(iterable, specials, options.onProgress);
  const vocab = new Vocab(specials);
  const words = new WordTable(wordCounts, vocab);
  const merges = learnMerges(words, vocab, options);
  return new Tokenizer({
    vocab: new Map(vocab.tokens.map((t, id) => [t, id])),
    merges: merges.map(([a, b]) => [vocab.tokens[a]!, vocab.tokens[b]!] as const),
    addedTokens: specials.map((content, id) => ({ id, content, special: true })),
  }, 'trainBpe');
}

function checkOptions(options: TrainOptions, specials: string[]): void {
  const { vocabSize, minFrequency = 2 } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < specials.length + 256 || vocabSize >= ID_LIMIT) {
    fail(`vocabSize must be an integer from ${specials.length + 256} (the 256 bytes and ${specials.length} special tokens) to ${ID_LIMIT - 1}, got ${vocabSize}`);
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 0) fail(`minFrequency must be a non-negative integer, got ${minFrequency}`);
  if (specials.includes('')) fail('a special token cannot be empty');
}

function countWords(texts: Iterable<string>, specials: string[], onProgress: TrainOptions['onProgress']): Map<string, number> {
  const counts = new Map<string, number>();
  const splitter = specials.length ? specialSplitter(specials) : undefined;
  let chars = 0;
  for (const text of texts) {
    for (const piece of splitter ? text.split(splitter) : [text]) {
      for (const word of pretokenize(piece)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    chars += text.length;
    onProgress?.({ phase: 'counting', done: chars });
  }
  return counts;
}

// Special tokens in the training text are cut out (`tokenizers` would learn from their
// characters, e.g. a merge '<|'); the longest first, as the encoder matches them.
function specialSplitter(specials: string[]): RegExp {
  const escaped = [...specials].sort((a, b) => b.length - a.length).map((s) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'));
  return new RegExp(escaped.join('|'), 'gu');
}

class Vocab {
  readonly tokens: string[] = [];
  readonly ids = new Map<string, number>();
  readonly byteIds = new Int32Array(256);

  constructor(specials: string[]) {
    for (const s of specials) this.idOf(s);
    for (const c of alphabetInCodePointOrder()) this.idOf(c);
    BYTE_TO_CHAR.forEach((c, b) => {
      this.byteIds[b] = this.ids.get(c)!;
    });
  }

  /** The id of `token`, adding it if new (a merge can rebuild a token that already exists). */
  idOf(token: string): number {
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.tokens.length;
      this.tokens.push(token);
      this.ids.set(token, id);
    }
    return id;
  }
}

function pairKey(a: number, b: number): number {
  return a * ID_LIMIT + b;
}

/** Pair counts, and for each pair that gained occurrences the words where it did. */
class PairCounts {
  readonly counts = new Map<number, number>();
  gained = new Map<number, number[]>();

  add(key: number, delta: number, word: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + delta);
    if (delta <= 0) return;
    const words = this.gained.get(key);
    // Words are visited one at a time, so a repeat is always the last entry.
    if (!words) this.gained.set(key, [word]);
    else if (words[words.length - 1] !== word) words.push(word);
  }

  /** Moves the pairs that gained occurrences (and still occur) into the heap. */
  flushInto(heap: PairHeap): void {
    for (const [key, words] of this.gained) {
      const count = this.counts.get(key)!;
      if (count > 0) heap.push({ key, count, words });
    }
    this.gained = new Map();
  }
}

/** The distinct words as symbol ids, with their counts; merging rewrites them in place. */
class WordTable {
  readonly symbols: Int32Array[] = [];
  readonly lengths: number[] = [];
  readonly counts: number[] = [];

  constructor(wordCounts: Map<string, number>, vocab: Vocab) {
    for (const [word, count] of wordCounts) {
      const bytes = Buffer.from(word, 'utf8');
      const sym = new Int32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) sym[i] = vocab.byteIds[bytes[i]!]!;
      this.symbols.push(sym);
      this.lengths.push(sym.length);
      this.counts.push(count);
    }
  }

  countPairs(pairs: PairCounts): void {
    this.symbols.forEach((sym, w) => {
      for (let i = 0; i + 1 < this.lengths[w]!; i++) pairs.add(pairKey(sym[i]!, sym[i + 1]!), this.counts[w]!, w);
    });
  }

  // Replaces each (a, b) in word w by z, left to right, and moves the count of the pairs
  // around each occurrence: (prev, a) and (b, next) lose it, (prev, z) and (z, next) gain it.
  // The count of (a, b) itself is left alone, as in `tokenizers`: its heap entry is spent.
  merge(w: number, a: number, b: number, z: number, pairs: PairCounts): void {
    const sym = this.symbols[w]!;
    const len = this.lengths[w]!;
    const c = this.counts[w]!;
    let out = 0;
    for (let r = 0; r < len;) {
      if (sym[r] === a && r + 1 < len && sym[r + 1] === b) {
        if (out > 0) {
          pairs.add(pairKey(sym[out - 1]!, a), -c, w);
          pairs.add(pairKey(sym[out - 1]!, z), c, w);
        }
        if (r + 2 < len) {
          pairs.add(pairKey(b, sym[r + 2]!), -c, w);
          pairs.add(pairKey(z, sym[r + 2]!), c, w);
        }
        sym[out++] = z;
        r += 2;
      } else {
        sym[out++] = sym[r++]!;
      }
    }
    this.lengths[w] = out;
  }
}

interface PairEntry {
  key: number;
  count: number;
  words: number[];
}

/** Max-heap of pair entries: the highest count first, then the smallest pair of ids. */
class PairHeap {
  private readonly items: PairEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: PairEntry): void {
    const a = this.items;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, a[parent]!)) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = e;
  }

  pop(): PairEntry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= a.length) break;
      if (child + 1 < a.length && before(a[child + 1]!, a[child]!)) child++;
      if (!before(a[child]!, last)) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}

function before(x: PairEntry, y: PairEntry): boolean {
  return x.count > y.count || (x.count === y.count && x.key < y.key);
}

function learnMerges(words: WordTable, vocab: Vocab, options: TrainOptions): Array<[number, number]> {
  const { vocabSize, minFrequency = 2, onProgress } = options;
  const pairs = new PairCounts();
  const heap = new PairHeap();
  words.countPairs(pairs);
  pairs.flushInto(heap);
  const merges: Array<[number, number]> = [];
  while (vocab.tokens.length < vocabSize && heap.size > 0) {
    const top = heap.pop()!;
    const count = pairs.counts.get(top.key)!;
    if (top.count !== count) {
      top.count = count;
      heap.push(top);
      continue;
    }
    if (count < 1 || count < minFrequency) break;
    const a = Math.floor(top.key / ID_LIMIT);
    const b = top.key - a * ID_LIMIT;
    const z = vocab.idOf(vocab.tokens[a]! + vocab.tokens[b]!);
    merges.push([a, b]);
    for (const w of top.words) words.merge(w, a, b, z, pairs);
    pairs.flushInto(heap);
    if (merges.length % PROGRESS_EVERY === 0) onProgress?.({ phase: 'merging', done: vocab.tokens.length, total: vocabSize });
  }
  onProgress?.({ phase: 'merging', done: vocab.tokens.length, total: vocabSize });
  return merges;
}
