// A boolean scorer from a JavaScript predicate: b(x) ∈ {0, 1}, so its log-score is 0
// or -Infinity — pointwise evidence, the target a(x)·b(x) of exact conditioning.
import { fail } from '../util/errors.js';
import type { Scorer } from './scorer.js';
import { checkBatch } from './validate.js';

export type Predicate = (text: string, context: string | undefined) => boolean;

export function predicateScorer(name: string, predicate: Predicate): Scorer {
  return {
    name,
    async score(texts, contexts) {
      checkBatch(name, texts, contexts);
      return Float64Array.from(texts, (text, i) => {
        const verdict: unknown = predicate(text, contexts?.[i]);
        if (typeof verdict !== 'boolean') fail(`predicate scorer ${name} returned ${String(verdict)} for text ${i}, not a boolean`);
        return verdict ? 1 : 0;
      });
    },
  };
}
