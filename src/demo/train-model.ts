// Pretraining one of the demo's models: the same seed, tokenizer, corpus, model size,
// optimiser and steps for every objective, so the objective is the only difference
// (the trainer shuffles blocks with the seed; conditional training's blocks also hold
// its control tokens).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parsePretrainConfig, tokensPerStep } from '../pretrain/config.js';
import type { Objective } from '../pretrain/objective.js';
import { ConditionalObjective, type PrefixStats } from '../pretrain/objectives/conditional.js';
import { createObjective } from '../pretrain/objectives/index.js';
import { pretrain, type PretrainResult } from '../pretrain/trainer.js';
import type { ProgressStream } from '../util/progress.js';
import type { DemoConfig } from './config.js';

export const DEMO_OBJECTIVES = ['mle', 'conditional'] as const;
export type DemoObjective = (typeof DEMO_OBJECTIVES)[number];

export interface TrainedModel {
  objective: DemoObjective;
  /** The run directory (metrics.jsonl) and its model/ checkpoint. */
  runDir: string;
  modelDir: string;
  result: PretrainResult;
  summary: TrainingSummary;
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
}

export interface TrainDemoOptions {
  config: DemoConfig;
  objective: DemoObjective;
  runDir: string;
  corpusDir: string;
  tokenizerPath: string;
  stream?: ProgressStream;
}

export async function trainDemoModel(o: TrainDemoOptions): Promise<TrainedModel> {
  const c = o.config;
  const spec = o.objective === 'conditional' ? { name: 'conditional', drop_prob: c.dropProb } : { name: 'mle' };
  const source = `the demo's ${o.objective} run`;
  const config = parsePretrainConfig({
    out_dir: o.runDir,
    seed: c.seed,
    objective: spec,
    model: { ...c.model, dropout: 0 },
    tokenizer: { path: o.tokenizerPath },
    data: { train: join(o.corpusDir, 'train.jsonl'), validation: join(o.corpusDir, 'validation.jsonl') },
    optimizer: { lr: c.training.lr, min_lr: c.training.lr / 10, warmup_steps: c.training.warmup_steps },
    training: {
      steps: c.training.steps, batch_size: c.training.batch_size, eval_interval: c.training.eval_interval,
      eval_batches: 4, checkpoint_interval: c.training.steps,
    },
    samples: { count: 0 },
  }, source);
  const objective: Objective = createObjective(spec, source);
  const result = await pretrain(config, { objective, source, ...(o.stream && { stream: o.stream }) });
  // The optimiser state only serves a resume, which the demo never does.
  rmSync(result.checkpointDir, { recursive: true, force: true });
  const stats = objective instanceof ConditionalObjective ? objective.stats : undefined;
  return {
    objective: o.objective, runDir: o.runDir, modelDir: result.modelDir!, result,
    summary: {
      steps: result.steps, tokens: result.steps * tokensPerStep(config), parameters: result.numParameters,
      loss: result.loss, val_loss: result.valLoss, tokens_per_second: result.tokensPerSecond,
      ...(stats && { control_tokens: controlSummary(stats) }),
    },
  };
}

function controlSummary(s: PrefixStats): NonNullable<TrainingSummary['control_tokens']> {
  return { threshold: s.threshold, segments: s.segments, good: s.good, bad: s.bad, dropped: s.dropped };
}
