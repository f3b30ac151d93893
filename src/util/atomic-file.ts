// Atomic writes: a reader sees the old file (or none) or the complete new one, never a
// prefix. The data goes to a temp file in the same directory (rename is only atomic
// within one file system), is fsynced, renamed over the target, and the directory is
// fsynced so the rename itself survives a power cut. Directories (checkpoints) are
// staged the same way as a whole, so a crash never leaves a half-written checkpoint
// under the final name.
import {
  closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { fail, PosteriorError } from './errors.js';

/** File contents: text (written as UTF-8), bytes, or a list of byte chunks written in order. */
export type FileData = string | Uint8Array | readonly Uint8Array[];

/** Atomically replaces (or creates) `path` with `data`. The parent directory must exist or be creatable. */
export function writeFileAtomic(path: string, data: FileData): void {
  const dir = dirname(path);
  ensureDir(dir, path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw ioError(e, path);
  }
  fsyncDir(dir);
}

/**
 * Atomically replaces (or creates) directory `dir` with exactly `files` (names relative to
 * `dir`; `a/b.txt` creates a sub-directory). Nothing under `dir` is visible until all files
 * are on disk.
 */
export function writeDirAtomic(dir: string, files: Readonly<Record<string, FileData>>): void {
  stageDir(dir, (tmp) => {
    for (const [name, data] of Object.entries(files)) {
      const target = join(tmp, checkRelative(name, dir));
      mkdirSync(dirname(target), { recursive: true });
      writeAndSync(target, data);
    }
  });
}

/**
 * Like writeDirAtomic, for writers that produce files themselves: `fill` writes into the
 * staging directory it is given; every file it leaves there is fsynced before the staging
 * directory replaces `dir`. If `fill` throws, `dir` is untouched.
 */
export async function buildDirAtomic(dir: string, fill: (stagingDir: string) => void | Promise<void>): Promise<void> {
  const tmp = makeStagingDir(dir);
  try {
    await fill(tmp);
    syncTree(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  swapIn(tmp, dir);
}

function stageDir(dir: string, fill: (stagingDir: string) => void): void {
  const tmp = makeStagingDir(dir);
  try {
    fill(tmp);
    syncTree(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw ioError(e, dir);
  }
  swapIn(tmp, dir);
}

// Staging directories are hidden siblings whose names say what they are, so a crash
// leaves litter that nothing mistakes for the checkpoint itself.
function makeStagingDir(dir: string): string {
  const parent = dirname(dir);
  ensureDir(parent, dir);
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(tmp);
  } catch (e) {
    throw ioError(e, dir);
  }
  return tmp;
}

// POSIX cannot rename a directory over a non-empty one, so the old directory is moved
// aside first; between the two renames `dir` is briefly absent, never partial.
function swapIn(tmp: string, dir: string): void {
  const parent = dirname(dir);
  let old: string | undefined;
  try {
    if (existsSync(dir)) {
      if (!lstatSync(dir).isDirectory()) fail(`cannot write directory ${dir}: a file of that name exists`);
      old = join(parent, `.${basename(dir)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
      renameSync(dir, old);
    }
    renameSync(tmp, dir);
  } catch (e) {
    if (old !== undefined && !existsSync(dir)) renameSync(old, dir);
    rmSync(tmp, { recursive: true, force: true });
    throw ioError(e, dir);
  }
  fsyncDir(parent);
  if (old !== undefined) rmSync(old, { recursive: true, force: true });
}

function writeAndSync(path: string, data: FileData): void {
  const fd = openSync(path, 'w', 0o644);
  try {
    const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) writeFully(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFully(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
}

function syncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) syncTree(p);
    else if (entry.isFile()) fsyncPath(p);
  }
  fsyncDir(dir);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// Some platforms (Windows) and file systems refuse to fsync a directory; the rename is
// then as durable as the OS makes it, which is the best available.
function fsyncDir(dir: string): void {
  try {
    fsyncPath(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw e;
  }
}

function ensureDir(dir: string, target: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError(e, target);
  }
}

function checkRelative(name: string, dir: string): string {
  const n = normalize(name);
  if (name === '' || isAbsolute(name) || n === '..' || n.startsWith(`..${sep}`)) {
    throw new Error(`file name ${JSON.stringify(name)} would escape directory ${dir}`);
  }
  return n;
}

// Disk full, permission denied, read-only file system: the user's path is the cause,
// so they get a sentence naming it rather than a stack trace.
function ioError(e: unknown, path: string): Error {
  if (e instanceof PosteriorError) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string' && typeof err.syscall === 'string') {
    const reason = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    return new PosteriorError(`cannot write ${path}: ${reason}`);
  }
  return e instanceof Error ? e : new Error(String(e));
}
