// Where a corpus's raw files come from. A source lists files (bytes, in a fixed order,
// so that preparation is deterministic) and says how one decoded file splits into
// documents; the manifest records what it was and which version.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fail } from '../util/errors.js';

export interface SourceInfo {
  /** Short name, the first part of every document id from this source. */
  name: string;
  kind: 'directory' | 'debian' | 'npm' | 'memory';
  /** The Debian or npm package the files come from. */
  package?: string;
  version: string;
}

export interface RawFile {
  /** Path-like name, unique within its source. */
  path: string;
  bytes: Uint8Array;
}

export interface CorpusSource {
  info: SourceInfo;
  files(): Iterable<RawFile>;
  /** Splits one decoded, newline-normalised file into documents; default: the whole file. */
  extract?: (text: string) => string[];
}

export interface DirectoryFilter {
  /** File name endings to keep (".py"); default: every file. */
  extensions?: readonly string[];
  /** Relative paths (with "/") to skip, files or whole directories. */
  exclude?: (relativePath: string) => boolean;
  /** Turns the stored bytes into the file's content (e.g. gunzip). */
  decode?: (bytes: Uint8Array) => Uint8Array;
}

/**
 * Regular files under `root` in sorted path order. Symbolic links are skipped: Debian
 * packages link files to each other, and a link to a directory could loop.
 */
export function directoryFiles(root: string, filter: DirectoryFilter = {}): Iterable<RawFile> {
  if (!existsSync(root) || !statSync(root).isDirectory()) fail(`source directory ${root} does not exist`);
  const paths: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full).split(sep).join('/');
      if (filter.exclude?.(rel)) continue;
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && (!filter.extensions || filter.extensions.some((e) => name.endsWith(e)))) paths.push(rel);
    }
  };
  walk(root);
  paths.sort();
  // Files are read one at a time as the pipeline asks, not all up front.
  return (function* () {
    for (const path of paths) {
      const bytes = readFileSync(join(root, ...path.split('/')));
      yield { path, bytes: filter.decode ? filter.decode(bytes) : bytes };
    }
  })();
}

/** A source held in memory, for tests and for callers that already have their texts. */
export function memorySource(
  name: string,
  files: Readonly<Record<string, string | Uint8Array>>,
  extract?: (text: string) => string[],
): CorpusSource {
  const list = Object.keys(files)
    .sort()
    .map((path) => {
      const v = files[path]!;
      return { path, bytes: typeof v === 'string' ? new TextEncoder().encode(v) : v };
    });
  const source: CorpusSource = { info: { name, kind: 'memory', version: '0' }, files: () => list };
  if (extract) source.extract = extract;
  return source;
}
