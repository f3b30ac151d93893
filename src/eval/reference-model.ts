// The fixed reference LM of a task (SPEC §9): an MLE model trained once, with a larger
// budget and model than a sweep's, on the task's prepared corpus, and cached with a
// fixed set of its own samples and their log-probabilities, so every evaluation only
// scores those samples under the evaluated model. Layout of `.cache/reference/<task>/`:
//   reference.json   what was trained on what, with which settings and seed
//   model/           the checkpoint (config.json, model.safetensors, tokenizer.json)
//   samples.jsonl    {"tokens": [...], "logProb": ..., "finished": bool} per sample
//   run/             the pretraining run's metrics.jsonl
// Samples are pure ancestral samples (temperature 1, no filters) from
// `<|endoftext|>`, ending with the EOS that stops them; those that reach the length
// limit are prefixes, whose log-probability is that of the prefix, so the estimate
// is the KL between the distributions of length-limited prefixes. The directory is
// built in staging and renamed into place, so an interrupted training leaves none.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readManifest, readManifestFile } from '../data/corpus.js';
import { manualSeed } from '../engine/random.js';
import { loadModel } from '../lm/checkpoint.js';
import { generate } from '../lm/generate.js';
import type { GPT } from '../lm/gpt.js';
import { scoreContinuations } from '../lm/logprob.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { parsePretrainConfig } from '../pretrain/config.js';
import { pretrain } from '../pretrain/trainer.js';
import { buildDirAtomic, writeFileAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import type { ProgressStream } from '../util/progress.js';
import { disposeModel } from './eval-model.js';

export const REFERENCE_FORMAT = 'posterior-reference/1';
export const REFERENCE_FILE = 'reference.json';
export const SAMPLES_FILE = 'samples.jsonl';

/** `.cache/reference/<task>` under the working directory. */
export function defaultReferenceDir(task: string, cwd: string = process.cwd()): string {
  return join(cwd, '.cache', 'reference', task);
}

/** `.cache/data/<task>`, where `posterior data prepare` puts a task's corpus. */
export function defaultCorpusDir(task: string, cwd: string = process.cwd()): string {
  return join(cwd, '.cache', 'data', task);
}

export interface ReferenceModelSize {
  n_layer: number;
  n_embd: number;
  n_head: number;
  block_size: number;
  dropout: number;
}

/** Larger than examples/pretrain-pep8.yaml's 4 × 256 sweep model. */
export const DEFAULT_REFERENCE_SIZE: Readonly<ReferenceModelSize> = { n_layer: 6, n_embd: 256, n_head: 8, block_size: 128, dropout: 0.1 };
export const DEFAULT_REFERENCE_BUDGET = 6_000_000;
export const DEFAULT_REFERENCE_SAMPLES = 512;

export interface TrainReferenceOptions {
  task: string;
  corpusDir: string;
  outDir: string;
  /** Training tokens. */
  budget?: number;
  model?: Partial<ReferenceModelSize>;
  /** A tokenizer.json to use (e.g. a sweep's); default: train a byte-level BPE of `vocabSize` on the training split. */
  tokenizerPath?: string;
  vocabSize?: number;
  samples?: number;
  seed?: number;
  threads?: number;
  batchSize?: number;
  lr?: number;
  stream?: ProgressStream;
}

const manifestSchema = z.strictObject({
  format: z.literal(REFERENCE_FORMAT),
  task: z.string(),
  corpus: z.object({ dir: z.string(), train_sha256: z.string() }),
  budget: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  model: z.object({ n_layer: z.number(), n_embd: z.number(), n_head: z.number(), block_size: z.number(), dropout: z.number() }),
  tokenizer: z.string(),
  steps: z.number().int().nonnegative(),
  val_loss: z.number().nullable(),
  samples: z.number().int().positive(),
  mean_sample_tokens: z.number(),
});

export type ReferenceManifest = z.infer<typeof manifestSchema>;

export interface ReferenceSample {
  tokens: Int32Array;
  /** log ref(tokens | <|endoftext|>). */
  logProb: number;
  finished: boolean;
}

export interface Reference {
  dir: string;
  manifest: ReferenceManifest;
  model: GPT;
  tokenizer: Tokenizer;
  samples: ReferenceSample[];
}

/** Trains the reference of a task and writes its directory; returns its manifest. */
export async function trainReference(opts: TrainReferenceOptions): Promise<ReferenceManifest> {
  const corpus = readManifest(opts.corpusDir);
  if (corpus.task !== opts.task) fail(`corpus ${opts.corpusDir} was prepared for task ${corpus.task}, not ${opts.task}`);
  if (corpus.files.train.documents === 0) fail(`corpus ${opts.corpusDir} has no training documents (its train split is empty)`);
  const size = { ...DEFAULT_REFERENCE_SIZE, ...opts.model };
  const budget = opts.budget ?? DEFAULT_REFERENCE_BUDGET;
  const seed = opts.seed ?? 0;
  const count = opts.samples ?? DEFAULT_REFERENCE_SAMPLES;
  const batchSize = opts.batchSize ?? 16;
  if (!Number.isInteger(count) || count < 1) fail(`the number of reference samples must be a positive integer, got ${count}`);
  const out = resolve(opts.outDir);
  if (existsSync(out) && (!statSync(out).isDirectory() || (readdirSync(out).length > 0 && !existsSync(join(out, REFERENCE_FILE))))) {
    fail(`refusing to replace ${opts.outDir} with a reference: it is not empty and holds no ${REFERENCE_FILE}`);
  }
  let manifest: ReferenceManifest | undefined;
  await buildDirAtomic(out, async (staging) => {
    const config = parsePretrainConfig({
      out_dir: join(staging, 'run'),
      seed,
      ...(opts.threads ? { threads: opts.threads } : {}),
      objective: 'mle',
      model: size,
      tokenizer: opts.tokenizerPath ? { path: opts.tokenizerPath } : { train: { vocab_size: opts.vocabSize ?? 8192, max_bytes: 5_000_000 } },
      data: {
        train: join(opts.corpusDir, corpus.files.train.file),
        // A corpus too small to have validation documents lends some of its training ones.
        ...(corpus.files.validation.documents > 0 ? { validation: join(opts.corpusDir, corpus.files.validation.file) } : {}),
      },
      // A short run (a smoke test) would otherwise spend all of it warming up.
      optimizer: { lr: opts.lr ?? 1e-3, min_lr: (opts.lr ?? 1e-3) / 10, warmup_steps: Math.min(100, Math.floor(budget / (batchSize * size.block_size) / 10)) },
      training: { tokens: budget, batch_size: batchSize, eval_interval: 500, checkpoint_interval: 1_000_000 },
      samples: { count: 0 },
    }, `reference for task ${opts.task}`);
    const result = await pretrain(config, { stream: opts.stream });
    if (!result.modelDir) fail(`training the reference for task ${opts.task} was interrupted; nothing was written`);
    // The training state (AdamW moments) is only needed to resume; the model is what stays.
    rmSync(result.checkpointDir, { recursive: true, force: true });
    renameSync(result.modelDir, join(staging, 'model'));
    const samples = drawReferenceSamples(result.model, result.tokenizer, count, seed);
    writeFileAtomic(join(staging, SAMPLES_FILE), samples.map((s) => JSON.stringify({ tokens: Array.from(s.tokens), logProb: s.logProb, finished: s.finished })).join('\n') + '\n');
    manifest = {
      format: REFERENCE_FORMAT, task: opts.task,
      corpus: { dir: resolve(opts.corpusDir), train_sha256: corpus.files.train.sha256 },
      budget, seed, model: size, tokenizer: opts.tokenizerPath ? resolve(opts.tokenizerPath) : `trained (vocab ${opts.vocabSize ?? 8192})`,
      steps: result.steps, val_loss: result.valLoss, samples: count,
      mean_sample_tokens: samples.reduce((n, s) => n + s.tokens.length, 0) / count,
    };
    writeFileAtomic(join(staging, REFERENCE_FILE), JSON.stringify(manifest, null, 2) + '\n');
    disposeModel(result.model);
  });
  return manifest!;
}

/** `count` ancestral samples of the reference from `<|endoftext|>`, scored by the same batched forward pass that scores them under evaluated models. */
export function drawReferenceSamples(model: GPT, tokenizer: Tokenizer, count: number, seed: number): ReferenceSample[] {
  const eos = tokenizer.eosId;
  if (eos === undefined) fail('the reference tokenizer has no <|endoftext|> to start samples from');
  manualSeed(seed);
  // Room in the context for the start token and a conditional model's <|good|>.
  const maxNewTokens = model.config.n_positions - 2;
  const drawn = generate(model, [Int32Array.of(eos)], { maxNewTokens, eosId: eos, numReturnSequences: count, batchSize: 64 });
  const scores = scoreContinuations(model, drawn.map(() => Int32Array.of(eos)), drawn.map((s) => s.tokens), { batchSize: 32 });
  return drawn.map((s, i) => ({ tokens: s.tokens, logProb: scores[i]!.logProb, finished: s.finished }));
}

/** Loads the reference in `dir`, refusing one that is missing or was made for another task. */
export async function loadReference(dir: string, task: string): Promise<Reference> {
  const manifestPath = join(dir, REFERENCE_FILE);
  if (!existsSync(manifestPath)) fail(`there is no reference model for task ${task} in ${dir}; train one with 'posterior reference --task ${task}'`);
  const manifest: ReferenceManifest = readManifestFile(manifestPath, manifestSchema, 'reference');
  if (manifest.task !== task) fail(`the reference in ${dir} was trained for task ${manifest.task}, not ${task}`);
  const { model, tokenizer } = await loadModel(join(dir, 'model'));
  if (!tokenizer) {
    disposeModel(model);
    fail(`the reference model in ${join(dir, 'model')} has no tokenizer.json`);
  }
  return { dir, manifest, model, tokenizer, samples: readSamples(join(dir, SAMPLES_FILE), model.config.vocab_size) };
}

const sampleSchema = z.strictObject({ tokens: z.array(z.number().int().nonnegative()), logProb: z.number(), finished: z.boolean() });

function readSamples(path: string, vocab: number): ReferenceSample[] {
  if (!existsSync(path)) fail(`the reference in ${join(path, '..')} has no ${SAMPLES_FILE}; train it again with 'posterior reference'`);
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  return lines.map((line, i) => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      fail(`${path} line ${i + 1} is not valid JSON`);
    }
    const s = sampleSchema.safeParse(raw);
    if (!s.success || s.data.tokens.some((t) => t >= vocab)) fail(`${path} line ${i + 1} is not a reference sample (tokens within the vocabulary of ${vocab}, logProb, finished)`);
    return { tokens: Int32Array.from(s.data.tokens), logProb: s.data.logProb, finished: s.data.finished };
  });
}
