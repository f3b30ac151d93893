// The pretraining loop: packed blocks → objective loss → backward (with optional
// gradient accumulation) → global-norm clipping → AdamW with warmup + cosine decay,
// each micro-step inside tidy(); a held-out loss every eval_interval steps; metrics
// as JSONL; checkpoints every checkpoint_interval steps and at the end. The state
// that determines the future of a run — weights, AdamW moments and step, LibTorch's
// RNG (dropout), the data position — is all in the checkpoint, so a run stopped and
// resumed ends with bit-identical weights to an uninterrupted one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BlockStream, sequentialBatches, IGNORE, type BlockBatch, type PackedCorpus } from '../data/packing.js';
import { AdamW, type ParamGroup } from '../engine/adamw.js';
import { clipGradNorm, noGrad, zeroGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import { crossEntropy } from '../engine/functional.js';
import { manualSeed, setNumThreads, setRngState } from '../engine/random.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { saveModel } from '../lm/checkpoint.js';
import { generate } from '../lm/generate.js';
import { GPT } from '../lm/gpt.js';
import { gptConfig, type GPTConfig } from '../lm/gpt-config.js';
import { Tokenizer } from '../lm/tokenizer.js';
import { openMetrics, readMetrics, METRICS_FILE, type MetricsWriter } from '../runs/metrics.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import { progress, type Progress, type ProgressStream } from '../util/progress.js';
import { objectiveSpec, totalSteps, type PretrainConfig } from './config.js';
import { ensureEos, readCorpora, trainTokenizer, type PackedData } from './data.js';
import type { Objective, TrainBatch } from './objective.js';
import { createObjective } from './objectives/index.js';
import { dataAt, packPhases, switchesData, type DataPhases } from './regime.js';
import { CHECKPOINT_DIR, loadObjectiveParams, loadRunCheckpoint, MODEL_DIR, saveRunCheckpoint, type RunParts } from './run-checkpoint.js';
import { warmupCosine, type Schedule } from './schedule.js';

export interface PretrainOptions {
  /** Continue the run whose checkpoint is in `<out_dir>/checkpoint`. */
  resume?: boolean;
  /** Names the config in error sentences (e.g. `config run.yaml`). */
  source?: string;
  /** Use this objective instead of the one the config names. */
  objective?: Objective;
  /** Stop at the next step boundary, writing a checkpoint first (Ctrl-C). */
  signal?: AbortSignal;
  /** Called after every optimiser step with the metrics logged for it. */
  onStep?: (step: number, metrics: Readonly<Record<string, number>>) => void;
  /** Where progress bars and messages go (default stderr). */
  stream?: ProgressStream;
}

export interface PretrainResult {
  outDir: string;
  /** The final model (Hugging Face layout), or null if the run was interrupted. */
  modelDir: string | null;
  checkpointDir: string;
  /** Optimiser steps done in total; `totalSteps` were asked for. */
  steps: number;
  totalSteps: number;
  interrupted: boolean;
  /** Training loss of the last step, held-out loss of the last evaluation. */
  loss: number | null;
  valLoss: number | null;
  /** Median over this session's steps. */
  tokensPerSecond: number | null;
  numParameters: number;
  /** The config's `samples` from the final model (none if interrupted). */
  samples: string[];
  model: GPT;
  tokenizer: Tokenizer;
}

interface Session extends RunParts {
  objective: Objective;
  /** The training data before and after the finetune regime's switch (one and the same otherwise). */
  phases: DataPhases;
  data: PackedData;
  stream: BlockStream;
  schedule: Schedule;
  params: Tensor[];
  step: number;
  totalSteps: number;
}

export async function pretrain(config: PretrainConfig, opts: PretrainOptions = {}): Promise<PretrainResult> {
  const source = opts.source ?? 'pretraining config';
  if (config.threads) setNumThreads(config.threads);
  const objective = opts.objective ?? createObjective(objectiveSpec(config), source);
  const checkpointDir = join(config.out_dir, CHECKPOINT_DIR);
  if (opts.resume && !existsSync(checkpointDir)) fail(`cannot resume: ${checkpointDir} does not exist (run without --resume to start)`);
  if (!opts.resume && existsSync(checkpointDir)) fail(`${config.out_dir} already holds a run (${checkpointDir}); pass --resume to continue it or choose another out_dir`);
  const s = opts.resume ? await resumeSession(config, objective, checkpointDir, source, opts.stream) : freshSession(config, objective, opts.stream);
  const prompt = samplePrompt(s, source);
  trimMetrics(config.out_dir, s.step);
  const metrics = openMetrics(config.out_dir);
  const bar = progress('pretrain', { total: s.totalSteps, unit: 'step', start: s.step, stream: opts.stream });
  try {
    const result = await loop(s, metrics, bar, checkpointDir, opts);
    bar.done();
    const samples = result.interrupted ? [] : sample(s, prompt);
    return { ...result, samples, checkpointDir, outDir: config.out_dir, numParameters: s.model.numParameters, model: s.model, tokenizer: s.tokenizer };
  } finally {
    metrics.close();
    bar.done();
  }
}

/** `<|endoftext|>` and the configured prompt, checked before training rather than after it. */
function samplePrompt(s: Session, source: string): Int32Array {
  const prompt = Int32Array.from([s.tokenizer.eosId!, ...s.tokenizer.encode(s.config.samples.prompt, { special: false })]);
  if (prompt.length >= s.config.model.block_size) {
    fail(`${source}: field \`samples.prompt\` is ${prompt.length - 1} tokens long, which leaves no room in a context of ${s.config.model.block_size}`);
  }
  return prompt;
}

/** Samples from the trained model, each the prompt text plus its continuation. */
function sample(s: Session, prompt: Int32Array): string[] {
  const c = s.config.samples;
  if (c.count === 0) return [];
  const out = generate(s.model, [prompt], {
    maxNewTokens: Math.min(c.max_new_tokens, s.config.model.block_size - prompt.length), temperature: c.temperature,
    topK: c.top_k, topP: c.top_p, eosId: s.tokenizer.eosId, numReturnSequences: c.count, tokenizer: s.tokenizer,
  });
  return out.map((x) => c.prompt + x.text!);
}

function freshSession(config: PretrainConfig, objective: Objective, stream?: ProgressStream): Session {
  manualSeed(config.seed);
  const corpora = readCorpora(config);
  const tokenizer = config.tokenizer.path
    ? Tokenizer.load(config.tokenizer.path)
    : trainTokenizer(corpora.train, config.tokenizer.train!.vocab_size, config.tokenizer.train!.max_bytes, stream);
  ensureEos(tokenizer);
  objective.extendTokenizer?.(tokenizer);
  const phases = packPhases(corpora, tokenizer, objective, config, stream);
  const model = new GPT(modelConfig(config, tokenizer)).initWeights();
  objective.initModel?.(model, tokenizer);
  return session(config, objective, model, tokenizer, phases, 0, { epoch: 0, index: 0 });
}

async function resumeSession(config: PretrainConfig, objective: Objective, dir: string, source: string, stream?: ProgressStream): Promise<Session> {
  const loaded = await loadRunCheckpoint(dir, config, source);
  const phases = packPhases(readCorpora(config), loaded.tokenizer, objective, config, stream);
  const data = dataAt(phases, loaded.run.step);
  if (data.trainHash !== loaded.run.trainHash || data.train.numBlocks !== loaded.run.numBlocks) {
    fail(`the training data (${config.data.train}) differs from the data of the run in ${dir}, so it cannot be resumed exactly`);
  }
  const s = session(config, objective, loaded.model, loaded.tokenizer, phases, loaded.run.step, loaded.run.position);
  s.optimizer.load(loaded.state.optimizer);
  for (const t of [...loaded.state.optimizer.expAvg, ...loaded.state.optimizer.expAvgSq]) t.dispose();
  loadObjectiveParams(dir, s.objectiveParams);
  setRngState(loaded.state.rng);
  return s;
}

function session(config: PretrainConfig, objective: Objective, model: GPT, tokenizer: Tokenizer, phases: DataPhases, step: number, position: { epoch: number; index: number }): Session {
  const o = config.optimizer;
  const data = dataAt(phases, step);
  const objectiveParams = objective.parameters?.(model) ?? new Map<string, Tensor>();
  const extra: ParamGroup[] = objectiveParams.size ? [{ params: [...objectiveParams.values()] }] : [];
  const optimizer = new AdamW([...model.paramGroups(o.weight_decay), ...extra], { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay });
  const steps = totalSteps(config);
  return {
    config, objective, model, tokenizer, optimizer, objectiveParams, phases, data, step, totalSteps: steps,
    stream: new BlockStream(data.train, config.seed, position),
    schedule: warmupCosine({ lr: o.lr, minLr: o.min_lr, warmupSteps: o.warmup_steps, totalSteps: steps }),
    params: [...model.parameters(), ...objectiveParams.values()],
  };
}

function modelConfig(c: PretrainConfig, tokenizer: Tokenizer): GPTConfig {
  const m = c.model;
  const eos = tokenizer.eosId ?? null;
  return gptConfig({
    vocab_size: tokenizer.vocabSize, n_positions: m.block_size, n_embd: m.n_embd, n_layer: m.n_layer, n_head: m.n_head,
    resid_pdrop: m.dropout, embd_pdrop: m.dropout, attn_pdrop: m.dropout, bos_token_id: eos, eos_token_id: eos,
  });
}

type LoopResult = Pick<PretrainResult, 'modelDir' | 'steps' | 'totalSteps' | 'interrupted' | 'loss' | 'valLoss' | 'tokensPerSecond'>;

async function loop(s: Session, metrics: MetricsWriter, bar: Progress, checkpointDir: string, opts: PretrainOptions): Promise<LoopResult> {
  const t = s.config.training;
  const rates: number[] = [];
  let loss: number | null = null, valLoss: number | null = null, lastCheckpoint: number | null = s.step > 0 ? s.step : null;
  while (s.step < s.totalSteps) {
    // Yield so a signal (Ctrl-C) can be seen between steps.
    await new Promise((r) => setImmediate(r));
    if (opts.signal?.aborted) break;
    const started = performance.now();
    const r = trainStep(s);
    const record: Record<string, number> = { loss: r.loss, lr: r.lr, grad_norm: r.gradNorm, ...r.metrics };
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) {
      metrics.log(s.step + 1, record);
      fail(nonFiniteSentence(s.step + 1, r, lastCheckpoint, checkpointDir));
    }
    s.step++;
    if (switchesData(s.phases, s.step)) startPhase(s);
    record.tokens_per_second = r.tokens / ((performance.now() - started) / 1000);
    rates.push(record.tokens_per_second);
    loss = r.loss;
    const last = s.step === s.totalSteps;
    if (s.step % t.eval_interval === 0 || last) {
      valLoss = record['val/loss'] = validationLoss(s.model, s.data.validation, t.batch_size, t.eval_batches);
      bar.log(`step ${s.step}: loss ${r.loss.toFixed(4)}, val/loss ${valLoss.toFixed(4)}`);
    }
    metrics.log(s.step, record);
    bar.update(s.step, { loss: r.loss, lr: r.lr.toExponential(1) });
    opts.onStep?.(s.step, record);
    if (s.step % t.checkpoint_interval === 0 || last || opts.signal?.aborted) {
      saveCheckpoint(s, checkpointDir);
      lastCheckpoint = s.step;
    }
  }
  const interrupted = s.step < s.totalSteps;
  if (interrupted && lastCheckpoint !== s.step) saveCheckpoint(s, checkpointDir);
  const modelDir = interrupted ? null : join(s.config.out_dir, MODEL_DIR);
  if (modelDir) saveModel(modelDir, s.model, { tokenizer: s.tokenizer });
  return { modelDir, steps: s.step, totalSteps: s.totalSteps, interrupted, loss, valLoss, tokensPerSecond: median(rates) };
}

