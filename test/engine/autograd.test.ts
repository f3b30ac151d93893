// Gradients against central finite differences (in float64, so the comparison is
// tight), gradient mode, accumulation, zeroing and clipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros } from '../../src/engine/create.js';
import { clipGradNorm, isGradEnabled, noGrad, zeroGrad } from '../../src/engine/autograd.js';
import { affine, crossEntropy, gelu, layerNorm, scaledDotProductAttention } from '../../src/engine/functional.js';
import { tidy } from '../../src/engine/scope.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { Random } from '../../src/util/random.js';

const rng = new Random(7);
const rand = (n: number, scale = 1) => Float64Array.from({ length: n }, () => (2 * rng.float() - 1) * scale);

/**
 * Checks d f(x)/dx from backward() against (f(x + h·e_i) − f(x − h·e_i)) / 2h for every
 * element of every input.
 */
function checkGradient(name: string, f: (...xs: Tensor[]) => Tensor, inputs: { data: Float64Array; shape: number[] }[]): void {
  tidy(() => {
    const xs = inputs.map((x) => tensor(x.data, x.shape, 'float64').requiresGrad_(true));
    const y = f(...xs);
    assert.deepEqual(y.shape, [], `${name}: f must be a scalar`);
    y.backward();
    const h = 1e-6;
    inputs.forEach((input, k) => {
      const analytic = xs[k]!.grad!.toFloat64Array();
      for (let i = 0; i < input.data.length; i++) {
        const at = (delta: number) => noGrad(() => tidy(() => {
          const moved = Float64Array.from(input.data);
          moved[i]! += delta;
          const args = inputs.map((x, j) => tensor(j === k ? moved : x.data, x.shape, 'float64'));
          return f(...args).item();
        }));
        const numeric = (at(h) - at(-h)) / (2 * h);
        const tol = 1e-6 * Math.max(1, Math.abs(numeric));
        assert.ok(Math.abs(analytic[i]! - numeric) < tol, `${name}: d/dx${k}[${i}] backward ${analytic[i]} vs finite difference ${numeric}`);
      }
    });
  });
}

const W = rand(12); // fixed weights that make each function's output a generic scalar
const weigh = (t: Tensor) => t.mul(tensor(W.subarray(0, t.size), t.shape, 'float64')).sum();

test('gradients of elementwise, matmul and reduction compositions match finite differences', () => {
  checkGradient('sum(tanh(x)·exp(x/2)·w)', (x) => weigh(x.tanh().mul(x.div(2).exp())), [{ data: rand(6), shape: [2, 3] }]);
  checkGradient('sum((a @ b)^2)', (a, b) => a.matmul(b).square().sum(), [{ data: rand(6), shape: [2, 3] }, { data: rand(6), shape: [3, 2] }]);
  checkGradient('affine', (x, w, b) => weigh(affine(x, w, b)), [{ data: rand(6), shape: [2, 3] }, { data: rand(12), shape: [3, 4] }, { data: rand(4), shape: [4] }]);
  checkGradient('logsumexp + mean + amax', (x) => x.logsumexp(1).sum().add(x.mean()).add(x.amax(0).sum()), [{ data: rand(8, 2), shape: [2, 4] }]);
  checkGradient('sigmoid, logSigmoid, sqrt, pow, div', (x, y) => weigh(x.sigmoid().add(y.logSigmoid()).add(x.square().add(1).sqrt()).div(y.square().add(2)).pow(1.5)),
    [{ data: rand(4), shape: [4] }, { data: rand(4), shape: [4] }]);
  checkGradient('reshape, permute, slice, cat-free views', (x) => weigh(x.reshape(2, 3, 2).permute(2, 0, 1).slice(2, 1, 3).contiguous()), [{ data: rand(12), shape: [12] }]);
});

