import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkProse, emailBody, emailWithoutRouting, splitFortunes } from '../../src/data/extract.js';

test('fortune files split at lines holding only %', () => {
  const file = 'First one.\n\t-- Someone\n%\nSecond, with 50% off.\n%\n%\nThird\n%\n';
  assert.deepEqual(splitFortunes(file), ['First one.\n\t-- Someone', 'Second, with 50% off.', 'Third']);
});

const mail = [
  'Received: from a.example (1.2.3.4)',
  '\tby b.example',
  'From: Jo Doe <jo@example.com>',
  'Message-ID: <x@y>',
  'Subject: Lunch',
  '  continued subject',
  'X-Spam: no',
  '',
  'Hi,',
  '',
  'see you at noon.',
].join('\n');

test('an e-mail body is everything after the first blank line', () => {
  assert.deepEqual(emailBody(mail), ['Hi,\n\nsee you at noon.']);
  assert.deepEqual(emailBody('Subject: only headers'), []);
});

test('routing headers go, personal headers (with continuations) and the body stay', () => {
  assert.deepEqual(emailWithoutRouting(mail), ['From: Jo Doe <jo@example.com>\nSubject: Lunch\n  continued subject\n\nHi,\n\nsee you at noon.']);
});

test('prose is cut at sentence ends into pieces of at most maxChars', () => {
  const sentence = (i: number): string => `This is sentence number ${i} of the speech. `;
  const text = Array.from({ length: 200 }, (_, i) => sentence(i)).join('');
  const chunks = chunkProse(text, 500);
  assert.ok(chunks.length > 10);
  for (const c of chunks) {
    assert.ok(c.length <= 500, `${c.length}`);
    assert.match(c, /^This is sentence number \d+ of the speech\.( This is sentence number \d+ of the speech\.)*$/);
  }
  assert.equal(chunks.join(' '), text.trim());
  // A paragraph break after the first half of a chunk starts a new one.
  const paras = `${'A short sentence here. '.repeat(15)}\n\nNew paragraph starts. ${'More words follow. '.repeat(5)}`;
  assert.ok(chunkProse(paras, 500)[1]!.startsWith('New paragraph starts.'));
});
