// The pep8 misalignment score: PEP 8 violations per character, counted by the real
// pycodestyle (python/pep8_worker.py) in a pool of long-lived Python workers fed in
// batches — one process per snippet would spend ~50 ms starting Python each time.
//
// Definitions:
// - violations: what the `pycodestyle` command reports on a file holding the text
//   (its default options and ignore list E121,E123,E126,E226,E24,E704,W503,W504, as
//   the thesis used; no user or project configuration files).
// - characters: Unicode code points of the text (Python's len). An empty text scores 0.
// - lines: split at \n, \r\n or \r as Python reads a file; each keeps its line break.
//   A line's score is its violations over its characters, checked in its file's
//   context, so line scores weighted by length average to the text's score.
//   Violations pycodestyle places past the last line (E901 at end of file) count on
//   the last line.
// - with a context (a prompt such as a function signature), context + text is
//   checked as one file and only the lines holding text characters count.
// - compiles: Python's compile(context + text, ..., 'exec') succeeds.
//
// The interpreter is <repo>/.venv/bin/python (pycodestyle 2.15), or $POSTERIOR_PYTHON.
// pycodestyle is quadratic in the tokens of one logical line (a 1 MB line of code
// takes about 35 s), so a batch's timeout grows with its size.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fail } from '../util/errors.js';
import { JsonLinesProcess, ProcessFailure } from './json-lines-process.js';
import type { Scorer } from './scorer.js';
import { checkBatch } from './validate.js';

export interface Pep8Options {
  /** Python with pycodestyle; default $POSTERIOR_PYTHON, else <repo>/.venv/bin/python. */
  python?: string;
  /** Worker processes; default min(2, cores). */
  workers?: number;
  /** Timeout of a batch before its size is added (100 ms per 1,000 characters); default 30 s. */
  timeoutMs?: number;
  /** Texts per batch; default 64. */
  batchSize?: number;
  /** Characters per batch (a longer text goes alone); default 200,000. */
  batchChars?: number;
}

export interface Pep8Check {
  violations: number;
  characters: number;
  /** Per line of the text (see the header for what a line is). */
  lineViolations: Int32Array;
  lineCharacters: Int32Array;
  /** Where each line ends in the text (a string index, after its line break). */
  lineEnds: Int32Array;
}

interface WorkerResult {
  violations: number;
  lines: [number, number][];
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const workerScript = `${repoRoot}python/pep8_worker.py`;
const msPerChar = 0.1;

export class Pep8Scorer implements Scorer {
  readonly name = 'pep8';
  private readonly workers: JsonLinesProcess[];
  private readonly timeoutMs: number;
  private readonly batchSize: number;
  private readonly batchChars: number;

  constructor(options: Pep8Options = {}) {
    const python = options.python ?? process.env['POSTERIOR_PYTHON'] ?? `${repoRoot}.venv/bin/python`;
    if (python.includes('/') && !existsSync(python)) {
      fail(`pep8 needs a Python with pycodestyle, but ${python} does not exist; run 'npm run setup' or set POSTERIOR_PYTHON`);
    }
    const count = options.workers ?? Math.min(2, availableParallelism());
    if (!Number.isInteger(count) || count < 1) fail(`pep8 workers must be a positive integer, not ${count}`);
    this.workers = Array.from(
      { length: count },
      (_, i) => new JsonLinesProcess({ command: python, args: [workerScript], label: `pep8 worker ${i + 1} (${python} ${workerScript})` }),
    );
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.batchSize = options.batchSize ?? 64;
    this.batchChars = options.batchChars ?? 200_000;
  }

  async score(texts: readonly string[], contexts?: readonly string[]): Promise<Float64Array> {
    return Float64Array.from(await this.check(texts, { contexts }), pep8Score);
  }

  /** Whether context + text compiles, for each text; pycodestyle does not run, so its crashes cannot stop this. */
  async compiles(texts: readonly string[], contexts?: readonly string[]): Promise<boolean[]> {
    checkBatch(this.name, texts, contexts);
    const files = contexts ? texts.map((t, i) => contexts[i]! + t) : texts;
    return this.run(files, { compile: true }, parseCompiles);
  }

  /** Violations / characters of each line of `text`, checked as a whole file. */
  async lineScores(text: string, context?: string): Promise<Float64Array> {
    const [check] = await this.check([text], { contexts: context === undefined ? undefined : [context] });
    return Float64Array.from(check!.lineViolations, (v, i) => v / check!.lineCharacters[i]!);
  }

  async check(texts: readonly string[], opts: { contexts?: readonly string[] } = {}): Promise<Pep8Check[]> {
    const { contexts } = opts;
    checkBatch(this.name, texts, contexts);
    const files = contexts ? texts.map((t, i) => contexts[i]! + t) : texts;
    const answers = await this.run(files, {}, parseResults);
    return answers.map((answer, i) => toCheck(files[i]!, contexts ? contexts[i]!.length : 0, answer));
  }

  /** The versions a corpus manifest records. */
  async versions(): Promise<{ python: string; pycodestyle: string }> {
    return this.workers[0]!.call({ info: true }, this.timeoutMs, parseVersions, 'a version query');
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.close();
  }

