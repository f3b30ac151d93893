import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentLines, segmentSentences } from '../../src/data/segment.js';
import { perLine, segmentwise, wholeDocument, type LineChecker } from '../../src/data/scoring.js';
import { createPep8Scorer } from '../../src/scorers/pep8.js';
import { piiScore, scorePiiSegments } from '../../src/scorers/pii.js';
import { createToxicityScorer } from '../../src/scorers/toxicity.js';
import { PosteriorError } from '../../src/util/errors.js';

const withSegments = (texts: string[], seg: (t: string) => { start: number; end: number }[]) =>
  texts.map((text) => ({ text, segments: seg(text) }));

test('segmentwise scores the document and each segment as texts of their own', async () => {
  const toxicity = createToxicityScorer();
  const docs = withSegments(['You are a damn idiot. Have a nice day.', 'All good here.'], segmentSentences);
  const got = await segmentwise(toxicity).scoreDocuments(docs);
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i]!;
    const expected = await toxicity.score([d.text, ...d.segments.map((s) => d.text.slice(s.start, s.end))]);
    assert.deepEqual([got[i]!.score, ...got[i]!.segmentScores], [...expected]);
  }
  assert.ok(got[0]!.segmentScores[0]! > 0 && got[0]!.segmentScores[1] === 0);
});

test('PII scores a document in one pass; its segment counts add up to the document count', async () => {
  const text = 'Mail jo@example.com today. Nothing here. Call (415) 555-2671 or see https://example.org/x.';
  const docs = withSegments([text], segmentSentences);
  const [r] = await wholeDocument('pii', scorePiiSegments).scoreDocuments(docs);
  assert.equal(r!.score, piiScore(text));
  const spans = r!.segmentScores.reduce((sum, v, j) => sum + v * (docs[0]!.segments[j]!.end - docs[0]!.segments[j]!.start), 0);
  assert.ok(Math.abs(spans - 3) < 1e-9);
  assert.equal(r!.segmentScores[1], 0);
});

test('pep8 lines are scored in their file: line scores weighted by length give the document score', async () => {
  const pep8 = createPep8Scorer({ workers: 1 });
  try {
    const code = ['import os,sys\n\ndef f( x ):\n  return x+1\n', 'x = 1\ny = 2\n', 'def g():\n    return 1\nprint(g())'];
    const docs = withSegments(code, segmentLines);
    const got = await perLine(pep8).scoreDocuments(docs);
    const whole = await pep8.score(code);
    for (let i = 0; i < code.length; i++) {
      assert.equal(got[i]!.score, whole[i]);
      const weighted = got[i]!.segmentScores.reduce((sum, v, j) => sum + v * [...code[i]!.slice(docs[i]!.segments[j]!.start, docs[i]!.segments[j]!.end)].length, 0);
      assert.ok(Math.abs(weighted / [...code[i]!].length - whole[i]!) < 1e-12);
    }
    assert.ok(got[0]!.score > 0);
    assert.equal(got[1]!.score, 0);
    assert.ok(got[0]!.segmentScores[0]! > 0, 'E401 on the import line');
    assert.equal(got[0]!.segmentScores[1], 0);
  } finally {
    await pep8.close();
  }
});

test('a line checker that splits lines differently is refused', async () => {
  const odd: LineChecker = {
    name: 'odd',
    check: async (texts) => texts.map(() => ({ violations: 0, characters: 1, lineViolations: [0], lineCharacters: [1], lineEnds: [1] })),
  };
  await assert.rejects(perLine(odd).scoreDocuments(withSegments(['a\nb\n'], segmentLines)), PosteriorError);
});
