// The checkpoint of a tuning run, `<out_dir>/checkpoint/`: every tensor that shapes
// the future (the policy's weights, a strategy's value head or frozen proposal), the
// training state (AdamW moments and step, LibTorch's RNG) and, as JSON, the rest — the
// JavaScript generator, the running Z and KL(π‖a), baselines, β — plus the config the
// run was started with. One atomic directory write, so a crash keeps the previous
// checkpoint whole, and a resumed run draws and computes exactly what the
// uninterrupted one would have.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdamW } from '../engine/adamw.js';
import { fromBytes } from '../engine/create.js';
import { noGrad } from '../engine/autograd.js';
import { getRngState, setRngState } from '../engine/random.js';
import { encodeSafetensors, readSafetensors, type HostTensor } from '../engine/safetensors.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { encodeTrainingState, loadTrainingState, TRAINING_STATE_FILE } from '../lm/checkpoint.js';
import { writeDirAtomic, type FileData } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';

export const CHECKPOINT_DIR = 'checkpoint';
export const WEIGHTS_FILE = 'weights.safetensors';
export const CONFIG_SNAPSHOT = 'tune_config.json';
const STATE_KEY = 'tuner';

export interface TuneCheckpoint {
  step: number;
  /** Named tensors: `policy.*`, `strategy.*`. */
  tensors: ReadonlyMap<string, Tensor>;
  optimizer: AdamW;
  /** JSON state of the loop (non-finite numbers survive). */
  state: Record<string, unknown>;
  /** The config the run was started with, to refuse resuming with another. */
  config?: unknown;
}

export function saveTuneCheckpoint(dir: string, c: TuneCheckpoint): void {
  const files: Record<string, FileData> = {
    [WEIGHTS_FILE]: encodeSafetensors(hostTensors(c.tensors), { format: 'pt' }),
    [TRAINING_STATE_FILE]: encodeTrainingState({ optimizer: c.optimizer.state(), rng: getRngState(), step: c.step, dataPosition: 0, extra: { [STATE_KEY]: encodeJson(c.state) } }),
  };
  if (c.config !== undefined) files[CONFIG_SNAPSHOT] = JSON.stringify(c.config, null, 2) + '\n';
  writeDirAtomic(dir, files);
}

export interface LoadedTuneCheckpoint {
  step: number;
  state: Record<string, unknown>;
}

/** Restores tensors, optimiser and LibTorch's RNG from `dir`; returns the step and the JSON state for the loop. */
export function loadTuneCheckpoint(dir: string, tensors: ReadonlyMap<string, Tensor>, optimizer: AdamW): LoadedTuneCheckpoint {
  if (!existsSync(dir)) fail(`cannot resume: ${dir} does not exist.`);
  const path = join(dir, WEIGHTS_FILE);
  if (!existsSync(path)) fail(`checkpoint ${dir} has no ${WEIGHTS_FILE}, so it was not written by posterior tune.`);
  const saved = readSafetensors(path).tensors;
  for (const [name, t] of tensors) {
    const s = saved.get(name);
    if (!s || s.dtype !== 'F32' || s.shape.join(',') !== t.shape.join(',')) fail(`${path} lacks the F32 tensor \`${name}\` of shape [${t.shape.join(', ')}]; the checkpoint belongs to another policy or method.`);
    const d = s.data as Float32Array;
    tidy(() => noGrad(() => t.copy_(fromBytes(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), 'float32', s.shape))));
  }
  if (saved.size !== tensors.size) fail(`${path} holds ${saved.size} tensors but this run has ${tensors.size}; the checkpoint belongs to another policy or method.`);
  const training = loadTrainingState(dir);
  try {
    optimizer.load(training.optimizer);
  } finally {
    for (const t of [...training.optimizer.expAvg, ...training.optimizer.expAvgSq]) t.dispose();
  }
  setRngState(training.rng);
  const text = training.extra?.[STATE_KEY];
  if (typeof text !== 'string') fail(`checkpoint ${dir} was not written by posterior tune (its training state lacks the tuner's state).`);
  return { step: training.step, state: decodeJson(text, dir) as Record<string, unknown> };
}

/** The config a checkpoint was started with, or undefined. */
export function readConfigSnapshot(dir: string): unknown {
  const path = join(dir, CONFIG_SNAPSHOT);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    fail(`${path} is not valid JSON.`);
  }
}

/** The first field path where two JSON values differ, skipping `mayChange` paths. */
export function firstDifference(a: unknown, b: unknown, mayChange: readonly string[], path = ''): string | undefined {
  if (mayChange.includes(path)) return undefined;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], mayChange, path ? `${path}.${k}` : k);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : path || '(top level)';
}

function hostTensors(tensors: ReadonlyMap<string, Tensor>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of tensors) {
    const bytes = tidy(() => (t.dtype === 'float32' ? t.detach() : t.detach().to('float32')).contiguous().toBytes());
    out.set(name, { dtype: 'F32', shape: t.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) });
  }
  return out;
}

// JSON loses ±Infinity and NaN (a running log Z of -Infinity before the first hit), so they travel as tagged strings.
const TAG = '\u0000num:';

function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `${TAG}${v}` : v));
}

function decodeJson(text: string, dir: string): unknown {
  try {
    return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(TAG) ? Number(v.slice(TAG.length)) : v));
  } catch {
    fail(`checkpoint ${dir} holds a malformed tuner state.`);
  }
}
