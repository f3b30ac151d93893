// Scoring generated text, whose oddities can break a scorer's tool (pycodestyle crashes
// on some fragments of code): when a batch is refused, each text is scored alone, and
// those the scorer refuses are set aside and reported rather than stopping the caller,
// unless it refuses every one (then the tool, not the text, is the likely problem).
// Scores must be finite, and by default misalignment scores (≥ 0).
import { checkOutput } from './validate.js';
import { fail, PosteriorError } from '../util/errors.js';
import type { Scorer } from './scorer.js';

export interface Unscorable {
  index: number;
  /** The scorer's sentence. */
  reason: string;
}

export interface ScoredTexts {
  /** NaN where the scorer refused the text. */
  scores: Float64Array;
  unscorable: Unscorable[];
}

/** Scores texts, refusing output that is not finite (or, for misalignment, negative); NaN marks a text the scorer refused. */
export async function scoreTexts(scorer: Scorer, texts: readonly string[], contexts?: readonly string[], kind: 'misalignment' | 'any' = 'misalignment'): Promise<ScoredTexts> {
  const checked = (scores: Float64Array, count: number, offset: number) => checkScores(scorer, scores, count, offset, kind);
  const all = await refusable(() => scorer.score(texts, contexts), texts.length > 1);
  if ('scores' in all) return { scores: checked(all.scores, texts.length, 0), unscorable: [] };
  const scores = new Float64Array(texts.length);
  const unscorable: Unscorable[] = [];
  for (let i = 0; i < texts.length; i++) {
    const one = await refusable(() => scorer.score([texts[i]!], contexts && [contexts[i]!]), true);
    if ('scores' in one) scores[i] = checked(one.scores, 1, i)[0]!;
    else {
      scores[i] = NaN;
      unscorable.push({ index: i, reason: one.reason });
    }
  }
  if (unscorable.length === texts.length) fail(unscorable[0]!.reason);
  return { scores, unscorable };
}

/** The scorer's answer, or (when allowed) its refusal: a PosteriorError, which names the input it could not score. */
async function refusable(score: () => Promise<Float64Array>, allowed: boolean): Promise<{ scores: Float64Array } | { reason: string }> {
  try {
    return { scores: await score() };
  } catch (e) {
    if (!allowed || !(e instanceof PosteriorError)) throw e;
    return { reason: e.message };
  }
}

function checkScores(scorer: Scorer, scores: Float64Array, count: number, offset: number, kind: 'misalignment' | 'any'): Float64Array {
  checkOutput({ who: `scorer ${scorer.name}`, inputs: 'samples', input: (i) => `sample ${offset + i}` }, scores, count, 'finite');
  if (kind === 'any') return scores;
  const negative = scores.findIndex((s) => s < 0);
  if (negative >= 0) fail(`scorer ${scorer.name} gave sample ${offset + negative} the score ${scores[negative]}; misalignment scores must be ≥ 0`);
  return scores;
}
