// Debian packages as corpus sources, without installing them: `apt-get download` fetches
// the .deb and `dpkg-deb -x` unpacks it into a cache directory. An unpacked package is
// staged and renamed into place whole, so an interrupted fetch is simply redone.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildDirAtomic, writeFileAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import { removeStaleStaging } from './staging.js';

const run = promisify(execFile);

export interface DebianPackage {
  name: string;
  version: string;
  /** The unpacked file system tree (usr/..., etc/...). */
  root: string;
}

interface Failure {
  code?: string | number;
  stderr?: string;
}

function lastLine(e: unknown): string {
  const f = e as Failure;
  if (f.code === 'ENOENT') return 'the command is not installed (is this a Debian system?)';
  const lines = String(f.stderr ?? e).trim().split('\n');
  return lines[lines.length - 1]!.replace(/^E: /, '');
}

let listsUpdated = false;

// A fresh container has empty package lists; `apt-get update` fills them once.
async function download(name: string, dir: string): Promise<void> {
  try {
    await run('apt-get', ['download', name], { cwd: dir, maxBuffer: 16 << 20 });
    return;
  } catch (e) {
    if (listsUpdated || (e as Failure).code === 'ENOENT') fail(`cannot download Debian package ${name}: ${lastLine(e)}`);
  }
  try {
    await run('apt-get', ['update'], { maxBuffer: 16 << 20 });
    listsUpdated = true;
    await run('apt-get', ['download', name], { cwd: dir, maxBuffer: 16 << 20 });
  } catch (e) {
    fail(`cannot download Debian package ${name}: ${lastLine(e)}`);
  }
}

/** The package unpacked under `cacheDir/debian/<name>`, fetched when missing. */
export async function debianPackage(name: string, cacheDir: string): Promise<DebianPackage> {
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) fail(`'${name}' is not a Debian package name`);
  const dir = join(cacheDir, 'debian', name);
  const marker = join(dir, 'package.json');
  if (existsSync(marker)) {
    const { version } = JSON.parse(readFileSync(marker, 'utf8')) as { version: string };
    return { name, version, root: join(dir, 'root') };
  }
  removeStaleStaging(dir);
  let version = '';
  await buildDirAtomic(dir, async (staging) => {
    const debs = join(staging, 'deb');
    mkdirSync(debs);
    await download(name, debs);
    const deb = readdirSync(debs).find((f) => f.endsWith('.deb'));
    if (!deb) fail(`apt-get download ${name} produced no .deb file`);
    try {
      version = (await run('dpkg-deb', ['-f', join(debs, deb), 'Version'])).stdout.trim();
      await run('dpkg-deb', ['-x', join(debs, deb), join(staging, 'root')], { maxBuffer: 16 << 20 });
    } catch (e) {
      fail(`cannot unpack Debian package ${name}: ${lastLine(e)}`);
    }
    rmSync(debs, { recursive: true, force: true });
    writeFileAtomic(join(staging, 'package.json'), `${JSON.stringify({ name, version, file: deb })}\n`);
  });
  return { name, version, root: join(dir, 'root') };
}

/** The version of an installed Debian package, or 'unknown' off Debian. */
export async function installedVersion(name: string): Promise<string> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Version}', name]);
    return stdout.trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}
