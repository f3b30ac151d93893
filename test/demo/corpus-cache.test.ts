import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCorpus, sampledSource } from '../../src/demo/corpus-cache.js';
import { memorySource, type CorpusSource } from '../../src/data/source.js';
import { splitOf } from '../../src/data/split.js';
import { createPep8Scorer } from '../../src/scorers/pep8.js';

const paths = (s: CorpusSource) => [...s.files()].map((f) => f.path);

test('the slice keeps about the asked share of files, the same ones every time, and they still fall into every split', () => {
  const files = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`pkg${i % 37}/mod${i}.py`, `x = ${i}\n`]));
  const source = memorySource('lib', files);
  const kept = paths(sampledSource(source, 0.3));
  // Binomial(4000, 0.3): standard deviation 29 files, so ±120 is four of them.
  assert.ok(Math.abs(kept.length - 1200) < 120, `${kept.length} files kept`);
  assert.deepEqual(paths(sampledSource(source, 0.3)), kept);
  assert.ok(paths(sampledSource(source, 0.6)).length > kept.length);
  assert.equal(paths(sampledSource(source, 1)).length, 4000);
  // The slice's hash is salted: were it the split's, every kept document would be in train.
  const held = kept.filter((p) => splitOf(`lib/${p}`) !== 'train').length / kept.length;
  assert.ok(held > 0.05 && held < 0.15, `${held} held out`);
});

test('a cached corpus is reused only while its files, sources and limits are unchanged', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'posterior-demo-corpus-'));
  t.after(() => rmSync(cacheDir, { recursive: true, force: true }));
  const texts = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`m${i}.py`, `def f${i}(a, b):\n    return a+b  # sum ${'x'.repeat(60)}\n`]));
  const scorer = createPep8Scorer();
  try {
    const opts = { cacheDir, sourcesDir: cacheDir, fraction: 1, scorer, stream: { write() {} } };
    const first = await demoCorpus({ ...opts, sources: [memorySource('src', texts)] });
    assert.equal(first.reused, false);
    assert.equal(first.manifest.files.train.documents + first.manifest.files.validation.documents + first.manifest.files.test.documents, 40);
    const again = await demoCorpus({ ...opts, sources: [memorySource('src', texts)] });
    assert.equal(again.reused, true);
    assert.deepEqual(again.manifest, first.manifest);

    const newer = memorySource('src', texts);
    newer.info.version = '2';
    assert.equal((await demoCorpus({ ...opts, sources: [newer] })).reused, false);
    assert.equal((await demoCorpus({ ...opts, sources: [newer] })).reused, true);

    appendFileSync(join(first.dir, 'train.jsonl'), '\n');
    const repaired = await demoCorpus({ ...opts, sources: [newer] });
    assert.equal(repaired.reused, false);
    assert.equal((await demoCorpus({ ...opts, sources: [newer] })).reused, true);
  } finally {
    await scorer.close();
  }
});
