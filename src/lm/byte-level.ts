// GPT-2's byte↔unicode mapping. Byte-level BPE works on bytes, but vocabularies and
// merges are stored as text (vocab.json, tokenizer.json), so every byte gets a printable
// stand-in character: the 188 printable Latin-1 bytes stand for themselves and the other
// 68 (controls, space, soft hyphen, …) are shifted to U+0100–U+0143, in byte order.
// Space becomes 'Ġ' and newline 'Ċ', which is why those letters fill GPT-2 vocabularies.

function isPrintable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

function buildByteToChar(): string[] {
  const chars: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) chars.push(String.fromCharCode(isPrintable(b) ? b : 0x100 + shifted++));
  return chars;
}

/** The stand-in character of each byte value, indexed by byte. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The byte-level spelling of raw bytes, e.g. [0x20, 0x61] → 'Ġa'. */
export function bytesToSymbols(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/** The bytes a byte-level string spells, or undefined if a character is not a byte stand-in. */
export function symbolsToBytes(symbols: string): Uint8Array | undefined {
  const out = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const b = CHAR_TO_BYTE.get(symbols[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** The stand-in characters of all 256 bytes in code-point order, the order Hugging Face's trainer gives them ids. */
export function alphabetInCodePointOrder(): string[] {
  return [...BYTE_TO_CHAR].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
}
