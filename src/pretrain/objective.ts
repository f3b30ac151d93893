// A pretraining objective maps a packed batch (with per-token scores, for the PHF
// objectives) to a loss. The trainer owns everything else — data, optimiser, schedule,
// clipping, checkpoints, resume — so MLE, filtering, conditional training,
// unlikelihood, RWR and AWR differ only here. The optional hooks cover what some
// objectives need beyond a loss: their own tokens (conditional training's control
// tokens), their own initialisation, their own parameters (AWR's value head) and a
// rewrite of the training documents (filtering, conditional prefixes).
import type { TokenizedDocument } from '../data/packing.js';
import type { Tensor } from '../engine/tensor.js';
import type { GPT } from '../lm/gpt.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import type { Document } from './corpus.js';

export interface TrainBatch {
  /** Token ids [B, T] (int64). */
  input: Tensor;
  /** Next-token ids [B, T] (int64); IGNORE (-100) under padding. */
  target: Tensor;
  /** Misalignment score of each target token [B, T] (float32), when the corpus has scores. */
  scores?: Tensor;
}

export interface ObjectiveContext {
  /** 0-based optimiser step being computed. */
  step: number;
  totalSteps: number;
  /** Training (dropout on) or evaluation. */
  train: boolean;
}

export interface ObjectiveOutput {
  /** A scalar to minimise. */
  loss: Tensor;
  /** Extra numbers worth logging (e.g. `unlikelihood/bad_fraction`); names as in the metrics vocabulary. */
  metrics: Record<string, number>;
}

export interface PrepareContext {
  tokenizer: Tokenizer;
  /** The run's seed: randomness in prepare (prefix dropout) must derive from it, so a resumed run sees the same data. */
  seed: number;
}

export interface Objective {
  readonly name: string;
  /** Refuse a corpus without scores. */
  readonly needsScores: boolean;
  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput;
  /** Adds the objective's special tokens before the model is built (its vocabulary follows the tokenizer). */
  extendTokenizer?(tokenizer: Tokenizer): void;
  /** Initialises what the objective owns in a freshly initialised model; not called when resuming. */
  initModel?(model: GPT, tokenizer: Tokenizer): void;
  /** Trainable tensors beyond the model's, by name, sized to `model` (AWR's value head): optimised, clipped and checkpointed with it. */
  parameters?(model: GPT): Map<string, Tensor>;
  /** Rewrites the training documents before packing (drop, insert tokens); validation data stays as read. */
  prepare?(docs: readonly Document[], tokenized: TokenizedDocument[], ctx: PrepareContext): TokenizedDocument[];
}
