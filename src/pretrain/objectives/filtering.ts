// Filtering: MLE on the training documents whose mean token score is ≤ t, with t a
// quantile of those means by default. A document's mean is over its tokens, each
// scored by its segment, so it weighs segments by how much the model trains on them.
// The fractions of documents and tokens kept go into every step's metrics.
import type { TokenizedDocument } from '../../data/packing.js';
import type { GPT } from '../../lm/gpt.js';
import type { Document } from '../corpus.js';
import type { Objective, ObjectiveContext, ObjectiveOutput, PrepareContext, TrainBatch } from '../objective.js';
import { MleObjective } from './mle.js';
import { resolveThreshold, type ThresholdSpec } from './threshold.js';

/** Default t: keep the 90% of documents with the lowest mean score. */
export const FILTERING_QUANTILE = 0.9;

export interface FilteringStats {
  threshold: number;
  keptDocuments: number;
  documents: number;
  keptFraction: number;
  keptTokenFraction: number;
}

export class FilteringObjective implements Objective {
  readonly name = 'filtering';
  readonly needsScores = true;
  private readonly mle = new MleObjective();
  /** Set by prepare. */
  stats: FilteringStats | undefined;

  constructor(private readonly spec: ThresholdSpec, private readonly source: string) {}

  prepare(_docs: readonly Document[], tokenized: TokenizedDocument[], _ctx: PrepareContext): TokenizedDocument[] {
    // Empty documents never reach training, so they neither count nor set t.
    const scored = tokenized.filter((d) => d.ids.length > 0);
    const means = Float64Array.from(scored, (d) => meanScore(d, this.name));
    const threshold = resolveThreshold(this.spec, FILTERING_QUANTILE, means, 'document mean', this.source);
    const kept = scored.filter((_, i) => means[i]! <= threshold);
    const tokens = (ds: TokenizedDocument[]) => ds.reduce((n, d) => n + d.ids.length, 0);
    this.stats = {
      threshold, keptDocuments: kept.length, documents: scored.length,
      keptFraction: kept.length / scored.length, keptTokenFraction: tokens(kept) / tokens(scored),
    };
    return kept;
  }

  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput {
    const out = this.mle.loss(model, batch, ctx);
    const s = this.stats;
    const metrics: Record<string, number> = s ? { 'filtering/threshold': s.threshold, 'filtering/kept_fraction': s.keptFraction, 'filtering/kept_token_fraction': s.keptTokenFraction } : {};
    return { loss: out.loss, metrics };
  }
}

/** The mean of a document's token scores. */
export function meanScore(d: TokenizedDocument, objective: string): number {
  if (!d.scores) throw new Error(`objective ${objective} was given a document without token scores`);
  let sum = 0;
  for (const s of d.scores) sum += s;
  return sum / d.scores.length;
}
