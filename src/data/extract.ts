// Ways one source file becomes several documents. All take newline-normalised text.

/** Entries of a fortune(6) file: blocks separated by lines holding only "%". */
export function splitFortunes(text: string): string[] {
  return text
    .split(/^%$/m)
    .map((entry) => entry.replace(/^\n+|\s+$/g, ''))
    .filter((entry) => entry.length > 0);
}

/** The body of an RFC 822 message: everything after the first empty line. */
export function emailBody(text: string): string[] {
  const cut = text.indexOf('\n\n');
  const body = cut < 0 ? '' : text.slice(cut + 2).trim();
  return body.length > 0 ? [body] : [];
}

function afterBlankLine(text: string, index: number): boolean {
  let newlines = 0;
  for (let i = index - 1; i >= 0 && /\s/.test(text[i]!); i--) if (text[i] === '\n') newlines++;
  return newlines >= 2;
}

// Headers a person writes or reads; the rest (Received, Message-ID, X-*) is routing
// that machines add, thousands of addresses and IPs per message that say nothing about
// how people write.
const PERSONAL_HEADERS = /^(?:from|to|cc|reply-to|subject|date):/i;

/** An RFC 822 message with only its personal headers (continuation lines included) and its body. */
export function emailWithoutRouting(text: string): string[] {
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const kept: string[] = [];
  let keep = false;
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line)) {
      if (keep) kept.push(line);
    } else {
      keep = PERSONAL_HEADERS.test(line);
      if (keep) kept.push(line);
    }
  }
  const body = cut < 0 ? '' : text.slice(cut + 2);
  return [`${kept.join('\n')}\n\n${body}`.trim()];
}

const sentences = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Long prose (a speech, a chapter) cut into documents of at most `maxChars` at
 * sentence ends, starting a new document at a paragraph break once the current one
 * is half full, so that documents are sized like the corpus's other texts. A single
 * sentence longer than `maxChars` stays whole (the length filter then drops it).
 */
export function chunkProse(text: string, maxChars: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  let end = 0;
  for (const { index, segment } of sentences.segment(text)) {
    const stop = index + segment.length;
    const paragraphBreak = index - start >= maxChars / 2 && afterBlankLine(text, index);
    if (end > start && (stop - start > maxChars || paragraphBreak)) {
      chunks.push(text.slice(start, end));
      start = end;
    }
    end = stop;
  }
  if (end > start) chunks.push(text.slice(start, end));
  return chunks.map((c) => c.trim()).filter((c) => c.length > 0);
}
