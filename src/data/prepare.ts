// Corpus preparation: sources → clean documents → segments → deterministic splits →
// scores → train/validation/test JSON lines and a manifest (see corpus.ts for the
// format). The corpus is built in a hidden staging directory and renamed into place
// only when complete, so an interrupted run leaves no corpus that looks finished;
// staging left by a killed run is removed by the next one.
import { createHash } from 'node:crypto';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { buildDirAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import { progress, type ProgressStream } from '../util/progress.js';
import { cleanDocuments, totalStats, type CleanDocument, type CleanOptions, type CleanStats } from './clean.js';
import { MANIFEST_FORMAT, summariseScores, type CorpusManifest } from './manifest.js';
import type { CorpusDocument } from './corpus.js';
import type { DocumentScorer } from './scoring.js';
import { segment, type Segmentation } from './segment.js';
import type { CorpusSource } from './source.js';
import { removeStaleStaging } from './staging.js';
import { DEFAULT_SPLIT, SPLITS, splitOf, type SplitFractions, type SplitName } from './split.js';

export interface PrepareOptions {
  task: string;
  outDir: string;
  sources: readonly CorpusSource[];
  segmentation: Segmentation;
  scorer: DocumentScorer;
  /** Versions and settings of the scorer, recorded in the manifest. */
  scorerInfo?: Readonly<Record<string, string>>;
  clean: CleanOptions;
  split?: SplitFractions;
  /** Keep at most this many documents from each source (a quick, smaller corpus). */
  maxPerSource?: number;
  /** Where progress goes (default stderr); null for none. */
  progressStream?: ProgressStream | null;
}

// Documents are scored in groups large enough to keep a pool of scoring workers busy.
const GROUP_DOCS = 512;
const GROUP_CHARS = 1_000_000;

function collect(opts: PrepareOptions, perSource: Map<string, CleanStats>): CleanDocument[] {
  const names = opts.sources.map((s) => s.info.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) fail(`two sources are both named '${dup}'; source names must be unique`);
  const bar = opts.progressStream === null ? undefined : progress(`${opts.task}: read`, { unit: 'doc', stream: opts.progressStream ?? process.stderr });
  const docs: CleanDocument[] = [];
  const cleanOptions = opts.maxPerSource === undefined ? opts.clean : { ...opts.clean, maxPerSource: opts.maxPerSource };
  for (const doc of cleanDocuments(opts.sources, cleanOptions, perSource)) {
    docs.push(doc);
    bar?.tick();
  }
  bar?.done();
  return docs;
}

function emptyCorpusMessage(task: string, total: CleanStats, clean: CleanOptions): string {
  return (
    `the ${task} corpus is empty after cleaning: of ${total.files} files, ${total.binary} were binary and ` +
    `${total.invalidUtf8} not valid UTF-8, and of ${total.candidates} documents ${total.tooShort} were shorter than ` +
    `${clean.minChars} and ${total.tooLong} longer than ${clean.maxChars} characters, ${total.duplicates} duplicates`
  );
}

// One JSON-lines file per split, hashed and counted as it is written.
class SplitFiles {
  private readonly files: Record<SplitName, { stream: WriteStream; hash: ReturnType<typeof createHash>; documents: number; segments: number; characters: number; bytes: number }>;

  constructor(dir: string) {
    this.files = Object.fromEntries(
      SPLITS.map((s) => [s, { stream: createWriteStream(join(dir, `${s}.jsonl`)), hash: createHash('sha256'), documents: 0, segments: 0, characters: 0, bytes: 0 }]),
    ) as SplitFiles['files'];
  }

  async write(split: SplitName, doc: CorpusDocument): Promise<void> {
    const f = this.files[split];
    const buf = Buffer.from(`${JSON.stringify(doc)}\n`, 'utf8');
    f.hash.update(buf);
    f.bytes += buf.byteLength;
    f.documents++;
    f.segments += doc.segments.length;
    f.characters += doc.text.length;
    if (!f.stream.write(buf)) await once(f.stream, 'drain');
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.files).map((f) => new Promise((done) => f.stream.end(done))));
  }

  entries(): CorpusManifest['files'] {
    return Object.fromEntries(
      SPLITS.map((s) => {
        const { documents, segments, characters, bytes, hash } = this.files[s];
        return [s, { file: `${s}.jsonl`, documents, segments, characters, bytes, sha256: hash.digest('hex') }];
      }),
    ) as CorpusManifest['files'];
  }
}

