// Checkpoints as Hugging Face lays them out: `config.json` (GPT2Config fields),
// `model.safetensors` (GPT-2 tensor names, float32, the tied lm_head left out as
// save_pretrained does) and `tokenizer.json`. A directory is written as a whole
// (staged, fsynced, renamed), so a crash leaves the old checkpoint or the new one.
// Loading checks every tensor against the config before any reaches the model, and
// accepts what real checkpoints contain: names without the `transformer.` prefix
// (the original `gpt2` files), the causal-mask buffers older transformers saved, an
// lm_head equal to wte, and float16/bfloat16 weights.
//
// The training state for exact resume (AdamW moments, LibTorch's RNG state, step and
// data position) is one more safetensors file whose JSON part sits in its metadata,
// so the state is a single file and replacing it is atomic.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fromBytes } from '../engine/create.js';
import { tidy } from '../engine/scope.js';
import type { AdamWState } from '../engine/adamw.js';
import type { Device, DType as TorchDType, Tensor } from '../engine/tensor.js';
import {
  encodeSafetensors, readSafetensors, readSafetensorsHeader, type DType, type HostTensor, type TensorEntry,
} from '../engine/safetensors.js';
import { writeDirAtomic, writeFileAtomic, type FileData } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import { GPT } from './gpt.js';
import { parseGptConfig, toHfConfig, type GPTConfig } from './gpt-config.js';
import { Tokenizer, type BpeSpec } from './tokenizer.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const TOKENIZER_FILE = 'tokenizer.json';
export const TRAINING_STATE_FILE = 'training_state.safetensors';

export interface SaveModelOptions {
  tokenizer?: Tokenizer;
  /** More files for the same directory, name → contents, written in the same atomic step (e.g. the training state). */
  extra?: Readonly<Record<string, FileData>>;
}

export interface LoadedModel {
  model: GPT;
  tokenizer: Tokenizer | null;
  config: GPTConfig;
}

/**
 * Writes `dir` as a Hugging Face GPT-2 checkpoint, replacing the directory as a whole.
 * An existing directory is only replaced if it is a checkpoint (has config.json), so a
 * mistyped path cannot wipe unrelated files.
 */
export function saveModel(dir: string, model: GPT, opts: SaveModelOptions = {}): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) fail(`cannot save a checkpoint to ${dir}: it is a file, not a directory`);
    if (readdirSync(dir).length > 0 && !existsSync(join(dir, CONFIG_FILE))) {
      fail(`refusing to replace ${dir} with a checkpoint: the directory is not empty and has no ${CONFIG_FILE}`);
    }
  }
  const files: Record<string, FileData> = {
    [CONFIG_FILE]: JSON.stringify(toHfConfig(model.config), null, 2) + '\n',
    [WEIGHTS_FILE]: encodeSafetensors(weightsOf(model), { format: 'pt' }),
  };
  if (opts.tokenizer) files[TOKENIZER_FILE] = JSON.stringify(opts.tokenizer.toJSON());
  for (const [name, data] of Object.entries(opts.extra ?? {})) {
    if (name in files) throw new Error(`saveModel: extra file ${name} would overwrite the checkpoint's own ${name}`);
    files[name] = data;
  }
  writeDirAtomic(dir, files);
}

function weightsOf(model: GPT): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of model.params) {
    const bytes = tidy(() => (t.dtype === 'float32' ? t : t.to('float32')).toBytes());
    out.set(name, { dtype: 'F32', shape: t.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) });
  }
  return out;
}

/** Reads a checkpoint directory written by saveModel or by transformers' save_pretrained. */
export async function loadModel(dir: string, opts: { device?: Device } = {}): Promise<LoadedModel> {
  if (!existsSync(dir)) fail(`checkpoint directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) fail(`checkpoint ${dir} is a file, but a checkpoint is a directory with ${CONFIG_FILE} and ${WEIGHTS_FILE}`);
  const config = readConfig(dir);
  const model = new GPT(config);
  try {
    loadWeights(join(dir, WEIGHTS_FILE), model, opts.device ?? 'cpu');
    return { model, tokenizer: readTokenizer(dir), config };
  } catch (e) {
    for (const t of model.params.values()) t.dispose();
    throw e;
  }
}

function readConfig(dir: string): GPTConfig {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) fail(`checkpoint ${dir} has no ${CONFIG_FILE}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseGptConfig(raw, path);
}

// The causal-mask buffers (`h.N.attn.bias`, `h.N.attn.masked_bias`) that transformers
// before 4.31 saved: constants, not weights, so they are skipped.
const MASK_BUFFER = /^(?:transformer\.)?h\.\d+\.attn\.(?:bias|masked_bias)$/;
const LM_HEAD = 'lm_head.weight';
const WTE = 'transformer.wte.weight';
const FLOAT_DTYPES: Partial<Record<DType, TorchDType>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };

