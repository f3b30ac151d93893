// GPT-2's vocabulary, read offline from the `gpt-tokenizer` package, which ships it as
// tiktoken ranks (r50k_base: base64 bytes and a rank per line; rank = GPT-2 id). Ranks
// say which token merges first but not from which pair, so each token's merge is
// recovered by running rank-ordered BPE on its own bytes with only lower-ranked tokens:
// what remains is exactly two parts, the pair that GPT-2's merges.txt lists.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fail } from '../util/errors.js';
import { bytesToSymbols } from './byte-level.js';
import type { BpeSpec } from './tokenizer.js';

const EOS_ID = 50256;

/** The GPT-2 tokenizer definition: 50,256 byte-level tokens plus `<|endoftext|>` (50256). */
export function gpt2Spec(): BpeSpec {
  // Tokens as Latin-1 strings: one character per byte, cheap to join and to look up.
  const tokens = readRanks().map((t) => t.toString('latin1'));
  const rankOf = new Map(tokens.map((t, rank) => [t, rank]));
  const spell = (t: string) => bytesToSymbols(Buffer.from(t, 'latin1'));
  const vocab = new Map(tokens.map((t, rank) => [spell(t), rank]));
  const merges: Array<[string, string]> = [];
  for (let rank = 256; rank < tokens.length; rank++) {
    const parts = splitBelow(tokens[rank]!, rank, rankOf);
    if (parts.length !== 2) fail(`gpt-tokenizer's r50k_base token ${rank} cannot be built from two lower-ranked tokens`);
    merges.push([spell(parts[0]!), spell(parts[1]!)]);
  }
  vocab.set('<|endoftext|>', EOS_ID);
  return { vocab, merges, addedTokens: [{ id: EOS_ID, content: '<|endoftext|>', special: true }] };
}

function readRanks(): Buffer[] {
  const path = createRequire(import.meta.url).resolve('gpt-tokenizer/data/r50k_base.tiktoken');
  const tokens: Buffer[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const [b64, rank] = line.split(' ');
    if (Number(rank) !== tokens.length) fail(`${path}: line ${tokens.length + 1} has rank ${rank}, expected ${tokens.length}`);
    tokens.push(Buffer.from(b64!, 'base64'));
  }
  if (tokens.length !== EOS_ID) fail(`${path} has ${tokens.length} tokens, expected ${EOS_ID}`);
  return tokens;
}

// tiktoken's rule: repeatedly join the adjacent pair whose concatenation has the lowest
// rank, here only among ranks below `limit`.
function splitBelow(token: string, limit: number, rankOf: ReadonlyMap<string, number>): string[] {
  const parts = [...token];
  for (;;) {
    let best = -1;
    let bestRank = limit;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = rankOf.get(parts[i]! + parts[i + 1]!);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return parts;
    parts.splice(best, 2, parts[best]! + parts[best + 1]!);
  }
}
