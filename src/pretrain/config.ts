// The pretraining config (`posterior pretrain --config FILE`), YAML or JSON, validated
// strictly: an unknown field or a wrong type is one sentence naming the file and the
// field. Paths are taken relative to the working directory, as on the command line.
import { z } from 'zod';
import { loadConfig, parseConfig } from '../util/config.js';

const positiveInt = z.number().int().positive();

const modelSchema = z.strictObject({
  n_layer: positiveInt.default(4),
  n_embd: positiveInt.default(256),
  n_head: positiveInt.default(4),
  /** Context length: blocks have this many input tokens. */
  block_size: positiveInt.default(128),
  /** One rate for embedding, attention and residual dropout. */
  dropout: z.number().min(0).lt(1).default(0.1),
});

const tokenizerSchema = z.strictObject({
  /** A Hugging Face tokenizer.json. */
  path: z.string().min(1).optional(),
  /** Or train a byte-level BPE on the training corpus first. */
  train: z.strictObject({
    vocab_size: z.number().int().min(257),
    /** Train on at most this many bytes of the corpus (whole documents). */
    max_bytes: positiveInt.optional(),
  }).optional(),
});

const dataSchema = z.strictObject({
  /** A directory of text files, a text file, or a .jsonl file with a "text" field per line. */
  train: z.string().min(1),
  /** Held-out documents; without it, `validation_fraction` of the training documents. */
  validation: z.string().min(1).optional(),
  validation_fraction: z.number().gt(0).lt(1).default(0.01),
  /** In a directory, only files with these extensions (e.g. [".py"]). */
  extensions: z.array(z.string().regex(/^\.[^/]+$/, 'must be extensions such as ".py"')).min(1).optional(),
  /** Read at most this many bytes of each corpus (whole documents). */
  max_bytes: positiveInt.optional(),
});

const optimizerSchema = z.strictObject({
  lr: z.number().positive().default(1e-3),
  min_lr: z.number().nonnegative().default(1e-4),
  warmup_steps: z.number().int().nonnegative().default(100),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.95]),
  eps: z.number().positive().default(1e-8),
  weight_decay: z.number().nonnegative().default(0.1),
  /** Clip the global gradient norm to this; null turns clipping off. */
  grad_clip: z.number().positive().nullable().default(1.0),
});

const trainingSchema = z.strictObject({
  /** Optimiser steps; or give `tokens`, a budget of training tokens. */
  steps: positiveInt.optional(),
  tokens: positiveInt.optional(),
  batch_size: positiveInt.default(16),
  /** Micro-batches per optimiser step. */
  grad_accum: positiveInt.default(1),
  eval_interval: positiveInt.default(100),
  /** Validation batches per evaluation (the same ones each time). */
  eval_batches: positiveInt.default(8),
  checkpoint_interval: positiveInt.default(500),
});

const samplesSchema = z.strictObject({
  count: z.number().int().nonnegative().default(4),
  max_new_tokens: positiveInt.default(128),
  temperature: z.number().positive().default(0.8),
  top_k: positiveInt.optional(),
  top_p: z.number().gt(0).max(1).optional(),
  /** Text each sample starts from (after `<|endoftext|>`); default: nothing. */
  prompt: z.string().default(''),
});

const objectiveSchema = z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })]);

const baseSchema = z.strictObject({
  out_dir: z.string().min(1),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /** LibTorch intra-op threads; default: LibTorch's choice. */
  threads: positiveInt.optional(),
  objective: objectiveSchema.default('mle'),
  model: modelSchema.prefault({}),
  tokenizer: tokenizerSchema,
  data: dataSchema,
  optimizer: optimizerSchema.prefault({}),
  training: trainingSchema,
  samples: samplesSchema.prefault({}),
});

// Rules that tie fields together, reported on the field to change.
export const pretrainConfigSchema = baseSchema.superRefine((c, ctx) => {
  const problem = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if ((c.tokenizer.path === undefined) === (c.tokenizer.train === undefined)) problem(['tokenizer'], 'needs exactly one of `path` (a tokenizer.json) and `train` ({vocab_size})');
  if ((c.training.steps === undefined) === (c.training.tokens === undefined)) problem(['training'], 'needs exactly one of `steps` and `tokens`');
  if (c.optimizer.min_lr > c.optimizer.lr) problem(['optimizer', 'min_lr'], `must not exceed optimizer.lr (${c.optimizer.lr}), got ${c.optimizer.min_lr}`);
  if (c.model.n_embd % c.model.n_head !== 0) problem(['model', 'n_embd'], `must be divisible by model.n_head (${c.model.n_head}), got ${c.model.n_embd}`);
});

export type PretrainConfig = z.infer<typeof pretrainConfigSchema>;

/** The objective as `{name, ...params}`, whichever way the config spelled it. */
export function objectiveSpec(c: PretrainConfig): { name: string } & Record<string, unknown> {
  return typeof c.objective === 'string' ? { name: c.objective } : c.objective;
}

/** Validates a parsed config; `source` starts every error sentence (e.g. `config run.yaml`). */
export function parsePretrainConfig(raw: unknown, source: string): PretrainConfig {
  return parseConfig(raw, pretrainConfigSchema, source);
}

/** Reads and validates a .yaml, .yml or .json config file. */
export function loadPretrainConfig(path: string): PretrainConfig {
  return loadConfig(path, pretrainConfigSchema);
}

/** Optimiser steps the config asks for (a token budget rounds up to whole steps). */
export function totalSteps(c: PretrainConfig): number {
  return c.training.steps ?? Math.ceil(c.training.tokens! / tokensPerStep(c));
}

export function tokensPerStep(c: PretrainConfig): number {
  return c.training.batch_size * c.training.grad_accum * c.model.block_size;
}
