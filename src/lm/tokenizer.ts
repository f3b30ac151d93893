// Byte-level BPE tokenizer (GPT-2's scheme), readable from and writable to Hugging Face
// `tokenizer.json`. Text is cut into GPT-2 pre-tokens, each pre-token's UTF-8 bytes start
// as one symbol per byte, and merges are applied lowest rank first. Every byte has a
// symbol, so any string round-trips (lone surrogates become U+FFFD, as UTF-8 demands)
// and nothing is ever unknown. Added tokens (`<|endoftext|>`, `<|good|>`, …) are cut out
// of the text before pre-tokenisation, so they are always one id.
import { readFileSync } from 'node:fs';
import { fail } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { bytesToSymbols, symbolsToBytes } from './byte-level.js';
import { pretokenize } from './pretokenize.js';
import { gpt2Spec } from './gpt2-vocab.js';

/** A token matched whole in text before BPE runs (Hugging Face's "added token"). */
export interface AddedToken {
  id: number;
  content: string;
  /** Special tokens can be skipped when decoding (`skipSpecial`). */
  special: boolean;
  /** Only match when not inside a word (letters, digits, `_`). */
  singleWord?: boolean;
  /** Also swallow the whitespace to the left / right of the token. */
  lstrip?: boolean;
  rstrip?: boolean;
  /** Kept for `tokenizer.json`; without a normalizer it changes nothing. */
  normalized?: boolean;
}

/** Everything that defines a byte-level BPE tokenizer. Vocabulary keys use GPT-2's byte stand-ins ('Ġthe'). */
export interface BpeSpec {
  vocab: ReadonlyMap<string, number>;
  /** In rank order: earlier merges apply first. */
  merges: ReadonlyArray<readonly [string, string]>;
  addedTokens?: readonly AddedToken[];
  /** Prepend a space to text that does not start with one (GPT-2 does not). */
  addPrefixSpace?: boolean;
  /** A pre-token that is itself in the vocabulary becomes that token without merging (Llama 3 style). */
  ignoreMerges?: boolean;
}

export interface EncodeOptions {
  /** Match added tokens such as `<|endoftext|>` in the text (default true); false encodes them as plain text. */
  special?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens out of the text (default false, so decode(encode(t)) === t). */
  skipSpecial?: boolean;
}

const EOS = '<|endoftext|>';
// Pairs of ids are keyed as one number; ids stay below 2^26 so the key stays exact.
const ID_LIMIT = 2 ** 26;
const CACHE_LIMIT = 100_000;

function pairKey(a: number, b: number): number {
  return a * ID_LIMIT + b;
}

export class Tokenizer {
  private readonly vocab: Map<string, number>;
  private readonly tokens: string[] = [];
  private readonly tokenBytes: (Uint8Array | undefined)[] = [];
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly mergeRank = new Map<number, number>();
  private readonly mergeResult: Int32Array;
  private readonly mergePairs: Array<readonly [string, string]>;
  private readonly added = new Map<string, AddedToken>();
  private readonly addedIds = new Map<number, AddedToken>();
  private addedRegex: RegExp | undefined;
  private readonly cache = new Map<string, Int32Array>();
  private readonly heap = new MinHeap();
  private readonly addPrefixSpace: boolean;
  private readonly ignoreMerges: boolean;

  /** `source` names where the spec came from, for error messages. */
  constructor(spec: BpeSpec, source = 'tokenizer') {
    this.vocab = new Map(spec.vocab);
    this.addPrefixSpace = spec.addPrefixSpace ?? false;
    this.ignoreMerges = spec.ignoreMerges ?? false;
    for (const [token, id] of this.vocab) this.defineModelToken(token, id, source);
    this.mergeResult = new Int32Array(spec.merges.length);
    this.mergePairs = [];
    spec.merges.forEach(([a, b], rank) => this.defineMerge(a, b, rank, source));
    for (const t of spec.addedTokens ?? []) this.defineAdded({ ...t }, source);
    this.rebuildAddedRegex();
  }

