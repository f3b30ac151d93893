// Checkpoints against Hugging Face itself: random GPT2LMHeadModels saved by
// transformers load here with the same logits, ours load in transformers with the same
// logits and no missing or unexpected weights, and tokenizers move both ways with
// identical ids.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, randn } from '../../src/engine/create.js';
import { noGrad } from '../../src/engine/autograd.js';
import { manualSeed } from '../../src/engine/random.js';
import { tidy } from '../../src/engine/scope.js';
import { loadModel, saveModel } from '../../src/lm/checkpoint.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig, type GPTConfig } from '../../src/lm/gpt-config.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { Reference } from '../python/reference.js';

let ref: Reference;
const scratch = mkdtempSync(join(tmpdir(), 'posterior-hf-'));
before(() => {
  ref = Reference.start();
});
after(() => {
  ref?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const BASE = { vocab_size: 61, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2, bos_token_id: 0, eos_token_id: 0 };
const CONFIGS: Array<[string, Partial<GPTConfig> & { vocab_size: number }]> = [
  ['gelu_new', BASE],
  ['exact gelu, n_inner, eps', { ...BASE, activation_function: 'gelu', n_inner: 24, layer_norm_epsilon: 1e-3, n_head: 4 }],
];
// Two sequences that use the whole position table and both ends of the vocabulary.
const IDS = [
  [0, 60, 7, 7, 31, 2, 59, 13, 44, 1, 0, 18, 27, 36, 45, 54],
  [5, 4, 3, 2, 1, 0, 60, 50, 40, 30, 20, 10, 11, 12, 13, 14],
];

function ourLogits(model: GPT, ids: number[][]): Float32Array {
  return noGrad(() => tidy(() => model.forward(tensor(ids.flat(), [ids.length, ids[0]!.length], 'int64')).toFloat32Array()));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'logit counts differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function spread(a: ArrayLike<number>): number {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < a.length; i++) [lo, hi] = [Math.min(lo, a[i]!), Math.max(hi, a[i]!)];
  return hi - lo;
}

for (const [label, cfg] of CONFIGS) {
  test(`a random GPT2LMHeadModel saved by transformers loads with the same logits (${label})`, async () => {
    const dir = join(scratch, `hf-${label.replace(/\W+/g, '-')}`);
    const hf = await ref.call<{ logits: number[]; files: string[] }>({ op: 'save', dir, config: cfg, seed: 7, ids: IDS });
    assert.ok(hf.files.includes('model.safetensors'), `save_pretrained wrote ${hf.files.join(', ')}`);
    const { model, tokenizer } = await loadModel(dir);
    assert.equal(tokenizer, null);
    const ours = ourLogits(model, IDS);
    assert.ok(spread(ours) > 1, 'the logits should vary enough for the comparison to mean something');
    const d = maxAbsDiff(ours, hf.logits);
    assert.ok(d < 1e-4, `max |ours - transformers| = ${d}`);
  });

  test(`a model we save loads in transformers with the same logits (${label})`, async () => {
    manualSeed(11);
    const model = new GPT(gptConfig(cfg)).initWeights();
    tidy(() => {
      for (const p of model.parameters()) p.add_(randn(p.shape).mul(0.1));
    });
    const dir = join(scratch, `ours-${label.replace(/\W+/g, '-')}`);
    saveModel(dir, model);
    const hf = await ref.call<{ logits: number[]; info: Record<string, string[]> }>({ op: 'logits', dir, ids: IDS });
    for (const [k, v] of Object.entries(hf.info)) assert.deepEqual(v, [], `transformers reports ${k}: ${v.join(', ')}`);
    const ours = ourLogits(model, IDS);
    assert.ok(spread(ours) > 1);
    const d = maxAbsDiff(ours, hf.logits);
    assert.ok(d < 1e-4, `max |ours - transformers| = ${d}`);
  });
}

const CORPUS = Array.from({ length: 40 }, (_, i) =>
  `def f${i % 7}(x):\n    return x * ${i} + "héllo wörld"  # comment ${i % 3}\n\nThe quick brown fox jumps over the lazy dog ${i}.`);
const TEXTS = [
  'def f3(x):\n    return x * 12',
  'The quick brown fox, émoji 🦊 and  two  spaces\t\ttabs',
  'unseen words: zyxw qqq <|endoftext|> after the end',
  '',
];

test('tokenizers trained by Hugging Face load with the same ids (tokenizer.json and vocab.json + merges.txt)', async () => {
  const jsonDir = join(scratch, 'tok-json'), pairDir = join(scratch, 'tok-pair');
  for (const dir of [jsonDir, pairDir]) await ref.call({ op: 'save', dir, config: BASE, seed: 1, ids: [[0]] });
  const hf = await ref.call<{ ids: number[][] }>({ op: 'tokenizer', json_dir: jsonDir, pair_dir: pairDir, corpus: CORPUS, texts: TEXTS, vocab_size: 300 });
  assert.ok(hf.ids[0]!.length < TEXTS[0]!.length, 'the trained tokenizer should merge something');
  for (const dir of [jsonDir, pairDir]) {
    const { tokenizer } = await loadModel(dir);
    assert.ok(tokenizer, `no tokenizer loaded from ${dir}`);
    assert.deepEqual(TEXTS.map((t) => [...tokenizer.encode(t)]), hf.ids, dir);
    for (const t of TEXTS) assert.equal(tokenizer.decode(tokenizer.encode(t)), t);
  }
});

test('a tokenizer we train and save with a model encodes identically in Hugging Face tokenizers', async () => {
  const tokenizer = trainBpe(CORPUS, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  manualSeed(2);
  const model = new GPT(gptConfig({ ...BASE, vocab_size: tokenizer.vocabSize })).initWeights();
  const dir = join(scratch, 'ours-tok');
  saveModel(dir, model, { tokenizer });
  const hf = await ref.call<{ ids: number[][] }>({ op: 'encode', path: join(dir, 'tokenizer.json'), texts: TEXTS });
  const ours = TEXTS.map((t) => [...tokenizer.encode(t)]);
  assert.deepEqual(ours, hf.ids);
  const loaded = (await loadModel(dir)).tokenizer!;
  assert.deepEqual(TEXTS.map((t) => [...loaded.encode(t)]), ours);
});
