import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianPackage } from '../../src/data/debian.js';
import { PosteriorError } from '../../src/util/errors.js';

// Stand-ins for apt-get and dpkg-deb on PATH: apt-get cannot find any package until
// `apt-get update` has run (empty package lists on a fresh machine), and every call
// is logged.
function fakeTools(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  writeFileSync(
    join(bin, 'apt-get'),
    `#!/bin/sh
echo "apt-get $*" >> ${log}
if [ "$1" = update ]; then touch ${dir}/lists; exit 0; fi
if [ ! -e ${dir}/lists ] || [ "$2" = no-such-package ]; then echo "E: Unable to locate package $2" >&2; exit 100; fi
echo deb > "$2_1.0-1_all.deb"
`,
  );
  writeFileSync(
    join(bin, 'dpkg-deb'),
    `#!/bin/sh
echo "dpkg-deb $*" >> ${log}
if [ "$1" = -f ]; then echo 1.0-1; exit 0; fi
mkdir -p "$3/usr/share/doc" && echo hello > "$3/usr/share/doc/README"
`,
  );
  for (const tool of ['apt-get', 'dpkg-deb']) chmodSync(join(bin, tool), 0o755);
  return log;
}

test('a package is downloaded once (after one apt-get update), unpacked, cached and versioned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-debian-'));
  const log = fakeTools(dir);
  const path = process.env['PATH'];
  process.env['PATH'] = `${join(dir, 'bin')}:${path}`;
  try {
    const cache = join(dir, 'cache');
    const pkg = await debianPackage('fortunes-min', cache);
    assert.deepEqual(pkg, { name: 'fortunes-min', version: '1.0-1', root: join(cache, 'debian', 'fortunes-min', 'root') });
    assert.equal(readFileSync(join(pkg.root, 'usr/share/doc/README'), 'utf8'), 'hello\n');
    assert.deepEqual(readdirSync(join(cache, 'debian')), ['fortunes-min']);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' ')), [
      'apt-get download', 'apt-get update', 'apt-get download', 'dpkg-deb -f', 'dpkg-deb -x',
    ]);
    assert.deepEqual(await debianPackage('fortunes-min', cache), pkg);
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 5, 'the second call uses the cache');
    await assert.rejects(
      debianPackage('no-such-package', cache),
      (e: Error) => e instanceof PosteriorError && e.message === 'cannot download Debian package no-such-package: Unable to locate package no-such-package',
    );
    assert.equal(existsSync(join(cache, 'debian', 'no-such-package')), false);
    assert.deepEqual(readdirSync(join(cache, 'debian')), ['fortunes-min']);
    await assert.rejects(debianPackage('../etc', cache), /not a Debian package name/);
  } finally {
    process.env['PATH'] = path;
  }
});
