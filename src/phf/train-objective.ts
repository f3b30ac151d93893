// Pretraining one model with one of the six PHF objectives (SPEC §8) in either regime,
// for comparisons where the objective must be the only difference: the caller fixes
// the seed, tokenizer, corpus, model size, optimiser and budget, and the trainer
// shuffles blocks with the seed (conditional training's blocks also hold its control
// tokens). Used by `posterior phf sweep` and by the demo.
import { join } from 'node:path';
import { parsePretrainConfig, tokensPerStep } from '../pretrain/config.js';
import type { Objective } from '../pretrain/objective.js';
import { ConditionalObjective, type PrefixStats } from '../pretrain/objectives/conditional.js';
import { FilteringObjective } from '../pretrain/objectives/filtering.js';
import { createObjective } from '../pretrain/objectives/index.js';
import { FinetuneRegime, type Regime } from '../pretrain/regime.js';
import { pretrain, type PretrainResult } from '../pretrain/trainer.js';
import type { ProgressStream } from '../util/progress.js';

export interface ModelSize {
  n_layer: number;
  n_embd: number;
  n_head: number;
  block_size: number;
}

export interface TrainingSettings {
  /** Optimiser steps, or a budget of training tokens (rounded up to whole steps). */
  steps?: number;
  tokens?: number;
  batch_size: number;
  lr: number;
  warmup_steps: number;
  eval_interval: number;
  /** Default: only at the end. */
  checkpoint_interval?: number;
}

export interface TrainObjectiveOptions {
  /** A name in the objective registry (src/pretrain/objectives/index.ts). */
  objective: string;
  /** The objective's parameters besides its name and regime (default: the registry's). */
  params?: Record<string, unknown>;
  regime?: Regime;
  runDir: string;
  /** A prepared corpus directory (train.jsonl, validation.jsonl). */
  corpusDir: string;
  tokenizerPath: string;
  seed: number;
  model: ModelSize;
  training: TrainingSettings;
  threads?: number;
  /** Continue the run whose checkpoint is in `<runDir>/checkpoint`. */
  resume?: boolean;
  signal?: AbortSignal;
  /** Names the run in error sentences. */
  source?: string;
  stream?: ProgressStream;
}

export interface TrainingSummary {
  steps: number;
  tokens: number;
  parameters: number;
  loss: number | null;
  val_loss: number | null;
  tokens_per_second: number | null;
  /** Conditional training: the threshold t and how many segments got each prefix. */
  control_tokens?: { threshold: number; segments: number; good: number; bad: number; dropped: number };
  /** Filtering: the threshold t and the share of documents and tokens kept. */
  filtering?: { threshold: number; kept_fraction: number; kept_token_fraction: number };
}

export interface TrainedObjective {
  runDir: string;
  /** null if the run was interrupted (its checkpoint then holds where it stopped). */
  modelDir: string | null;
  result: PretrainResult;
  summary: TrainingSummary;
  /** Wall-clock seconds of this session. */
  seconds: number;
}

export async function trainObjective(o: TrainObjectiveOptions): Promise<TrainedObjective> {
  const spec = { name: o.objective, ...(o.regime && { regime: o.regime }), ...o.params };
  const source = o.source ?? `the ${o.objective} run in ${o.runDir}`;
  const t = o.training;
  const config = parsePretrainConfig({
    out_dir: o.runDir,
    seed: o.seed,
    ...(o.threads && { threads: o.threads }),
    objective: spec,
    model: { ...o.model, dropout: 0 },
    tokenizer: { path: o.tokenizerPath },
    data: { train: join(o.corpusDir, 'train.jsonl'), validation: join(o.corpusDir, 'validation.jsonl') },
    optimizer: { lr: t.lr, min_lr: t.lr / 10, warmup_steps: t.warmup_steps },
    training: {
      ...(t.steps !== undefined ? { steps: t.steps } : { tokens: t.tokens }),
      batch_size: t.batch_size, eval_interval: t.eval_interval, eval_batches: 4, checkpoint_interval: t.checkpoint_interval ?? Number.MAX_SAFE_INTEGER,
    },
    samples: { count: 0 },
  }, source);
  const objective: Objective = createObjective(spec, source);
  const started = performance.now();
  const result = await pretrain(config, {
    objective, source, ...(o.resume && { resume: true }), ...(o.signal && { signal: o.signal }), ...(o.stream && { stream: o.stream }),
  });
  return {
    runDir: o.runDir, modelDir: result.modelDir, result, seconds: (performance.now() - started) / 1000,
    summary: {
      steps: result.steps, tokens: result.steps * tokensPerStep(config), parameters: result.numParameters,
      loss: result.loss, val_loss: result.valLoss, tokens_per_second: result.tokensPerSecond,
      ...objectiveStats(objective),
    },
  };
}

/** What the objective did to the data, when it did something (seen through the finetune regime's wrapper). */
function objectiveStats(objective: Objective): Pick<TrainingSummary, 'control_tokens' | 'filtering'> {
  const inner = objective instanceof FinetuneRegime ? objective.inner : objective;
  if (inner instanceof ConditionalObjective && inner.stats) return { control_tokens: controlSummary(inner.stats) };
  if (inner instanceof FilteringObjective && inner.stats) {
    const s = inner.stats;
    return { filtering: { threshold: s.threshold, kept_fraction: s.keptFraction, kept_token_fraction: s.keptTokenFraction } };
  }
  return {};
}

function controlSummary(s: PrefixStats): NonNullable<TrainingSummary['control_tokens']> {
  return { threshold: s.threshold, segments: s.segments, good: s.good, bad: s.bad, dropped: s.dropped };
}
