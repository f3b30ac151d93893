// Corpus preparation: sources → clean documents → segments → deterministic splits →
// scores → train/validation/test JSON lines and a manifest (see corpus.ts for the
// format). The corpus is built in a hidden staging directory and renamed into place
// only when complete, so an interrupted run leaves no corpus that looks finished;
// staging left by a killed run is removed by the next one.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join, resolve } from 'node:path';
import { buildDirAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import { progress, type ProgressStream } from '../util/progress.js';
import { cleanDocuments, totalStats, type CleanDocument, type CleanOptions, type CleanStats } from './clean.js';
import { MANIFEST_FORMAT, summariseScores, type CorpusManifest } from './manifest.js';
import type { DocumentScorer } from './scoring.js';
import { segment, type Segmentation } from './segment.js';
import type { CorpusSource } from './source.js';
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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging directories of `outDir` left by runs that were killed. */
export function removeStaleStaging(outDir: string): void {
  const parent = dirname(outDir);
  if (!existsSync(parent)) return;
  const pattern = new RegExp(`^\\.${basename(outDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:tmp|old)-(\\d+)-[0-9a-f]+$`);
  for (const name of readdirSync(parent)) {
    const m = pattern.exec(name);
    if (m && !isRunning(Number(m[1]))) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

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

interface SplitWriter {
  stream: WriteStream;
  hash: ReturnType<typeof createHash>;
  documents: number;
  segments: number;
  characters: number;
  bytes: number;
}

async function writeLine(w: SplitWriter, line: string): Promise<void> {
  const buf = Buffer.from(`${line}\n`, 'utf8');
  w.hash.update(buf);
  w.bytes += buf.byteLength;
  if (!w.stream.write(buf)) await once(w.stream, 'drain');
}

function checkScore(v: number, scorer: string, id: string): number {
  if (!Number.isFinite(v) || v < 0) fail(`scorer ${scorer} gave document ${id} the score ${v}; misalignment scores must be finite and ≥ 0`);
  return v;
}

/** Prepares the corpus in `opts.outDir` (replacing any previous one) and returns its manifest. */
export async function prepareCorpus(opts: PrepareOptions): Promise<CorpusManifest> {
  if (!(opts.clean.minChars >= 1 && opts.clean.maxChars >= opts.clean.minChars)) {
    fail(`length limits must satisfy 1 ≤ min ≤ max characters, not min ${opts.clean.minChars} and max ${opts.clean.maxChars}`);
  }
  const outDir = resolve(opts.outDir);
  const fractions = opts.split ?? DEFAULT_SPLIT;
  removeStaleStaging(outDir);
  const perSource = new Map<string, CleanStats>();
  const docs = collect(opts, perSource);
  const total = totalStats(perSource);
  if (docs.length === 0) fail(emptyCorpusMessage(opts.task, total, opts.clean));

  const docScores = new Float64Array(docs.length);
  const segScores: number[] = [];
  let manifest: CorpusManifest | undefined;
  await buildDirAtomic(outDir, async (staging) => {
    const writers = Object.fromEntries(
      SPLITS.map((s) => [
        s,
        { stream: createWriteStream(join(staging, `${s}.jsonl`)), hash: createHash('sha256'), documents: 0, segments: 0, characters: 0, bytes: 0 },
      ]),
    ) as Record<SplitName, SplitWriter>;
    const bar = opts.progressStream === null ? undefined : progress(`${opts.task}: score`, { total: docs.length, unit: 'doc', stream: opts.progressStream ?? process.stderr });
    try {
      for (let start = 0; start < docs.length; ) {
        let end = start;
        let chars = 0;
        while (end < docs.length && end - start < GROUP_DOCS && (end === start || chars + docs[end]!.text.length <= GROUP_CHARS)) {
          chars += docs[end++]!.text.length;
        }
        const group = docs.slice(start, end).map((d) => ({ ...d, segments: segment(d.text, opts.segmentation) }));
        const scored = await opts.scorer.scoreDocuments(group);
        if (scored.length !== group.length) fail(`scorer ${opts.scorer.name} returned ${scored.length} results for ${group.length} documents`);
        for (let i = 0; i < group.length; i++) {
          const d = group[i]!;
          const r = scored[i]!;
          if (r.segmentScores.length !== d.segments.length) {
            fail(`scorer ${opts.scorer.name} returned ${r.segmentScores.length} segment scores for the ${d.segments.length} segments of ${d.id}`);
          }
          docScores[start + i] = checkScore(r.score, opts.scorer.name, d.id);
          const segments = d.segments.map((s, j) => ({ start: s.start, end: s.end, score: checkScore(r.segmentScores[j]!, opts.scorer.name, d.id) }));
          for (const s of segments) segScores.push(s.score);
          const w = writers[splitOf(d.id, fractions)];
          w.documents++;
          w.segments += segments.length;
          w.characters += d.text.length;
          await writeLine(w, JSON.stringify({ id: d.id, source: d.source, text: d.text, segments, score: docScores[start + i] }));
        }
        bar?.tick(group.length);
        start = end;
      }
    } finally {
      await Promise.all(Object.values(writers).map((w) => new Promise((done) => w.stream.end(done))));
    }
    bar?.done();
    manifest = {
      format: MANIFEST_FORMAT,
      task: opts.task,
      segmentation: opts.segmentation,
      scorer: { name: opts.scorer.name, ...opts.scorerInfo },
      sources: opts.sources.map((s) => ({ ...s.info, cleaning: perSource.get(s.info.name)! })),
      cleaning: { ...total, minChars: opts.clean.minChars, maxChars: opts.clean.maxChars },
      split: { ...fractions },
      files: Object.fromEntries(
        SPLITS.map((s) => {
          const w = writers[s];
          const entry = { file: `${s}.jsonl`, documents: w.documents, segments: w.segments, characters: w.characters, bytes: w.bytes };
          return [s, { ...entry, sha256: w.hash.digest('hex') }];
        }),
      ) as CorpusManifest['files'],
      scores: { documents: summariseScores(docScores), segments: summariseScores(Float64Array.from(segScores)) },
      tokens: null,
    };
    // The manifest goes last: a staging directory with one is complete.
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return manifest!;
}
