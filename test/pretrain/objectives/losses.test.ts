// Each PHF loss equals its formula computed by hand in JavaScript from the model's own
// log-probs (and hidden states, for AWR's value head) on a tiny batch with padding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../../src/engine/create.js';
import { noGrad, zeroGrad } from '../../../src/engine/autograd.js';
import { tidy } from '../../../src/engine/scope.js';
import { AwrObjective } from '../../../src/pretrain/objectives/awr.js';
import { MleObjective } from '../../../src/pretrain/objectives/mle.js';
import { RwrObjective } from '../../../src/pretrain/objectives/rwr.js';
import { UnlikelihoodObjective } from '../../../src/pretrain/objectives/unlikelihood.js';
import { batch, C, hiddenStates, realMean, scoredDocs, scores, targetLogProbs, tinyModel, tinyTokenizer } from './fixtures.js';

const ctx = { step: 0, totalSteps: 1, train: false };
const close = (actual: number, expected: number, what: string, tol = 1e-5) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs hand-computed ${expected}`);
const prepareCtx = { tokenizer: tinyTokenizer(), seed: 0 };

test('MLE is the mean cross-entropy over real targets', () => {
  const model = tinyModel();
  const logp = targetLogProbs(model);
  const loss = tidy(() => new MleObjective().loss(model, batch(), ctx).loss.item());
  close(loss, realMean((i) => -logp[i]!), 'MLE');
});

test('unlikelihood: −log p on good tokens, −α log(1 − p) on bad ones (score > t), averaged over real targets', () => {
  const model = tinyModel();
  const logp = targetLogProbs(model);
  for (const [t, alpha] of [[0.25, 1], [0.7, 0.01], [0, 0.5]] as const) {
    const ul = new UnlikelihoodObjective({ threshold: t, alpha }, 'config run.yaml');
    ul.prepare(scoredDocs, [], prepareCtx);
    const out = tidy(() => {
      const r = ul.loss(model, batch(), ctx);
      return { loss: r.loss.item(), metrics: r.metrics };
    });
    const good = (i: number) => scores[i]! <= t;
    const expected = realMean((i) => (good(i) ? -logp[i]! : -alpha * Math.log(Math.max(1 - Math.exp(logp[i]!), 1e-20))));
    close(out.loss, expected, `unlikelihood t=${t} α=${alpha}`);
    close(out.metrics['unlikelihood/bad_fraction']!, realMean((i) => Number(!good(i))), 'bad fraction');
    close(out.metrics['unlikelihood/likelihood_loss']! + alpha * out.metrics['unlikelihood/unlikelihood_loss']!, expected, 'decomposition');
  }
});

test('unlikelihood clamps 1 − p at 1e-20: a bad token the model is certain of costs α·46.05, with a finite gradient', () => {
  const model = tinyModel();
  const certain = 6;
  noGrad(() => tidy(() => {
    // ln_f maps every position to 10·e₀, and only `certain` has weight on e₀: p(certain) rounds to 1.
    model.p('transformer.ln_f.weight').fill_(0);
    model.p('transformer.ln_f.bias').copy_(tensor([10, 0, 0, 0, 0, 0, 0, 0]));
    model.p('transformer.wte.weight').select(0, certain).copy_(tensor([100, 0, 0, 0, 0, 0, 0, 0]));
  }));
  const ul = new UnlikelihoodObjective({ threshold: 0.5, alpha: 0.3 }, 'config run.yaml');
  ul.prepare(scoredDocs, [], prepareCtx);
  const b = { input: tensor([1, 2, 3], [1, 3], 'int64'), target: tensor([certain, certain, certain], [1, 3], 'int64'), scores: tensor([1, 1, 1], [1, 3]) };
  const loss = tidy(() => {
    const l = ul.loss(model, b, ctx).loss;
    l.backward();
    return l.item();
  });
  close(loss, 0.3 * -Math.log(Math.fround(1e-20)), 'clamped unlikelihood', 1e-4);
  for (const p of model.parameters()) assert.ok(tidy(() => p.grad?.toFloat32Array().every(Number.isFinite) ?? true));
  zeroGrad(model.parameters());
});

test('RWR: cross-entropy weighted by exp(−score/β), averaged over real targets', () => {
  const model = tinyModel();
  const logp = targetLogProbs(model);
  for (const beta of [10, 0.5]) {
    const out = tidy(() => {
      const r = new RwrObjective({ beta }).loss(model, batch(), ctx);
      return { loss: r.loss.item(), metrics: r.metrics };
    });
    close(out.loss, realMean((i) => Math.exp(-scores[i]! / beta) * -logp[i]!), `RWR β=${beta}`);
    close(out.metrics['rwr/weight_mean']!, realMean((i) => Math.exp(-scores[i]! / beta)), 'mean weight');
  }
});

/** An AWR objective whose value head has fixed, non-zero weights. */
function awrWithHead(alpha: number, beta: number, model = tinyModel()) {
  const awr = new AwrObjective({ alpha, beta });
  const head = awr.parameters(model);
  const w = Array.from({ length: C }, (_, k) => 3 * Math.sin(k + 1));
  noGrad(() => {
    head.get('value_head.weight')!.copy_(tensor(w, [1, C]));
    head.get('value_head.bias')!.copy_(tensor([0.2]));
  });
  const h = hiddenStates(model);
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const pre = h.map((row) => row.reduce((s, x, k) => s + x * w[k]!, 0.2));
  return { awr, model, head, values: pre.map((z) => -sigmoid(z)), sig: pre.map(sigmoid) };
}

test('AWR: α·mean(min(exp((r − V)/β), 1000)·CE) + (1 − α)·mean((V − r)²), r = −score, V from the value head', () => {
  for (const [alpha, beta] of [[0.5, 1], [0.3, 0.05]] as const) {
    const { awr, model, values } = awrWithHead(alpha, beta);
    const logp = targetLogProbs(model);
    const out = tidy(() => {
      const r = awr.loss(model, batch(), ctx);
      return { loss: r.loss.item(), metrics: r.metrics };
    });
    const r = (i: number) => -scores[i]!;
    const weight = (i: number) => Math.min(Math.exp((r(i) - values[i]!) / beta), 1000);
    const lm = realMean((i) => weight(i) * -logp[i]!);
    const value = realMean((i) => (values[i]! - r(i)) ** 2);
    close(out.metrics['awr/weighted_lm_loss']!, lm, 'weighted LM loss', 1e-5 * Math.max(1, lm));
    close(out.metrics['awr/value_loss']!, value, 'value loss');
    close(out.loss, alpha * lm + (1 - alpha) * value, `AWR α=${alpha} β=${beta}`, 1e-5 * Math.max(1, lm));
    close(out.metrics['awr/value_mean']!, realMean((i) => values[i]!), 'mean value');
    if (beta === 0.05) assert.ok(realMean(weight) > 100 && values.some((_, i) => weight(i) === 1000), 'the small β should reach the cap of 1000');
  }
});

test('AWR: the advantage is held constant, so the value head learns only from the value loss', () => {
  for (const alpha of [1, 0.4]) {
    const { awr, model, head, values, sig } = awrWithHead(alpha, 1);
    tidy(() => awr.loss(model, batch(), { ...ctx, train: true }).loss.backward());
    const grad = tidy(() => head.get('value_head.bias')!.grad!.item());
    // ∂/∂b of (1 − α)·mean((V − r)²) with V = −σ(z): (1 − α)·mean(2(V − r)·(−σ(1 − σ))).
    const expected = (1 - alpha) * realMean((i) => 2 * (values[i]! + scores[i]!) * -sig[i]! * (1 - sig[i]!));
    close(grad, expected, `∂L/∂bias at α=${alpha}`);
    zeroGrad([...model.parameters(), ...head.values()]);
  }
});

test('AWR: the value head starts at V = −1/2 and stays inside (−1, 0) for any hidden state', () => {
  const model = tinyModel();
  const awr = new AwrObjective({ alpha: 0.5, beta: 1 });
  awr.initModel(model);
  const h = tensor(Array.from({ length: 4 * C }, (_, k) => (k % 3) - 1), [1, 4, C]);
  assert.deepEqual(Array.from(tidy(() => awr.values(h).toFloat32Array())), [-0.5, -0.5, -0.5, -0.5]);
  noGrad(() => awr.parameters().get('value_head.weight')!.copy_(tensor(Array.from({ length: C }, (_, k) => 2 * (k - 3.5)), [1, C])));
  const v = tidy(() => awr.values(tensor(Array.from({ length: 64 * C }, (_, k) => Math.sin(k) * 1.5), [1, 64, C])).toFloat32Array());
  assert.ok(v.every((x) => x > -1 && x < 0), `values ${Math.min(...v)}..${Math.max(...v)}`);
  assert.ok(Math.min(...v) < -0.9 && Math.max(...v) > -0.1, 'the test should reach both ends of the range');
  assert.equal(awr.parameters().size, 2);
});
