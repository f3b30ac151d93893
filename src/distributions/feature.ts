// A Scorer used as a feature of samples: φ(x) in a boolean factor b(x) or raw in the
// exponent exp(λ·φ(x)). The scorer is outside input, so its values are checked —
// finite, or 0 and 1 for a boolean feature — and a bad one is blamed on the scorer and
// on the sample it got, shown in part.
import type { Scorer } from '../scorers/scorer.js';
import { checkOutput, type Blame, type Expect } from '../scorers/validate.js';
import type { Sample } from './distribution.js';

export type FeatureKind = Extract<Expect, 'finite' | 'boolean'>;

/** The same scorer, its scores checked as a feature's. */
export function asFeature(scorer: Scorer, kind: FeatureKind = 'finite'): Scorer {
  return {
    name: scorer.name,
    async score(texts, contexts) {
      return checkOutput(blame(scorer, kind, texts), await scorer.score(texts, contexts), texts.length, kind);
    },
    close: scorer.close?.bind(scorer),
  };
}

/** φ of each sample, checked. */
export function scoreFeature(scorer: Scorer, samples: readonly Sample[], contexts?: readonly string[], kind: FeatureKind = 'finite'): Promise<Float64Array> {
  return asFeature(scorer, kind).score(
    samples.map((s) => s.text),
    contexts,
  );
}

function blame(scorer: Scorer, kind: FeatureKind, texts: readonly string[]): Blame {
  return {
    who: `${kind === 'boolean' ? 'boolean ' : ''}scorer "${scorer.name}"`,
    inputs: 'samples',
    input: (i) => `sample ${i} ("${preview(texts[i])}")`,
  };
}

function preview(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`;
}
