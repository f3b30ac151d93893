// Cleaning raw source files into documents: strict UTF-8 (a file that is not valid
// UTF-8 is skipped and counted, never repaired with U+FFFD), no binary files, one
// newline convention, length limits, and no two documents with the same text.
import { createHash } from 'node:crypto';
import type { CorpusSource } from './source.js';

export interface CleanOptions {
  /** Shortest document kept, in characters (UTF-16 code units, as JavaScript counts). */
  minChars: number;
  /** Longest document kept. */
  maxChars: number;
}

export interface CleanStats {
  files: number;
  bytes: number;
  binary: number;
  invalidUtf8: number;
  /** Documents the files split into, before the filters below. */
  candidates: number;
  tooShort: number;
  tooLong: number;
  duplicates: number;
  kept: number;
}

export interface CleanDocument {
  id: string;
  source: string;
  text: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

// Control characters other than tab, newline, vertical tab, form feed, carriage
// return and escape do not occur in text; more than 1% of them means a binary file.
const CONTROL = /[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]/g;

export function isBinary(bytes: Uint8Array): boolean {
  return bytes.includes(0);
}

/** The text of `bytes`, or undefined when they are not valid UTF-8 or look binary. */
export function decodeText(bytes: Uint8Array): { text?: string; reason?: 'binary' | 'invalidUtf8' } {
  if (isBinary(bytes)) return { reason: 'binary' };
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { reason: 'invalidUtf8' };
  }
  if ((text.match(CONTROL)?.length ?? 0) > text.length / 100) return { reason: 'binary' };
  return { text: normaliseNewlines(text) };
}

export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function emptyStats(): CleanStats {
  return { files: 0, bytes: 0, binary: 0, invalidUtf8: 0, candidates: 0, tooShort: 0, tooLong: 0, duplicates: 0, kept: 0 };
}

/** Per-source counts added up. */
export function totalStats(perSource: ReadonlyMap<string, CleanStats>): CleanStats {
  const total = emptyStats();
  for (const own of perSource.values()) {
    for (const key of Object.keys(total) as (keyof CleanStats)[]) total[key] += own[key];
  }
  return total;
}

/**
 * Cleans the files of `sources` in order, counting into `perSource` (by source name).
 * A document's id is `<source>/<path>`, with `#<n>` (from 1) when its file splits
 * into several documents. Of two documents with the same text, in any sources, the
 * first is kept. With `maxPerSource`, a source stops being read once it has given
 * that many documents.
 */
export function* cleanDocuments(
  sources: readonly CorpusSource[],
  options: CleanOptions & { maxPerSource?: number },
  perSource: Map<string, CleanStats>,
): Generator<CleanDocument> {
  const seen = new Set<string>();
  const limit = options.maxPerSource ?? Infinity;
  for (const source of sources) {
    const stats = perSource.get(source.info.name) ?? emptyStats();
    perSource.set(source.info.name, stats);
    for (const file of source.files()) {
      if (stats.kept >= limit) break;
      stats.files++;
      stats.bytes += file.bytes.byteLength;
      const { text, reason } = decodeText(file.bytes);
      if (text === undefined) {
        stats[reason!]++;
        continue;
      }
      const pieces = source.extract ? source.extract(text) : [text];
      for (let i = 0; i < pieces.length && stats.kept < limit; i++) {
        const piece = pieces[i]!;
        stats.candidates++;
        if (piece.length < options.minChars) stats.tooShort++;
        else if (piece.length > options.maxChars) stats.tooLong++;
        else {
          const hash = contentHash(piece);
          if (seen.has(hash)) stats.duplicates++;
          else {
            seen.add(hash);
            stats.kept++;
            const id = `${source.info.name}/${file.path}${source.extract ? `#${i + 1}` : ''}`;
            yield { id, source: source.info.name, text: piece };
          }
        }
      }
    }
  }
}
