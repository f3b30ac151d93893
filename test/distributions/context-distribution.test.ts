import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContextDistribution } from '../../src/distributions/context-distribution.js';
import { PosteriorError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'posterior-contexts-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('a text file gives one prompt per non-blank line', async () => {
  const d = await ContextDistribution.fromFile(file('p.txt', 'def f(x):\r\n\n  def g():\nlast'));
  assert.deepEqual(d.contexts(), ['def f(x):', '  def g():', 'last']);
});

test('a JSONL file gives JSON strings or a named field, keeping newlines inside prompts', async () => {
  const d = await ContextDistribution.fromFile(file('p.jsonl', '"one\\ntwo"\n{"prompt": "three", "id": 3}\n\n'));
  assert.deepEqual(d.contexts(), ['one\ntwo', 'three']);
  const e = await ContextDistribution.fromFile(file('q.jsonl', '{"signature": "def h():"}\n'), { field: 'signature' });
  assert.deepEqual(e.contexts(), ['def h():']);
});

test('contexts are drawn uniformly and reproducibly from a seed', () => {
  const d = new ContextDistribution(['a', 'b', 'c', 'd']);
  const xs = d.sample(40_000, new Random(3));
  for (const c of ['a', 'b', 'c', 'd']) {
    const share = xs.filter((x) => x === c).length / xs.length;
    assert.ok(Math.abs(share - 0.25) < 0.01, `${c}: ${share}`);
  }
  assert.deepEqual(d.sample(10, new Random(9)), d.sample(10, new Random(9)));
  assert.deepEqual(new ContextDistribution(['a', 'b'], { seed: 4 }).sample(20), new ContextDistribution(['a', 'b'], { seed: 4 }).sample(20));
});

test('empty, missing and malformed files get one clear sentence', async () => {
  const empty = file('empty.txt', '\n  \n');
  await assert.rejects(ContextDistribution.fromFile(empty), (e: Error) => e instanceof PosteriorError && e.message === `the prompt file ${empty} holds no prompts; give at least one.`);
  await assert.rejects(ContextDistribution.fromFile(join(dir, 'absent.txt')), /cannot read the prompt file .*absent.txt/);
  await assert.rejects(ContextDistribution.fromFile(file('bad.jsonl', '"ok"\n{nope\n')), /line 2 of .*bad.jsonl is not valid JSON/);
  await assert.rejects(ContextDistribution.fromFile(file('nofield.jsonl', '{"text": "x"}\n')), /line 1 of .*nofield.jsonl must be a JSON string or an object with a string field "prompt"/);
  assert.throws(() => new ContextDistribution([]), /holds no prompts/);
});
