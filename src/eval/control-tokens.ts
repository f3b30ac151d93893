// Conditional training's control tokens, seen from the evaluation side: a model is
// conditional when its tokenizer has both `<|good|>` and `<|bad|>`; it is prompted
// with `<|good|>` after the document start and may never emit either token.
// (Mirrors what src/pretrain/objectives/conditional.ts will export; kept here so the
// evaluation does not wait for it.)
import { fail } from '../util/errors.js';
import type { Tokenizer } from '../lm/tokenizer.js';

export const GOOD_TOKEN = '<|good|>';
export const BAD_TOKEN = '<|bad|>';

export interface ControlTokens {
  good: number;
  bad: number;
}

/** Both control-token ids, or null when the tokenizer lacks either (an unconditional model). */
export function controlTokenIds(tokenizer: Tokenizer): ControlTokens | null {
  const good = tokenizer.tokenToId(GOOD_TOKEN), bad = tokenizer.tokenToId(BAD_TOKEN);
  return good === undefined || bad === undefined ? null : { good, bad };
}

/** `<|endoftext|><|good|>`: where a conditional model's aligned documents start. */
export function conditionalPrompt(tokenizer: Tokenizer): Int32Array {
  const ids = controlTokenIds(tokenizer);
  const eos = tokenizer.eosId;
  if (!ids || eos === undefined) fail(`the tokenizer lacks ${ids ? '<|endoftext|>' : `${GOOD_TOKEN} and ${BAD_TOKEN}`}, so it cannot prompt a conditional model`);
  return Int32Array.of(eos, ids.good);
}
