import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { idHashUnit, parseSplit, splitOf, DEFAULT_SPLIT } from '../../src/data/split.js';
import { PosteriorError } from '../../src/util/errors.js';

test('a split depends only on the id, and matches an independent sha256 reading', () => {
  const id = 'python3.11-stdlib/json/decoder.py';
  const expected = parseInt(createHash('sha256').update(id).digest('hex').slice(0, 12), 16) / 2 ** 48;
  assert.equal(idHashUnit(id), expected);
  assert.equal(splitOf(id), splitOf(id));
});

test('proportions follow the fractions (20,000 ids, within 4 standard errors)', () => {
  const counts = { train: 0, validation: 0, test: 0 };
  const n = 20_000;
  for (let i = 0; i < n; i++) counts[splitOf(`doc-${i}`)]++;
  for (const [name, p] of Object.entries(DEFAULT_SPLIT)) {
    const se = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(counts[name as keyof typeof counts] / n - p) < 4 * se, `${name}: ${counts[name as keyof typeof counts]}`);
  }
  const all = { train: 0, validation: 0, test: 0 };
  for (let i = 0; i < 1000; i++) all[splitOf(`doc-${i}`, { train: 1, validation: 0, test: 0 })]++;
  assert.deepEqual(all, { train: 1000, validation: 0, test: 0 });
});

test('--split parses percentages or fractions and refuses bad ones', () => {
  assert.deepEqual(parseSplit('80,10,10'), { train: 0.8, validation: 0.1, test: 0.1 });
  assert.deepEqual(parseSplit('0.5/0.25/0.25'), { train: 0.5, validation: 0.25, test: 0.25 });
  for (const bad of ['90,10', 'a,b,c', '-1,1,1', '0,0,0']) assert.throws(() => parseSplit(bad), PosteriorError);
});