function loadWeights(path: string, model: GPT, device: Device): void {
  if (!existsSync(path)) {
    const dir = join(path, '..');
    const other = ['pytorch_model.bin', 'model.safetensors.index.json'].find((f) => existsSync(join(dir, f)));
    fail(`checkpoint ${dir} has no ${WEIGHTS_FILE}${other ? ` (it has ${other}, which posterior does not read; re-save it with save_pretrained(dir, safe_serialization=True, max_shard_size="100GB"))` : ''}`);
  }
  const header = readSafetensorsHeader(path);
  const byName = new Map<string, TensorEntry>();
  let lmHead: TensorEntry | undefined;
  for (const e of header.entries) {
    if (MASK_BUFFER.test(e.name)) continue;
    if (e.name === LM_HEAD) {
      lmHead = e;
      continue;
    }
    const name = e.name.startsWith('transformer.') ? e.name : `transformer.${e.name}`;
    const expected = model.params.get(name);
    if (!expected) fail(`${path} has tensor \`${e.name}\`, which a GPT-2 with this config.json does not have (n_layer ${model.config.n_layer})`);
    if (byName.has(name)) fail(`${path} holds \`${name}\` twice (with and without the \`transformer.\` prefix)`);
    checkEntry(path, e, expected.shape);
    byName.set(name, e);
  }
  for (const name of model.params.keys()) if (!byName.has(name)) fail(`${path} lacks tensor \`${name}\``);
  if (lmHead) checkEntry(path, lmHead, model.p(WTE).shape);

  const fd = openSync(path, 'r');
  try {
    const read = (e: TensorEntry): Tensor => {
      const bytes = readRange(fd, header.dataStart + e.dataOffsets[0], e.dataOffsets[1] - e.dataOffsets[0], path);
      return fromBytes(bytes, FLOAT_DTYPES[e.dtype]!, e.shape);
    };
    for (const [name, e] of byName) {
      const old = model.p(name);
      const t = tidy(() => read(e).to('float32', device).contiguous());
      model.params.set(name, t.keep().requiresGrad_(true));
      old.dispose();
    }
    if (lmHead) {
      const tied = tidy(() => read(lmHead).to('float32', device).sub(model.p(WTE)).abs().amax().item() === 0);
      if (!tied) fail(`${path}: lm_head.weight differs from transformer.wte.weight, but GPT-2 ties them (tie_word_embeddings)`);
    }
  } finally {
    closeSync(fd);
  }
}

function checkEntry(path: string, e: TensorEntry, shape: number[]): void {
  if (!FLOAT_DTYPES[e.dtype]) fail(`${path}: tensor \`${e.name}\` is ${e.dtype}, but weights must be F32, F16, BF16 or F64`);
  if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
    fail(`${path}: tensor \`${e.name}\` has shape [${e.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
  }
}

function readRange(fd: number, position: number, length: number, path: string): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const got = readSync(fd, buf, done, length - done, position + done);
    if (got === 0) fail(`${path} is truncated: it ended while a tensor was being read`);
    done += got;
  }
  return buf;
}

// tokenizer.json, or GPT-2's original pair vocab.json + merges.txt (as in the `gpt2` repository).
function readTokenizer(dir: string): Tokenizer | null {
  const json = join(dir, TOKENIZER_FILE);
  if (existsSync(json)) return Tokenizer.load(json);
  const vocabPath = join(dir, 'vocab.json'), mergesPath = join(dir, 'merges.txt');
  if (!existsSync(vocabPath) || !existsSync(mergesPath)) return null;
  return new Tokenizer(readVocabAndMerges(vocabPath, mergesPath), vocabPath);
}

function readVocabAndMerges(vocabPath: string, mergesPath: string): BpeSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(vocabPath, 'utf8'));
  } catch (e) {
    fail(`${vocabPath} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = z.record(z.string(), z.number().int().nonnegative()).safeParse(raw);
  if (!parsed.success) fail(`${vocabPath} must map tokens to non-negative integer ids`);
  const vocab = new Map(Object.entries(parsed.data));
  const merges: Array<[string, string]> = [];
  readFileSync(mergesPath, 'utf8').split('\n').forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) fail(`${mergesPath}: line ${i + 1} is not two tokens separated by one space`);
    merges.push([parts[0], parts[1]]);
  });
  const eos = vocab.get('<|endoftext|>');
  return { vocab, merges, addedTokens: eos === undefined ? [] : [{ id: eos, content: '<|endoftext|>', special: true }] };
}