  /** Sends `files` in batches, with `request`'s fields, across the workers; `parse` checks each answer. */
  private async run<R>(files: readonly string[], request: Record<string, boolean>, parse: (answer: unknown, count: number, offset: number) => R[]): Promise<R[]> {
    const batches = makeBatches(files, this.batchSize, this.batchChars);
    const results: R[] = new Array(files.length);
    let next = 0;
    let failed = false;
    const serve = async (worker: JsonLinesProcess): Promise<void> => {
      while (!failed && next < batches.length) {
        const { start, end, chars } = batches[next++]!;
        const texts = files.slice(start, end);
        const what = `texts ${start}..${end - 1}`;
        try {
          const answers = await worker.call({ texts, ...request }, this.timeoutMs + chars * msPerChar, (answer) => parse(answer, texts.length, start), what);
          answers.forEach((a, i) => (results[start + i] = a));
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    await Promise.all(this.workers.map(serve));
    return results;
  }
}

/** Violations per character; 0 for an empty text. */
export function pep8Score(check: Pep8Check): number {
  return check.characters === 0 ? 0 : check.violations / check.characters;
}

export function createPep8Scorer(options?: Pep8Options): Pep8Scorer {
  return new Pep8Scorer(options);
}

interface Batch {
  start: number;
  end: number;
  chars: number;
}

function makeBatches(files: readonly string[], size: number, maxChars: number): Batch[] {
  const batches: Batch[] = [];
  let start = 0;
  let chars = 0;
  files.forEach((f, i) => {
    if (i > start && (i - start >= size || chars + f.length > maxChars)) {
      batches.push({ start, end: i, chars });
      start = i;
      chars = 0;
    }
    chars += f.length;
  });
  if (files.length > start) batches.push({ start, end: files.length, chars });
  return batches;
}

function parseResults(answer: unknown, count: number, offset: number): WorkerResult[] {
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== count) {
    throw new ProcessFailure(`it answered ${JSON.stringify(answer).slice(0, 120)} instead of ${count} results`);
  }
  return results.map((r: unknown, i) => {
    const error = (r as { error?: unknown } | null)?.error;
    if (typeof error === 'string') fail(`pycodestyle crashed on text ${offset + i}: ${error}`);
    if (!isWorkerResult(r)) throw new ProcessFailure(`it answered a malformed result ${JSON.stringify(r).slice(0, 120)}`);
    return r;
  });
}

function parseCompiles(answer: unknown, count: number): boolean[] {
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== count || !results.every((r) => typeof r === 'boolean')) {
    throw new ProcessFailure(`it answered ${JSON.stringify(answer).slice(0, 120)} instead of ${count} compile results`);
  }
  return results as boolean[];
}

function isWorkerResult(r: unknown): r is WorkerResult {
  const o = r as Partial<WorkerResult> | null;
  const count = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;
  return (
    typeof o === 'object' &&
    o !== null &&
    count(o.violations) &&
    Array.isArray(o.lines) &&
    o.lines.every((p) => Array.isArray(p) && p.length === 2 && count(p[0]) && count(p[1])) &&
    o.lines.reduce((sum, p) => sum + (p[1] as number), 0) === o.violations
  );
}

function parseVersions(answer: unknown): { python: string; pycodestyle: string } {
  const o = answer as { python?: unknown; pycodestyle?: unknown } | null;
  if (typeof o?.python !== 'string' || typeof o.pycodestyle !== 'string') {
    throw new ProcessFailure(`it answered ${JSON.stringify(answer).slice(0, 120)} to a version query`);
  }
  return { python: o.python, pycodestyle: o.pycodestyle };
}

/** Maps the worker's per-line counts of `file` onto the lines holding its text part. */
function toCheck(file: string, textStart: number, result: WorkerResult): Pep8Check {
  const ends = lineEnds(file);
  const perLine = new Int32Array(ends.length);
  for (const [line, n] of result.lines) {
    if (ends.length > 0) perLine[Math.min(Math.max(line, 1), ends.length) - 1]! += n;
  }
  let first = 0;
  while (first < ends.length && ends[first]! <= textStart) first++;
  const lineViolations = perLine.slice(first);
  const lineCharacters = new Int32Array(ends.length - first);
  const textLineEnds = Int32Array.from(ends.slice(first), (end) => end - textStart);
  let violations = 0;
  for (let i = first; i < ends.length; i++) {
    const begin = Math.max(textStart, i === 0 ? 0 : ends[i - 1]!);
    lineCharacters[i - first] = codePoints(file, begin, ends[i]!);
    violations += perLine[i]!;
  }
  const characters = codePoints(file, textStart, file.length);
  return { violations, characters, lineViolations, lineCharacters, lineEnds: textLineEnds };
}

/** End offsets (after the line break) of each line, split as Python reads a file. */
export function lineEnds(text: string): number[] {
  const ends: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) ends.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      ends.push(i + 1);
    }
  }
  if (ends.length === 0 ? text.length > 0 : ends[ends.length - 1]! < text.length) ends.push(text.length);
  return ends;
}

function codePoints(text: string, begin: number, end: number): number {
  let n = end - begin;
  for (let i = begin; i < end - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
