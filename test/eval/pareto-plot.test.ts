import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, niceAxis, paretoFrontier, paretoSvg } from '../../src/eval/pareto-plot.js';
import { PosteriorError } from '../../src/util/errors.js';

test('the frontier keeps exactly the points no other point dominates, in order of x', () => {
  const points = [
    { label: 'a', x: 0, y: 3 },
    { label: 'b', x: 1, y: 1 },
    { label: 'c', x: 2, y: 2 }, // dominated by b
    { label: 'd', x: 3, y: 0.5 },
    { label: 'e', x: 1, y: 1 }, // equal to b: neither dominates the other
    { label: 'f', x: 3, y: 0.7 }, // same x as d, worse y
    { label: 'g', x: 0, y: 3.5 }, // same x as a, worse y
  ];
  assert.deepEqual(paretoFrontier(points), [0, 1, 4, 3]);
  assert.deepEqual(paretoFrontier([{ label: 'only', x: 5, y: 5 }]), [0]);
});

test('axes start at 0 and end on a 1-2-5 step above the largest value', () => {
  const a = niceAxis(0.0011, 0.0123);
  assert.equal(a.lo, 0);
  assert.ok(Math.abs(a.hi - 0.015) < 1e-15);
  assert.deepEqual(a.ticks, [0, 0.005, 0.01, 0.015]);
  const b = niceAxis(0, 37);
  assert.deepEqual(b.ticks, [0, 10, 20, 30, 40]);
  assert.deepEqual(niceAxis(0, 0).ticks, [0, 0.5, 1]);
});

test('points sit at their scaled coordinates, the frontier is drawn through its points, labels are escaped', () => {
  // Axes [0, 10] × [0, 10] on a 640 × 420 canvas with margins left 78, right 24, top 40, bottom 56.
  const svg = paretoSvg(
    [{ label: 'mle', x: 0, y: 10 }, { label: '<cond & co>', x: 10, y: 0 }, { label: 'worse', x: 10, y: 10 }],
    { xLabel: 'KL', yLabel: 'misalignment', title: 'T' },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<circle class="frontier-point" cx="78" cy="40"/);
  assert.match(svg, /<circle class="frontier-point" cx="616" cy="364"/);
  assert.match(svg, /<circle class="point" cx="616" cy="40"/);
  assert.match(svg, /<polyline class="frontier" points="78,40 616,364"/);
  assert.ok(svg.includes('&lt;cond &amp; co&gt;') && !svg.includes('<cond'));
  assert.equal(escapeXml('"a"<b>&'), '&quot;a&quot;&lt;b&gt;&amp;');
});

test('one frontier point draws no frontier line; a coordinate that is not finite is refused in one sentence', () => {
  const svg = paretoSvg([{ label: 'a', x: 1, y: 1 }, { label: 'b', x: 2, y: 2 }], { xLabel: 'x', yLabel: 'y' });
  assert.ok(!svg.includes('<polyline'));
  assert.throws(() => paretoSvg([{ label: 'bad', x: NaN, y: 1 }], { xLabel: 'x', yLabel: 'y' }), (e: unknown) => e instanceof PosteriorError && /point 'bad'/.test(e.message));
  assert.throws(() => paretoSvg([], { xLabel: 'x', yLabel: 'y' }), PosteriorError);
});
