import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpus, readManifest } from '../../src/data/corpus.js';
import { prepareCorpus, type PrepareOptions } from '../../src/data/prepare.js';
import { wholeDocument, type DocumentScorer } from '../../src/data/scoring.js';
import { directoryFiles, memorySource } from '../../src/data/source.js';
import { PosteriorError } from '../../src/util/errors.js';

// A scorer anyone can check by hand: exclamation marks per character.
const bangs = (s: string): number => (s.length === 0 ? 0 : (s.match(/!/g)?.length ?? 0) / s.length);
const bangScorer = wholeDocument('bangs', (text, segments) => ({
  score: bangs(text),
  segmentScores: segments.map((s) => bangs(text.slice(s.start, s.end))),
}));

const texts: Record<string, string | Uint8Array> = Object.fromEntries(
  Array.from({ length: 60 }, (_, i) => [
    `doc${String(i).padStart(2, '0')}.txt`,
    `Document ${i} says hello${'!'.repeat(i % 4)}. It has a second sentence.\nAnd a line ${i}, café 😀.`,
  ]),
);
texts['dup.txt'] = texts['doc00.txt']!;
texts['short.txt'] = 'too short';
texts['latin1.txt'] = Buffer.from('caf\xe9 is not UTF-8 here but long enough', 'latin1');

function options(outDir: string, over: Partial<PrepareOptions> = {}): PrepareOptions {
  return {
    task: 'demo',
    outDir,
    sources: [memorySource('mem', texts)],
    segmentation: 'sentences',
    scorer: bangScorer,
    clean: { minChars: 20, maxChars: 1000 },
    progressStream: null,
    ...over,
  };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'posterior-prepare-'));
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('preparing twice gives byte-identical corpora; the reader returns every document intact', async () => {
  const [a, b] = [join(tmp(), 'corpus'), join(tmp(), 'corpus')];
  const manifest = await prepareCorpus(options(a));
  await prepareCorpus(options(b));
  for (const f of ['manifest.json', 'train.jsonl', 'validation.jsonl', 'test.jsonl']) {
    assert.deepEqual(readFileSync(join(a, f)), readFileSync(join(b, f)), f);
  }
  assert.deepEqual(readManifest(a), manifest);
  assert.deepEqual(
    [manifest.cleaning.files, manifest.cleaning.invalidUtf8, manifest.cleaning.tooShort, manifest.cleaning.duplicates, manifest.cleaning.kept],
    [63, 1, 1, 1, 60],
  );
  const seen = new Set<string>();
  for (const split of ['train', 'validation', 'test'] as const) {
    const entry = manifest.files[split];
    assert.equal(entry.sha256, sha256(join(a, entry.file)));
    const docs = await loadCorpus(a, split);
    assert.equal(docs.length, entry.documents);
    for (const d of docs) {
      seen.add(d.id);
      assert.equal(d.text, texts[d.id.slice('mem/'.length)]);
      assert.equal(d.segments.map((s) => d.text.slice(s.start, s.end)).join(''), d.text);
      assert.equal(d.score, bangs(d.text));
      for (const s of d.segments) assert.equal(s.score, bangs(d.text.slice(s.start, s.end)));
    }
  }
  assert.equal(seen.size, 60);
  assert.ok(manifest.files.train.documents > manifest.files.test.documents);
  const zeros = Object.values(texts).filter((t) => typeof t === 'string' && t.length >= 20 && !t.includes('!')).length;
  assert.equal(manifest.scores.documents.zeroShare, (zeros - 1) / 60); // minus the duplicate
});

test('a rerun replaces the corpus and leaves nothing else behind', async () => {
  const parent = tmp();
  const out = join(parent, 'corpus');
  await prepareCorpus(options(out));
  await prepareCorpus(options(out, { split: { train: 0.5, validation: 0.25, test: 0.25 } }));
  assert.deepEqual(readdirSync(parent), ['corpus']);
  assert.equal(readManifest(out).split.train, 0.5);
});

test('a scorer failure leaves the previous corpus untouched, or no corpus at all', async () => {
  const broken: DocumentScorer = { name: 'broken', scoreDocuments: async () => { throw new Error('worker died'); } };
  const parent = tmp();
  const fresh = join(parent, 'fresh');
  await assert.rejects(prepareCorpus(options(fresh, { scorer: broken })), /worker died/);
  assert.deepEqual(readdirSync(parent), []);
  const out = join(parent, 'corpus');
  await prepareCorpus(options(out));
  const before = readFileSync(join(out, 'manifest.json'));
  await assert.rejects(prepareCorpus(options(out, { scorer: broken })), /worker died/);
  assert.deepEqual(readFileSync(join(out, 'manifest.json')), before);
  assert.deepEqual(readdirSync(parent), ['corpus']);
});

