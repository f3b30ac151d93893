import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMetrics, readMetrics } from '../../src/runs/metrics.js';
import { openStore } from '../../src/runs/store.js';
import { PosteriorError } from '../../src/util/errors.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'posterior-metrics-'));
}

test('each step is one JSON line with step, time and the metrics under their own names', () => {
  const dir = join(scratch(), 'run-1');
  let t = 1000;
  const m = openMetrics(dir, { now: () => (t += 0.5) });
  m.log(0, { kl_target_policy: 1.25, 'objective/kl': 0.5 });
  m.log(1, { kl_target_policy: 1, z: 3e-7 });
  m.close();
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'),
    '{"step":0,"time":1000.5,"kl_target_policy":1.25,"objective/kl":0.5}\n' +
    '{"step":1,"time":1001,"kl_target_policy":1,"z":3e-7}\n');
  // a second writer on the same directory (a resumed run) appends
  const again = openMetrics(dir, { now: () => 2000 });
  again.log(2, { z: 1 });
  again.close();
  assert.deepEqual(readMetrics(join(dir, 'metrics.jsonl')).map((r) => r.step), [0, 1, 2]);
  rmSync(dir, { recursive: true });
});

test('non-finite values become null with a warning, and repeats are summed up at close', () => {
  const dir = scratch();
  const warnings: string[] = [];
  const m = openMetrics(dir, { warn: (w) => warnings.push(w), now: () => 1 });
  assert.deepEqual(m.log(5, { loss: NaN, ok: 2 }), { step: 5, time: 1, loss: null, ok: 2 });
  m.log(6, { loss: Infinity, grad_norm: -Infinity });
  m.log(7, { loss: 1 });
  m.close();
  assert.deepEqual(warnings, [
    'metric `loss` is NaN at step 5; recorded as null',
    'metric `grad_norm` is -Infinity at step 6; recorded as null',
    'metric `loss` was not finite at 2 steps (first at step 5); all were recorded as null',
  ]);
  const lines = readMetrics(join(dir, 'metrics.jsonl'));
  assert.deepEqual(lines.map((r) => [r.loss, 'grad_norm' in r ? r.grad_norm : 'absent']), [[null, 'absent'], [null, null], [1, 'absent']]);
  rmSync(dir, { recursive: true });
});

test('with a run handle every step also lands in the run store', () => {
  const dir = scratch();
  const store = openStore(':memory:');
  const run = store.startRun({ kind: 'tune', name: 'm', dir });
  const m = openMetrics(dir, { run, now: () => 42, warn: () => {} });
  m.log(0, { kl_target_policy: 0.25, 'objective/kl': NaN });
  m.log(1, { kl_target_policy: 0.125 });
  m.close();
  assert.deepEqual(store.metrics(run.id), [
    { step: 0, name: 'kl_target_policy', value: 0.25, time: 42 },
    { step: 0, name: 'objective/kl', value: null, time: 42 },
    { step: 1, name: 'kl_target_policy', value: 0.125, time: 42 },
  ]);
  store.close();
  rmSync(dir, { recursive: true });
});

test('reserved names and non-numbers are programming errors', () => {
  const dir = scratch();
  const m = openMetrics(dir);
  assert.throws(() => m.log(0, { step: 1 }), /`step` is reserved/);
  assert.throws(() => m.log(0, { loss: '1' as unknown as number }), /`loss` is a string/);
  assert.throws(() => m.log(1.5, { loss: 1 }), /non-negative integer/);
  m.close();
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), '');
  rmSync(dir, { recursive: true });
});

test('readMetrics ignores a cut-off last line but names a corrupt one', () => {
  const dir = scratch();
  const p = join(dir, 'metrics.jsonl');
  writeFileSync(p, '{"step":0,"time":1,"a":1}\n{"step":1,"time":2,"a":');
  assert.deepEqual(readMetrics(p), [{ step: 0, time: 1, a: 1 }]);
  appendFileSync(p, '\n{"step":2,"time":3}\n');
  assert.throws(() => readMetrics(p), (e: unknown) => e instanceof PosteriorError && e.message === `metrics file ${p} line 2 is not valid JSON`);
  writeFileSync(p, '{"step":"x","time":1}\n');
  assert.throws(() => readMetrics(p), /line 1 is not a metrics record/);
  assert.throws(() => readMetrics(join(dir, 'nope.jsonl')), /cannot read metrics file .*nope\.jsonl: no such file or directory/);
  writeFileSync(join(dir, 'file'), '');
  assert.throws(() => openMetrics(join(dir, 'file', 'run')), (e: unknown) => e instanceof PosteriorError && /cannot write metrics file .*file\/run\/metrics\.jsonl/.test(e.message));
  rmSync(dir, { recursive: true });
});
