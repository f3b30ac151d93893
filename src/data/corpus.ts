// Reading a prepared corpus: <dir>/manifest.json plus one JSON-lines file per split,
// one document per line:
//   {"id": "...", "source": "...", "text": "...", "segments": [{"start","end","score"}], "score": 0.01}
// Segment offsets are string indices (UTF-16 code units) and cover the text exactly.
// Everything is checked as it is read: the manifest against its schema, each line
// against the document shape, and each file against the manifest's size, count and
// sha256, so a truncated or edited corpus is refused with a sentence naming the file.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { fail } from '../util/errors.js';
import { manifestSchema, type CorpusManifest } from './manifest.js';
import { SPLITS, type SplitName } from './split.js';

export interface CorpusSegment {
  start: number;
  end: number;
  score: number;
}

export interface CorpusDocument {
  id: string;
  source: string;
  text: string;
  segments: CorpusSegment[];
  score: number;
}

export function readManifest(dir: string): CorpusManifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) fail(`${dir} is not a prepared corpus: it has no manifest.json (run 'posterior data prepare')`);
  return readManifestFile(path, manifestSchema, 'corpus');
}

/** Reads a JSON manifest and checks it against its schema, naming the first bad field. */
export function readManifestFile<S extends z.ZodType>(path: string, schema: S, kind: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    fail(`${path} is not valid JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`${path} is not a ${kind} manifest: field '${issue.path.join('.')}' ${issue.message.toLowerCase()}`);
  }
  return parsed.data;
}

function isSplit(name: string): name is SplitName {
  return (SPLITS as readonly string[]).includes(name);
}

/** Checks one parsed line; returns a reason it is not a document, or undefined. */
function invalidDocument(d: unknown): string | undefined {
  const doc = d as Partial<CorpusDocument> | null;
  if (typeof doc !== 'object' || doc === null) return 'it is not an object';
  if (typeof doc.id !== 'string' || typeof doc.source !== 'string' || typeof doc.text !== 'string') {
    return 'id, source and text must be strings';
  }
  if (typeof doc.score !== 'number' || !(doc.score >= 0)) return 'score must be a number ≥ 0';
  if (!Array.isArray(doc.segments)) return 'segments must be an array';
  let at = 0;
  for (const s of doc.segments as unknown[]) {
    const seg = s as Partial<CorpusSegment> | null;
    if (seg?.start !== at || !Number.isInteger(seg.end) || seg.end! <= at || !(typeof seg.score === 'number' && seg.score >= 0)) {
      return `segments must be contiguous ranges from 0 with scores ≥ 0 (broken at offset ${at})`;
    }
    at = seg.end!;
  }
  return at === doc.text.length ? undefined : `segments end at ${at} but the text has ${doc.text.length} characters`;
}

/** Streams the documents of one split, checking them and the file's checksum. */
export async function* iterateCorpus(dir: string, split: string, manifest = readManifest(dir)): AsyncGenerator<CorpusDocument> {
  if (!isSplit(split)) fail(`unknown split '${split}'; the splits are ${SPLITS.join(', ')}`);
  const entry = manifest.files[split];
  const path = join(dir, entry.file);
  if (!existsSync(path)) fail(`corpus file ${path} is missing`);
  if (statSync(path).size !== entry.bytes) fail(`corpus file ${path} has ${statSync(path).size} bytes but the manifest says ${entry.bytes}`);
  const hash = createHash('sha256');
  const stream = createReadStream(path);
  stream.on('data', (chunk) => hash.update(chunk));
  let n = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    n++;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      fail(`${path} line ${n} is not valid JSON`);
    }
    const why = invalidDocument(doc);
    if (why !== undefined) fail(`${path} line ${n} is not a corpus document: ${why}`);
    yield doc as CorpusDocument;
  }
  if (n !== entry.documents) fail(`${path} has ${n} documents but the manifest says ${entry.documents}`);
  if (hash.digest('hex') !== entry.sha256) fail(`${path} does not match the sha256 checksum in its manifest`);
}

/** All documents of one split, in file order. */
export async function loadCorpus(dir: string, split: string): Promise<CorpusDocument[]> {
  const docs: CorpusDocument[] = [];
  for await (const d of iterateCorpus(dir, split)) docs.push(d);
  return docs;
}
