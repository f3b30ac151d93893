import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progress, type ProgressStream } from '../../src/util/progress.js';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { out: string } {
  const s = { out: '', isTTY, columns, write: (c: string) => (s.out += c) };
  return s;
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('the terminal line shows label, percentage, bar, count, elapsed<ETA, rate and postfix', () => {
  const c = clock();
  const s = fakeStream(true, 100);
  const p = progress('train', { total: 1000, stream: s, now: c.now });
  c.advance(10_000);
  p.update(250, { loss: 2.5 });
  // 250 in 10 s: 25 it/s, 750 left: 30 s. Bar width: 100 - 5 - 4 - 42 - 6 = 40 (the cap), a quarter full.
  const line = `train  25% |${'█'.repeat(10)}${' '.repeat(30)}| 250/1000 [00:10<00:30, 25.0 it/s] loss=2.5`;
  assert.equal(p.render(), line);
  assert.equal(s.out, `\r${line}\x1b[K`);
});

test('on a terminal redraws are throttled and done() ends the line', () => {
  const c = clock();
  const s = fakeStream(true, 200);
  const p = progress('x', { total: 10, stream: s, now: c.now, redrawMs: 100 });
  p.tick(); // the first update draws at once
  c.advance(50);
  p.tick(); // too soon
  c.advance(60);
  p.tick(1, 'note');
  assert.equal(s.out.split('\r').length - 1, 2);
  p.done();
  assert.ok(s.out.endsWith('\x1b[K\n'));
  assert.match(s.out, /x  30% \|.*\| 3\/10 .*note\x1b\[K\n$/);
  const before = s.out;
  p.tick(); // after done: ignored
  p.done();
  assert.equal(s.out, before);
});

test('a line wider than the terminal is cut so that \\r still redraws all of it', () => {
  const c = clock();
  const s = fakeStream(true, 40);
  const p = progress('a-rather-long-label', { total: 100, stream: s, now: c.now });
  c.advance(1000);
  p.update(50, 'with a long postfix that cannot fit');
  const drawn = s.out.slice(1, s.out.indexOf('\x1b[K'));
  assert.equal(drawn.length, 39);
});

test('off a terminal, a plain line every interval and one at the end', () => {
  const c = clock();
  const s = fakeStream(false);
  const p = progress('prepare', { total: 400, unit: 'doc', stream: s, now: c.now, intervalMs: 10_000 });
  for (let i = 0; i < 400; i++) {
    c.advance(100);
    p.tick();
  }
  p.done({ kept: 380, ratio: 0.95 });
  assert.equal(s.out, [
    'prepare  25% 100/400 [00:10<00:30, 10.0 doc/s]',
    'prepare  50% 200/400 [00:20<00:20, 10.0 doc/s]',
    'prepare  75% 300/400 [00:30<00:10, 10.0 doc/s]',
    'prepare 100% 400/400 [00:40<00:00, 10.0 doc/s]',
    'prepare 100% 400/400 [00:40<00:00, 10.0 doc/s] kept=380 ratio=0.95',
    '',
  ].join('\n'));
  assert.ok(!s.out.includes('\r'));
});

test('without a total: count, elapsed and rate; slow jobs show seconds per unit; resumed jobs rate only new work', () => {
  const c = clock();
  const s = fakeStream(false);
  const p = progress('sample', { stream: s, now: c.now, unit: 'batch' });
  c.advance(12_000);
  p.update(3, { loss: 1.23456e-5, lr: 3e-4, step: 7 });
  assert.equal(p.render(), 'sample 3 batch [00:12, 4 s/batch] loss=1.235e-5 lr=3e-4 step=7');
  const r = progress('tune', { total: 5000, start: 4000, stream: s, now: c.now });
  c.advance(3_725_000);
  r.update(4500);
  // 500 new units in 3725 s: 7.45 s each, 500 left
  assert.equal(r.render(), 'tune  90% 4500/5000 [1:02:05<1:02:05, 7.45 s/it]');
});

test('a terminal that reports no width is taken as 80 columns', () => {
  const c = clock();
  const s = fakeStream(true, 0);
  const p = progress('x', { total: 4, stream: s, now: c.now });
  c.advance(1000);
  p.update(2, 'tail');
  assert.match(s.out, / tail\x1b\[K$/);
});

test('log() prints above the bar and redraws it', () => {
  const c = clock();
  const s = fakeStream(true, 80);
  const p = progress('x', { total: 2, stream: s, now: c.now });
  p.tick();
  s.out = '';
  p.log('checkpoint saved');
  assert.match(s.out, /^\r\x1b\[Kcheckpoint saved\n\rx  50% /);
});
