// Runs a Scorer (texts in, numbers out) on samples and checks what comes back: the
// scorer is outside input, so a wrong length or a NaN gets one clear sentence naming it.
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';
import type { Sample } from './distribution.js';

export async function scoreFeature(scorer: Scorer, samples: readonly Sample[], contexts?: readonly string[]): Promise<Float64Array> {
  const values = await scorer.score(
    samples.map((s) => s.text),
    contexts,
  );
  if (values.length !== samples.length) fail(`scorer "${scorer.name}" returned ${values.length} scores for ${samples.length} samples.`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) fail(`scorer "${scorer.name}" returned ${values[i]} for sample ${i} ("${preview(samples[i].text)}"); scores must be finite numbers.`);
  }
  return values;
}

/** Checks that a feature meant as a boolean gave only 0 and 1. */
export function checkBoolean(scorer: Scorer, values: Float64Array, samples: readonly Sample[]): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0 && values[i] !== 1) fail(`boolean scorer "${scorer.name}" returned ${values[i]} for sample ${i} ("${preview(samples[i].text)}"); it must return 0 or 1.`);
  }
}

function preview(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`;
}
