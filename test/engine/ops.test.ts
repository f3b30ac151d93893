// Tensor operations against closed forms computed here in plain JavaScript (float64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, full, ones, tensor, zeros } from '../../src/engine/create.js';
import {
  affine, cat, crossEntropy, dropout, embedding, gelu, layerNorm, linear, multinomial, scaledDotProductAttention, stack, where,
} from '../../src/engine/functional.js';
import { manualSeed } from '../../src/engine/random.js';
import { Random } from '../../src/util/random.js';

const rng = new Random(20240611);
/** n uniform values in [-scale, scale), exactly representable in float32. */
function rand(n: number, scale = 2): number[] {
  return Array.from({ length: n }, () => Math.fround((2 * rng.float() - 1) * scale));
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    assert.ok(d <= tol * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${actual[i]} vs ${expected[i]} (|Δ| = ${d})`);
  }
}

// Row-major [r, c] matrix helpers.
const at = (m: number[], cols: number, i: number, j: number) => m[i * cols + j]!;
function matmulJs(a: number[], b: number[], n: number, k: number, m: number): number[] {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let t = 0; t < k; t++) out[i * m + j]! += at(a, k, i, t) * at(b, m, t, j);
  return out;
}
function logSoftmaxJs(row: number[]): number[] {
  const mx = Math.max(...row);
  const lse = mx + Math.log(row.reduce((s, x) => s + Math.exp(x - mx), 0));
  return row.map((x) => x - lse);
}
function rows(a: number[], cols: number): number[][] {
  return Array.from({ length: a.length / cols }, (_, i) => a.slice(i * cols, (i + 1) * cols));
}
// erf by its Maclaurin series: exact to double precision for |x| ≤ 3 with 80 terms.
function erf(x: number): number {
  let sum = 0, term = x;
  for (let n = 0; n < 80; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

test('matmul, bmm, broadcasting batch matmul, affine (x·W + b) and linear (x·Wᵀ + b)', () => {
  const a = rand(6), b = rand(12), c = rand(4);
  close(tensor(a, [2, 3]).matmul(tensor(b, [3, 4])).toFloat32Array(), matmulJs(a, b, 2, 3, 4), 1e-6, 'matmul');
  const A = rand(2 * 2 * 3), B = rand(2 * 3 * 4);
  const expected = [...matmulJs(A.slice(0, 6), B.slice(0, 12), 2, 3, 4), ...matmulJs(A.slice(6), B.slice(12), 2, 3, 4)];
  close(tensor(A, [2, 2, 3]).bmm(tensor(B, [2, 3, 4])).toFloat32Array(), expected, 1e-6, 'bmm');
  // [2, 2, 3] @ [3, 4] broadcasts the matrix over the batch.
  close(tensor(A, [2, 2, 3]).matmul(tensor(b, [3, 4])).toFloat32Array(), [...matmulJs(A.slice(0, 6), b, 2, 3, 4), ...matmulJs(A.slice(6), b, 2, 3, 4)], 1e-6, 'broadcast');
  const xw = matmulJs(a, b, 2, 3, 4).map((v, i) => v + c[i % 4]!);
  close(affine(tensor(a, [2, 3]), tensor(b, [3, 4]), tensor(c, [4])).toFloat32Array(), xw, 1e-6, 'affine');
  // linear takes W as [out, in]: transpose b by hand.
  const bt = Array.from({ length: 12 }, (_, i) => at(b, 4, i % 3, Math.floor(i / 3)));
  close(linear(tensor(a, [2, 3]), tensor(bt, [4, 3]), tensor(c, [4])).toFloat32Array(), xw, 1e-6, 'linear');
  close(linear(tensor(a, [2, 3]), tensor(bt, [4, 3])).toFloat32Array(), matmulJs(a, b, 2, 3, 4), 1e-6, 'linear without bias');
});

test('softmax and log_softmax along any dim, stable for large logits', () => {
  const x = rand(12, 5);
  const ls = rows(x, 4).flatMap(logSoftmaxJs);
  close(tensor(x, [3, 4]).logSoftmax(-1).toFloat32Array(), ls, 1e-6, 'log_softmax');
  close(tensor(x, [3, 4]).softmax(1).toFloat32Array(), ls.map(Math.exp), 1e-6, 'softmax');
  // Along dim 0: the columns.
  const cols = [0, 1, 2, 3].map((j) => logSoftmaxJs([0, 1, 2].map((i) => at(x, 4, i, j))));
  close(tensor(x, [3, 4]).logSoftmax(0).toFloat32Array(), Array.from({ length: 12 }, (_, k) => cols[k % 4]![Math.floor(k / 4)]!), 1e-6, 'dim 0');
  close(tensor([1000, 1001, 1002], [3]).softmax(0).toFloat32Array(), logSoftmaxJs([0, 1, 2]).map(Math.exp), 1e-6, 'large');
  close(tensor([-1e4, 0], [2]).logSoftmax(0).toFloat32Array(), [-1e4, 0], 1e-6, 'far apart');
});

test('cross_entropy: mean, sum, none, ignore_index and label smoothing', () => {
  const N = 5, C = 4;
  const logits = rand(N * C, 3);
  const targets = [2, 0, 3, -100, 1];
  const nll = rows(logits, C).map((r, i) => (targets[i] === -100 ? 0 : -logSoftmaxJs(r)[targets[i]!]!));
  const lg = tensor(logits, [N, C]);
  const tg = tensor(targets, [N], 'int64');
  close(crossEntropy(lg, tg, { reduction: 'none' }).toFloat32Array(), nll, 1e-6, 'none');
  close([crossEntropy(lg, tg, { reduction: 'sum' }).item()], [nll.reduce((a, b) => a + b)], 1e-6, 'sum');
  // The mean is over the targets that count, not over N.
  close([crossEntropy(lg, tg).item()], [nll.reduce((a, b) => a + b) / 4], 1e-6, 'mean');
  const custom = tensor([2, 0, 3, 1, 1], [N], 'int64');
  const nll2 = rows(logits, C).map((r, i) => (i >= 3 ? 0 : -logSoftmaxJs(r)[[2, 0, 3][i]!]!));
  close(crossEntropy(lg, custom, { ignoreIndex: 1, reduction: 'none' }).toFloat32Array(), nll2, 1e-6, 'ignore 1');
  // Label smoothing ε: (1 − ε)·nll + ε·mean over classes of −log p.
  const eps = 0.1;
  const smooth = rows(logits, C).map((r, i) => {
    const lp = logSoftmaxJs(r);
    return (1 - eps) * -lp[[2, 0, 3, 1, 1][i]!]! + eps * -lp.reduce((a, b) => a + b) / C;
  });
  close(crossEntropy(lg, custom, { reduction: 'none', labelSmoothing: eps }).toFloat32Array(), smooth, 1e-6, 'smoothing');
});

test('layer_norm with and without affine parameters (biased variance, eps inside the root)', () => {
  const x = rand(12, 3), w = rand(4), b = rand(4);
  for (const eps of [1e-5, 0.5]) {
    const expected = rows(x, 4).flatMap((r) => {
      const mu = r.reduce((s, v) => s + v) / 4;
      const v = r.reduce((s, u) => s + (u - mu) ** 2, 0) / 4;
      return r.map((u, j) => ((u - mu) / Math.sqrt(v + eps)) * w[j]! + b[j]!);
    });
    close(layerNorm(tensor(x, [3, 4]), tensor(w, [4]), tensor(b, [4]), eps).toFloat32Array(), expected, 1e-5, `eps ${eps}`);
  }
  const plain = layerNorm(tensor(x, [3, 4]), null, null).toFloat32Array();
  for (const r of rows([...plain], 4)) {
    close([r.reduce((s, v) => s + v) / 4, r.reduce((s, v) => s + v * v, 0) / 4], [0, 1], 1e-4, 'standardised');
  }
});

test('gelu: exact (erf) and tanh approximation, which really differ', () => {
  const x = Array.from({ length: 61 }, (_, i) => -3 + i * 0.1);
  const exact = x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
  const approx = x.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
  const t = tensor(x, [61]);
  close(gelu(t).toFloat32Array(), exact, 1e-6, 'erf');
  close(gelu(t, 'tanh').toFloat32Array(), approx, 1e-6, 'tanh');
  assert.ok(Math.max(...exact.map((e, i) => Math.abs(e - approx[i]!))) > 1e-4, 'the two forms differ by more than the tolerance');
});

test('gather, index_select, masked_fill, index_fill, scatter, where, embedding', () => {
  const x = [10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33];
  const t = tensor(x, [3, 4]);
  assert.deepEqual([...t.gather(1, tensor([3, 0, 1, 1, 2, 2], [3, 2], 'int64')).toFloat32Array()], [13, 10, 21, 21, 32, 32]);
  assert.deepEqual([...t.indexSelect(0, tensor([2, 0], [2], 'int64')).toFloat32Array()], [30, 31, 32, 33, 10, 11, 12, 13]);
  assert.deepEqual([...t.indexSelect(1, tensor([1], [1], 'int64')).toFloat32Array()], [11, 21, 31]);
  const mask = t.gt(21);
  assert.deepEqual([...t.maskedFill(mask, -1).toFloat32Array()], [10, 11, 12, 13, 20, 21, -1, -1, -1, -1, -1, -1]);
  assert.deepEqual([...t.maskedFill(tensor([1, 0, 0, 1], [4], 'bool'), 0).toFloat32Array()], [0, 11, 12, 0, 0, 21, 22, 0, 0, 31, 32, 0], 'mask broadcast over rows');
  assert.deepEqual([...t.indexFill(1, tensor([0, 2], [2], 'int64'), -Infinity).toFloat32Array()], [-Infinity, 11, -Infinity, 13, -Infinity, 21, -Infinity, 23, -Infinity, 31, -Infinity, 33]);
  assert.deepEqual([...zeros([2, 3]).scatter(1, tensor([2, 0], [2, 1], 'int64'), tensor([5, 7], [2, 1])).toFloat32Array()], [0, 0, 5, 7, 0, 0]);
  assert.deepEqual([...where(mask, t, 0).toFloat32Array()], [0, 0, 0, 0, 0, 0, 22, 23, 30, 31, 32, 33]);
  assert.deepEqual([...embedding(t, tensor([2, 2, 0], [1, 3], 'int64')).toFloat32Array()], [...x.slice(8), ...x.slice(8), ...x.slice(0, 4)]);
});

test('reductions: sum, mean, amax, amin, logsumexp, var, argmax over chosen dims', () => {
  const x = rand(24, 3);
  const t = tensor(x, [2, 3, 4]);
  const idx = (i: number, j: number, k: number) => x[i * 12 + j * 4 + k]!;
  close([t.sum().item()], [x.reduce((a, b) => a + b)], 1e-5, 'sum all');
  const sum1 = [0, 1].flatMap((i) => [0, 1, 2, 3].map((k) => idx(i, 0, k) + idx(i, 1, k) + idx(i, 2, k)));
  close(t.sum(1).toFloat32Array(), sum1, 1e-6, 'sum dim 1');
  assert.deepEqual(t.sum(1, true).shape, [2, 1, 4]);
  close(t.mean([0, 2]).toFloat32Array(), [0, 1, 2].map((j) => [0, 1].reduce((s, i) => s + [0, 1, 2, 3].reduce((u, k) => u + idx(i, j, k), 0), 0) / 8), 1e-6, 'mean dims 0,2');
  const r = rows(x, 4);
  close(t.amax(-1).toFloat32Array(), r.map((v) => Math.max(...v)), 0, 'amax');
  close(t.amin(-1).toFloat32Array(), r.map((v) => Math.min(...v)), 0, 'amin');
  close(t.logsumexp(-1).toFloat32Array(), r.map((v) => -logSoftmaxJs(v)[0]! + v[0]!), 1e-6, 'logsumexp');
  const variance = (v: number[], ddof: number) => {
    const mu = v.reduce((a, b) => a + b) / v.length;
    return v.reduce((s, u) => s + (u - mu) ** 2, 0) / (v.length - ddof);
  };
  close(t.var(-1).toFloat32Array(), r.map((v) => variance(v, 1)), 1e-5, 'unbiased var');
  close(t.var(-1, false).toFloat32Array(), r.map((v) => variance(v, 0)), 1e-5, 'biased var');
  assert.deepEqual([...t.argmax(-1).toInt32Array()], r.map((v) => v.indexOf(Math.max(...v))));
  assert.equal(t.argmax(-1).dtype, 'int64');
});

test('topk, sort and cumsum', () => {
  const x = [3, -1, 4, 1.5, -5, 9, 2.5, 6];
  const t = tensor(x, [2, 4]);
  const [v, i] = t.topk(2);
  assert.deepEqual([...v.toFloat32Array()], [4, 3, 9, 6]);
  assert.deepEqual([...i.toInt32Array()], [2, 0, 1, 3]);
  const [lv] = t.topk(1, -1, false);
  assert.deepEqual([...lv.toFloat32Array()], [-1, -5]);
  const [sv, si] = t.sort(-1, true);
  assert.deepEqual([...sv.toFloat32Array()], [4, 3, 1.5, -1, 9, 6, 2.5, -5]);
  assert.deepEqual([...si.toInt32Array()], [2, 0, 3, 1, 1, 3, 2, 0]);
  assert.deepEqual([...t.sort(0)[0].toFloat32Array()], [-5, -1, 2.5, 1.5, 3, 9, 4, 6]);
  assert.deepEqual([...t.cumsum(1).toFloat32Array()], [3, 2, 6, 7.5, -5, 4, 6.5, 12.5]);
  assert.deepEqual([...t.cumsum(0).toFloat32Array()], [3, -1, 4, 1.5, -2, 8, 6.5, 7.5]);
});

test('multinomial: frequencies match the probabilities; zero-probability rows never drawn; no replacement gives distinct ids', () => {
  manualSeed(5);
  const n = 40_000;
  const p = [0.1, 0.2, 0.3, 0.4, 0];
  // Unnormalised weights are fine: multiply by 3.
  const draws = multinomial(tensor(p.map((v) => 3 * v), [1, 5]), n, true).toInt32Array();
  const counts = [0, 0, 0, 0, 0];
  for (const d of draws) counts[d]!++;
  assert.equal(counts[4], 0);
  p.forEach((pi, k) => {
    const sd = Math.sqrt(n * pi * (1 - pi));
    assert.ok(Math.abs(counts[k]! - n * pi) <= 4 * sd, `category ${k}: ${counts[k]} draws, expected ${n * pi} ± ${4 * sd}`);
  });
  const rowsDrawn = multinomial(tensor([1, 1, 1, 1, 0, 0, 0, 5], [2, 4]), 1).toInt32Array();
  assert.ok(rowsDrawn[0]! < 4 && rowsDrawn[1] === 3);
  const distinct = multinomial(ones([1, 6]), 6, false).toInt32Array();
  assert.deepEqual([...distinct].sort(), [0, 1, 2, 3, 4, 5]);
});

test('shapes: reshape, view, transpose, permute, slice, select, expand, squeeze, flatten, split, cat, stack, tril, triu', () => {
  const x = Array.from({ length: 24 }, (_, i) => i);
  const t = tensor(x, [2, 3, 4]);
  assert.deepEqual([...t.reshape(4, 6).toFloat32Array()], x);
  assert.deepEqual(t.view(6, -1).shape, [6, 4]);
  const perm = t.permute(2, 0, 1);
  assert.deepEqual(perm.shape, [4, 2, 3]);
  const want = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
  assert.deepEqual([...perm.toFloat32Array()], want);
  assert.deepEqual([...t.transpose(0, 2).permute(2, 1, 0).toFloat32Array()], x, 'transposing back is the identity');
  assert.deepEqual([...t.slice(2, 1, 3).toFloat32Array()], [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22]);
  assert.deepEqual([...t.slice(2, 0, 4, 2).toFloat32Array()], x.filter((v) => v % 2 === 0));
  assert.deepEqual([...t.select(1, 2).toFloat32Array()], [8, 9, 10, 11, 20, 21, 22, 23]);
  assert.deepEqual([...tensor([1, 2], [2, 1]).expand(2, 3).toFloat32Array()], [1, 1, 1, 2, 2, 2]);
  assert.deepEqual(t.unsqueeze(1).shape, [2, 1, 3, 4]);
  assert.deepEqual(t.unsqueeze(1).squeeze(1).shape, [2, 3, 4]);
  assert.deepEqual(t.flatten(1).shape, [2, 12]);
  const parts = t.split(2, 2);
  assert.deepEqual(parts.map((p) => p.shape), [[2, 3, 2], [2, 3, 2]]);
  assert.deepEqual([...cat(parts, 2).toFloat32Array()], x);
  assert.deepEqual([...cat([tensor([1, 2], [1, 2]), tensor([3, 4, 5, 6], [2, 2])], 0).toFloat32Array()], [1, 2, 3, 4, 5, 6]);
  const s = stack([tensor([1, 2], [2]), tensor([3, 4], [2])], 1);
  assert.deepEqual(s.shape, [2, 2]);
  assert.deepEqual([...s.toFloat32Array()], [1, 3, 2, 4]);
  assert.deepEqual([...ones([3, 3]).tril().toFloat32Array()], [1, 0, 0, 1, 1, 0, 1, 1, 1]);
  assert.deepEqual([...ones([3, 3]).triu(1).toFloat32Array()], [0, 1, 1, 0, 0, 1, 0, 0, 0]);
  // A view writes through to its base.
  const base = zeros([2, 3]);
  base.slice(1, 1, 3).fill_(7);
  assert.deepEqual([...base.toFloat32Array()], [0, 7, 7, 0, 7, 7]);
});

test('elementwise math and comparisons broadcast like PyTorch', () => {
  const x = rand(8, 3);
  const t = tensor(x, [2, 4]);
  close(t.exp().toFloat32Array(), x.map(Math.exp), 1e-6, 'exp');
  close(t.abs().log1p().toFloat32Array(), x.map((v) => Math.log1p(Math.abs(v))), 1e-6, 'log1p');
  close(t.sigmoid().toFloat32Array(), x.map((v) => 1 / (1 + Math.exp(-v))), 1e-6, 'sigmoid');
  close(t.logSigmoid().toFloat32Array(), x.map((v) => -Math.log1p(Math.exp(-v))), 1e-6, 'logsigmoid');
  close(t.tanh().toFloat32Array(), x.map(Math.tanh), 1e-6, 'tanh');
  close(t.clamp(-1, 1).toFloat32Array(), x.map((v) => Math.min(1, Math.max(-1, v))), 0, 'clamp');
  const row = tensor([1, 2, 3, 4], [4]);
  close(t.mul(row).sub(1).div(2).toFloat32Array(), x.map((v, i) => (v * ((i % 4) + 1) - 1) / 2), 1e-6, 'broadcast row');
  close(t.pow(2).toFloat32Array(), x.map((v) => v * v), 1e-6, 'pow');
  assert.deepEqual([...t.gt(0).toFloat32Array()], x.map((v) => (v > 0 ? 1 : 0)));
  assert.equal(t.gt(0).dtype, 'bool');
  assert.deepEqual([...full([3], 2.5).add(arange(0, 3).to('float32')).toFloat32Array()], [2.5, 3.5, 4.5]);
});

test('scaled dot-product attention equals softmax(QKᵀ/√d + mask)·V, causal or with a boolean mask', () => {
  const T = 4, D = 3;
  const q = rand(T * D), k = rand(T * D), v = rand(T * D);
  const attend = (allowed: (i: number, j: number) => boolean, scale: number) => {
    const out: number[] = [];
    for (let i = 0; i < T; i++) {
      const scores = [];
      for (let j = 0; j < T; j++) scores.push(allowed(i, j) ? scale * [0, 1, 2].reduce((s, d) => s + q[i * D + d]! * k[j * D + d]!, 0) : -Infinity);
      const w = logSoftmaxJs(scores).map(Math.exp);
      for (let d = 0; d < D; d++) out.push(w.reduce((s, wj, j) => s + wj * v[j * D + d]!, 0));
    }
    return out;
  };
  const Q = tensor(q, [1, 1, T, D]), K = tensor(k, [1, 1, T, D]), V = tensor(v, [1, 1, T, D]);
  close(scaledDotProductAttention(Q, K, V, { causal: true }).toFloat32Array(), attend((i, j) => j <= i, 1 / Math.sqrt(D)), 1e-6, 'causal');
  close(scaledDotProductAttention(Q, K, V).toFloat32Array(), attend(() => true, 1 / Math.sqrt(D)), 1e-6, 'full');
  const allowed = (i: number, j: number) => j !== 1 || i === 1; // nobody but row 1 sees position 1
  const mask = tensor(Array.from({ length: T * T }, (_, n) => (allowed(Math.floor(n / T), n % T) ? 1 : 0)), [1, 1, T, T]).to('bool');
  close(scaledDotProductAttention(Q, K, V, { mask, scale: 1 }).toFloat32Array(), attend(allowed, 1), 1e-6, 'mask, scale 1');
});

test('dropout zeroes about p of the entries and rescales the rest by 1/(1 − p); eval and p = 0 are the identity', () => {
  manualSeed(3);
  const x = ones([100_000]);
  const y = dropout(x, 0.3, true).toFloat32Array();
  const zeroed = y.filter((v) => v === 0).length;
  const sd = Math.sqrt(1e5 * 0.3 * 0.7);
  assert.ok(Math.abs(zeroed - 3e4) < 4 * sd, `${zeroed} zeroed`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
  assert.equal(dropout(x, 0.3, false), x);
  assert.equal(dropout(x, 0, true), x);
});

test('dtypes and copies: int64 ids, bool, float64, toBytes, item', () => {
  const ids = tensor([0, 7, 2 ** 31 - 1], [3], 'int64');
  assert.equal(ids.dtype, 'int64');
  assert.deepEqual([...ids.toInt32Array()], [0, 7, 2 ** 31 - 1]);
  const big = tensor(BigInt64Array.from([2n ** 40n, -3n]), [2]);
  assert.equal(big.dtype, 'int64');
  assert.deepEqual(new BigInt64Array(big.toBytes().buffer), BigInt64Array.from([2n ** 40n, -3n]));
  const f64 = tensor(Float64Array.from([Math.PI, 1e-300]), [2]);
  assert.equal(f64.dtype, 'float64');
  assert.deepEqual([...f64.toFloat64Array()], [Math.PI, 1e-300]);
  assert.equal(tensor([1.5], [1]).item(), 1.5);
  assert.deepEqual([...new Float32Array(tensor([1, -2], [2]).toBytes().buffer)], [1, -2]);
  assert.deepEqual([...tensor([1, 0, 1], [3], 'bool').toInt32Array()], [1, 0, 1]);
  assert.deepEqual(full([], 4).shape, []);
});