test('gradients of softmax, log_softmax, cross_entropy, layer_norm, gelu and attention match finite differences', () => {
  checkGradient('softmax', (x) => weigh(x.softmax(-1)), [{ data: rand(8, 2), shape: [2, 4] }]);
  checkGradient('log_softmax', (x) => weigh(x.logSoftmax(0)), [{ data: rand(8, 2), shape: [2, 4] }]);
  const targets = tensor([3, -100, 0], [3], 'int64').keep();
  checkGradient('cross_entropy with ignore_index', (x) => crossEntropy(x, targets), [{ data: rand(12, 2), shape: [3, 4] }]);
  checkGradient('cross_entropy, reduction none, smoothing', (x) => weigh(crossEntropy(x, targets, { reduction: 'none', labelSmoothing: 0.2 })), [{ data: rand(12, 2), shape: [3, 4] }]);
  targets.dispose();
  checkGradient('layer_norm', (x, w, b) => weigh(layerNorm(x, w, b)), [{ data: rand(8, 2), shape: [2, 4] }, { data: rand(4), shape: [4] }, { data: rand(4), shape: [4] }]);
  checkGradient('gelu (erf)', (x) => weigh(gelu(x)), [{ data: rand(6, 3), shape: [6] }]);
  checkGradient('gelu (tanh)', (x) => weigh(gelu(x, 'tanh')), [{ data: rand(6, 3), shape: [6] }]);
  checkGradient('causal attention', (q, k, v) => weigh(scaledDotProductAttention(q, k, v, { causal: true })),
    [{ data: rand(6), shape: [1, 1, 3, 2] }, { data: rand(6), shape: [1, 1, 3, 2] }, { data: rand(6), shape: [1, 1, 3, 2] }]);
});

test('noGrad records no graph and restores the mode, even after a throw; detach cuts the graph', () => {
  const x = tensor([1, 2], [2]).requiresGrad_(true);
  assert.equal(isGradEnabled(), true);
  const y = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    return x.mul(3);
  });
  assert.equal(y.requiresGrad, false);
  assert.equal(isGradEnabled(), true);
  assert.throws(() => noGrad(() => {
    throw new Error('boom');
  }), /boom/);
  assert.equal(isGradEnabled(), true);
  noGrad(() => noGrad(() => undefined));
  assert.equal(isGradEnabled(), true, 'nested noGrad restores the outer mode');
  assert.equal(x.mul(3).requiresGrad, true);
  assert.equal(x.detach().mul(3).requiresGrad, false);
  // Only the non-detached branch contributes: d/dx (x·x.detach()) = x.detach().
  x.mul(x.detach()).sum().backward();
  assert.deepEqual([...x.grad!.toFloat32Array()], [1, 2]);
});

test('gradients accumulate across backward calls until zeroGrad drops them', () => {
  const x = tensor([1, -2, 3], [3]).requiresGrad_(true);
  const w = tensor([0.5, 2, -1], [3]);
  assert.equal(x.grad, null);
  x.mul(w).sum().backward();
  x.mul(w).sum().backward();
  assert.deepEqual([...x.grad!.toFloat32Array()], [1, 4, -2]);
  zeroGrad([x]);
  assert.equal(x.grad, null);
  // A gradient for a non-scalar output.
  x.mul(w).backward(tensor([1, 0, 2], [3]));
  assert.deepEqual([...x.grad!.toFloat32Array()], [0.5, 0, -2]);
});

test('clipGradNorm returns the global norm and rescales all gradients to maxNorm only when above it', () => {
  const a = zeros([2]).requiresGrad_(true), b = zeros([1]).requiresGrad_(true), unused = zeros([3]).requiresGrad_(true);
  const setGrads = () => {
    zeroGrad([a, b]);
    a.mul(tensor([3, 4], [2])).sum().add(b.mul(12).sum()).backward(); // grads [3, 4] and [12]: norm 13
  };
  setGrads();
  assert.equal(clipGradNorm([a, b, unused], 26), 13);
  assert.deepEqual([...a.grad!.toFloat32Array(), ...b.grad!.toFloat32Array()], [3, 4, 12], 'below maxNorm: unchanged');
  assert.equal(unused.grad, null);
  setGrads();
  assert.equal(clipGradNorm([a, b], 6.5), 13);
  const clipped = [...a.grad!.toFloat32Array(), ...b.grad!.toFloat32Array()];
  const expected = [1.5, 2, 6];
  clipped.forEach((g, i) => assert.ok(Math.abs(g - expected[i]!) < 1e-5, `${g} vs ${expected[i]}`));
  assert.ok(Math.abs(Math.hypot(...clipped) - 6.5) < 1e-5);
  assert.equal(clipGradNorm([unused], 1), 0, 'no gradients: norm 0');
});