// The finetune regime's second half trains on the objective's documents, from their first epoch.
function startPhase(s: Session): void {
  s.data = dataAt(s.phases, s.step);
  s.stream = new BlockStream(s.data.train, s.config.seed);
}

interface StepResult {
  loss: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  metrics: Record<string, number>;
}

/** One optimiser step over grad_accum micro-batches; no update if the loss or gradient is not finite. */
function trainStep(s: Session): StepResult {
  const { batch_size: batchSize, grad_accum: accum } = s.config.training;
  const lr = (s.optimizer.lr = s.schedule(s.step));
  const ctx = { step: s.step, totalSteps: s.totalSteps, train: true };
  let loss = 0, tokens = 0;
  const metrics: Record<string, number> = {};
  for (let m = 0; m < accum; m++) {
    const batch = s.stream.next(batchSize);
    tokens += batch.tokens;
    const out = tidy(() => {
      const r = s.objective.loss(s.model, toTensors(batch), ctx);
      r.loss.div(accum).backward();
      return { loss: r.loss.item(), metrics: r.metrics };
    });
    loss += out.loss / accum;
    for (const [k, v] of Object.entries(out.metrics)) metrics[k] = (metrics[k] ?? 0) + v / accum;
  }
  const gradNorm = Number.isFinite(loss) ? clipGradNorm(s.params, s.config.optimizer.grad_clip ?? Infinity) : NaN;
  if (Number.isFinite(gradNorm)) s.optimizer.update();
  zeroGrad(s.params);
  return { loss, gradNorm, lr, tokens, metrics };
}