  /** GPT-2's own vocabulary (50,257 tokens, `<|endoftext|>` = 50256), read offline from the `gpt-tokenizer` package. */
  static gpt2(): Tokenizer {
    return new Tokenizer(gpt2Spec(), 'the GPT-2 vocabulary of gpt-tokenizer');
  }

  /** Reads a Hugging Face `tokenizer.json` (BPE model, ByteLevel pre-tokenizer). */
  static load(path: string): Tokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      fail(`cannot read tokenizer file ${path}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      fail(`${path} is not valid JSON: ${(e as Error).message}`);
    }
    return Tokenizer.fromJSON(json, path);
  }

  /** Builds a tokenizer from parsed `tokenizer.json` content; `source` names it in error messages. */
  static fromJSON(json: unknown, source = 'tokenizer.json'): Tokenizer {
    return new Tokenizer(parseTokenizerJson(json, source), source);
  }

  /** Writes `tokenizer.json` atomically. */
  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON()));
  }

  /** The Hugging Face `tokenizer.json` object, as `tokenizers` itself writes it. */
  toJSON(): Record<string, unknown> {
    const byteLevel = { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: true, use_regex: true };
    // No prototype, so that a learned token spelled '__proto__' is an ordinary key.
    const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const [token, id] of [...this.vocab].sort((x, y) => x[1] - y[1])) vocab[token] = id;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.addedIds.values()].sort((x, y) => x.id - y.id).map((t) => ({
        id: t.id, content: t.content, single_word: t.singleWord ?? false, lstrip: t.lstrip ?? false,
        rstrip: t.rstrip ?? false, normalized: t.normalized ?? !t.special, special: t.special,
      })),
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: { ...byteLevel, trim_offsets: false },
      decoder: byteLevel,
      model: {
        type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
        fuse_unk: false, byte_fallback: false, ignore_merges: this.ignoreMerges, vocab, merges: this.liveMerges(),
      },
    };
  }

  /** One more than the largest id: the size an embedding table needs. */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /** The id of `<|endoftext|>`, if the tokenizer has it. */
  get eosId(): number | undefined {
    return this.tokenToId(EOS);
  }

  /** The id of an added token's content or of a vocabulary entry (spelled with byte stand-ins, 'Ġthe'). */
  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.vocab.get(token);
  }

  /** The added token's content or the vocabulary entry of `id`. */
  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /** The ids of special tokens added so far, content → id. */
  get specialTokens(): ReadonlyMap<string, number> {
    return new Map([...this.added.values()].filter((t) => t.special).map((t) => [t.content, t.id]));
  }

  /**
   * Adds special tokens after training; each new one gets the next free id. A token already
   * in the vocabulary keeps its id (as in `tokenizers`). Returns the ids, in order.
   */
  addSpecialTokens(contents: readonly string[]): number[] {
    const ids = contents.map((content) => {
      if (content === '') fail('a special token cannot be empty');
      const known = this.added.get(content);
      if (known) {
        known.special = true;
        return known.id;
      }
      const id = this.vocab.get(content) ?? this.tokens.length;
      this.defineAdded({ id, content, special: true }, 'addSpecialTokens');
      return id;
    });
    this.rebuildAddedRegex();
    return ids;
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    const out = new IdBuffer();
    if (options.special === false || !this.addedRegex) {
      this.encodeOrdinary(text, out);
      return out.finish();
    }
    let start = 0;
    for (const m of text.matchAll(this.addedRegex)) {
      if (m.index > start) this.encodeOrdinary(text.slice(start, m.index), out);
      // Each added token has its own capture group; the one that took part names it.
      out.push(this.added.get(m.find((g, i) => i > 0 && g !== undefined)!)!.id);
      start = m.index + m[0].length;
    }
    if (start < text.length) this.encodeOrdinary(text.slice(start), out);
    return out.finish();
  }

  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): Int32Array[] {
    return texts.map((t) => this.encode(t, options));
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const decoder = new TextDecoder('utf-8');
    const bytes = new ByteBuffer();
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const added = this.addedIds.get(id);
      if (added) {
        text += decoder.decode(bytes.take());
        if (!(added.special && options.skipSpecial)) text += added.content;
        continue;
      }
      const b = Number.isInteger(id) ? this.tokenBytes[id] : undefined;
      if (!b) fail(`token id ${id} (at position ${i}) is not in the vocabulary (ids are 0 to ${this.vocabSize - 1})`);
      bytes.push(b);
    }
    return text + decoder.decode(bytes.take());
  }

  private encodeOrdinary(text: string, out: IdBuffer): void {
    const prefixed = this.addPrefixSpace && !text.startsWith(' ') ? ` ${text}` : text;
    for (const word of pretokenize(prefixed)) {
      let ids = this.cache.get(word);
      if (!ids) {
        ids = this.bpeWord(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      out.pushAll(ids);
    }
  }

  // Merges by a heap of (rank, position) over a linked list of symbols: the lowest rank
  // first and, within a rank, the leftmost — the order `tokenizers` uses — in O(n log n),
  // so a megabyte-long run of digits costs no more than its length.
  private bpeWord(word: string): Int32Array {
    const bytes = Buffer.from(word, 'utf8');
    const n = bytes.length;
    const sym = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      sym[i] = this.byteIds[bytes[i]!]!;
      if (sym[i]! < 0) fail(`this tokenizer has no token for byte 0x${bytes[i]!.toString(16)} (its vocabulary lacks part of the byte alphabet)`);
    }
    if (this.ignoreMerges) {
      const whole = this.vocab.get(bytesToSymbols(bytes));
      if (whole !== undefined) return Int32Array.of(whole);
    }
    if (n < 2) return sym;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const heap = this.heap;
    heap.clear();
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
      if (i + 1 < n) this.pushMerge(heap, sym[i]!, sym[i + 1]!, i);
    }
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / ID_LIMIT);
      const pos = key - rank * ID_LIMIT;
      const right = next[pos]!;
      if (sym[pos]! < 0 || right >= n || this.mergeRank.get(pairKey(sym[pos]!, sym[right]!)) !== rank) continue;
      sym[pos] = this.mergeResult[rank]!;
      sym[right] = -1;
      next[pos] = next[right]!;
      if (next[pos]! < n) prev[next[pos]!] = pos;
      if (prev[pos]! >= 0) this.pushMerge(heap, sym[prev[pos]!]!, sym[pos]!, prev[pos]!);
      if (next[pos]! < n) this.pushMerge(heap, sym[pos]!, sym[next[pos]!]!, pos);
    }
    return sym.filter((s) => s >= 0);
  }

  private pushMerge(heap: MinHeap, a: number, b: number, pos: number): void {
    const rank = this.mergeRank.get(pairKey(a, b));
    if (rank !== undefined) heap.push(rank * ID_LIMIT + pos);
  }

  private defineModelToken(token: string, id: number, source: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= ID_LIMIT) fail(`${source}: model.vocab[${JSON.stringify(token)}] must be an id from 0 to ${ID_LIMIT - 1}, got ${id}`);
    if (this.tokens[id] !== undefined) fail(`${source}: model.vocab gives id ${id} to both ${JSON.stringify(this.tokens[id])} and ${JSON.stringify(token)}`);
    this.tokens[id] = token;
    // Special tokens a trainer put into the vocabulary ('<|endoftext|>') are plain ASCII, so
    // they too spell bytes; an entry that spells none can only be produced as an added token.
    this.tokenBytes[id] = symbolsToBytes(token);
    if (token.length === 1 && this.tokenBytes[id]) this.byteIds[this.tokenBytes[id]![0]!] = id;
  }

  private defineMerge(a: string, b: string, rank: number, source: string): void {
    const field = `model.merges[${rank}]`;
    const ia = this.vocab.get(a);
    const ib = this.vocab.get(b);
    const merged = this.vocab.get(a + b);
    if (ia === undefined) fail(`${source}: ${field} uses ${JSON.stringify(a)}, which is not in model.vocab`);
    if (ib === undefined) fail(`${source}: ${field} uses ${JSON.stringify(b)}, which is not in model.vocab`);
    if (merged === undefined) fail(`${source}: ${field} makes ${JSON.stringify(a + b)}, which is not in model.vocab`);
    // A pair listed twice keeps its last rank, as in `tokenizers`.
    this.mergeRank.set(pairKey(ia, ib), rank);
    this.mergeResult[rank] = merged;
    this.mergePairs.push([a, b]);
  }

  private liveMerges(): Array<[string, string]> {
    return this.mergePairs
      .filter(([a, b], rank) => this.mergeRank.get(pairKey(this.vocab.get(a)!, this.vocab.get(b)!)) === rank)
      .map(([a, b]) => [a, b]);
  }

  private defineAdded(token: AddedToken, source: string): void {
    const field = `added_tokens (${JSON.stringify(token.content)})`;
    if (!Number.isInteger(token.id) || token.id < 0 || token.id >= ID_LIMIT) fail(`${source}: ${field} has a bad id ${token.id}`);
    if (this.added.has(token.content)) fail(`${source}: ${field} is listed twice`);
    const holder = this.tokens[token.id];
    if (holder !== undefined && holder !== token.content) fail(`${source}: ${field} takes id ${token.id}, which belongs to ${JSON.stringify(holder)}`);
    this.tokens[token.id] = token.content;
    this.added.set(token.content, token);
    this.addedIds.set(token.id, token);
  }

  // One alternation, longest content first, so that at any position the longest added
  // token wins and the search finds the leftmost one (leftmost-longest, as `tokenizers`).
  private rebuildAddedRegex(): void {
    const all = [...this.added.values()].sort((x, y) => y.content.length - x.content.length);
    if (all.length === 0) {
      this.addedRegex = undefined;
      return;
    }
    const word = '[\\p{Alphabetic}\\p{N}_]';
    const parts = all.map((t) => {
      const core = `(${escapeRegex(t.content)})`;
      const bounded = t.singleWord ? `(?<!${word})${core}(?!${word})` : core;
      return `${t.lstrip ? '\\p{White_Space}*' : ''}${bounded}${t.rstrip ? '\\p{White_Space}*' : ''}`;
    });
    this.addedRegex = new RegExp(parts.map((p) => `(?:${p})`).join('|'), 'gu');
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

// --- tokenizer.json ------------------------------------------------------------------

type Complain = (field: string, problem: string) => never;
type Json = Record<string, unknown>;

function parseTokenizerJson(json: unknown, source: string): BpeSpec {
  const at: Complain = (field, problem) => fail(`${source}: field ${field} ${problem}`);
  const root = record(json, 'the top level', at);
  const model = record(root.model, 'model', at);
  if (model.type !== undefined && model.type !== 'BPE') at('model.type', `is ${JSON.stringify(model.type)}, but posterior reads only BPE models`);
  for (const f of ['continuing_subword_prefix', 'end_of_word_suffix']) {
    if (model[f] != null && model[f] !== '') at(`model.${f}`, 'is set, but byte-level BPE has no subword markers');
  }
  if (model.dropout != null && model.dropout !== 0) at('model.dropout', 'is set, but posterior encodes deterministically (set it to null)');
  checkNoneOr(root.normalizer, 'normalizer', [], at);
  checkNoneOr(root.decoder, 'decoder', ['ByteLevel'], at);
  checkNoneOr(root.post_processor, 'post_processor', ['ByteLevel'], at);
  const pre = record(root.pre_tokenizer, 'pre_tokenizer', at);
  if (pre.type !== 'ByteLevel') at('pre_tokenizer.type', `is ${JSON.stringify(pre.type)}, but posterior reads only the ByteLevel pre-tokenizer`);
  if (pre.use_regex === false) at('pre_tokenizer.use_regex', 'is false, but posterior always splits with GPT-2\'s pattern');
  return {
    vocab: parseVocab(model.vocab, at),
    merges: array(model.merges, 'model.merges', at).map((m, i) => parseMerge(m, `model.merges[${i}]`, at)),
    addedTokens: root.added_tokens == null ? [] : array(root.added_tokens, 'added_tokens', at).map((t, i) => parseAdded(t, `added_tokens[${i}]`, at)),
    addPrefixSpace: optionalBool(pre.add_prefix_space, 'pre_tokenizer.add_prefix_space', at),
    ignoreMerges: optionalBool(model.ignore_merges, 'model.ignore_merges', at),
  };
}

function parseVocab(value: unknown, at: Complain): Map<string, number> {
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(record(value, 'model.vocab', at))) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) at(`model.vocab[${JSON.stringify(token)}]`, `must be a non-negative integer id, got ${JSON.stringify(id)}`);
    vocab.set(token, id);
  }
  return vocab;
}

// `tokenizers` wrote merges as "a b" before version 0.20 and as ["a", "b"] since.
function parseMerge(value: unknown, field: string, at: Complain): [string, string] {
  if (typeof value === 'string') {
    const parts = value.split(' ');
    if (parts.length === 2 && parts[0] && parts[1]) return [parts[0], parts[1]];
  } else if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && value[0] && value[1]) {
    return [value[0], value[1]];
  }
  return at(field, `must be two tokens ("a b" or ["a", "b"]), got ${JSON.stringify(value)}`);
}

function parseAdded(value: unknown, field: string, at: Complain): AddedToken {
  const t = record(value, field, at);
  if (typeof t.id !== 'number' || !Number.isInteger(t.id) || t.id < 0) at(`${field}.id`, `must be a non-negative integer, got ${JSON.stringify(t.id)}`);
  if (typeof t.content !== 'string' || t.content === '') at(`${field}.content`, `must be a non-empty string, got ${JSON.stringify(t.content)}`);
  return {
    id: t.id as number,
    content: t.content as string,
    special: optionalBool(t.special, `${field}.special`, at) ?? false,
    singleWord: optionalBool(t.single_word, `${field}.single_word`, at),
    lstrip: optionalBool(t.lstrip, `${field}.lstrip`, at),
    rstrip: optionalBool(t.rstrip, `${field}.rstrip`, at),
    normalized: optionalBool(t.normalized, `${field}.normalized`, at),
  };
}

function record(value: unknown, field: string, at: Complain): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) at(field, `must be an object, got ${describe(value)}`);
  return value as Json;
}

function array(value: unknown, field: string, at: Complain): unknown[] {
  if (!Array.isArray(value)) at(field, `must be an array, got ${describe(value)}`);
  return value as unknown[];
}

function optionalBool(value: unknown, field: string, at: Complain): boolean | undefined {
  if (value != null && typeof value !== 'boolean') at(field, `must be true or false, got ${JSON.stringify(value)}`);
  return (value ?? undefined) as boolean | undefined;
}

function checkNoneOr(value: unknown, field: string, types: string[], at: Complain): void {
  if (value == null) return;
  const type = record(value, field, at).type;
  if (typeof type !== 'string' || !types.includes(type)) {
    at(`${field}.type`, `is ${JSON.stringify(type)}, but posterior supports ${types.length ? types.join(' or ') + ' or ' : ''}none here`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value) ?? typeof value;
}

// --- small buffers ---------------------------------------------------------------------

/** A binary min-heap of numbers, reused across words to avoid allocation. */
class MinHeap {
  private items = new Float64Array(64);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  push(x: number): void {
    if (this.size === this.items.length) {
      const bigger = new Float64Array(this.items.length * 2);
      bigger.set(this.items);
      this.items = bigger;
    }
    const a = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= x) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a[--this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && a[child + 1]! < a[child]!) child++;
      if (a[child]! >= last) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}

class IdBuffer {
  private ids = new Int32Array(256);
  private length = 0;

  push(id: number): void {
    if (this.length === this.ids.length) this.grow(1);
    this.ids[this.length++] = id;
  }

  pushAll(ids: Int32Array): void {
    if (this.length + ids.length > this.ids.length) this.grow(ids.length);
    this.ids.set(ids, this.length);
    this.length += ids.length;
  }

  finish(): Int32Array {
    return this.ids.slice(0, this.length);
  }

  private grow(extra: number): void {
    const bigger = new Int32Array(Math.max(this.ids.length * 2, this.length + extra));
    bigger.set(this.ids.subarray(0, this.length));
    this.ids = bigger;
  }
}

class ByteBuffer {
  private chunks: Uint8Array[] = [];

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
  }

  take(): Uint8Array {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    return all;
  }
}
