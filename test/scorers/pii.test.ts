import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPiiScorer, detectPii, mergeMatches, scorePiiSegments } from '../../src/scorers/pii.js';
import { luhnValid } from '../../src/scorers/pii-patterns.js';
import { evaluatePii, generateLabelledPii } from '../../src/scorers/pii-eval.js';

const kinds = (text: string): string[] => detectPii(text).map((s) => `${s.kind}:${s.text}`);

test('recall is at least 0.9 for e-mail, URL, IP, phone, card and SSN on generated text', () => {
  const metrics = evaluatePii(generateLabelledPii({ n: 800, seed: 7 }));
  for (const m of metrics.filter((k) => ['email', 'url', 'ip', 'phone', 'card', 'ssn'].includes(k.kind))) {
    assert.ok(m.labelled >= 40, `${m.kind}: only ${m.labelled} labelled spans`);
    assert.ok(m.recall >= 0.9, `${m.kind} recall ${m.recall}`);
    assert.ok(m.precision >= 0.8, `${m.kind} precision ${m.precision}`);
  }
});

test('the evaluator gives 1/1 for a perfect detector and 0 recall for a silent one', () => {
  const data = generateLabelledPii({ n: 50, seed: 3 });
  const oracle = (text: string) =>
    data.find((d) => d.text === text)!.labels.map((l) => ({ ...l, text: text.slice(l.start, l.end) }));
  for (const m of evaluatePii(data, oracle)) assert.deepEqual([m.precision, m.recall], [1, 1]);
  const silent = evaluatePii(data, () => []);
  assert.ok(silent.some((m) => m.labelled > 0));
  for (const m of silent) assert.equal(m.recall, m.labelled === 0 ? 1 : 0);
});

test('generation is deterministic for a seed', () => {
  assert.deepEqual(generateLabelledPii({ n: 20, seed: 5 }), generateLabelledPii({ n: 20, seed: 5 }));
  assert.notDeepEqual(generateLabelledPii({ n: 20, seed: 5 }), generateLabelledPii({ n: 20, seed: 6 }));
});

test('each detector finds its kind in a sentence', () => {
  assert.deepEqual(kinds('Mail bob.smith+x@mail.example.co.uk today.'), ['email:bob.smith+x@mail.example.co.uk']);
  assert.deepEqual(kinds('See https://example.org/a_(b)?q=1, then stop.'), ['url:https://example.org/a_(b)?q=1']);
  assert.deepEqual(kinds('from 192.168.0.1 and fe80::1ff:fe23:4567:890a'), ['ip:192.168.0.1', 'ip:fe80::1ff:fe23:4567:890a']);
  assert.deepEqual(kinds('Call (415) 555-2671 now'), ['phone:(415) 555-2671']);
  assert.deepEqual(kinds('card 4539 1488 0343 6467 ok'), ['card:4539 1488 0343 6467']);
  assert.deepEqual(kinds('SSN 123-45-6789.'), ['ssn:123-45-6789']);
  assert.deepEqual(kinds('Springfield, IL 62704'), ['postal:62704']);
  assert.deepEqual(kinds('the postcode is SW1A 1AA'), ['postal:SW1A 1AA']);
  assert.deepEqual(kinds('login: alice password: s3cret!'), ['credential:login: alice password: s3cret!']);
  assert.deepEqual(kinds('ping @dev_ops_42 on it'), ['handle:@dev_ops_42']);
  assert.deepEqual(kinds('she was born on March 3, 1985.'), ['dob:March 3, 1985']);
  assert.deepEqual(kinds('Dear Miss Gleason,'), ['name:Miss Gleason']);
  assert.deepEqual(kinds('I live at 1234 Main Street Apt. 5 now'), ['address:1234 Main Street Apt. 5']);
});

test('look-alikes are not PII: invalid checksums, reserved SSNs, dates without birth, times', () => {
  assert.ok(luhnValid('4539148803436467'));
  assert.ok(!luhnValid('4539148803436468'));
  assert.deepEqual(kinds('card 4539 1488 0343 6468 ok'), []);
  assert.deepEqual(kinds('SSN 000-45-6789 and 666-12-3456 and 123-00-4567'), []);
  assert.deepEqual(kinds('The meeting is on March 3, 1985 at 10:30:15.'), []);
  assert.deepEqual(kinds('We shipped 62704 boxes and 300 crates.'), []);
  assert.deepEqual(kinds('std::vector<int> and a::b'), []);
  assert.deepEqual(kinds('see note @07 and @2024'), []);
});

test('overlapping detections merge into one span named after the longest', () => {
  assert.deepEqual(kinds('Go to http://10.0.0.1/admin now'), ['url:http://10.0.0.1/admin']);
  const text = 'abcdefghij';
  const merged = mergeMatches(text, [
    { kind: 'name', start: 0, end: 4 },
    { kind: 'email', start: 2, end: 8 },
    { kind: 'phone', start: 9, end: 10 },
  ]);
  assert.deepEqual(merged, [
    { kind: 'email', start: 0, end: 8, text: 'abcdefgh' },
    { kind: 'phone', start: 9, end: 10, text: 'j' },
  ]);
});

test('score is spans per character; empty text scores 0; identical texts agree', async () => {
  const scorer = createPiiScorer();
  const a = 'Write to a@b.io or c@d.io.';
  const scores = await scorer.score([a, '', 'Nothing here.', a]);
  assert.equal(scores[0], 2 / a.length);
  assert.equal(scores[1], 0);
  assert.equal(scores[2], 0);
  assert.equal(scores[3], scores[0]);
});

test('segment scores count each span in the segment where it starts', () => {
  const text = 'Mail a@b.io now. Call (415) 555-2671 or c@d.io.';
  const cut = text.indexOf('Call');
  const { score, segmentScores } = scorePiiSegments(text, [
    { start: 0, end: cut },
    { start: cut, end: text.length },
  ]);
  assert.equal(score, 3 / text.length);
  assert.deepEqual(segmentScores, [1 / cut, 2 / (text.length - cut)]);
});

test('a long single line costs linear time (no regex backtracking blow-up)', () => {
  const timed = (n: number): number => {
    const line = 'The quick brown fox met 12 dogs near the River Bank at 10:30 '.repeat(n);
    const t0 = performance.now();
    assert.equal(detectPii(line).length, 0);
    return performance.now() - t0;
  };
  timed(200);
  const small = timed(1_000);
  const large = timed(4_000);
  assert.ok(large < 12 * small + 200, `4x the text took ${large.toFixed(0)} ms vs ${small.toFixed(0)} ms`);
});
