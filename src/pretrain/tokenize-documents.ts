// Tokenising documents for pretraining, with per-token scores for the PHF objectives:
// a token inherits the score of the segment that holds its last byte (a leading space
// belongs to the word that follows it, so " You" scores with the sentence it starts);
// bytes outside every segment take the document's score, or 0. Document text is
// encoded with special tokens off, so text that spells `<|endoftext|>` or `<|good|>`
// can never inject a control token.
import type { TokenizedDocument } from '../data/packing.js';
import { symbolsToBytes } from '../lm/byte-level.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import type { Document } from './corpus.js';

export function tokenizeDocuments(docs: readonly Document[], tokenizer: Tokenizer, onDocument?: (done: number) => void): TokenizedDocument[] {
  const lengths = tokenByteLengths(tokenizer);
  return docs.map((doc, i) => {
    const ids = tokenizer.encode(doc.text, { special: false });
    onDocument?.(i + 1);
    const scored = doc.segments !== undefined || doc.score !== undefined;
    return scored ? { ids, scores: tokenScores(doc, ids, lengths) } : { ids };
  });
}

/** Whether every document carries a score or scored segments (what the PHF objectives need). */
export function hasScores(docs: readonly Document[]): boolean {
  return docs.length > 0 && docs.every((d) => d.segments !== undefined || d.score !== undefined);
}

function tokenScores(doc: Document, ids: Int32Array, lengths: Int32Array): Float32Array {
  const byteAt = utf8Offsets(doc.text);
  const byteScore = new Float32Array(byteAt[doc.text.length]!).fill(doc.score ?? 0);
  for (const s of doc.segments ?? []) byteScore.fill(s.score, byteAt[s.start]!, byteAt[s.end]!);
  const scores = new Float32Array(ids.length);
  let end = 0;
  ids.forEach((id, t) => {
    end += lengths[id]!;
    scores[t] = byteScore[Math.min(end, byteScore.length) - 1] ?? 0;
  });
  return scores;
}

/** byteAt[i] = UTF-8 length of text.slice(0, i); inside a surrogate pair, the pair's start. */
export function utf8Offsets(text: string): Uint32Array {
  const byteAt = new Uint32Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (pair) {
      byteAt[i + 1] = byteAt[i]!;
      byteAt[i + 2] = byteAt[i]! + 4;
      i++;
    } else {
      // Lone surrogates are written as U+FFFD: three bytes, like any other BMP character above 0x7FF.
      byteAt[i + 1] = byteAt[i]! + (c < 0x80 ? 1 : c < 0x800 ? 2 : 3);
    }
  }
  return byteAt;
}

const lengthTables = new WeakMap<Tokenizer, Int32Array>();

// Bytes each id spells: vocabulary entries via their byte stand-ins, added tokens as UTF-8.
function tokenByteLengths(tokenizer: Tokenizer): Int32Array {
  let table = lengthTables.get(tokenizer);
  if (table && table.length === tokenizer.vocabSize) return table;
  table = new Int32Array(tokenizer.vocabSize);
  for (let id = 0; id < table.length; id++) {
    const token = tokenizer.idToToken(id);
    if (token !== undefined) table[id] = symbolsToBytes(token)?.length ?? Buffer.byteLength(token);
  }
  lengthTables.set(tokenizer, table);
  return table;
}
