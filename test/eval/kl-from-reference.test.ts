import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/engine/create.js';
import { noGrad } from '../../src/engine/autograd.js';
import { manualSeed } from '../../src/engine/random.js';
import { tidy } from '../../src/engine/scope.js';
import { BAD_TOKEN, GOOD_TOKEN } from '../../src/pretrain/objectives/conditional.js';
import { evalModel } from '../../src/eval/eval-model.js';
import { checkSharedTokenizer, klEstimate, klFromReference, klFromSamples } from '../../src/eval/kl-from-reference.js';
import { drawReferenceSamples } from '../../src/eval/reference-model.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import { Tokenizer } from '../../src/lm/tokenizer.js';
import { PosteriorError } from '../../src/util/errors.js';

const base = trainBpe(['the cat sat on the mat. the dog sat on the log.'], { vocabSize: 270, specialTokens: ['<|endoftext|>'] });
const EOS = base.eosId!;

function withTokens(t: Tokenizer, tokens: string[]): Tokenizer {
  const copy = Tokenizer.fromJSON(t.toJSON());
  copy.addSpecialTokens(tokens);
  return copy;
}

/** A context of 3 positions: a reference sample is one token (n_positions − 2), so KL is a sum over the vocabulary. */
function tinyModel(seed: number, vocab: number): GPT {
  manualSeed(seed);
  return new GPT(gptConfig({ vocab_size: vocab, n_positions: 3, n_embd: 16, n_layer: 1, n_head: 2, initializer_range: 0.4 })).initWeights();
}

/** log-softmax of the next-token logits after `context`, in float64 in JavaScript. */
function nextLogProbs(model: GPT, context: number[]): Float64Array {
  const row = noGrad(() => tidy(() => model.forward(tensor(Int32Array.from(context), [1, context.length], 'int64')).select(1, context.length - 1).toFloat32Array()));
  const z = Float64Array.from(row);
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

/** KL(ref ‖ model) over one-token sequences, by enumerating the reference's vocabulary. */
function exactKl(ref: Float64Array, model: Float64Array): number {
  let kl = 0;
  for (let v = 0; v < ref.length; v++) kl += Math.exp(ref[v]!) * (ref[v]! - model[v]!);
  return kl;
}

test('klEstimate is the mean of log ref − log model, with its standard error', () => {
  const e = klEstimate([-1, -2, -3], [-2, -2, -5]);
  assert.equal(e.kl, (1 + 0 + 2) / 3);
  // Differences 1, 0, 2: sample variance 1, standard error sqrt(1/3).
  assert.ok(Math.abs(e.standardError - Math.sqrt(1 / 3)) < 1e-12);
});

test('on one-token sequences the estimate from reference samples matches KL computed by enumeration', () => {
  const V = base.vocabSize;
  const ref = tinyModel(1, V), model = tinyModel(2, V);
  const samples = drawReferenceSamples(ref, base, 4000, 7);
  assert.ok(samples.every((s) => s.tokens.length === 1));
  const refLp = nextLogProbs(ref, [EOS]), modelLp = nextLogProbs(model, [EOS]);
  // The cached log-probs are the reference's own.
  for (const s of samples.slice(0, 50)) assert.ok(Math.abs(s.logProb - refLp[s.tokens[0]!]!) < 1e-5);
  const exact = exactKl(refLp, modelLp);
  const est = klFromSamples(model, Int32Array.of(EOS), samples);
  assert.ok(exact > 0.1, `the pair should differ (KL ${exact})`);
  assert.ok(Math.abs(est.kl - exact) < 4 * est.standardError, `estimate ${est.kl} ± ${est.standardError}, exact ${exact}`);
  // The reference against itself: the same numbers, so exactly 0.
  assert.equal(klFromSamples(ref, Int32Array.of(EOS), samples).kl, 0);
});

test('a conditional model scores the reference samples after <|endoftext|><|good|>', () => {
  const V = base.vocabSize;
  const ref = tinyModel(3, V);
  const tok = withTokens(base, [GOOD_TOKEN, BAD_TOKEN]);
  const model = tinyModel(4, tok.vocabSize);
  const m = evalModel('cond', model, tok);
  assert.equal(m.conditional, true);
  assert.deepEqual(Array.from(m.prompt), [EOS, tok.tokenToId(GOOD_TOKEN)]);
  const samples = drawReferenceSamples(ref, base, 4000, 8);
  const exact = exactKl(nextLogProbs(ref, [EOS]), nextLogProbs(model, [EOS, tok.tokenToId(GOOD_TOKEN)!]).subarray(0, V));
  const est = klFromReference(m, { dir: 'ref', tokenizer: base, samples });
  assert.ok(Math.abs(est.kl - exact) < 4 * est.standardError, `estimate ${est.kl} ± ${est.standardError}, exact ${exact}`);
  // Unconditional evaluation of the same model scores after <|endoftext|> alone.
  const plain = klFromReference(evalModel('cond', model, tok, false), { dir: 'ref', tokenizer: base, samples });
  const exactPlain = exactKl(nextLogProbs(ref, [EOS]), nextLogProbs(model, [EOS]).subarray(0, V));
  assert.ok(Math.abs(plain.kl - exactPlain) < 4 * plain.standardError);
});

test('a model whose tokenizer differs from the reference beyond control tokens is refused in one sentence', () => {
  const other = trainBpe(['completely different words here, again and again.'], { vocabSize: 270, specialTokens: ['<|endoftext|>'] });
  const sentence = (t: Tokenizer) => {
    try {
      checkSharedTokenizer(base, 'ref', t, 'run/model');
    } catch (e) {
      assert.ok(e instanceof PosteriorError);
      return e.message;
    }
    return 'accepted';
  };
  assert.equal(sentence(withTokens(base, [GOOD_TOKEN, BAD_TOKEN])), 'accepted');
  assert.match(sentence(other), /^model run\/model does not share the tokenizer of the reference in ref \(token \d+ is ".*" instead of ".*"\), so KL from the reference cannot be estimated; train it with the reference's tokenizer\.json$/);
  assert.equal(sentence(withTokens(base, ['<|pad|>'])),
    'model run/model does not share the tokenizer of the reference in ref (it adds token "<|pad|>"), so KL from the reference cannot be estimated; train it with the reference\'s tokenizer.json');
});

test('asking for conditional evaluation of a model without control tokens is one sentence', () => {
  assert.throws(() => evalModel('runs/mle/model', tinyModel(5, base.vocabSize), base, true),
    (e: Error) => e instanceof PosteriorError && e.message === 'model runs/mle/model has no <|good|> and <|bad|> tokens, so it cannot be evaluated as a conditional model');
});
