// The checkpoint of a pretraining run, `<out_dir>/checkpoint/`: a Hugging Face model
// directory (config.json, model.safetensors, tokenizer.json) plus what exact resume
// needs — the training state (AdamW moments and step, LibTorch's RNG state, the data
// position), the objective's own parameters, and the config it was trained with. All
// of it is one atomic directory write, so a crash leaves the previous checkpoint whole.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdamW } from '../engine/adamw.js';
import { fromBytes } from '../engine/create.js';
import { getRngState } from '../engine/random.js';
import { encodeSafetensors, readSafetensors, type HostTensor } from '../engine/safetensors.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { DataPosition } from '../data/packing.js';
import { encodeTrainingState, loadModel, loadTrainingState, saveModel, TRAINING_STATE_FILE, type TrainingState } from '../lm/checkpoint.js';
import type { GPT } from '../lm/gpt.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { fail } from '../util/errors.js';
import type { PretrainConfig } from './config.js';

export const CHECKPOINT_DIR = 'checkpoint';
export const MODEL_DIR = 'model';
const OBJECTIVE_FILE = 'objective.safetensors';
const CONFIG_SNAPSHOT = 'pretrain_config.json';

/** Config fields a resumed run may change: they do not alter what was computed so far. */
const MAY_CHANGE = ['out_dir', 'training.steps', 'training.tokens', 'training.eval_interval', 'training.eval_batches', 'training.checkpoint_interval', 'samples', 'threads'];

export interface RunProgress {
  /** Optimiser steps done. */
  step: number;
  position: DataPosition;
  numBlocks: number;
  trainHash: string;
}

export interface RunParts {
  model: GPT;
  tokenizer: Tokenizer;
  optimizer: AdamW;
  objectiveParams: Map<string, Tensor>;
  config: PretrainConfig;
}

export function saveRunCheckpoint(dir: string, parts: RunParts, run: RunProgress): void {
  const state: TrainingState = {
    optimizer: parts.optimizer.state(),
    rng: getRngState(),
    step: run.step,
    dataPosition: run.position.epoch * run.numBlocks + run.position.index,
    extra: { numBlocks: run.numBlocks, trainHash: run.trainHash },
  };
  const extra: Record<string, Uint8Array[] | string> = {
    [TRAINING_STATE_FILE]: encodeTrainingState(state),
    [CONFIG_SNAPSHOT]: JSON.stringify(parts.config, null, 2) + '\n',
  };
  if (parts.objectiveParams.size > 0) extra[OBJECTIVE_FILE] = encodeSafetensors(hostTensors(parts.objectiveParams), { format: 'pt' });
  saveModel(dir, parts.model, { tokenizer: parts.tokenizer, extra });
}

export interface LoadedRun {
  model: GPT;
  tokenizer: Tokenizer;
  state: TrainingState;
  run: RunProgress;
}

/** Reads `dir` and checks that `config` continues the run it holds. */
export async function loadRunCheckpoint(dir: string, config: PretrainConfig, source: string): Promise<LoadedRun> {
  checkSameRun(readSnapshot(dir), config, source, dir);
  const { model, tokenizer } = await loadModel(dir, {});
  if (!tokenizer) fail(`checkpoint ${dir} has no tokenizer.json`);
  const state = loadTrainingState(dir);
  const numBlocks = state.extra?.numBlocks;
  const trainHash = state.extra?.trainHash;
  if (typeof numBlocks !== 'number' || typeof trainHash !== 'string') fail(`checkpoint ${dir} was not written by posterior pretrain (its training state lacks the data position)`);
  const position = { epoch: Math.floor(state.dataPosition / numBlocks), index: state.dataPosition % numBlocks };
  return { model, tokenizer, state, run: { step: state.step, position, numBlocks, trainHash } };
}

/** Copies the saved objective parameters into `params` (same names and shapes). */
export function loadObjectiveParams(dir: string, params: Map<string, Tensor>): void {
  if (params.size === 0) return;
  const path = join(dir, OBJECTIVE_FILE);
  if (!existsSync(path)) fail(`checkpoint ${dir} has no ${OBJECTIVE_FILE}, but the objective has parameters`);
  const { tensors } = readSafetensors(path);
  for (const [name, p] of params) {
    const t = tensors.get(name);
    if (!t || t.dtype !== 'F32' || t.shape.join(',') !== p.shape.join(',')) fail(`${path} lacks the F32 tensor \`${name}\` of shape [${p.shape.join(', ')}]`);
    const d = t.data as Float32Array;
    tidy(() => p.copy_(fromBytes(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), 'float32', t.shape)));
  }
}

function hostTensors(params: Map<string, Tensor>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of params) {
    const bytes = tidy(() => t.toBytes());
    out.set(name, { dtype: 'F32', shape: t.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) });
  }
  return out;
}

function readSnapshot(dir: string): unknown {
  const path = join(dir, CONFIG_SNAPSHOT);
  if (!existsSync(path)) fail(`checkpoint ${dir} has no ${CONFIG_SNAPSHOT}, so it cannot be resumed by posterior pretrain`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    fail(`${path} is not valid JSON`);
  }
}

function checkSameRun(saved: unknown, current: PretrainConfig, source: string, dir: string): void {
  const diff = firstDifference(saved, JSON.parse(JSON.stringify(current)), '');
  if (diff !== undefined) fail(`${source}: field \`${diff}\` differs from the run in ${dir}, so it cannot be resumed exactly (only ${MAY_CHANGE.join(', ')} may change)`);
}

function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (MAY_CHANGE.includes(path)) return undefined;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], path ? `${path}.${k}` : k);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : path;
}
