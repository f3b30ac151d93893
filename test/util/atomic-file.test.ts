import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDirAtomic, writeDirAtomic, writeFileAtomic } from '../../src/util/atomic-file.js';
import { PosteriorError } from '../../src/util/errors.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'posterior-atomic-'));
}

test('writeFileAtomic writes text, bytes and chunk lists, replaces the old file and leaves no temp file', () => {
  const dir = scratch();
  const p = join(dir, 'a.txt');
  writeFileAtomic(p, 'héllo');
  assert.equal(readFileSync(p, 'utf8'), 'héllo');
  writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
  writeFileAtomic(p, [new Uint8Array([9]), new Uint8Array(0), new Uint8Array([8, 7])]);
  assert.deepEqual([...readFileSync(p)], [9, 8, 7]);
  assert.deepEqual(readdirSync(dir), ['a.txt']);
  writeFileAtomic(join(dir, 'new', 'deep', 'b.txt'), 'x');
  assert.equal(readFileSync(join(dir, 'new', 'deep', 'b.txt'), 'utf8'), 'x');
  rmSync(dir, { recursive: true });
});

test('writeFileAtomic names the path in a PosteriorError when it cannot write', () => {
  const dir = scratch();
  writeFileSync(join(dir, 'blocker'), 'i am a file');
  assert.throws(() => writeFileAtomic(join(dir, 'blocker', 'x.txt'), 'x'), (e: unknown) => {
    assert.ok(e instanceof PosteriorError);
    assert.match(e.message, /^cannot write .*blocker\/x\.txt: /);
    return true;
  });
  mkdirSync(join(dir, 'adir'));
  assert.throws(() => writeFileAtomic(join(dir, 'adir'), 'x'), PosteriorError);
  assert.deepEqual(readdirSync(dir).sort(), ['adir', 'blocker']);
  rmSync(dir, { recursive: true });
});

// A concurrent reader in another process must only ever see a complete version. With a
// plain truncate-then-write, reads of a 4 MiB file regularly catch it half written.
test('a concurrent reader never sees a partial file', async () => {
  const dir = scratch();
  const p = join(dir, 'big.bin');
  const size = 4 << 20;
  const versions = [0x11, 0x22, 0x33].map((b) => new Uint8Array(size).fill(b));
  writeFileAtomic(p, versions[0]!);
  const reader = `
    const fs = require('node:fs');
    const end = Date.now() + 1500; let reads = 0, bad = 0;
    while (Date.now() < end) {
      const b = fs.readFileSync(${JSON.stringify(p)}); reads++;
      if (b.length !== ${size} || b[0] !== b[b.length - 1] || b[0] !== b[b.length >> 1]) bad++;
    }
    console.log(JSON.stringify({ reads, bad }));`;
  const child = spawn(process.execPath, ['-e', reader], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const finished = new Promise<void>((res) => child.on('close', () => res()));
  const end = Date.now() + 1200;
  for (let i = 1; Date.now() < end; i++) {
    writeFileAtomic(p, versions[i % 3]!);
    await new Promise((r) => setImmediate(r));
  }
  await finished;
  const { reads, bad } = JSON.parse(out) as { reads: number; bad: number };
  assert.ok(reads > 5, `reader managed only ${reads} reads`);
  assert.equal(bad, 0);
  rmSync(dir, { recursive: true });
});

test('writeDirAtomic replaces a whole directory, sub-directories included', () => {
  const root = scratch();
  const ckpt = join(root, 'ckpt');
  writeDirAtomic(ckpt, { 'config.json': '{"a":1}', 'old.bin': new Uint8Array([1]) });
  writeDirAtomic(ckpt, { 'config.json': '{"a":2}', 'sub/w.bin': [new Uint8Array([5, 6])] });
  assert.deepEqual(readdirSync(ckpt).sort(), ['config.json', 'sub']);
  assert.equal(readFileSync(join(ckpt, 'config.json'), 'utf8'), '{"a":2}');
  assert.deepEqual([...readFileSync(join(ckpt, 'sub', 'w.bin'))], [5, 6]);
  assert.deepEqual(readdirSync(root), ['ckpt']);
  assert.throws(() => writeDirAtomic(ckpt, { '../escape.txt': 'x' }), /would escape/);
  assert.equal(readFileSync(join(ckpt, 'config.json'), 'utf8'), '{"a":2}');
  assert.deepEqual(readdirSync(root), ['ckpt']);
  rmSync(root, { recursive: true });
});

test('buildDirAtomic leaves the old directory untouched when the writer fails', async () => {
  const root = scratch();
  const ckpt = join(root, 'ckpt');
  writeDirAtomic(ckpt, { 'model.bin': 'v1' });
  await assert.rejects(
    buildDirAtomic(ckpt, (tmp) => {
      writeFileSync(join(tmp, 'model.bin'), 'v2-partial');
      throw new Error('disk on fire');
    }),
    /disk on fire/,
  );
  assert.equal(readFileSync(join(ckpt, 'model.bin'), 'utf8'), 'v1');
  assert.deepEqual(readdirSync(root), ['ckpt']);
  await buildDirAtomic(ckpt, async (tmp) => {
    writeFileSync(join(tmp, 'model.bin'), 'v2');
  });
  assert.equal(readFileSync(join(ckpt, 'model.bin'), 'utf8'), 'v2');
  rmSync(root, { recursive: true });
});

test('a process killed while writing a checkpoint leaves no directory under the final name', () => {
  const root = scratch();
  const ckpt = join(root, 'ckpt');
  const mod = resolve('dist/src/util/atomic-file.js');
  const script = `
    import { buildDirAtomic } from ${JSON.stringify(mod)};
    import { writeFileSync } from 'node:fs';
    await buildDirAtomic(${JSON.stringify(ckpt)}, (tmp) => {
      writeFileSync(tmp + '/config.json', '{}');
      process.kill(process.pid, 'SIGKILL');
    });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
  assert.equal(r.signal, 'SIGKILL');
  const left = readdirSync(root);
  assert.ok(!left.includes('ckpt'), `found ${left.join(', ')}`);
  assert.ok(left.every((n) => n.startsWith('.ckpt.tmp-')));
  rmSync(root, { recursive: true });
});
