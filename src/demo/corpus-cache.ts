// The demo's slice of the PEP8 corpus, prepared once and reused: a cached corpus is
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
import { SPLITS } from '../data/split.js';
import { taskSources, TASK_DEFAULTS } from '../data/tasks.js';
import type { Pep8Scorer } from '../scorers/pep8.js';
import { PosteriorError } from '../util/errors.js';
import type { ProgressStream } from '../util/progress.js';

export const DEMO_TASK = 'pep8';

export interface DemoCorpusOptions {
  /** Where cached corpora live; this one goes to `<cacheDir>/pep8-<maxPerSource>`. */
  cacheDir: string;
  /** Where Debian packages are unpacked (as for `posterior data prepare`). */
  sourcesDir: string;
  maxPerSource: number;
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
  const dir = join(opts.cacheDir, `${DEMO_TASK}-${opts.maxPerSource}`);
  const sources = opts.sources ?? await taskSources(DEMO_TASK, { cacheDir: opts.sourcesDir });
  const scorerInfo = await opts.scorer.versions();
  const { segmentation, clean } = TASK_DEFAULTS[DEMO_TASK];
  const cached = await validCache(dir, sources, scorerInfo, clean);
  if (cached) return { dir, manifest: cached, reused: true };
  const manifest = await prepareCorpus({
    task: DEMO_TASK, outDir: dir, sources, segmentation, clean, scorer: perLine(opts.scorer), scorerInfo,
    maxPerSource: opts.maxPerSource, ...(opts.stream && { progressStream: opts.stream }),
  });
  return { dir, manifest, reused: false };
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
