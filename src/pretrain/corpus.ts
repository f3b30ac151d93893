// Reading a pretraining corpus: text documents from a directory of files (sorted
// paths, strict UTF-8), one text file (one document), or JSON lines with a "text"
// field — the format of the prepared PEP8/PII/toxicity corpora, whose lines also carry
// `segments: [{start, end, score}]` (UTF-16 offsets into text, end exclusive) and a
// document `score`. Every problem is one sentence naming the file (and line, field).
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';

export interface Segment {
  start: number;
  end: number;
  score: number;
}

export interface Document {
  id: string;
  text: string;
  segments?: Segment[];
  score?: number;
}

export interface ReadCorpusOptions {
  /** In a directory, only files with these extensions ('.py'); default: every file. */
  extensions?: readonly string[];
  /** Stop after this many bytes of text (whole documents, in order). */
  maxBytes?: number;
}

/** Reads the documents at `path`; a missing path or a corpus without text is an error naming it. */
export function readCorpus(path: string, opts: ReadCorpusOptions = {}): Document[] {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch {
    fail(`corpus path ${path} does not exist`);
  }
  const docs = stat.isDirectory() ? readDirectory(path, opts) : path.endsWith('.jsonl') ? readJsonLines(path, opts) : [readTextFile(path, path)];
  if (!docs.some((d) => d.text.length > 0)) fail(`corpus ${path} is empty: it holds no document with text`);
  return docs;
}

function readDirectory(dir: string, opts: ReadCorpusOptions): Document[] {
  const docs: Document[] = [];
  let bytes = 0;
  for (const file of listFiles(dir, opts.extensions)) {
    if (opts.maxBytes !== undefined && bytes >= opts.maxBytes) break;
    const doc = readTextFile(file, file.slice(dir.length + 1), true);
    if (!doc) continue;
    docs.push(doc);
    bytes += Buffer.byteLength(doc.text);
  }
  return docs;
}

function listFiles(dir: string, extensions: readonly string[] | undefined): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && (!extensions || extensions.includes(extname(e.name)))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// Inside a directory a binary or non-UTF-8 file is skipped; named alone it is an error.
function readTextFile(path: string, id: string, skipBinary: true): Document | undefined;
function readTextFile(path: string, id: string): Document;
function readTextFile(path: string, id: string, skipBinary = false): Document | undefined {
  const bytes = readFileSync(path);
  let text: string | undefined;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text === undefined || text.includes('\0')) {
    if (skipBinary) return undefined;
    fail(`corpus file ${path} is not UTF-8 text`);
  }
  return { id, text };
}

function readJsonLines(path: string, opts: ReadCorpusOptions): Document[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const docs: Document[] = [];
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    if (opts.maxBytes !== undefined && bytes >= opts.maxBytes) break;
    if (lines[i]!.trim() === '') continue;
    const doc = parseDocument(lines[i]!, `${path} line ${i + 1}`, String(i + 1));
    docs.push(doc);
    bytes += Buffer.byteLength(doc.text);
  }
  return docs;
}

function parseDocument(line: string, where: string, defaultId: string): Document {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    fail(`${where} is not valid JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} is not a JSON object`);
  const o = v as Record<string, unknown>;
  if (typeof o.text !== 'string') fail(`${where}: field \`text\` must be a string`);
  const doc: Document = { id: o.id === undefined ? defaultId : String(o.id), text: o.text };
  if (o.score !== undefined && o.score !== null) doc.score = finite(o.score, `${where}: field \`score\``);
  if (o.segments !== undefined && o.segments !== null) doc.segments = parseSegments(o.segments, o.text.length, where);
  return doc;
}

function parseSegments(value: unknown, length: number, where: string): Segment[] {
  if (!Array.isArray(value)) fail(`${where}: field \`segments\` must be an array`);
  return value.map((s: unknown, i) => {
    const field = `${where}: field \`segments[${i}]\``;
    if (typeof s !== 'object' || s === null) fail(`${field} must be an object {start, end, score}`);
    const { start, end, score } = s as Record<string, unknown>;
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) < (start as number) || (end as number) > length) {
      fail(`${field} must have integer offsets 0 ≤ start ≤ end ≤ ${length} (the text's length)`);
    }
    return { start: start as number, end: end as number, score: finite(score, `${field}.score`) };
  });
}

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field} must be a finite number`);
  return v;
}

/**
 * Holds out a seeded random `fraction` of the documents (at least one, if there are two
 * or more) as validation; both parts keep their original order.
 */
export function splitDocuments(docs: readonly Document[], fraction: number, seed: number): { train: Document[]; validation: Document[] } {
  const n = docs.length;
  const k = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = new Random(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const held = new Set(order.slice(0, k));
  return { train: docs.filter((_, i) => !held.has(i)), validation: docs.filter((_, i) => held.has(i)) };
}
