// A content-hash cache in front of a scorer: scorers are pure, so a text seen before
// (same text, same context) is not scored again — samplers draw the same short
// completions over and over. Identical texts within a batch, and across batches still
// in flight, are sent to the inner scorer once. The cache keeps the most recently used
// `maxEntries` results (SHA-256 keys, so long texts cost 32 bytes each).
import { createHash } from 'node:crypto';
import { fail } from '../util/errors.js';
import { hasLogScore, type LogScorer } from './log-score.js';
import type { Scorer } from './scorer.js';
import { checkBatch, checkScores } from './validate.js';

export interface CacheOptions {
  /** Results kept; the least recently used go first. Default 100,000. */
  maxEntries?: number;
}

type BatchFn = (texts: readonly string[], contexts?: readonly string[]) => Promise<Float64Array>;

export interface CachedScorer extends Scorer {
  /** Texts scored by the inner scorer so far (misses). */
  readonly misses: number;
}

/** The cached scorer has a logScore exactly when `inner` has one. */
export function cachedScorer(inner: Scorer, options: CacheOptions = {}): CachedScorer {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) fail(`the cache of ${inner.name} needs maxEntries ≥ 1, not ${maxEntries}`);
  const counter = { misses: 0 };
  const scorer: CachedScorer & Partial<LogScorer> = {
    name: inner.name,
    score: memoise(inner.name, (t, c) => inner.score(t, c), maxEntries, counter),
    get misses() {
      return counter.misses;
    },
    close: inner.close?.bind(inner),
  };
  if (hasLogScore(inner)) scorer.logScore = memoise(inner.name, (t, c) => inner.logScore(t, c), maxEntries, counter);
  return scorer;
}

function memoise(name: string, fn: BatchFn, maxEntries: number, counter: { misses: number }): BatchFn {
  const cache = new Map<string, Promise<number>>();
  const remember = (key: string, value: Promise<number>): void => {
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  };
  return async (texts, contexts) => {
    checkBatch(name, texts, contexts);
    const keys = texts.map((t, i) => contentKey(t, contexts?.[i]));
    const batchValues = new Map<string, Promise<number>>();
    const missKeys = new Set<string>();
    const missTexts: string[] = [];
    const missContexts: string[] = [];
    keys.forEach((key, i) => {
      if (batchValues.has(key) || missKeys.has(key)) return;
      const known = cache.get(key);
      if (known) {
        remember(key, known);
        batchValues.set(key, known);
        return;
      }
      missKeys.add(key);
      missTexts.push(texts[i]!);
      if (contexts) missContexts.push(contexts[i]!);
    });
    if (missTexts.length > 0) {
      counter.misses += missTexts.length;
      const batch = fn(missTexts, contexts ? missContexts : undefined).then((s) => checkScores(name, s, missTexts.length));
      [...missKeys].forEach((key, j) => {
        const one = batch.then((s) => s[j]!);
        one.catch(() => {
          if (cache.get(key) === one) cache.delete(key); // a failed batch is not remembered
        });
        batchValues.set(key, one);
        remember(key, one);
      });
    }
    return Float64Array.from(await Promise.all(keys.map((k) => batchValues.get(k)!)));
  };
}

/** Distinguishes "no context" from an empty one and marks where the context ends;
 * hashes UTF-16 so that strings with lone surrogates do not collide. */
function contentKey(text: string, context: string | undefined): string {
  const hash = createHash('sha256');
  hash.update(context === undefined ? 'n' : `c${context.length}:`);
  if (context !== undefined) hash.update(Buffer.from(context, 'utf16le'));
  hash.update(Buffer.from(text, 'utf16le'));
  return hash.digest('base64');
}
