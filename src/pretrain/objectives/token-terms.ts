// The per-token pieces the weighted PHF losses (unlikelihood, RWR, AWR) are built from:
// each target's cross-entropy, which targets are real (not padding), and the scores.
// Every loss is a mean over the real targets of a batch, like MLE's, so learning rates
// carry over between objectives.
import { IGNORE } from '../../data/packing.js';
import { crossEntropy } from '../../engine/functional.js';
import type { Tensor } from '../../engine/tensor.js';
import type { TrainBatch } from '../objective.js';

export interface TokenTerms {
  /** −log p(target) per position [B, T]; 0 under padding. */
  ce: Tensor;
  /** 1 on real targets, 0 under padding [B, T] (float32). */
  mask: Tensor;
  /** Misalignment score of each target [B, T]. */
  scores: Tensor;
  /** Number of real targets. */
  count: number;
}

/** Per-token terms from next-token logits [B, T, V]. */
export function tokenTerms(logits: Tensor, batch: TrainBatch, objective: string): TokenTerms {
  if (!batch.scores) throw new Error(`objective ${objective} was given a batch without scores`);
  const [B, T] = batch.target.shape as [number, number];
  const ce = crossEntropy(logits.view(B * T, -1), batch.target.view(B * T), { ignoreIndex: IGNORE, reduction: 'none' }).view(B, T);
  const mask = batch.target.ne(IGNORE).to('float32');
  return { ce, mask, scores: batch.scores, count: Math.max(1, mask.sum().item()) };
}

/** Σ x over the real targets / their number. */
export function tokenMean(x: Tensor, t: TokenTerms): Tensor {
  return x.mul(t.mask).sum().div(t.count);
}
