// LibTorch errors arrive as JavaScript exceptions with LibTorch's message and the
// process carries on; disposed tensors refuse further use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randn, tensor, zeros } from '../../src/engine/create.js';
import { embedding } from '../../src/engine/functional.js';

test('a shape mismatch becomes an Error with LibTorch\'s message, and the engine keeps working', () => {
  const a = randn([2, 3]), b = randn([4, 5]);
  assert.throws(() => a.matmul(b), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.equal(e.message, 'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    return true;
  });
  assert.throws(() => a.add(b), /The size of tensor a \(3\) must match the size of tensor b \(5\)/);
  assert.throws(() => a.view(5), /shape '\[5\]' is invalid for input of size 6/);
  assert.throws(() => embedding(a, tensor([2], [1], 'int64')), /index out of range/);
  assert.throws(() => a.to('float128' as never), /unknown dtype 'float128'/);
  assert.throws(() => tensor([1, 2, 3], [2, 2]), /shape holds 4 elements but the array has 3/);
  assert.deepEqual(a.matmul(randn([3, 4])).shape, [2, 4]);
});

test('a process that hits many LibTorch errors survives them all and exits normally', () => {
  const script = `
    import { randn } from ${JSON.stringify(new URL('../../src/engine/create.js', import.meta.url).href)};
    let caught = 0;
    for (let i = 0; i < 200; i++) { try { randn([2, 3]).matmul(randn([2, 3])); } catch { caught++; } }
    console.log(caught);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '200');
});

test('using a tensor after dispose() throws; dispose twice is harmless', () => {
  const t = zeros([3]);
  const view = t.slice(0, 0, 2);
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.throws(() => t.add(1), /tensor used after dispose\(\)/);
  assert.throws(() => t.toFloat32Array(), /tensor used after dispose\(\)/);
  assert.throws(() => randn([3]).add(t), /tensor used after dispose\(\)/);
  t.dispose();
  // A view owns its own reference to the storage: it stays valid.
  assert.deepEqual([...view.toFloat32Array()], [0, 0]);
});
