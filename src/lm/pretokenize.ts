// GPT-2's pre-tokenisation: text is cut into "words" that BPE never merges across —
// English contractions, letter runs, digit runs and runs of other symbols (each with at
// most one leading space), and whitespace runs. A whitespace run that precedes a word
// gives its last space to that word (the `(?!\S)` lookahead), so " the" stays one piece.
//
// `\s` is spelled \p{White_Space} because JavaScript's `\s` differs from the Unicode
// property that Hugging Face `tokenizers` (Oniguruma) uses: JavaScript counts U+FEFF as
// space and not U+0085. With the property both split text identically.
const WS = '\\p{White_Space}';
const NOT_WS = '\\P{White_Space}';
const GPT2_PATTERN = [
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
  ' ?\\p{L}+',
  ' ?\\p{N}+',
  ` ?[^${WS}\\p{L}\\p{N}]+`,
  `[${WS}]+(?!${NOT_WS})`,
  `[${WS}]+`,
].join('|');

// One shared regex is safe: String.prototype.match resets a global regex's lastIndex
// before and after, and it runs to completion synchronously.
const GPT2_REGEX = new RegExp(GPT2_PATTERN, 'gu');

/** The GPT-2 pre-tokens of `text`, in order; they concatenate back to `text`. */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_REGEX) ?? [];
}
