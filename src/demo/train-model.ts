// Pretraining one of the demo's models with the sweep's trainer (src/phf/train-objective.ts):
// the same seed, tokenizer, corpus, model size, optimiser and steps for every objective.
import { rmSync } from 'node:fs';
import { trainObjective, type TrainingSummary } from '../phf/train-objective.js';
import type { PretrainResult } from '../pretrain/trainer.js';
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
  const trained = await trainObjective({
    objective: o.objective, params: o.objective === 'conditional' ? { drop_prob: c.dropProb } : {},
    runDir: o.runDir, corpusDir: o.corpusDir, tokenizerPath: o.tokenizerPath, seed: c.seed, model: c.model,
    training: { ...c.training }, source: `the demo's ${o.objective} run`, ...(o.stream && { stream: o.stream }),
  });
  // The optimiser state only serves a resume, which the demo never does.
  rmSync(trained.result.checkpointDir, { recursive: true, force: true });
  return { objective: o.objective, runDir: o.runDir, modelDir: trained.modelDir!, result: trained.result, summary: trained.summary };
}