test('bad scores, an empty corpus and a missing source each give one clear sentence', async () => {
  const out = join(tmp(), 'corpus');
  const nan = wholeDocument('nan', (_t, segs) => ({ score: NaN, segmentScores: segs.map(() => 0) }));
  await assert.rejects(prepareCorpus(options(out, { scorer: nan })), (e: Error) => e instanceof PosteriorError && /scorer nan gave document .* the score NaN/.test(e.message));
  const short = wholeDocument('short', () => ({ score: 0, segmentScores: [] }));
  await assert.rejects(prepareCorpus(options(out, { scorer: short })), (e: Error) => e instanceof PosteriorError && /segment scores for the \d+ segments/.test(e.message));
  await assert.rejects(
    prepareCorpus(options(out, { clean: { minChars: 5000, maxChars: 6000 } })),
    (e: Error) => e instanceof PosteriorError && /the demo corpus is empty after cleaning: of 63 files/.test(e.message),
  );
  const missing = { info: { name: 'gone', kind: 'directory' as const, version: '1' }, files: () => directoryFiles('/nonexistent/posterior') };
  await assert.rejects(prepareCorpus(options(out, { sources: [missing] })), (e: Error) => e instanceof PosteriorError && /\/nonexistent\/posterior does not exist/.test(e.message));
  assert.equal(existsSync(out), false);
});

test('the reader refuses a corrupted, truncated or foreign corpus, naming the file', async () => {
  const out = join(tmp(), 'corpus');
  await prepareCorpus(options(out));
  const train = join(out, 'train.jsonl');
  const original = readFileSync(train);
  writeFileSync(train, Buffer.from(original.toString('utf8').replace('Document', 'Docvment')));
  await assert.rejects(loadCorpus(out, 'train'), (e: Error) => e instanceof PosteriorError && e.message.includes(`${train} does not match the sha256`));
  writeFileSync(train, original.subarray(0, original.length - 10));
  await assert.rejects(loadCorpus(out, 'train'), /has \d+ bytes but the manifest says/);
  writeFileSync(train, original);
  assert.ok((await loadCorpus(out, 'train')).length > 0);
  await assert.rejects(loadCorpus(out, 'dev'), /unknown split 'dev'/);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  manifest.files.test.sha256 = 'nope';
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
  await assert.rejects(loadCorpus(out, 'train'), /field 'files.test.sha256'/);
  await assert.rejects(loadCorpus(tmp(), 'train'), /has no manifest.json/);
});

// A run killed mid-way (SIGKILL: no clean-up code runs) must leave nothing that looks
// like a corpus, and the next run must clear its staging and succeed.
test('a killed run leaves no corpus; the rerun removes its staging and completes', async () => {
  const parent = tmp();
  const out = join(parent, 'corpus');
  const here = fileURLToPath(new URL('.', import.meta.url));
  const script = join(parent, 'slow.mjs');
  writeFileSync(
    script,
    `import { prepareCorpus } from ${JSON.stringify(join(here, '../../src/data/prepare.js'))};
     import { memorySource } from ${JSON.stringify(join(here, '../../src/data/source.js'))};
     const docs = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => ['d' + i, 'document number ' + i + ' with some text']));
     await prepareCorpus({ task: 'slow', outDir: ${JSON.stringify(out)}, sources: [memorySource('m', docs)], segmentation: 'lines',
       clean: { minChars: 1, maxChars: 100 }, progressStream: null,
       scorer: { name: 'slow', scoreDocuments: async (ds) => { console.log('scoring'); await new Promise((r) => setTimeout(r, 60000)); return []; } } });`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const left = readdirSync(parent).filter((n) => n !== 'slow.mjs');
  assert.equal(left.length, 1);
  assert.match(left[0]!, /^\.corpus\.tmp-\d+-[0-9a-f]+$/);
  assert.equal(existsSync(out), false);
  await prepareCorpus(options(out));
  assert.deepEqual(readdirSync(parent).sort(), ['corpus', 'slow.mjs']);
});

test('staging of a live run is left alone', async () => {
  const parent = tmp();
  const live = join(parent, `.corpus.tmp-${process.pid}-abcd`);
  mkdirSync(live);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale = join(parent, `.corpus.old-${dead}-ef01`);
  mkdirSync(stale);
  await prepareCorpus(options(join(parent, 'corpus')));
  assert.equal(existsSync(live), true);
  assert.equal(existsSync(stale), false);
});