// --- training state ----------------------------------------------------------------

export interface TrainingState {
  optimizer: AdamWState;
  /** LibTorch's generator state (getRngState()). */
  rng: Uint8Array;
  /** Training steps taken (may differ from the optimiser's with gradient accumulation). */
  step: number;
  /** Where the data stream resumes (e.g. the next block index). */
  dataPosition: number;
  /** Anything else the trainer needs, as JSON (schedules, JavaScript PRNG state, metrics). */
  extra?: Record<string, unknown>;
}

const META_KEY = 'posterior_training_state';
const stateJson = z.object({
  version: z.literal(1),
  step: z.number().int().nonnegative(),
  optimizerStep: z.number().int().nonnegative(),
  dataPosition: z.number().int().nonnegative(),
  tensors: z.number().int().nonnegative(),
  extra: z.record(z.string(), z.unknown()),
}).strict();

/** The training state as safetensors bytes (for saveModel's `extra`, so model and state are one atomic write). */
export function encodeTrainingState(state: TrainingState): Uint8Array[] {
  const { optimizer: o } = state;
  if (o.expAvg.length !== o.expAvgSq.length) throw new Error('encodeTrainingState: expAvg and expAvgSq differ in length');
  const tensors = new Map<string, HostTensor>();
  const put = (name: string, t: Tensor) => {
    const bytes = tidy(() => (t.dtype === 'float32' ? t : t.to('float32')).toBytes());
    tensors.set(name, { dtype: 'F32', shape: t.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) });
  };
  o.expAvg.forEach((t, i) => put(`exp_avg.${i}`, t));
  o.expAvgSq.forEach((t, i) => put(`exp_avg_sq.${i}`, t));
  tensors.set('rng_state', { dtype: 'U8', shape: [state.rng.length], data: new Uint8Array(state.rng) });
  const json: z.infer<typeof stateJson> = {
    version: 1, step: state.step, optimizerStep: o.step, dataPosition: state.dataPosition,
    tensors: o.expAvg.length, extra: state.extra ?? {},
  };
  return encodeSafetensors(tensors, { format: 'pt', [META_KEY]: JSON.stringify(json) });
}

/** Writes `dir/training_state.safetensors` atomically (the directory is created if needed). */
export function saveTrainingState(dir: string, state: TrainingState): void {
  writeFileAtomic(join(dir, TRAINING_STATE_FILE), encodeTrainingState(state));
}

/** Reads the training state from `dir`; its tensors are on the CPU and outlive any tidy() (dispose them after optimizer.load). */
export function loadTrainingState(dir: string): TrainingState {
  const path = join(dir, TRAINING_STATE_FILE);
  if (!existsSync(path)) fail(`checkpoint ${dir} has no ${TRAINING_STATE_FILE}, so the run cannot resume from it`);
  const { tensors, metadata } = readSafetensors(path);
  const text = metadata[META_KEY];
  if (text === undefined) fail(`${path} is not a posterior training state: its metadata lacks ${META_KEY}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(`${path}: metadata ${META_KEY} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = stateJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`${path}: field \`${issue.path.join('.') || '(root)'}\` of ${META_KEY} ${issue.message}`);
  }
  const s = parsed.data;
  const rng = tensors.get('rng_state');
  if (!rng || rng.dtype !== 'U8' || rng.shape.length !== 1) fail(`${path} lacks the U8 tensor \`rng_state\``);
  if (tensors.size !== 2 * s.tensors + 1) fail(`${path} holds ${tensors.size} tensors but its metadata announces ${2 * s.tensors + 1}`);
  const take = (name: string): Tensor => {
    const t = tensors.get(name);
    if (!t || t.dtype !== 'F32') fail(`${path} lacks the F32 tensor \`${name}\``);
    const d = t.data as Float32Array;
    return fromBytes(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), 'float32', t.shape).keep();
  };
  const expAvg: Tensor[] = [], expAvgSq: Tensor[] = [];
  try {
    for (let i = 0; i < s.tensors; i++) {
      expAvg.push(take(`exp_avg.${i}`));
      expAvgSq.push(take(`exp_avg_sq.${i}`));
    }
  } catch (e) {
    for (const t of [...expAvg, ...expAvgSq]) t.dispose();
    throw e;
  }
  return {
    optimizer: { step: s.optimizerStep, expAvg, expAvgSq },
    rng: new Uint8Array(rng.data as Uint8Array),
    step: s.step,
    dataPosition: s.dataPosition,
    extra: s.extra,
  };
}
