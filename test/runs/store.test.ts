import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultStorePath, openStore, sha256File } from '../../src/runs/store.js';
import { PosteriorError } from '../../src/util/errors.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'posterior-store-'));
}

test('runs, metrics and artifacts round-trip through a store file that survives reopening', () => {
  const dir = scratch();
  const path = join(dir, 'nested', 'runs.sqlite');
  const store = openStore(path);
  const a = store.startRun({ kind: 'tune', name: 'dpg-amazing', config: { lr: 1.41e-5, nested: { k: [1, 2] } }, dir: '/out/a' });
  const b = store.startRun({ kind: 'eval', name: 'kl' });
  a.log(0, { kl_target_policy: 2.5, 'objective/kl': 0.125 }, 1000);
  a.log(1, { kl_target_policy: 2.25, 'objective/kl': 0.25, z: 0.5 }, 1001.5);
  b.log(0, { score: -1 });
  a.finish();
  b.finish('failed');
  store.close();

  const again = openStore(path);
  const runs = again.listRuns();
  assert.deepEqual(runs.map((r) => [r.id, r.kind, r.name, r.status, r.dir]),
    [[a.id, 'tune', 'dpg-amazing', 'finished', '/out/a'], [b.id, 'eval', 'kl', 'failed', null]]);
  assert.deepEqual(runs[0]!.config, { lr: 1.41e-5, nested: { k: [1, 2] } });
  assert.deepEqual(runs[1]!.config, {});
  assert.ok(runs[0]!.createdAt <= runs[0]!.updatedAt);
  assert.deepEqual(again.listRuns({ kind: 'eval' }).map((r) => r.id), [b.id]);
  assert.deepEqual(again.listRuns({ status: 'finished' }).map((r) => r.id), [a.id]);
  assert.deepEqual(again.metrics(a.id, 'kl_target_policy'), [
    { step: 0, name: 'kl_target_policy', value: 2.5, time: 1000 },
    { step: 1, name: 'kl_target_policy', value: 2.25, time: 1001.5 },
  ]);
  assert.deepEqual(again.metrics(a.id).map((m) => `${m.step}:${m.name}`),
    ['0:kl_target_policy', '0:objective/kl', '1:kl_target_policy', '1:objective/kl', '1:z']);
  assert.deepEqual(again.metricNames(a.id), ['kl_target_policy', 'objective/kl', 'z']);
  assert.equal(again.getRun(999), undefined);
  again.close();
  rmSync(dir, { recursive: true });
});

test('non-finite values are stored as null, and a step is logged all or nothing', () => {
  const store = openStore(':memory:');
  const run = store.startRun({ kind: 'pretrain', name: 'x' });
  run.log(3, { a: NaN, b: Infinity, c: -Infinity, d: null, e: 1.5 });
  assert.deepEqual(store.metrics(run.id).map((m) => m.value), [null, null, null, null, 1.5]);
  // an unbindable value fails the whole step: `ok` of that step must not be stored
  const bad = { ok: 7, broken: 'high' as unknown as number };
  assert.throws(() => run.log(4, bad), /metric `broken` is a string, not a number/);
  assert.deepEqual(store.metrics(run.id, 'ok'), []);
  assert.throws(() => run.log(-1, { a: 1 }), /non-negative integer/);
  store.close();
});

