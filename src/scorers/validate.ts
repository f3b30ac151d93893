// Checks at a scorer's boundary: a batch going in (texts and their contexts) and the
// numbers coming out. Scorers wrap other scorers and outside programs, so a bad
// value is caught where it appears and blamed on the scorer that produced it.
import { fail } from '../util/errors.js';

export function checkBatch(name: string, texts: readonly string[], contexts?: readonly string[]): void {
  if (contexts !== undefined && contexts.length !== texts.length) {
    fail(`scorer ${name} got ${texts.length} texts but ${contexts.length} contexts; give one context per text`);
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string') fail(`scorer ${name} got a ${typeof t} as text ${i}; texts must be strings`);
  });
  contexts?.forEach((c, i) => {
    if (typeof c !== 'string') fail(`scorer ${name} got a ${typeof c} as context ${i}; contexts must be strings`);
  });
}

/** Scores must be one number per text and never NaN. */
export function checkScores(name: string, scores: Float64Array, count: number): Float64Array {
  return checkOutput({ who: `scorer ${name}`, inputs: 'texts', input: (i) => `text ${i}` }, scores, count);
}

/**
 * What an output may hold: any number but NaN (a score, which may overflow to
 * ±Infinity), finite numbers (a raw feature, used in an exponent), 0 and 1 (a
 * boolean), or finite numbers and -Infinity (a log-score, where -Infinity is a zero).
 */
export type Expect = 'number' | 'finite' | 'boolean' | 'log-score';

/** Whom a sentence about bad output blames, and how it names the inputs. */
export interface Blame {
  /** The producer, e.g. `scorer pep8` or `factor "exp(0.5·length)"`. */
  readonly who: string;
  /** Its inputs in the plural, e.g. `texts`. */
  readonly inputs: string;
  /** Names input i, e.g. `text 3`. */
  input(i: number): string;
}

const RULES: Record<Expect, { ok: (v: number) => boolean; why: string }> = {
  number: { ok: (v) => !Number.isNaN(v), why: '' },
  finite: { ok: Number.isFinite, why: '; scores must be finite numbers' },
  boolean: { ok: (v) => v === 0 || v === 1, why: '; it must return 0 or 1' },
  'log-score': { ok: (v) => !Number.isNaN(v) && v !== Infinity, why: '; log-scores must be finite or -Infinity' },
};

/** Checks that there is one value per input, each as `expect` says, and returns them. */
export function checkOutput(blame: Blame, values: Float64Array, count: number, expect: Expect = 'number'): Float64Array {
  const log = expect === 'log-score';
  if (values.length !== count) fail(`${blame.who} returned ${values.length} ${log ? 'log-scores' : 'scores'} for ${count} ${blame.inputs}`);
  const { ok, why } = RULES[expect];
  const bad = values.findIndex((v) => !ok(v));
  if (bad >= 0) fail(`${blame.who} returned ${values[bad]}${log ? ' as a log-score' : ''} for ${blame.input(bad)}${why}`);
  return values;
}
