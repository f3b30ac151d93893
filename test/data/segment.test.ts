import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segment, segmentLines, segmentSentences, type Span } from '../../src/data/segment.js';

function assertCovers(text: string, spans: Span[]): void {
  let at = 0;
  for (const s of spans) {
    assert.equal(s.start, at);
    assert.ok(s.end > s.start);
    at = s.end;
  }
  assert.equal(at, text.length);
  assert.equal(spans.map((s) => text.slice(s.start, s.end)).join(''), text);
}

const pieces = (text: string, spans: Span[]): string[] => spans.map((s) => text.slice(s.start, s.end));

test('lines keep their newline; the last may lack one; blank lines are segments', () => {
  const text = 'def f():\n\n    return 1\nx = 2';
  assert.deepEqual(pieces(text, segmentLines(text)), ['def f():\n', '\n', '    return 1\n', 'x = 2']);
  assert.deepEqual(pieces('a\n', segmentLines('a\n')), ['a\n']);
  assert.deepEqual(segmentLines(''), []);
});

test('sentences keep trailing spaces and end at line breaks', () => {
  const text = 'Hello there. How are you?  Fine!\nNext line without stop\nlast';
  const got = pieces(text, segmentSentences(text));
  assert.deepEqual(got, ['Hello there. ', 'How are you?  ', 'Fine!\n', 'Next line without stop\n', 'last']);
});

test('segments cover every document exactly, including astral characters and odd whitespace', () => {
  const docs = ['', ' ', '\n\n\n', 'émoji 😀 here. And 🧪 there.\n\tTabbed line', 'no newline at all', 'x\u2028y. Z\u00a0w.'];
  for (const d of docs) {
    assertCovers(d, segment(d, 'lines'));
    assertCovers(d, segment(d, 'sentences'));
  }
});
