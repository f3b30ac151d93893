// Documents split into segments that PHF scores one by one (SPEC §8): lines for code,
// sentences for text. Segments are contiguous [start, end) ranges of string indices
// (UTF-16 code units) that cover the document exactly, so every character, newlines
// and spaces included, belongs to exactly one segment.

export type Segmentation = 'lines' | 'sentences';

export interface Span {
  start: number;
  end: number;
}

/** Each line with its "\n"; the last line may lack one. */
export function segmentLines(text: string): Span[] {
  const out: Span[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    out.push({ start, end: nl + 1 });
    start = nl + 1;
  }
  if (start < text.length) out.push({ start, end: text.length });
  return out;
}

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Sentences by Unicode's rules (UAX #29, as Intl.Segmenter implements them): a
 * sentence keeps its trailing spaces, and a line break always ends one.
 */
export function segmentSentences(text: string): Span[] {
  return Array.from(sentenceSegmenter.segment(text), ({ index, segment }) => ({ start: index, end: index + segment.length }));
}

export function segment(text: string, how: Segmentation): Span[] {
  return how === 'lines' ? segmentLines(text) : segmentSentences(text);
}