/** Consecutive ranges of documents, each at most GROUP_DOCS long and GROUP_CHARS large (or one document). */
function* groups(docs: readonly CleanDocument[]): Generator<[number, number]> {
  for (let start = 0; start < docs.length; ) {
    let end = start + 1;
    let chars = docs[start]!.text.length;
    while (end < docs.length && end - start < GROUP_DOCS && chars + docs[end]!.text.length <= GROUP_CHARS) {
      chars += docs[end++]!.text.length;
    }
    yield [start, end];
    start = end;
  }
}

function checkScore(v: number, scorer: string, id: string): number {
  if (!Number.isFinite(v) || v < 0) fail(`scorer ${scorer} gave document ${id} the score ${v}; misalignment scores must be finite and ≥ 0`);
  return v;
}

/** Segments and scores a group of documents, checking what the scorer returns. */
async function scoreGroup(group: readonly CleanDocument[], opts: PrepareOptions): Promise<CorpusDocument[]> {
  const name = opts.scorer.name;
  const segmented = group.map((d) => ({ ...d, segments: segment(d.text, opts.segmentation) }));
  const scored = await opts.scorer.scoreDocuments(segmented);
  if (scored.length !== group.length) fail(`scorer ${name} returned ${scored.length} results for ${group.length} documents`);
  return segmented.map((d, i) => {
    const r = scored[i]!;
    if (r.segmentScores.length !== d.segments.length) {
      fail(`scorer ${name} returned ${r.segmentScores.length} segment scores for the ${d.segments.length} segments of ${d.id}`);
    }
    const segments = d.segments.map((s, j) => ({ start: s.start, end: s.end, score: checkScore(r.segmentScores[j]!, name, d.id) }));
    return { id: d.id, source: d.source, text: d.text, segments, score: checkScore(r.score, name, d.id) };
  });
}

/** Prepares the corpus in `opts.outDir` (replacing any previous one) and returns its manifest. */
export async function prepareCorpus(opts: PrepareOptions): Promise<CorpusManifest> {
  const { clean } = opts;
  if (!(clean.minChars >= 1 && clean.maxChars >= clean.minChars)) {
    fail(`length limits must satisfy 1 ≤ min ≤ max characters, not min ${clean.minChars} and max ${clean.maxChars}`);
  }
  const outDir = resolve(opts.outDir);
  const fractions = opts.split ?? DEFAULT_SPLIT;
  removeStaleStaging(outDir);
  const perSource = new Map<string, CleanStats>();
  const docs = collect(opts, perSource);
  const total = totalStats(perSource);
  if (docs.length === 0) fail(emptyCorpusMessage(opts.task, total, clean));

  const docScores = new Float64Array(docs.length);
  const segScores: number[] = [];
  let manifest: CorpusManifest | undefined;
  await buildDirAtomic(outDir, async (staging) => {
    const files = new SplitFiles(staging);
    const bar = opts.progressStream === null ? undefined : progress(`${opts.task}: score`, { total: docs.length, unit: 'doc', stream: opts.progressStream ?? process.stderr });
    try {
      for (const [start, end] of groups(docs)) {
        const scored = await scoreGroup(docs.slice(start, end), opts);
        for (const [i, doc] of scored.entries()) {
          docScores[start + i] = doc.score;
          for (const s of doc.segments) segScores.push(s.score);
          await files.write(splitOf(doc.id, fractions), doc);
        }
        bar?.tick(scored.length);
      }
    } finally {
      await files.close();
    }
    bar?.done();
    manifest = {
      format: MANIFEST_FORMAT,
      task: opts.task,
      segmentation: opts.segmentation,
      scorer: { name: opts.scorer.name, ...opts.scorerInfo },
      sources: opts.sources.map((s) => ({ ...s.info, cleaning: perSource.get(s.info.name)! })),
      cleaning: { ...total, minChars: clean.minChars, maxChars: clean.maxChars },
      split: { ...fractions },
      files: files.entries(),
      scores: { documents: summariseScores(docScores), segments: summariseScores(Float64Array.from(segScores)) },
      tokens: null,
    };
    // The manifest goes last: a staging directory with one is complete.
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return manifest!;
}