test('artifacts record the file hash; resuming sets the run running again', () => {
  const dir = scratch();
  const store = openStore(join(dir, 's.sqlite'));
  const run = store.startRun({ kind: 'pretrain', name: 'p' });
  const file = join(dir, 'abc.txt');
  writeFileSync(file, 'abc');
  // SHA-256("abc") from FIPS 180-2, appendix B.1
  const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  assert.equal(run.artifact('report', file), abc);
  assert.equal(sha256File(file), abc);
  writeFileSync(file, '');
  run.artifact('checkpoint', file); // same path again: replaced, not duplicated
  assert.deepEqual(store.artifacts(run.id).map((x) => [x.kind, x.sha256]),
    [['checkpoint', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']]);
  assert.throws(() => run.artifact('x', join(dir, 'missing')), /cannot read artifact .*missing: no such file/);
  run.finish('interrupted');
  assert.equal(store.getRun(run.id)!.status, 'interrupted');
  const resumed = store.resumeRun(run.id);
  assert.equal(resumed.id, run.id);
  assert.equal(store.getRun(run.id)!.status, 'running');
  assert.throws(() => store.resumeRun(42), (e: unknown) => e instanceof PosteriorError && /has no run 42/.test(e.message));
  store.close();
  rmSync(dir, { recursive: true });
});

test('the store is in WAL mode and a second connection reads while a run writes', () => {
  const dir = scratch();
  const path = join(dir, 's.sqlite');
  const writer = openStore(path);
  const run = writer.startRun({ kind: 'tune', name: 'w' });
  run.log(0, { loss: 1 });
  assert.ok(existsSync(`${path}-wal`));
  const raw = new Database(path, { readonly: true });
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.close();
  const reader = openStore(path);
  run.log(1, { loss: 0.5 });
  assert.deepEqual(reader.metrics(run.id, 'loss').map((m) => m.value), [1, 0.5]);
  reader.close();
  writer.close();
  rmSync(dir, { recursive: true });
});

test('logging is fast: one transaction per step', () => {
  const dir = scratch();
  const store = openStore(join(dir, 's.sqlite'));
  const run = store.startRun({ kind: 'tune', name: 'speed' });
  const names = Array.from({ length: 10 }, (_, i) => `metric/${i}`);
  const start = performance.now();
  for (let step = 0; step < 2000; step++) run.log(step, Object.fromEntries(names.map((n, i) => [n, step * i])));
  const ms = performance.now() - start;
  assert.equal(store.metrics(run.id).length, 20000);
  assert.ok(ms < 4000, `2000 steps × 10 metrics took ${ms.toFixed(0)} ms`);
  store.close();
  rmSync(dir, { recursive: true });
});

test('a corrupt, foreign or newer store file gets one sentence naming it', () => {
  const dir = scratch();
  const garbage = join(dir, 'garbage.sqlite');
  writeFileSync(garbage, 'this is not a database '.repeat(20));
  assert.throws(() => openStore(garbage), (e: unknown) => {
    assert.ok(e instanceof PosteriorError);
    assert.equal(e.message, `run store ${garbage} is not a readable SQLite database (file is not a database); move it aside or choose another store file`);
    return true;
  });

  // a real store whose pages were overwritten: detected when the damage is read
  const damaged = join(dir, 'damaged.sqlite');
  const s = openStore(damaged);
  const run = s.startRun({ kind: 'tune', name: 'x' });
  for (let i = 0; i < 3000; i++) run.log(i, { a: i, b: 2 * i, c: Math.sqrt(i) });
  s.close();
  const bytes = readFileSync(damaged);
  for (let i = 8192; i < bytes.length; i += 4096) bytes.fill(0x5a, i + 100, i + 2000);
  writeFileSync(damaged, bytes);
  assert.throws(() => openStore(damaged).metrics(1), (e: unknown) =>
    e instanceof PosteriorError && e.message.startsWith(`run store ${damaged} is not a readable SQLite database (`));

  const newer = join(dir, 'newer.sqlite');
  const db = new Database(newer);
  db.pragma('user_version = 99');
  db.close();
  assert.throws(() => openStore(newer), /run store .*newer\.sqlite was written by a newer posterior \(schema 99/);
  assert.throws(() => openStore(dir), (e: unknown) => e instanceof PosteriorError && e.message.startsWith(`cannot use run store ${dir}: `));
  rmSync(dir, { recursive: true });
});

test('the default store lives in runs/ under the working directory', () => {
  assert.equal(defaultStorePath('/work/x'), join('/work/x', 'runs', 'posterior.sqlite'));
  assert.equal(defaultStorePath(), join(process.cwd(), 'runs', 'posterior.sqlite'));
});
