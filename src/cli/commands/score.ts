// `posterior score`: the misalignment score of files or of JSON-lines records, by one
// of the three tasks' scorers, whole or per segment (lines of code, sentences of text).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pep8Score, Pep8Scorer } from '../../scorers/pep8.js';
import type { Scorer } from '../../scorers/scorer.js';
import { createTaskScorer, isTask, tasks } from '../../scorers/task-scorer.js';
import { fail } from '../../util/errors.js';

export const summary = 'score files or JSON-lines texts for pep8, pii or toxicity (lower is better)';

const USAGE = `usage: posterior score --task <${tasks.join('|')}> [FILE... | -] [--segments] [--json]

  FILE        a text file, scored as one text (UTF-8)
  -           JSON lines on stdin, one {"text": "...", "context": "..."} per line
              (context optional); the default when no FILE is given
  --segments  also score each segment: lines for pep8 (each checked in its file),
              sentences for pii and toxicity
  --json      print one JSON object per text: {"source", "score", "segments"?}
otherwise prints "score<TAB>source" per text, or "score<TAB>source:N<TAB>segment" per segment`;

interface Item {
  source: string;
  text: string;
  context?: string;
}

interface Segment {
  text: string;
  score: number;
}

const batchSize = 256;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        task: { type: 'string' },
        segments: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const task = values.task;
  if (task === undefined) fail(`--task is required; give one of ${tasks.join(', ')}`);
  if (!isTask(task)) fail(`--task must be one of ${tasks.join(', ')}, not '${task}'`);
  const sources = positionals.length > 0 ? positionals : ['-'];
  if (sources.filter((s) => s === '-').length > 1) fail(`'-' (stdin) may be given once`);
  sources.filter((s) => s !== '-').forEach(readText); // bad files fail before any scoring

  const scorer = await createTaskScorer(task);
  try {
    const print = (items: Item[]): Promise<void> => printScores(scorer, items, values.segments, values.json);
    for (const source of sources) {
      if (source === '-') await forEachBatch(readJsonLines(), print);
      else await print([{ source, text: readText(source) }]);
    }
  } finally {
    await scorer.close?.();
  }
  return 0;
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    const first = (e as Error).message.split(/\.(?:\s|$)/)[0];
    return fail(`${first}; run 'posterior score --help' for the options`);
  }
}

function readText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return fail(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (bytes.includes(0)) fail(`${path} looks binary (it contains NUL bytes); posterior score reads text files`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail(`${path} is not valid UTF-8 text`);
  }
}

async function* readJsonLines(): AsyncGenerator<Item> {
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      fail(`stdin line ${n} is not JSON; give one {"text": "..."} per line`);
    }
    const { text, context } = (record ?? {}) as { text?: unknown; context?: unknown };
    if (typeof text !== 'string') fail(`stdin line ${n} has no "text" string`);
    if (context !== undefined && typeof context !== 'string') fail(`stdin line ${n}: "context" must be a string`);
    yield context === undefined ? { source: `-:${n}`, text } : { source: `-:${n}`, text, context };
  }
}

async function forEachBatch(items: AsyncIterable<Item>, handle: (batch: Item[]) => Promise<void>): Promise<void> {
  let batch: Item[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === batchSize) {
      await handle(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await handle(batch);
}

async function printScores(scorer: Scorer, items: Item[], segments: boolean, json: boolean): Promise<void> {
  const results = await scoreItems(scorer, items, segments);
  const lines = items.map(({ source }, i) => {
    const { score, segments: segs } = results[i]!;
    if (json) return JSON.stringify(segs ? { source, score, segments: segs } : { source, score });
    if (!segs) return `${format(score)}\t${source}\n`;
    return segs.map((s, j) => `${format(s.score)}\t${source}:${j + 1}\t${preview(s.text)}\n`).join('');
  });
  process.stdout.write(lines.map((l) => (json ? l + '\n' : l)).join(''));
}

/** pep8 segments: each line checked in its file; text tasks: each sentence scored alone. */
async function scoreItems(scorer: Scorer, items: Item[], segments: boolean): Promise<{ score: number; segments?: Segment[] }[]> {
  const texts = items.map((i) => i.text);
  const contexts = items.some((i) => i.context !== undefined) ? items.map((i) => i.context ?? '') : undefined;
  if (segments && scorer instanceof Pep8Scorer) {
    const checks = await scorer.check(texts, { contexts });
    return checks.map((c, i) => ({
      score: pep8Score(c),
      segments: Array.from(c.lineEnds, (end, j) => ({
        text: texts[i]!.slice(j === 0 ? 0 : c.lineEnds[j - 1]!, end),
        score: c.lineViolations[j]! / c.lineCharacters[j]!,
      })),
    }));
  }
  const scores = await scorer.score(texts, contexts);
  if (!segments) return Array.from(scores, (score) => ({ score }));
  const sentences = texts.map(splitSentences);
  const sentenceScores = await scorer.score(sentences.flat());
  let k = 0;
  return sentences.map((list, i) => ({ score: scores[i]!, segments: list.map((text) => ({ text, score: sentenceScores[k++]! })) }));
}

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

function splitSentences(text: string): string[] {
  return Array.from(sentenceSegmenter.segment(text), (s) => s.segment);
}

function format(score: number): string {
  return String(Number(score.toPrecision(6)));
}

function preview(segment: string): string {
  const trimmed = segment.replace(/[\r\n]+$/, '');
  return JSON.stringify(trimmed.length > 70 ? `${trimmed.slice(0, 70)}…` : trimmed);
}
