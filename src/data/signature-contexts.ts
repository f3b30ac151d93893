// Contexts for the code task of CDPG (issue #6): the signatures of documented functions
// — a `def` line and its docstring — from a split of a prepared Python corpus, written
// as JSONL strings that a target's `contexts:` reads. A split the prior was not trained
// on (validation, test) gives contexts it has not seen.
import { heldOutSignatures } from '../eval/capability.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import { loadCorpus } from './corpus.js';

export interface SignatureOptions {
  corpusDir: string;
  split: string;
  /** At most this many signatures (the first found, in corpus order). */
  max: number;
  /** Longer signatures are left out: a context must leave room in the model's window. */
  maxChars: number;
  /** With the model's tokenizer: signatures of more tokens are left out too. */
  maxTokens?: { tokenizer: Tokenizer; count: number };
  out: string;
}

export async function writeSignatureContexts(o: SignatureOptions): Promise<number> {
  const docs = await loadCorpus(o.corpusDir, o.split);
  const all = heldOutSignatures(docs, Number.MAX_SAFE_INTEGER);
  const fits = (s: string) => s.length <= o.maxChars && (!o.maxTokens || o.maxTokens.tokenizer.encode(s, { special: false }).length <= o.maxTokens.count);
  const kept = all.filter(fits).slice(0, o.max);
  const limit = `${o.maxChars} characters${o.maxTokens ? ` and ${o.maxTokens.count} tokens` : ''}`;
  if (kept.length === 0) fail(`the ${o.split} split of ${o.corpusDir} holds no documented function signature of at most ${limit}`);
  writeFileAtomic(o.out, kept.map((s) => JSON.stringify(s)).join('\n') + '\n');
  return kept.length;
}
