import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randn, tensor } from '../../src/engine/create.js';
import { noGrad, zeroGrad } from '../../src/engine/autograd.js';
import { AdamW } from '../../src/engine/adamw.js';
import { crossEntropy } from '../../src/engine/functional.js';
import { getRngState, manualSeed, setRngState } from '../../src/engine/random.js';
import { tidy } from '../../src/engine/scope.js';
import { fromFloat32, readSafetensors, writeSafetensors, type HostTensor } from '../../src/engine/safetensors.js';
import {
  encodeTrainingState, loadModel, loadTrainingState, saveModel, saveTrainingState, TRAINING_STATE_FILE,
} from '../../src/lm/checkpoint.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig, toHfConfig } from '../../src/lm/gpt-config.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { PosteriorError } from '../../src/util/errors.js';

const scratch = mkdtempSync(join(tmpdir(), 'posterior-ckpt-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const fresh = (): string => join(scratch, `d${dirs++}`);

const CFG = { vocab_size: 23, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2 };

function randomModel(seed: number, cfg: Partial<typeof CFG> = {}): GPT {
  manualSeed(seed);
  const model = new GPT(gptConfig({ ...CFG, ...cfg })).initWeights();
  tidy(() => {
    for (const p of model.parameters()) p.add_(randn(p.shape).mul(0.1));
  });
  return model;
}

function logits(model: GPT): Float32Array {
  return noGrad(() => tidy(() => model.forward(tensor([1, 5, 22, 0, 3, 3, 9, 14], [1, 8], 'int64')).toFloat32Array()));
}

function hostWeights(model: GPT): Map<string, HostTensor> {
  const m = new Map<string, HostTensor>();
  for (const [name, t] of model.params) m.set(name, { dtype: 'F32', shape: t.shape, data: t.toFloat32Array() });
  return m;
}

/** A checkpoint directory with the given tensors and config (defaults: a valid random model's). */
function writeCheckpoint(tensors: Map<string, HostTensor>, config: unknown = { ...CFG, model_type: 'gpt2' }): string {
  const dir = fresh();
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  return dir;
}

/** Asserts loadModel(dir) refuses with one sentence matching `pattern` and naming `file`. */
async function refuses(dir: string, pattern: RegExp, file: string): Promise<void> {
  await assert.rejects(loadModel(dir), (e: unknown) => {
    assert.ok(e instanceof PosteriorError, `expected a PosteriorError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(file), `the message should name ${file}: ${e.message}`);
    assert.ok(!e.message.includes('\n'), `one sentence, not several lines: ${e.message}`);
    return true;
  });
}

test('save then load gives the same weights bit for bit, the same config, logits and tokenizer', async () => {
  const model = randomModel(1);
  const tokenizer = trainBpe(['aaa bbb aaa bbb ccc aaa'], { vocabSize: 260, specialTokens: ['<|endoftext|>'] });
  const dir = fresh();
  saveModel(dir, model, { tokenizer });
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
  const loaded = await loadModel(dir);
  assert.deepEqual(toHfConfig(loaded.config), toHfConfig(model.config));
  assert.deepEqual([...loaded.model.params.keys()], [...model.params.keys()]);
  for (const [name, t] of model.params) {
    const u = loaded.model.p(name);
    assert.ok(u.requiresGrad, `${name} should be trainable after loading`);
    assert.deepEqual(u.toFloat32Array(), t.toFloat32Array(), name);
  }
  assert.deepEqual(logits(loaded.model), logits(model));
  assert.deepEqual([...loaded.tokenizer!.encode('aaa bbb<|endoftext|>')], [...tokenizer.encode('aaa bbb<|endoftext|>')]);
});

test('the files are what transformers writes: GPT-2 names, float32, no lm_head, format pt, HF config fields', () => {
  const model = randomModel(2);
  const dir = fresh();
  saveModel(dir, model);
  const { tensors, metadata } = readSafetensors(join(dir, 'model.safetensors'));
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual([...tensors.keys()].sort(), [...model.params.keys()].sort());
  assert.ok(!tensors.has('lm_head.weight'));
  assert.ok([...tensors.values()].every((t) => t.dtype === 'F32'));
  assert.deepEqual(tensors.get('transformer.h.1.attn.c_attn.weight')!.shape, [8, 24]);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['GPT2LMHeadModel']);
  assert.equal(config.model_type, 'gpt2');
  assert.equal(config.n_layer, 2);
});

test('loads the layout of the original gpt2 files: no prefix, mask buffers, lm_head equal to wte, float16 and bfloat16', async () => {
  const model = randomModel(3);
  const weights = hostWeights(model);
  const bare = new Map<string, HostTensor>();
  for (const [name, t] of weights) bare.set(name.replace(/^transformer\./, ''), t);
  for (let i = 0; i < 2; i++) {
    bare.set(`h.${i}.attn.bias`, { dtype: 'F32', shape: [1, 1, 8, 8], data: new Float32Array(64).fill(1) });
    bare.set(`h.${i}.attn.masked_bias`, { dtype: 'F32', shape: [], data: Float32Array.of(-1e4) });
  }
  bare.set('lm_head.weight', weights.get('transformer.wte.weight')!);
  const loaded = await loadModel(writeCheckpoint(bare));
  assert.deepEqual(logits(loaded.model), logits(model));

  for (const dtype of ['F16', 'BF16'] as const) {
    const half = new Map<string, HostTensor>();
    const rounded = new Map<string, Float32Array>();
    for (const [name, t] of weights) {
      const bits = fromFloat32(t.data as Float32Array, dtype);
      half.set(name, { dtype, shape: t.shape, data: bits });
      rounded.set(name, decode(bits, dtype));
    }
    const m = (await loadModel(writeCheckpoint(half))).model;
    for (const [name, values] of rounded) assert.deepEqual(m.p(name).toFloat32Array(), values, `${dtype} ${name}`);
    assert.equal(m.p('transformer.wte.weight').dtype, 'float32');
  }
});

// Independent decoding of half-precision bit patterns.
function decode(bits: Uint16Array, dtype: 'F16' | 'BF16'): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    if (dtype === 'BF16') {
      out[i] = new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      continue;
    }
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    out[i] = e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15);
  }
  return out;
}

test('bad checkpoints are refused with one sentence naming the file', async () => {
  const model = randomModel(4);
  const good = hostWeights(model);
  const ok = fresh();
  saveModel(ok, model);
  const weightsPath = (dir: string) => join(dir, 'model.safetensors');

  await refuses(join(scratch, 'nope'), /does not exist/, join(scratch, 'nope'));
  await refuses(join(ok, 'config.json'), /is a file/, join(ok, 'config.json'));

  const noConfig = writeCheckpoint(good);
  rmSync(join(noConfig, 'config.json'));
  await refuses(noConfig, /has no config\.json/, noConfig);

  const badJson = writeCheckpoint(good);
  writeFileSync(join(badJson, 'config.json'), '{"vocab_size": 23,');
  await refuses(badJson, /not valid JSON/, join(badJson, 'config.json'));

  await refuses(writeCheckpoint(good, { ...CFG, n_layer: '2' }), /n_layer/, 'config.json');
  await refuses(writeCheckpoint(good, { ...CFG, n_embd: 9 }), /n_embd/, 'config.json');

  const noWeights = writeCheckpoint(good);
  rmSync(weightsPath(noWeights));
  await refuses(noWeights, /has no model\.safetensors/, noWeights);
  writeFileSync(join(noWeights, 'pytorch_model.bin'), 'x');
  await refuses(noWeights, /pytorch_model\.bin/, noWeights);

  const truncated = fresh();
  saveModel(truncated, model);
  truncateSync(weightsPath(truncated), statSync(weightsPath(truncated)).size - 5);
  await refuses(truncated, /truncated/, weightsPath(truncated));

  const corrupt = writeCheckpoint(good);
  const bytes = readFileSync(weightsPath(corrupt));
  bytes.fill(0x7b, 8, 20); // '{' over the start of the JSON header
  writeFileSync(weightsPath(corrupt), bytes);
  await refuses(corrupt, /corrupt/, weightsPath(corrupt));

  const garbage = writeCheckpoint(good);
  writeFileSync(weightsPath(garbage), Buffer.alloc(4096, 0xff));
  await refuses(garbage, /corrupt|truncated/, weightsPath(garbage));

  const missing = new Map(good);
  missing.delete('transformer.h.1.ln_2.bias');
  await refuses(writeCheckpoint(missing), /lacks tensor `transformer\.h\.1\.ln_2\.bias`/, 'model.safetensors');

  const unknown = new Map(good);
  unknown.set('transformer.h.2.ln_1.weight', good.get('transformer.h.1.ln_1.weight')!);
  await refuses(writeCheckpoint(unknown), /`transformer\.h\.2\.ln_1\.weight`.*does not have/, 'model.safetensors');

  const twice = new Map(good);
  twice.set('ln_f.bias', good.get('transformer.ln_f.bias')!);
  await refuses(writeCheckpoint(twice), /twice/, 'model.safetensors');

  const shape = new Map(good);
  shape.set('transformer.wpe.weight', { dtype: 'F32', shape: [7, 8], data: new Float32Array(56) });
  await refuses(writeCheckpoint(shape), /`transformer\.wpe\.weight` has shape \[7, 8\] but config\.json implies \[8, 8\]/, 'model.safetensors');

  const ints = new Map(good);
  ints.set('transformer.ln_f.bias', { dtype: 'I32', shape: [8], data: new Int32Array(8) });
  await refuses(writeCheckpoint(ints), /is I32/, 'model.safetensors');

  const untied = new Map(good);
  untied.set('lm_head.weight', { dtype: 'F32', shape: [23, 8], data: new Float32Array(23 * 8) });
  await refuses(writeCheckpoint(untied), /lm_head\.weight differs/, 'model.safetensors');

  const badTokenizer = fresh();
  saveModel(badTokenizer, model);
  writeFileSync(join(badTokenizer, 'tokenizer.json'), '{"model": {"type": "WordPiece"}}');
  await refuses(badTokenizer, /model\.type/, join(badTokenizer, 'tokenizer.json'));
});

test('saving replaces a checkpoint as a whole, keeps extra files, and will not clobber other directories', async () => {
  const dir = fresh();
  saveModel(dir, randomModel(5), { tokenizer: trainBpe(['ab ab ab'], { vocabSize: 257 }) });
  const second = randomModel(6);
  saveModel(dir, second, { extra: { 'notes/run.json': '{"ok": true}' } });
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'notes']);
  assert.equal(readFileSync(join(dir, 'notes', 'run.json'), 'utf8'), '{"ok": true}');
  const back = await loadModel(dir);
  assert.equal(back.tokenizer, null, 'the old tokenizer.json went with the old checkpoint');
  assert.deepEqual(logits(back.model), logits(second));
  assert.deepEqual(readdirSync(scratch).filter((n) => n.startsWith('.')), [], 'no staging litter');

  const precious = fresh();
  mkdirSync(precious);
  writeFileSync(join(precious, 'thesis.tex'), 'years of work');
  assert.throws(() => saveModel(precious, second), (e: unknown) => e instanceof PosteriorError && /refusing to replace/.test(e.message));
  assert.equal(readFileSync(join(precious, 'thesis.tex'), 'utf8'), 'years of work');
  assert.throws(() => saveModel(dir, second, { extra: { 'config.json': '{}' } }), /would overwrite/);
});

test('training state: optimiser moments, RNG, step and data position resume exactly', async () => {
  const cfg = { vocab_size: 13, n_positions: 6, n_embd: 8, n_layer: 1, n_head: 2 };
  const ids = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 6], 'int64').keep();
  const step = (model: GPT, opt: AdamW) => tidy(() => {
    const lg = model.forward(ids.slice(1, 0, 5), { train: true });
    crossEntropy(lg.reshape(10, 13), ids.slice(1, 1, 6).reshape(10)).backward();
    opt.update();
    zeroGrad(model.parameters());
  });
  const make = () => {
    manualSeed(9);
    const model = new GPT(gptConfig({ ...cfg, resid_pdrop: 0.2 })).initWeights();
    return { model, opt: new AdamW(model.paramGroups(0.1), { lr: 0.01 }) };
  };

  const a = make();
  for (let i = 0; i < 3; i++) step(a.model, a.opt);
  const dir = fresh();
  saveModel(dir, a.model, { extra: { [TRAINING_STATE_FILE]: encodeTrainingState({ optimizer: a.opt.state(), rng: getRngState(), step: 3, dataPosition: 42, extra: { lr: 0.01, note: 'x' } }) } });
  for (let i = 0; i < 3; i++) step(a.model, a.opt);

  manualSeed(1234); // whatever the generator holds now, the saved state replaces it
  const { model } = await loadModel(dir);
  const b = { model, opt: new AdamW(model.paramGroups(0.1), { lr: 0.01 }) };
  const state = loadTrainingState(dir);
  assert.equal(state.step, 3);
  assert.equal(state.dataPosition, 42);
  assert.deepEqual(state.extra, { lr: 0.01, note: 'x' });
  assert.equal(state.optimizer.step, 3);
  b.opt.load(state.optimizer);
  for (const t of [...state.optimizer.expAvg, ...state.optimizer.expAvgSq]) t.dispose();
  setRngState(state.rng);
  for (let i = 0; i < 3; i++) step(b.model, b.opt);

  for (const [name, t] of a.model.params) assert.deepEqual(b.model.p(name).toFloat32Array(), t.toFloat32Array(), name);
  ids.dispose();
});

test('saveTrainingState writes one file atomically; bad state files are refused naming the file', () => {
  const dir = fresh();
  const p = randn([3, 2]).keep();
  const rng = getRngState();
  saveTrainingState(dir, { optimizer: { step: 5, expAvg: [p], expAvgSq: [p.square().keep()] }, rng, step: 7, dataPosition: 0 });
  assert.deepEqual(readdirSync(dir), [TRAINING_STATE_FILE]);
  const s = loadTrainingState(dir);
  assert.deepEqual(s.optimizer.expAvg[0]!.toFloat32Array(), p.toFloat32Array());
  assert.deepEqual(s.rng, rng);
  assert.deepEqual(s.extra, {});

  const file = join(dir, TRAINING_STATE_FILE);
  const refusesState = (pattern: RegExp, where: string) => assert.throws(() => loadTrainingState(where), (e: unknown) => {
    assert.ok(e instanceof PosteriorError, String(e));
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(where), e.message);
    return true;
  });
  refusesState(/has no training_state\.safetensors/, fresh());
  writeSafetensors(file, { x: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } });
  refusesState(/not a posterior training state/, dir);
  writeSafetensors(file, { rng_state: { dtype: 'U8', shape: [2], data: Uint8Array.of(1, 2) } }, { posterior_training_state: '{"version": 1, "step": -1}' });
  refusesState(/step/, dir);
  writeSafetensors(file, { rng_state: { dtype: 'U8', shape: [2], data: Uint8Array.of(1, 2) } },
    { posterior_training_state: JSON.stringify({ version: 1, step: 1, optimizerStep: 1, dataPosition: 0, tensors: 1, extra: {} }) });
  refusesState(/holds 1 tensors but its metadata announces 3/, dir);
  saveTrainingState(dir, { optimizer: { step: 5, expAvg: [p], expAvgSq: [p] }, rng, step: 7, dataPosition: 0 });
  truncateSync(file, statSync(file).size - 1);
  refusesState(/truncated/, dir);
  assert.ok(existsSync(file));
  p.dispose();
});
