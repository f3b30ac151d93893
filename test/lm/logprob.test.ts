import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '../../src/engine/create.js';
import { crossEntropy } from '../../src/engine/functional.js';
import { noGrad, zeroGrad } from '../../src/engine/autograd.js';
import { manualSeed } from '../../src/engine/random.js';
import { tidy } from '../../src/engine/scope.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { saveModel } from '../../src/lm/checkpoint.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import { scoreContinuations, sequenceLogProbs } from '../../src/lm/logprob.js';
import { PosteriorError } from '../../src/util/errors.js';

const V = 40;

function tinyModel(seed: number, extra: { eos_token_id?: number } = {}): GPT {
  manualSeed(seed);
  return new GPT(gptConfig({ vocab_size: V, n_positions: 24, n_embd: 32, n_layer: 2, n_head: 4, initializer_range: 0.3, ...extra })).initWeights();
}

/** Independent reference: one unpadded forward pass per pair, log-softmax in float64 in JavaScript. */
function reference(model: GPT, context: Int32Array, continuation: Int32Array): number[] {
  const ids = Int32Array.from([...context, ...continuation]);
  const logits = noGrad(() => tidy(() => model.forward(tensor(ids, [1, ids.length], 'int64')).toFloat32Array()));
  return Array.from(continuation, (tok, j) => {
    const row = logits.subarray((context.length + j - 1) * V, (context.length + j) * V);
    const m = Math.max(...row);
    return row[tok]! - m - Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  });
}

function ids(...xs: number[]): Int32Array {
  return Int32Array.from(xs);
}

const contexts = [ids(1, 2, 3), ids(7), ids(4, 4, 4, 4, 4, 4, 4, 4, 9), ids(12, 30), ids(5, 6)];
const continuations = [ids(8, 9), ids(10, 11, 12, 13, 14, 15), ids(3), ids(39, 0, 1, 2), ids()];

test('scores equal unpadded forward passes, whatever the batching and order', () => {
  const model = tinyModel(1);
  for (const batchSize of [1, 2, 16]) {
    const scores = scoreContinuations(model, contexts, continuations, { batchSize });
    scores.forEach((s, i) => {
      const ref = reference(model, contexts[i]!, continuations[i]!);
      assert.equal(s.logProbs.length, continuations[i]!.length);
      s.logProbs.forEach((x, j) => assert.ok(Math.abs(x - ref[j]!) < 1e-5, `batch ${batchSize}, pair ${i}, token ${j}: ${x} vs ${ref[j]}`));
      assert.ok(Math.abs(s.logProb - ref.reduce((a, b) => a + b, 0)) < 1e-4);
    });
  }
  assert.equal(scoreContinuations(model, [ids(1)], [ids()])[0]!.logProb, 0);
});

test('banned tokens: the others are scored renormalised, log p(t) − log(1 − Σ_banned p)', () => {
  const model = tinyModel(3);
  const banned = [4, 17, 38];
  const context = ids(1, 2), continuation = ids(8, 9, 30);
  const [scored] = scoreContinuations(model, [context], [continuation], { banned });
  continuation.forEach((tok, j) => {
    const prefix = Int32Array.from([...context, ...continuation.subarray(0, j)]);
    const next = (t: number) => reference(model, prefix, Int32Array.of(t))[0]!;
    const bannedMass = banned.reduce((sum, b) => sum + Math.exp(next(b)), 0);
    const expected = next(tok) - Math.log(1 - bannedMass);
    assert.ok(Math.abs(scored!.logProbs[j]! - expected) < 1e-5, `token ${j}: ${scored!.logProbs[j]} vs ${expected}`);
  });
});

test('an empty context starts from the BOS/EOS token', () => {
  const model = tinyModel(2, { eos_token_id: 0 });
  const [empty] = scoreContinuations(model, [ids()], [ids(5, 6, 7)]);
  const [explicit] = scoreContinuations(model, [ids(0)], [ids(5, 6, 7)]);
  assert.deepEqual(empty!.logProbs, explicit!.logProbs);
  const [other] = scoreContinuations(model, [ids()], [ids(5, 6, 7)], { startId: 3 });
  assert.notDeepEqual(other!.logProbs, explicit!.logProbs);
  assert.throws(() => scoreContinuations(tinyModel(2), [ids()], [ids(5)]), (e: unknown) => e instanceof PosteriorError && /context 0 is empty/.test(e.message));
});

