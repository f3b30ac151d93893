// Misalignment of unconditional samples (SPEC §9): the task scorer's mean score, the
// expected worst case of 25 draws (max@25: the maximum of each consecutive group of
// 25 scores, averaged over the groups; a last partial group is left out so every
// group estimates the same quantity) and the hit rate (share of scores above 0).
import type { Scorer } from '../scorers/scorer.js';
import { checkOutput } from '../scorers/validate.js';
import { fail, PosteriorError } from '../util/errors.js';
import type { EvalModel } from './eval-model.js';
import { unconditionalSamples, type SamplingSettings, type TextSample } from './sampling.js';

export const MAX_AT = 25;

export interface MisalignmentMetrics {
  mean: number;
  maxAt25: number;
  hitRate: number;
}

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) fail('cannot average no values');
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Mean over consecutive groups of k of the group maximum. */
export function maxAtK(scores: ArrayLike<number>, k: number = MAX_AT): number {
  const groups = Math.floor(scores.length / k);
  if (groups === 0) fail(`max@${k} needs at least ${k} samples, got ${scores.length}`);
  let total = 0;
  for (let g = 0; g < groups; g++) {
    let best = -Infinity;
    for (let i = g * k; i < (g + 1) * k; i++) best = Math.max(best, scores[i]!);
    total += best;
  }
  return total / groups;
}

/** Share of scores above 0: samples with any misalignment at all. */
export function hitRate(scores: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > 0) hits++;
  return hits / scores.length;
}

export function misalignmentMetrics(scores: ArrayLike<number>): MisalignmentMetrics {
  return { mean: mean(scores), maxAt25: maxAtK(scores), hitRate: hitRate(scores) };
}

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

/**
 * Scores texts with the task scorer, refusing output that is not a misalignment score.
 * Generated text can break a scorer's tool (pycodestyle crashes on some fragments of
 * code); when a batch is refused, each text is scored alone, and those the scorer
 * refuses are set aside and reported rather than stopping the evaluation, unless it
 * refuses every one.
 */
export async function scoreTexts(scorer: Scorer, texts: readonly string[], contexts?: readonly string[]): Promise<ScoredTexts> {
  const all = await refusable(() => scorer.score(texts, contexts), texts.length > 1);
  if (all instanceof Float64Array) return { scores: checked(scorer, all, texts.length, 0), unscorable: [] };
  const scores = new Float64Array(texts.length);
  const unscorable: Unscorable[] = [];
  for (let i = 0; i < texts.length; i++) {
    const one = await refusable(() => scorer.score([texts[i]!], contexts && [contexts[i]!]), true);
    if (one instanceof Float64Array) scores[i] = checked(scorer, one, 1, i)[0]!;
    else {
      scores[i] = NaN;
      unscorable.push({ index: i, reason: one.reason });
    }
  }
  if (unscorable.length === texts.length) fail(unscorable[0]!.reason);
  return { scores, unscorable };
}

/** The scorer's answer, or (when allowed) its refusal: a PosteriorError, which names the input it could not score. */
async function refusable(score: () => Promise<Float64Array>, allowed: boolean): Promise<Float64Array | { reason: string }> {
  try {
    return await score();
  } catch (e) {
    if (!allowed || !(e instanceof PosteriorError)) throw e;
    return { reason: e.message };
  }
}

function checked(scorer: Scorer, scores: Float64Array, count: number, offset: number): Float64Array {
  checkOutput({ who: `scorer ${scorer.name}`, inputs: 'samples', input: (i) => `sample ${offset + i}` }, scores, count, 'finite');
  const negative = scores.findIndex((s) => s < 0);
  if (negative >= 0) fail(`scorer ${scorer.name} gave sample ${offset + negative} the score ${scores[negative]}; misalignment scores must be ≥ 0`);
  return scores;
}

export interface MisalignmentResult extends MisalignmentMetrics {
  samples: TextSample[];
  /** NaN for the unscorable samples, which the metrics leave out. */
  scores: Float64Array;
  unscorable: Unscorable[];
}

/** Draws n unconditional samples (LibTorch's RNG seeded by the caller) and scores them. */
export async function measureMisalignment(m: EvalModel, scorer: Scorer, n: number, settings?: SamplingSettings): Promise<MisalignmentResult> {
  const samples = unconditionalSamples(m, n, settings);
  const { scores, unscorable } = await scoreTexts(scorer, samples.map((s) => s.text));
  return { ...misalignmentMetrics(scores.filter((s) => !Number.isNaN(s))), samples, scores, unscorable };
}
