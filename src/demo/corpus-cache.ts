// The demo's slice of the PEP8 corpus, prepared once and reused. The slice is a
// hash-chosen share of each source's files, spread over the whole source: the first
// files in path order would be a few packages (a quarter of the standard library's
// first 300 files are generated codec tables under encodings/). A cached corpus is
// taken only if it was prepared from the same sources (names and versions), by the
// same pycodestyle, with the same limits, and every file still matches its manifest's
// checksum; otherwise it is prepared again (atomically, replacing the stale one).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { iterateCorpus, readManifest } from '../data/corpus.js';
import type { CorpusManifest } from '../data/manifest.js';
import { prepareCorpus } from '../data/prepare.js';
import { perLine } from '../data/scoring.js';
import type { CorpusSource } from '../data/source.js';
import { idHashUnit, SPLITS } from '../data/split.js';
import { taskSources, TASK_DEFAULTS } from '../data/tasks.js';
import type { Pep8Scorer } from '../scorers/pep8.js';
import { fail, PosteriorError } from '../util/errors.js';
import type { ProgressStream } from '../util/progress.js';

export const DEMO_TASK = 'pep8';

export interface DemoCorpusOptions {
  /** Where cached corpora live; this one goes to `<cacheDir>/pep8-<fraction>`. */
  cacheDir: string;
  /** Where Debian packages are unpacked (as for `posterior data prepare`). */
  sourcesDir: string;
  /** Share of each source's files to keep, in (0, 1]. */
  fraction: number;
  /** The pycodestyle pool that scores the lines (and tells its versions). */
  scorer: Pep8Scorer;
  /** Default: the task's own sources (the Python standard library and Django). */
  sources?: readonly CorpusSource[];
  stream?: ProgressStream;
}

export interface DemoCorpus {
  dir: string;
  manifest: CorpusManifest;
  reused: boolean;
}

export async function demoCorpus(opts: DemoCorpusOptions): Promise<DemoCorpus> {
  if (!(opts.fraction > 0 && opts.fraction <= 1)) fail(`the share of the corpus to keep must be in (0, 1], got ${opts.fraction}`);
  const dir = join(opts.cacheDir, `${DEMO_TASK}-${opts.fraction}`);
  const all = opts.sources ?? await taskSources(DEMO_TASK, { cacheDir: opts.sourcesDir });
  const sources = all.map((s) => sampledSource(s, opts.fraction));
  const scorerInfo = await opts.scorer.versions();
  const { segmentation, clean } = TASK_DEFAULTS[DEMO_TASK];
  const cached = await validCache(dir, sources, scorerInfo, clean);
  if (cached) return { dir, manifest: cached, reused: true };
  const manifest = await prepareCorpus({
    task: DEMO_TASK, outDir: dir, sources, segmentation, clean, scorer: perLine(opts.scorer), scorerInfo,
    ...(opts.stream && { progressStream: opts.stream }),
  });
  return { dir, manifest, reused: false };
}

/**
 * The files of `source` whose path hashes below `fraction`: the same files on every
 * machine, whatever else the source holds. The hash is salted so that the choice is
 * independent of the train/validation/test split, which hashes document ids too.
 */
export function sampledSource(source: CorpusSource, fraction: number): CorpusSource {
  if (fraction >= 1) return source;
  const name = source.info.name;
  return {
    ...source,
    files: function* () {
      for (const f of source.files()) if (idHashUnit(`demo-slice:${name}/${f.path}`) < fraction) yield f;
    },
  };
}

/** The cached corpus's manifest if it is what preparing now would give, else undefined. */
async function validCache(
  dir: string, sources: readonly CorpusSource[], scorerInfo: Readonly<Record<string, string>>, clean: { minChars: number; maxChars: number },
): Promise<CorpusManifest | undefined> {
  if (!existsSync(join(dir, 'manifest.json'))) return undefined;
  try {
    const m = readManifest(dir);
    const sameSources = m.sources.length === sources.length && m.sources.every((s, i) => s.name === sources[i]!.info.name && s.version === sources[i]!.info.version);
    const sameScorer = Object.entries(scorerInfo).every(([k, v]) => m.scorer[k] === v);
    const sameLimits = m.cleaning.minChars === clean.minChars && m.cleaning.maxChars === clean.maxChars;
    if (m.task !== DEMO_TASK || !sameSources || !sameScorer || !sameLimits) return undefined;
    // Reading every split checks each file's size, document count and sha256.
    for (const split of SPLITS) for await (const _ of iterateCorpus(dir, split, m));
    return m;
  } catch (e) {
    if (e instanceof PosteriorError) return undefined;
    throw e;
  }
}