test('sequenceLogProbs: sums, padding and mask, and gradients equal a plain cross-entropy', () => {
  const model = tinyModel(3);
  const scores = scoreContinuations(model, contexts, continuations);
  const r = sequenceLogProbs(model, contexts, continuations);
  assert.deepEqual(r.perToken.shape, [5, 6]);
  const sums = r.sum.detach().toFloat32Array(), per = r.perToken.detach().toFloat32Array(), mask = r.mask.toFloat32Array();
  scores.forEach((s, i) => {
    assert.ok(Math.abs(sums[i]! - s.logProb) < 1e-4, `pair ${i}: ${sums[i]} vs ${s.logProb}`);
    for (let j = 0; j < 6; j++) {
      const real = j < continuations[i]!.length;
      assert.equal(mask[i * 6 + j], real ? 1 : 0);
      if (!real) assert.ok(per[i * 6 + j] === 0, `padding at pair ${i}, slot ${j}`);
    }
  });
  // d(sum of pair 3)/dθ equals the gradient of a summed cross-entropy written directly.
  const wte = model.p('transformer.wte.weight');
  zeroGrad(model.parameters());
  tidy(() => sequenceLogProbs(model, [contexts[3]!], [continuations[3]!]).sum.neg().sum().backward());
  const ours = tidy(() => wte.grad!.toFloat32Array());
  zeroGrad(model.parameters());
  tidy(() => {
    const all = Int32Array.from([...contexts[3]!, ...continuations[3]!]);
    const logits = model.forward(tensor(all, [1, all.length], 'int64')).select(0, 0).slice(0, 1, all.length - 1);
    crossEntropy(logits, tensor(continuations[3]!, [4], 'int64'), { reduction: 'sum' }).backward();
  });
  const direct = tidy(() => wte.grad!.toFloat32Array());
  let norm = 0;
  ours.forEach((g, k) => {
    norm += g * g;
    assert.ok(Math.abs(g - direct[k]!) < 1e-4, `wte grad ${k}: ${g} vs ${direct[k]}`);
  });
  assert.ok(norm > 1e-6, 'the gradient must not vanish');
  zeroGrad(model.parameters());
});

test('dropout applies only when train is set', () => {
  const model = new GPT(gptConfig({ vocab_size: V, n_positions: 24, n_embd: 32, n_layer: 2, n_head: 4, resid_pdrop: 0.5 })).initWeights();
  const run = (train: boolean) => noGrad(() => tidy(() => sequenceLogProbs(model, contexts, continuations, { train }).sum.toFloat32Array()));
  assert.deepEqual(run(false), run(false));
  manualSeed(1);
  assert.notDeepEqual(run(true), run(false));
});

test('bad pairs are refused with a sentence naming them', () => {
  const model = tinyModel(4);
  const refused = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof PosteriorError && re.test(e.message));
  refused(() => scoreContinuations(model, [ids(1)], []), /1 contexts but 0 continuations/);
  refused(() => scoreContinuations(model, [ids(1), ids(2)], [ids(3), ids(4, V)]), /continuation 1 has token id 40 at position 1/);
  refused(() => scoreContinuations(model, [ids(-1)], [ids(3)]), /context 0 has token id -1/);
  refused(() => scoreContinuations(model, [new Int32Array(20)], [new Int32Array(5)]), /pair 0 has 20 context and 5 continuation tokens, more than the model's context of 24/);
  refused(() => scoreContinuations(model, [ids(1)], [ids(2)], { batchSize: 0 }), /batchSize/);
});

test('posterior logprob: JSON scores equal scoreContinuations; out-of-range ids get a sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-logprob-'));
  try {
    const tokenizer = trainBpe(['the cat sat on the mat. the dog sat on the log.'], { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
    manualSeed(14);
    const model = new GPT(gptConfig({ vocab_size: tokenizer.vocabSize, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, initializer_range: 0.3 })).initWeights();
    saveModel(dir, model, { tokenizer });
    const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/src/cli/main.js', 'logprob', '--model', dir, ...args], { encoding: 'utf8' });
    const r = cli('--text', ' sat on the mat', '--context', 'the cat', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ids: number[]; logProbs: number[]; logProb: number };
    const [expected] = scoreContinuations(model, [tokenizer.encode('the cat')], [tokenizer.encode(' sat on the mat')]);
    assert.deepEqual(out.ids, Array.from(tokenizer.encode(' sat on the mat')));
    out.logProbs.forEach((x, i) => assert.ok(Math.abs(x - expected!.logProbs[i]!) < 1e-6));
    // Without a context, the first token is scored after <|endoftext|>.
    const ids = cli('--ids', '5,6,7', '--json');
    const [fromEos] = scoreContinuations(model, [Int32Array.of(tokenizer.eosId!)], [Int32Array.of(5, 6, 7)]);
    assert.ok(Math.abs((JSON.parse(ids.stdout) as { logProb: number }).logProb - fromEos!.logProb) < 1e-6);
    const v = tokenizer.vocabSize;
    const bad = cli('--ids', `5,${v}`);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), `posterior: --ids: token id ${v} (item 2) is outside the model's vocabulary (0 to ${v - 1})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
