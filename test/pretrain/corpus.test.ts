import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCorpus, splitDocuments, type Document } from '../../src/pretrain/corpus.js';
import { hasScores, tokenizeDocuments, utf8Offsets } from '../../src/pretrain/tokenize-documents.js';
import { Tokenizer } from '../../src/lm/tokenizer.js';
import { PosteriorError } from '../../src/util/errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'posterior-corpus-'));
const sentence = (re: RegExp) => (e: unknown) => e instanceof PosteriorError && re.test(e.message);

test('a directory is read recursively in sorted path order, by extension, skipping binary files', () => {
  const dir = tmp();
  mkdirSync(join(dir, 'pkg'));
  writeFileSync(join(dir, 'b.py'), 'b = 2\n');
  writeFileSync(join(dir, 'a.py'), 'a = 1\n');
  writeFileSync(join(dir, 'pkg', 'c.py'), 'c = 3\n');
  writeFileSync(join(dir, 'notes.txt'), 'not code');
  writeFileSync(join(dir, 'x.py'), Buffer.from([0x66, 0xff, 0xfe, 0x00]));
  const docs = readCorpus(dir, { extensions: ['.py'] });
  assert.deepEqual(docs.map((d) => d.id), ['a.py', 'b.py', join('pkg', 'c.py')]);
  assert.equal(docs[2]!.text, 'c = 3\n');
  assert.equal(readCorpus(dir).length, 4);
  assert.equal(readCorpus(dir, { extensions: ['.py'], maxBytes: 7 }).length, 2);
});

test('a text file is one document; JSON lines carry ids, segments and scores', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'book.txt'), 'Call me Ishmael.');
  assert.deepEqual(readCorpus(join(dir, 'book.txt')), [{ id: join(dir, 'book.txt'), text: 'Call me Ishmael.' }]);
  const lines = [
    { id: 'd1', text: 'ab cd', segments: [{ start: 0, end: 3, score: 0.5 }, { start: 3, end: 5, score: 0 }], score: 0.25 },
    { text: 'plain' },
  ];
  writeFileSync(join(dir, 'train.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
  const docs = readCorpus(join(dir, 'train.jsonl'));
  assert.deepEqual(docs, [lines[0], { id: '2', text: 'plain' }]);
  assert.equal(hasScores(docs), false);
  assert.equal(hasScores(docs.slice(0, 1)), true);
});

test('a missing, empty or malformed corpus is one sentence naming the path', () => {
  const dir = tmp();
  assert.throws(() => readCorpus(join(dir, 'nope')), sentence(/^corpus path .*nope does not exist$/));
  mkdirSync(join(dir, 'empty'));
  assert.throws(() => readCorpus(join(dir, 'empty')), sentence(/^corpus .*empty is empty/));
  writeFileSync(join(dir, 'blank.txt'), '');
  assert.throws(() => readCorpus(join(dir, 'blank.txt')), sentence(/blank\.txt is empty/));
  const bad = (name: string, text: string, re: RegExp) => {
    writeFileSync(join(dir, name), text);
    assert.throws(() => readCorpus(join(dir, name)), sentence(re));
  };
  bad('a.jsonl', '{"text": "ok"}\n{oops\n', /a\.jsonl line 2 is not valid JSON/);
  bad('b.jsonl', '{"txt": "x"}\n', /b\.jsonl line 1: field `text` must be a string/);
  bad('c.jsonl', '{"text": "abc", "segments": [{"start": 1, "end": 9, "score": 0}]}\n', /c\.jsonl line 1: field `segments\[0\]` must have integer offsets/);
  bad('d.jsonl', '{"text": "abc", "score": "high"}\n', /d\.jsonl line 1: field `score` must be a finite number/);
});

test('the validation split is a seeded, disjoint part of the documents in their original order', () => {
  const docs: Document[] = Array.from({ length: 50 }, (_, i) => ({ id: String(i), text: `doc ${i}` }));
  const a = splitDocuments(docs, 0.1, 1);
  assert.equal(a.validation.length, 5);
  assert.equal(a.train.length, 45);
  assert.deepEqual(new Set([...a.train, ...a.validation].map((d) => d.id)).size, 50);
  assert.deepEqual(a, splitDocuments(docs, 0.1, 1));
  assert.notDeepEqual(a.validation, splitDocuments(docs, 0.1, 2).validation);
  assert.ok(a.train.every((d, i, all) => i === 0 || Number(d.id) > Number(all[i - 1]!.id)));
  assert.equal(splitDocuments(docs.slice(0, 3), 0.01, 0).validation.length, 1);
});

test('utf8Offsets agrees with Buffer.byteLength at every character boundary', () => {
  const text = 'aé€😀b\ud800c';
  const at = utf8Offsets(text);
  for (const i of [0, 1, 2, 3, 5, 6, 7, 8]) assert.equal(at[i], Buffer.byteLength(text.slice(0, i)), `offset ${i}`);
});

const gpt2 = Tokenizer.gpt2();

test('each token inherits the score of the segment holding its last byte (hand-computed)', () => {
  // GPT-2 splits "ab cd\nef" into ab | Ġcd | Ċ | ef.
  const doc: Document = { id: 'x', text: 'ab cd\nef', segments: [{ start: 0, end: 3, score: 1 }, { start: 3, end: 6, score: 2 }, { start: 6, end: 8, score: 3 }] };
  const [t] = tokenizeDocuments([doc], gpt2);
  assert.deepEqual([...t!.ids].map((id) => gpt2.idToToken(id)), ['ab', 'Ġcd', 'Ċ', 'ef']);
  assert.deepEqual([...t!.scores!], [1, 2, 2, 3]);
  // Bytes outside every segment take the document's score; documents without scores get none.
  const [u, v] = tokenizeDocuments([{ id: 'y', text: 'ab cd', segments: [{ start: 0, end: 2, score: 4 }], score: 0.5 }, { id: 'z', text: 'ab' }], gpt2);
  assert.deepEqual([...u!.scores!], [4, 0.5]);
  assert.equal(v!.scores, undefined);
});

test('token scores match an independent byte→character map on multi-byte text', () => {
  const text = 'naïve café 😀😀 über\n<|endoftext|> ok ünïcödé 中文字符 end';
  const cuts = [0, 4, 9, 13, 20, 33, 40, 47, text.length];
  const segments = cuts.slice(0, -1).map((start, i) => ({ start, end: cuts[i + 1]!, score: i + 1 }));
  const [t] = tokenizeDocuments([{ id: 'm', text, segments }], gpt2);
  // The text that spells <|endoftext|> is not the special token.
  assert.ok(![...t!.ids].includes(gpt2.eosId!));
  const charOfByte: number[] = [];
  let i = 0;
  for (const ch of text) {
    for (let b = 0; b < Buffer.byteLength(ch); b++) charOfByte.push(i);
    i += ch.length;
  }
  const scoreOfChar = (c: number) => segments.find((s) => c >= s.start && c < s.end)!.score;
  // A byte-level vocabulary entry spells one byte per character.
  let end = 0;
  const expected = [...t!.ids].map((id) => {
    end += [...gpt2.idToToken(id)!].length;
    return scoreOfChar(charOfByte[end - 1]!);
  });
  assert.deepEqual([...t!.scores!], expected);
  assert.equal(end, Buffer.byteLength(text));
});
