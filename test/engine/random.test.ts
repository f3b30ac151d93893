import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ones, rand, randint, randn, zeros } from '../../src/engine/create.js';
import { dropout, multinomial } from '../../src/engine/functional.js';
import { getNumThreads, getRngState, manualSeed, setNumThreads, setRngState } from '../../src/engine/random.js';

/** One draw from every random source the engine has, as plain numbers. */
function draws(): number[] {
  return [
    ...randn([5]).toFloat32Array(),
    ...rand([3]).toFloat32Array(),
    ...randint(0, 1000, [4]).toInt32Array(),
    ...multinomial(ones([2, 50]), 3).toInt32Array(),
    ...dropout(ones([16]), 0.5, true).toFloat32Array(),
    ...zeros([4]).normal_(1, 2).toFloat32Array(),
  ];
}

test('manualSeed makes every random source reproducible, and different seeds differ', () => {
  manualSeed(123);
  const a = draws();
  manualSeed(123);
  assert.deepEqual(draws(), a);
  manualSeed(124);
  assert.notDeepEqual(draws(), a);
});

test('getRngState / setRngState restore a random stream exactly, mid-stream', () => {
  manualSeed(7);
  draws();
  const state = getRngState();
  assert.ok(state instanceof Uint8Array && state.length > 0);
  const next = [draws(), draws()];
  manualSeed(999); // wander off
  draws();
  setRngState(state);
  assert.deepEqual([draws(), draws()], next);
  assert.deepEqual(getRngState(), getRngState(), 'reading the state does not advance it');
});

test('a malformed RNG state is an exception, not a crash', () => {
  assert.throws(() => setRngState(new Uint8Array(3)), Error);
  manualSeed(1);
  assert.equal(randn([2]).shape[0], 2);
});

test('the thread count can be set and read back', () => {
  const before = getNumThreads();
  setNumThreads(1);
  assert.equal(getNumThreads(), 1);
  setNumThreads(before);
  assert.equal(getNumThreads(), before);
});
