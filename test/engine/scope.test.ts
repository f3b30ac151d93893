import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ones, tensor, zeros } from '../../src/engine/create.js';
import { scopeSize, tidy } from '../../src/engine/scope.js';
import type { Tensor } from '../../src/engine/tensor.js';

test('tidy frees every intermediate and hands the result to the enclosing scope', () => {
  tidy(() => {
    const before = scopeSize();
    let a: Tensor | undefined, b: Tensor | undefined;
    const c = tidy(() => {
      a = ones([3]);
      b = a.add(1);
      assert.equal(scopeSize(), 2);
      return b.mul(2);
    });
    assert.equal(a!.isDisposed, true);
    assert.equal(b!.isDisposed, true);
    assert.equal(c.isDisposed, false);
    assert.deepEqual([...c.toFloat32Array()], [4, 4, 4]);
    assert.equal(scopeSize(), before + 1, 'only the result joined the outer scope');
  });
});

test('results inside arrays and plain objects survive; keep() exempts a tensor from every scope', () => {
  let kept: Tensor | undefined, dropped: Tensor | undefined;
  const out = tidy(() => {
    const x = zeros([1]), y = ones([1]);
    kept = zeros([2]).keep();
    dropped = x.add(y);
    return { pair: [x, y] as const, nested: { y }, n: 3 };
  });
  assert.equal(out.pair[0].isDisposed, false);
  assert.equal(out.nested.y.isDisposed, false);
  assert.equal(dropped!.isDisposed, true);
  assert.equal(kept!.isDisposed, false);
  // A kept tensor belongs to no scope: an enclosing tidy leaves it alone too.
  tidy(() => tidy(() => kept!.add(0)));
  assert.equal(kept!.isDisposed, false);
  kept!.dispose();
});

test('a throw inside tidy frees the scope and propagates; an async function is refused', () => {
  let inner: Tensor | undefined;
  assert.throws(() => tidy(() => {
    inner = ones([2]);
    throw new Error('step failed');
  }), /step failed/);
  assert.equal(inner!.isDisposed, true);
  assert.throws(() => tidy((async () => ones([1])) as unknown as () => Tensor), /synchronous/);
});

test('disposing the handle that .grad returned does not drop the gradient itself', () => {
  const x = tensor([1, 2], [2]).keep().requiresGrad_(true);
  tidy(() => x.mul(x).sum().backward());
  tidy(() => x.grad!.toFloat32Array());
  assert.deepEqual([...x.grad!.toFloat32Array()], [2, 4]);
  x.dispose();
});