function toTensors(b: BlockBatch): TrainBatch {
  const shape = [b.batchSize, b.blockSize];
  const batch: TrainBatch = { input: tensor(b.input, shape, 'int64'), target: tensor(b.target, shape, 'int64') };
  if (b.scores) batch.scores = tensor(b.scores, shape, 'float32');
  return batch;
}

/** Mean token cross-entropy over the first `maxBatches` validation batches (the same ones every time), dropout off. */
export function validationLoss(model: GPT, corpus: PackedCorpus, batchSize: number, maxBatches: number): number {
  return noGrad(() => {
    let sum = 0, tokens = 0;
    for (const b of sequentialBatches(corpus, batchSize, batchSize * maxBatches)) {
      sum += tidy(() => {
        const logits = model.forward(tensor(b.input, [b.batchSize, b.blockSize], 'int64'));
        const target = tensor(b.target, [b.batchSize * b.blockSize], 'int64');
        return crossEntropy(logits.view(b.batchSize * b.blockSize, -1), target, { ignoreIndex: IGNORE, reduction: 'sum' }).item();
      });
      tokens += b.tokens;
    }
    return sum / tokens;
  });
}

function saveCheckpoint(s: Session, dir: string): void {
  saveRunCheckpoint(dir, s, { step: s.step, position: s.stream.position, numBlocks: s.data.train.numBlocks, trainHash: s.data.trainHash });
}

function nonFiniteSentence(step: number, r: StepResult, lastCheckpoint: number | null, dir: string): string {
  const what = Number.isFinite(r.loss) ? `the gradient norm is ${r.gradNorm}` : `the training loss is ${r.loss}`;
  const kept = lastCheckpoint === null ? 'no checkpoint had been written yet' : `the last good checkpoint (step ${lastCheckpoint}) is kept in ${dir}`;
  return `training stopped at step ${step} because ${what}; ${kept} (try a lower optimizer.lr or a grad_clip)`;
}

// A resumed run rewrites the steps after its checkpoint; a fresh one starts the file anew.
function trimMetrics(outDir: string, step: number): void {
  const path = join(outDir, METRICS_FILE);
  if (!existsSync(path)) return;
  const kept = readMetrics(path).filter((r) => r.step <= step);
  writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
