// Person names, found by compromise's part-of-speech tagger (scrubadub asks a named-
// entity tagger too). compromise reports offsets in UTF-16 code units of the input,
// the same units as JavaScript string indices.
import nlp from 'compromise';
import type { PiiMatch } from './pii-patterns.js';

interface OffsetJson {
  offset: { start: number; length: number };
}

// A title followed by a capitalised word is a name even when the tagger does not know
// the surname ("Dear Miss Gleason").
const TITLED = /\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Madam|Lady|Lord)\.?\s{1,2}\p{Lu}[\p{L}'’-]{1,30}(?:\s{1,2}\p{Lu}[\p{L}'’-]{1,30})?/gu;

// compromise slows down more than linearly on long runs of text without sentence
// punctuation, so it reads the text in chunks of at most this many characters, cut
// at line ends where possible, else at a space.
const CHUNK = 1000;

function* chunks(text: string): Generator<{ start: number; end: number }> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + CHUNK);
    if (end < text.length) {
      const window = text.slice(start, end);
      const cut = window.lastIndexOf('\n') + 1 || window.search(/\s\S*$/) + 1;
      if (cut > 0) end = start + cut;
    }
    yield { start, end };
    start = end;
  }
}

function taggedNames(text: string, from: number, to: number, out: PiiMatch[]): void {
  const piece = text.slice(from, to);
  if (!/\p{Lu}/u.test(piece)) return;
  for (const { offset } of nlp(piece).people().json({ offset: true }) as OffsetJson[]) {
    const start = from + offset.start;
    let end = start + offset.length;
    // compromise includes trailing punctuation ("Smith,"); the name ends before it.
    while (end > start && /[\s,.;:!?'")\]]/.test(text[end - 1]!)) end--;
    if (end > start && /\p{Lu}/u.test(text.slice(start, end))) out.push({ kind: 'name', start, end });
  }
}

export function detectNames(text: string): PiiMatch[] {
  const out: PiiMatch[] = [...text.matchAll(TITLED)].map((m) => ({
    kind: 'name' as const,
    start: m.index,
    end: m.index + m[0].length,
  }));
  for (const { start, end } of chunks(text)) taggedNames(text, start, end, out);
  return out;
}
