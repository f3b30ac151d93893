// AdamW against torch.optim.AdamW itself: the same initial values, gradients and
// hyper-parameters (two parameter groups with different weight decay) for several steps.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/engine/create.js';
import { AdamW } from '../../src/engine/adamw.js';
import { zeroGrad } from '../../src/engine/autograd.js';
import { tidy } from '../../src/engine/scope.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { Random } from '../../src/util/random.js';
import { Reference } from '../python/reference.js';

let ref: Reference;
before(() => {
  ref = Reference.start();
});
after(() => ref?.close());

const rng = new Random(99);
const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => (2 * rng.float() - 1) * scale);

const SHAPES = [[3, 2], [4], [2, 2, 2]];
const GROUPS = [{ members: [0, 2], weight_decay: 0.1 }, { members: [1], weight_decay: 0 }];
const HYPER = { lr: 0.05, betas: [0.8, 0.95] as [number, number], eps: 1e-6 };
const STEPS = 6;

/** Makes p.grad equal g exactly: d/dp sum(p · g) = g. */
function setGrad(p: Tensor, g: Float32Array): void {
  tidy(() => p.mul(tensor(g, p.shape)).sum().backward());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('several AdamW steps equal torch.optim.AdamW with two parameter groups (params and moments to 1e-6)', async () => {
  const initial = SHAPES.map((s) => values(s.reduce((a, b) => a * b), 1));
  // Gradients of varied scale, including a zero step and sign flips, so bias correction and eps matter.
  const grads = Array.from({ length: STEPS }, (_, step) => SHAPES.map((s, i) => values(s.reduce((a, b) => a * b), step === 2 && i === 1 ? 0 : 10 ** (step % 3 - 1))));

  const params = initial.map((d, i) => tensor(d, SHAPES[i]).keep().requiresGrad_(true));
  const opt = new AdamW(GROUPS.map((g) => ({ params: g.members.map((i) => params[i]!), weightDecay: g.weight_decay })), { ...HYPER, weightDecay: 0.5 });
  for (const step of grads) {
    zeroGrad(params);
    params.forEach((p, i) => setGrad(p, step[i]!));
    opt.update();
  }
  assert.equal(opt.step, STEPS);

  // torch's flat order is group order, as in our state().
  const order = GROUPS.flatMap((g) => g.members);
  const torch = await ref.call<{ params: number[][]; exp_avg: number[][]; exp_avg_sq: number[][] }>({
    op: 'adamw', ...HYPER,
    groups: GROUPS.map((g) => ({ weight_decay: g.weight_decay, params: g.members.map((i) => ({ shape: SHAPES[i], data: [...initial[i]!] })) })),
    grads: grads.map((step) => order.map((i) => [...step[i]!])),
  });
  const state = opt.state();
  order.forEach((i, k) => {
    const moved = maxAbsDiff(params[i]!.toFloat32Array(), initial[i]!);
    assert.ok(moved > 0.1, `parameter ${i} should move noticeably (moved ${moved})`);
    assert.ok(maxAbsDiff(params[i]!.toFloat32Array(), torch.params[k]!) < 1e-6, `parameter ${i}: ${maxAbsDiff(params[i]!.toFloat32Array(), torch.params[k]!)}`);
    assert.ok(maxAbsDiff(state.expAvg[k]!.toFloat32Array(), torch.exp_avg[k]!) < 1e-6, `exp_avg ${i}`);
    assert.ok(maxAbsDiff(state.expAvgSq[k]!.toFloat32Array(), torch.exp_avg_sq[k]!) < 1e-6, `exp_avg_sq ${i}`);
  });
  for (const p of params) p.dispose();
});

test('AdamW leaves parameters without gradients alone and state()/load() carries the moments', () => {
  const a = tensor([1, 2], [2]).keep().requiresGrad_(true), b = tensor([3], [1]).keep().requiresGrad_(true);
  const opt = new AdamW([{ params: [a, b] }], { lr: 0.1, weightDecay: 0.5 });
  setGrad(a, Float32Array.of(1, -1));
  opt.update();
  assert.deepEqual([...b.toFloat32Array()], [3], 'no gradient: no update and no weight decay (as torch)');
  // First step of Adam moves each coordinate by lr·sign(g) after decoupled decay.
  const [x, y] = a.toFloat32Array();
  assert.ok(Math.abs(x! - (1 * (1 - 0.1 * 0.5) - 0.1)) < 1e-6 && Math.abs(y! - (2 * (1 - 0.1 * 0.5) + 0.1)) < 1e-6, `${x}, ${y}`);

  const twin = tensor(a.toFloat32Array(), [2]).keep().requiresGrad_(true);
  const copy = new AdamW([{ params: [twin, tensor([3], [1]).keep().requiresGrad_(true)] }], { lr: 0.1, weightDecay: 0.5 });
  copy.load(opt.state());
  assert.equal(copy.step, 1);
  for (const [p, o] of [[a, opt], [twin, copy]] as const) {
    zeroGrad([p]);
    setGrad(p, Float32Array.of(0.3, 0.2));
    o.update();
  }
  assert.deepEqual(twin.toFloat32Array(), a.toFloat32Array());
  assert.throws(() => copy.load({ step: 1, expAvg: [], expAvgSq: [] }), /holds 0 tensors but the model has 2/);
});
