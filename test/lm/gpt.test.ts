import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tensor } from '../../src/engine/create.js';
import { noGrad } from '../../src/engine/autograd.js';
import { manualSeed } from '../../src/engine/random.js';
import { tidy } from '../../src/engine/scope.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import { Reference } from '../python/reference.js';

let ref: Reference;
before(() => {
  ref = Reference.start();
});
after(() => ref?.close());

const CFG = { vocab_size: 29, n_positions: 12, n_embd: 12, n_layer: 3, n_head: 3, bos_token_id: 0, eos_token_id: 0 };

function randomModel(seed: number, cfg: object = {}): GPT {
  manualSeed(seed);
  const model = new GPT(gptConfig({ ...CFG, ...cfg })).initWeights();
  tidy(() => {
    for (const p of model.parameters()) p.add_(randn(p.shape).mul(0.2));
  });
  return model;
}

function logits(model: GPT, ids: number[], train = false): Float32Array {
  return noGrad(() => tidy(() => model.forward(tensor(ids, [1, ids.length], 'int64'), { train }).toFloat32Array()));
}

for (const [label, cfg] of [['default', {}], ['n_inner', { n_inner: 20 }]] as const) {
  test(`parameter names, shapes and count equal transformers' GPT2LMHeadModel (${label})`, async () => {
    const hf = await ref.call<{ params: Record<string, number[]>; numel: number }>({ op: 'state_dict', config: { ...CFG, ...cfg } });
    const model = new GPT(gptConfig({ ...CFG, ...cfg }));
    const theirs = Object.entries(hf.params).filter(([name]) => name !== 'lm_head.weight' && !/\.attn\.(masked_)?bias$/.test(name));
    assert.deepEqual([...model.params].map(([name, t]) => [name, t.shape]).sort(), theirs.sort());
    assert.equal(model.numParameters, hf.numel);
  });
}

test('causal: changing a later token leaves the logits at earlier positions unchanged', () => {
  const model = randomModel(1);
  const V = CFG.vocab_size;
  const ids = [3, 14, 15, 9, 26, 5, 3, 5, 8, 9, 7, 9];
  const base = logits(model, ids);
  for (const k of [1, 6, 11]) {
    const changed = ids.slice();
    changed[k] = (changed[k]! + 7) % V;
    const other = logits(model, changed);
    assert.deepEqual(other.subarray(0, k * V), base.subarray(0, k * V), `positions before ${k} moved`);
    let moved = 0;
    for (let i = k * V; i < base.length; i++) moved = Math.max(moved, Math.abs(other[i]! - base[i]!));
    assert.ok(moved > 1e-3, `position ${k} onwards should see the change (max move ${moved})`);
  }
});

test('dropout acts only in training: eval logits are deterministic and equal a dropout-free copy', () => {
  const noisy = randomModel(2, { resid_pdrop: 0.5, embd_pdrop: 0.5, attn_pdrop: 0.5 });
  const clean = randomModel(2, { resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  const ids = [1, 2, 3, 4, 5, 6];
  const evalA = logits(noisy, ids), evalB = logits(noisy, ids);
  assert.deepEqual(evalA, evalB);
  assert.deepEqual(evalA, logits(clean, ids));
  const trainA = logits(noisy, ids, true), trainB = logits(noisy, ids, true);
  assert.notDeepEqual(trainA, evalA);
  assert.notDeepEqual(trainA, trainB);
  assert.deepEqual(logits(clean, ids, true), evalA, 'with p = 0, training mode changes nothing');
});
