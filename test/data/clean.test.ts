import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanDocuments, decodeText, totalStats, type CleanStats } from '../../src/data/clean.js';
import { memorySource } from '../../src/data/source.js';

const limits = { minChars: 5, maxChars: 40 };

test('decoding is strict: invalid UTF-8 and binary are refused, BOM dropped, newlines normalised', () => {
  assert.deepEqual(decodeText(new Uint8Array([0x68, 0x69, 0xff])), { reason: 'invalidUtf8' });
  assert.deepEqual(decodeText(new Uint8Array([0xc3, 0x28])), { reason: 'invalidUtf8' });
  assert.deepEqual(decodeText(new Uint8Array([0x68, 0x00, 0x69])), { reason: 'binary' });
  assert.deepEqual(decodeText(new TextEncoder().encode('\x01\x02\x03 mostly control')), { reason: 'binary' });
  assert.deepEqual(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x0d, 0x0a, 0x62, 0x0d, 0x63])), { text: 'a\nb\nc' });
  assert.deepEqual(decodeText(new TextEncoder().encode('tab\tform\ffeed é 😀')), { text: 'tab\tform\ffeed é 😀' });
});

test('cleaning counts every drop, keeps the first of duplicates across sources, and names documents', () => {
  const a = memorySource('a', {
    'ok.txt': 'a perfectly fine text',
    'bad.txt': new Uint8Array([0x61, 0x62, 0x63, 0x64, 0x65, 0xfe]),
    'bin.txt': new Uint8Array([0x61, 0, 0x62, 0x63, 0x64, 0x65]),
    'short.txt': 'tiny',
    'long.txt': 'x'.repeat(41),
    'z-dup.txt': 'a perfectly fine text',
  });
  const b = memorySource('b', { 'f.txt': 'first entry here\n%\nsecond entry\n%\na perfectly fine text\n' }, (t) =>
    t.split('\n%\n').map((s) => s.trim()),
  );
  const perSource = new Map<string, CleanStats>();
  const docs = [...cleanDocuments([a, b], limits, perSource)];
  assert.deepEqual(
    docs.map((d) => [d.id, d.text]),
    [
      ['a/ok.txt', 'a perfectly fine text'],
      ['b/f.txt#1', 'first entry here'],
      ['b/f.txt#2', 'second entry'],
    ],
  );
  assert.deepEqual(perSource.get('a'), {
    files: 6, bytes: 21 + 6 + 6 + 4 + 41 + 21, binary: 1, invalidUtf8: 1, candidates: 4, tooShort: 1, tooLong: 1, duplicates: 1, kept: 1,
  });
  assert.equal(perSource.get('b')!.duplicates, 1);
  assert.equal(totalStats(perSource).kept, 3);
  assert.equal(totalStats(perSource).files, 7);
});

test('a per-source limit stops reading that source but not the next', () => {
  const a = memorySource('a', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${i}.txt`, `document number ${i}`])));
  const b = memorySource('b', { 'x.txt': 'another document' });
  const perSource = new Map<string, CleanStats>();
  const docs = [...cleanDocuments([a, b], { ...limits, maxPerSource: 3 }, perSource)];
  assert.deepEqual(docs.map((d) => d.id), ['a/0.txt', 'a/1.txt', 'a/2.txt', 'b/x.txt']);
  assert.equal(perSource.get('a')!.files, 3);
});
