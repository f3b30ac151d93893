import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Random } from '../../src/util/random.js';
import { PosteriorError } from '../../src/util/errors.js';

test('the stream matches an independent xoshiro128** (Python) from the same state', () => {
  const r = Random.fromState([1, 2, 3, 4]);
  const ours = Array.from({ length: 8 }, () => r.uint32());
  const py = `
M = 0xffffffff
def rotl(x, k): return ((x << k) | (x >> (32 - k))) & M
s = [1, 2, 3, 4]
out = []
for _ in range(8):
    out.append(rotl(s[1] * 5 & M, 7) * 9 & M)
    t = (s[1] << 9) & M
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11)
print(' '.join(map(str, out)))
`;
  const res = spawnSync('.venv/bin/python', ['-c', py], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.deepEqual(ours, res.stdout.trim().split(' ').map(Number));
});

test('equal seeds give equal streams, different seeds differ, and a saved state resumes exactly', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const xs = Array.from({ length: 5 }, () => a.float());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.float()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.float()));
  assert.notDeepEqual(new Random(1).state(), new Random(1 + 2 ** 32).state());
  const saved = a.state();
  const next = Array.from({ length: 5 }, () => a.uint32());
  const resumed = Random.fromState(saved);
  assert.deepEqual(Array.from({ length: 5 }, () => resumed.uint32()), next);
});

test('float is uniform on [0, 1) and int(n) is uniform on 0..n-1', () => {
  const r = new Random(7);
  let sum = 0;
  let min = 1;
  let max = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const x = r.float();
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  assert.ok(min >= 0 && max < 1);
  assert.ok(Math.abs(sum / n - 0.5) < 4 * Math.sqrt(1 / 12 / n));
  const k = 7;
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < 70_000; i++) counts[r.int(k)]! += 1;
  const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
  assert.ok(chi2 < 22.5, `chi2 ${chi2} (df 6, p = 0.001 at 22.46)`); // df = 6
});

test('forks are reproducible and differ from their parent', () => {
  const a = new Random(5).fork();
  const b = new Random(5).fork();
  assert.deepEqual(a.state(), b.state());
  const parent = new Random(5);
  parent.fork();
  assert.notEqual(parent.uint32(), a.uint32());
});

test('bad seeds and states are refused', () => {
  assert.throws(() => new Random(1.5), PosteriorError);
  assert.throws(() => Random.fromState([0, 0, 0, 0]), PosteriorError);
  assert.throws(() => Random.fromState([1, 2, 3]), PosteriorError);
  assert.throws(() => new Random(1).int(0), PosteriorError);
});
