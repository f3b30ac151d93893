// The LM distribution over a tiny random GPT: what it samples it scores consistently —
// the sampling log-probs, logScore, the differentiable log π and the per-token view
// agree — frozen copies are independent, and the tuning loop runs on it end to end
// (and resumes exactly, LibTorch's sampling RNG included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BooleanFactor } from '../../src/distributions/boolean-factor.js';
import { ContextDistribution } from '../../src/distributions/context-distribution.js';
import { LMDistribution } from '../../src/distributions/lm-distribution.js';
import { manualSeed, setNumThreads } from '../../src/engine/random.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import type { Tokenizer } from '../../src/lm/tokenizer.js';
import { predicateScorer } from '../../src/scorers/predicate.js';
import { DPG } from '../../src/tuners/dpg.js';
import { PPO } from '../../src/tuners/ppo.js';
import { Tuner } from '../../src/tuners/tuner.js';
import { FixedKLController } from '../../src/tuners/kl-controller.js';
import { PosteriorError } from '../../src/util/errors.js';

setNumThreads(1);
const corpus = ['the cat sat on the mat. the dog sat on the log. a cat and a dog.'];
const tokenizer = trainBpe(corpus, { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
const quiet = { write: () => true };

function lm(seed: number, tok: Tokenizer = tokenizer): LMDistribution {
  manualSeed(seed);
  const eos = tok.eosId!;
  const model = new GPT(gptConfig({ vocab_size: tok.vocabSize, n_positions: 48, n_embd: 32, n_layer: 2, n_head: 2, initializer_range: 0.2, eos_token_id: eos, bos_token_id: eos })).initWeights();
  return new LMDistribution(model, tok, { sampling: { maxNewTokens: 12 } });
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < tol, `${what} [${i}]: ${a[i]} vs ${b[i]}`);
};

test('at temperature 1 the sampling log-probs, logScore, log π and the per-token view agree', async () => {
  const d = lm(1);
  for (const context of [undefined, 'the cat']) {
    const { samples, logProbs } = await d.sample(8, context);
    assert.equal(samples.length, 8);
    for (const s of samples) assert.equal(s.text, tokenizer.decode(s.tokens!, { skipSpecial: true }));
    const scored = await d.logScore(samples, context);
    close(scored, logProbs, 1e-4, 'logScore vs sampling log-probs');
    close(d.logProbTensor(samples, context).toFloat64Array(), scored, 1e-4, 'log π tensor');
    const tl = d.tokenLogProbs(samples, context);
    close(tl.logProbs.sum(1).toFloat64Array(), scored, 1e-4, 'per-token sum');
    assert.deepEqual(tl.hidden.shape, [8, tl.logProbs.shape[1], 32]);
    const perToken = await d.tokenLogScores(samples, context);
    perToken.forEach((t, i) => assert.equal(t.length, samples[i]!.tokens!.length));
    close(perToken.map((t) => t.reduce((a, b) => a + b, 0)), scored, 1e-4, 'tokenLogScores');
  }
  // A text without tokens is scored as exactly that text followed by EOS.
  const [x] = (await d.sample(1)).samples;
  const text = tokenizer.decode(x!.tokens!.filter((t) => t !== tokenizer.eosId));
  assert.deepEqual(Array.from(d.tokensOf({ text })), [...tokenizer.encode(text), tokenizer.eosId]);
  d.dispose();
});

test('a vocabulary padded beyond the tokenizer never yields an id the tokenizer cannot decode', async () => {
  manualSeed(8);
  const eos = tokenizer.eosId!;
  // Large initial weights make the padded ids likely if they were not banned.
  const model = new GPT(gptConfig({ vocab_size: tokenizer.vocabSize + 200, n_positions: 48, n_embd: 16, n_layer: 1, n_head: 2, initializer_range: 1, eos_token_id: eos, bos_token_id: eos })).initWeights();
  const d = new LMDistribution(model, tokenizer, { sampling: { maxNewTokens: 16 } });
  const { samples } = await d.sample(32);
  assert.ok(samples.every((s) => s.tokens!.every((t) => t < tokenizer.vocabSize)));
  d.dispose();
});

test('with a temperature the sampling log-probs are those of the tempered distribution, not of the model', async () => {
  const d = lm(2);
  const { samples, logProbs } = await d.sample(8, undefined, { temperature: 0.5 });
  const scored = await d.logScore(samples);
  assert.ok(logProbs.some((lp, i) => Math.abs(lp - scored[i]!) > 1e-2));
  // A colder distribution puts more mass on what it drew.
  assert.ok(logProbs.reduce((a, b) => a + b, 0) > scored.reduce((a, b) => a + b, 0));
  d.dispose();
});

test('a frozen copy scores alike, takes no gradient, and stays put while the original changes', async () => {
  const d = lm(3);
  const q = d.frozenCopy();
  const { samples } = await d.sample(4);
  close(await q.logScore(samples), await d.logScore(samples), 1e-6, 'copy');
  assert.equal(q.logProbTensor(samples).requiresGrad, false);
  d.model.p('transformer.ln_f.bias').add_(d.model.p('transformer.ln_f.weight'));
  const changed = await d.logScore(samples);
  assert.ok((await q.logScore(samples)).some((x, i) => Math.abs(x - changed[i]!) > 1e-3));
  q.copyFrom(d);
  close(await q.logScore(samples), changed, 1e-6, 'after copyFrom');
  d.dispose();
  q.dispose();
});

test('DPG and PPO tune an LM end to end; a DPG run resumed from its checkpoint ends bit-identical', async () => {
  const target = (base: LMDistribution) => base.times(new BooleanFactor(predicateScorer('has cat', (t) => t.includes('cat'))));
  const contexts = new ContextDistribution(['the', 'a dog']);
  const run = async (outDir: string, steps: number, resume: boolean) => {
    const base = lm(4);
    const policy = lm(4);
    const tuner = new Tuner({
      policy, base, target: target(base), strategy: new DPG(), contexts, contextsPerStep: 2, samplesPerContext: 8, steps, seed: 5,
      partition: { kind: 'per-context' }, optimizer: { lr: 1e-3 }, outDir, checkpointInterval: 2, warn: () => {}, stream: quiet,
    });
    const result = await tuner.run({ resume });
    const w = policy.model.p('transformer.h.0.attn.c_attn.weight').toFloat64Array();
    base.dispose();
    policy.dispose();
    return { result, w };
  };
  const root = mkdtempSync(join(tmpdir(), 'posterior-lm-tune-'));
  const straight = await run(join(root, 'a'), 4, false);
  assert.ok(Number.isFinite(straight.result.metrics.kl_target_policy!) && Number.isFinite(straight.result.metrics.loss!));
  assert.equal(straight.result.modelDir, join(root, 'a', 'model'));
  const loaded = await LMDistribution.load(straight.result.modelDir!);
  assert.deepEqual(loaded.model.p('transformer.h.0.attn.c_attn.weight').toFloat64Array(), straight.w);
  loaded.dispose();
  await run(join(root, 'b'), 2, false);
  const resumed = await run(join(root, 'b'), 4, true);
  assert.deepEqual(resumed.w, straight.w);

  const base = lm(6);
  const policy = lm(6);
  const ppo = new PPO(policy, { kl: new FixedKLController(0.05), epochs: 2 });
  const tuner = new Tuner({ policy, base, reward: predicateScorer('has cat', (t) => t.includes('cat')), strategy: ppo, samplesPerContext: 8, steps: 2, seed: 6, optimizer: { lr: 1e-3 }, warn: () => {}, stream: quiet });
  const r = await tuner.run();
  assert.ok(Number.isFinite(r.metrics['policy/clipfrac']!) && Number.isFinite(r.metrics['value/loss']!));
  base.dispose();
  policy.dispose();
});

test('a base or target over another tokenizer is refused in one sentence', () => {
  const other = trainBpe(['completely different text for another tokenizer, with more merges'], { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
  const policy = lm(7);
  const base = lm(7, other);
  assert.throws(
    () => new Tuner({ policy, base, target: base.times(), strategy: new DPG(), steps: 1, optimizer: { lr: 1e-3 } }),
    (e: unknown) => e instanceof PosteriorError && /the base uses a different tokenizer than the policy/.test(e.message),
  );
  policy.dispose();
  base.dispose();
});
