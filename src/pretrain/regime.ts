// The two regimes of SPEC §8: feedback from the first token (`pretrain`), or MLE for
// the first half of the token budget and the objective after it (`finetune`, the
// usual practice of aligning a model pretrained on raw data). A config picks one with
// the objective (`objective: {name: conditional, regime: finetune}`).
//
// In the finetune regime everything the objective does starts at the switch: its loss,
// its data (conditional prefixes, filtering: the trainer packs the documents as read
// for the first half and the objective's for the second — packPhases, dataAt) and
// the embeddings of its new tokens, which start from the mean of the embeddings the
// MLE half has learned. Whether a step is before or after the switch depends only on
// the step, so a run resumed on either side of it continues exactly.
import type { TokenizedDocument } from '../data/packing.js';
import type { Tensor } from '../engine/tensor.js';
import type { GPT } from '../lm/gpt.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import type { ProgressStream } from '../util/progress.js';
import { totalSteps, type PretrainConfig } from './config.js';
import type { Document } from './corpus.js';
import { packCorpora, type Corpora, type PackedData } from './data.js';
import type { Objective, ObjectiveContext, ObjectiveOutput, PrepareContext, TrainBatch } from './objective.js';
import { MleObjective } from './objectives/mle.js';

export const REGIMES = ['pretrain', 'finetune'] as const;
export type Regime = (typeof REGIMES)[number];

/** The first step of the objective: 0, or half the steps (rounded down) in the finetune regime. */
export function switchStep(regime: Regime, steps: number): number {
  return regime === 'pretrain' ? 0 : Math.floor(steps / 2);
}

/** The steps before `switchStep` train by MLE on the documents as read; the rest are `inner`'s. */
export class FinetuneRegime implements Objective {
  readonly name: string;
  readonly needsScores: boolean;
  private readonly mle = new MleObjective();
  private tokenizer: Tokenizer | undefined;
  private reinitialisedAt = -1;

  constructor(readonly inner: Objective) {
    this.name = inner.name;
    this.needsScores = inner.needsScores;
  }

  switchStep(steps: number): number {
    return switchStep('finetune', steps);
  }

  extendTokenizer(tokenizer: Tokenizer): void {
    this.inner.extendTokenizer?.(tokenizer);
  }

  initModel(model: GPT, tokenizer: Tokenizer): void {
    this.inner.initModel?.(model, tokenizer);
  }

  parameters(model: GPT): Map<string, Tensor> {
    return this.inner.parameters?.(model) ?? new Map();
  }

  /** The documents of the second half. */
  prepare(docs: readonly Document[], tokenized: TokenizedDocument[], ctx: PrepareContext): TokenizedDocument[] {
    this.tokenizer = ctx.tokenizer;
    return this.inner.prepare ? this.inner.prepare(docs, tokenized, ctx) : tokenized;
  }

  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput {
    const at = this.switchStep(ctx.totalSteps);
    if (ctx.step < at) {
      const out = this.mle.loss(model, batch, ctx);
      return { loss: out.loss, metrics: { ...out.metrics, 'regime/feedback': 0 } };
    }
    // The objective's new tokens are new now: initialise them once, at the first micro-batch of the switch step.
    if (ctx.train && ctx.step === at && this.reinitialisedAt !== at && this.inner.initModel) {
      if (!this.tokenizer) throw new Error('finetune regime: the switch came before prepare() saw the tokenizer');
      this.inner.initModel(model, this.tokenizer);
      this.reinitialisedAt = at;
    }
    const out = this.inner.loss(model, batch, ctx);
    return { loss: out.loss, metrics: { ...out.metrics, 'regime/feedback': 1 } };
  }
}

/** Wraps `objective` for `regime`. */
export function withRegime(objective: Objective, regime: Regime): Objective {
  return regime === 'pretrain' ? objective : new FinetuneRegime(objective);
}

/** The training data before and after the switch (the same object when they do not differ). */
export interface DataPhases {
  before: PackedData;
  after: PackedData;
  switchStep: number;
}

/** Packs the training data of each phase of `objective`'s regime. */
export function packPhases(corpora: Corpora, tokenizer: Tokenizer, objective: Objective, config: PretrainConfig, stream?: ProgressStream): DataPhases {
  const after = packCorpora(corpora, tokenizer, objective, config, stream);
  if (!(objective instanceof FinetuneRegime)) return { before: after, after, switchStep: 0 };
  const asRead: Objective = { name: objective.name, needsScores: objective.needsScores, loss: (m, b, c) => objective.loss(m, b, c) };
  const before = packCorpora(corpora, tokenizer, asRead, config, stream);
  const at = objective.switchStep(totalSteps(config));
  return before.trainHash === after.trainHash ? { before: after, after, switchStep: at } : { before, after, switchStep: at };
}

/** The data step `step` trains on. */
export function dataAt(phases: DataPhases, step: number): PackedData {
  return step < phases.switchStep ? phases.before : phases.after;
}

/** Whether the training stream changes corpus when `step` steps are done (the trainer then restarts it at the new corpus's first epoch). */
export function switchesData(phases: DataPhases, step: number): boolean {
  return step === phases.switchStep && phases.before !== phases.after;
}
