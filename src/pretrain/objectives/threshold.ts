// The misalignment threshold t of filtering, conditional training and unlikelihood: a
// score ≤ t is good. A config gives it directly (`threshold`) or as a quantile of the
// corpus's scores (`quantile`, numpy's linear interpolation), which carries over between
// corpora whose scores live on different scales. A given threshold must lie within the
// corpus's scores: outside them every document or segment would fall on one side.
import { z } from 'zod';
import { quantile } from '../../data/manifest.js';
import { fail } from '../../util/errors.js';
import type { Document } from '../corpus.js';

/** The objective parameters that choose t (at most one of them). */
export const thresholdParams = {
  threshold: z.number().optional(),
  quantile: z.number().min(0).max(1).optional(),
};

export interface ThresholdSpec {
  threshold?: number;
  quantile?: number;
}

/** Refuses a config that gives both; `source` starts the sentence. */
export function checkThresholdSpec(spec: ThresholdSpec, source: string): void {
  if (spec.threshold !== undefined && spec.quantile !== undefined) {
    fail(`${source}: field \`objective\` gives both \`threshold\` and \`quantile\`; give one of them`);
  }
}

/**
 * t for `scores` (of documents or segments, named by `what`): the given threshold,
 * checked against their range, or their `defaultQuantile`-th quantile.
 */
export function resolveThreshold(spec: ThresholdSpec, defaultQuantile: number, scores: Float64Array, what: string, source: string): number {
  if (scores.length === 0) fail(`${source}: the training corpus has no ${what} scores to set the objective's threshold from`);
  const sorted = Float64Array.from(scores).sort();
  const min = sorted[0]!, max = sorted[sorted.length - 1]!;
  if (spec.threshold === undefined) return quantile(sorted, spec.quantile ?? defaultQuantile);
  if (spec.threshold < min || spec.threshold > max) {
    fail(`${source}: field \`objective.threshold\` is ${spec.threshold}, outside the range of the corpus's ${what} scores (${min} to ${max})`);
  }
  return spec.threshold;
}

/** A document's segments, or the whole text as one segment scored by the document's score. */
export function documentSegments(doc: Document): { start: number; end: number; score: number }[] {
  if (doc.segments) return doc.segments;
  return doc.score === undefined ? [] : [{ start: 0, end: doc.text.length, score: doc.score }];
}

/** Every segment score of the corpus, in order. */
export function segmentScores(docs: readonly Document[]): Float64Array {
  return Float64Array.from(docs.flatMap((d) => documentSegments(d).map((s) => s.score)));
}
