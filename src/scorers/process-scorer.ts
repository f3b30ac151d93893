// A scorer in any language, run as a long-lived child process speaking JSON lines on
// stdin/stdout: posterior writes {"texts": [...], "contexts": [...]} (contexts are ""
// when the caller gave none) and reads back {"scores": [...]}, one finite number per
// text. A process that dies, hangs past the timeout, or answers the wrong number of
// scores or something that is not a number is restarted and the batch retried once;
// then the error names the command.
import { basename } from 'node:path';
import { JsonLinesProcess, ProcessFailure } from './json-lines-process.js';
import type { Scorer } from './scorer.js';
import { checkBatch } from './validate.js';

export interface ProcessScorerOptions {
  command: string;
  args?: readonly string[];
  /** Default: the command's file name. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per batch; default 60 s. */
  timeoutMs?: number;
  /** Texts per request; default 64. */
  batchSize?: number;
}

export function processScorer(options: ProcessScorerOptions): Scorer {
  const { command, args = [], timeoutMs = 60_000, batchSize = 64 } = options;
  const name = options.name ?? basename(command);
  const commandLine = [command, ...args].join(' ');
  const worker = new JsonLinesProcess({ command, args, env: options.env, cwd: options.cwd, label: `scorer ${name} (${commandLine})` });
  return {
    name,
    score(texts, contexts) {
      return scoreInBatches(name, batchSize, texts, contexts, (batch, batchContexts, what) =>
        worker.call({ texts: batch, contexts: batchContexts }, timeoutMs, (answer) => parseScores(answer, batch.length), what));
    },
    async close() {
      worker.close();
    },
  };
}

/**
 * Scores texts `batchSize` at a time with one request per batch; the contexts of a
 * batch are "" when the caller gave none, and `what` names the batch for errors.
 */
export async function scoreInBatches(
  name: string, batchSize: number, texts: readonly string[], contexts: readonly string[] | undefined,
  scoreBatch: (batch: readonly string[], batchContexts: readonly string[], what: string) => Promise<Float64Array>,
): Promise<Float64Array> {
  checkBatch(name, texts, contexts);
  const scores = new Float64Array(texts.length);
  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = texts.slice(start, start + batchSize);
    const batchContexts = contexts?.slice(start, start + batchSize) ?? batch.map(() => '');
    scores.set(await scoreBatch(batch, batchContexts, `texts ${start}..${start + batch.length - 1}`), start);
  }
  return scores;
}

/** The scores in an answer {"scores": [finite numbers]} of `count` numbers, or what is wrong with it. */
export function readScores(answer: unknown, count: number): Float64Array | string {
  const scores = (answer as { scores?: unknown } | null)?.scores;
  if (!Array.isArray(scores)) return `it answered ${JSON.stringify(answer)?.slice(0, 120)} instead of {"scores": [...]}`;
  if (scores.length !== count) return `it answered ${scores.length} scores for ${count} texts`;
  const bad = scores.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s));
  if (bad >= 0) return `its score for text ${bad} is ${JSON.stringify(scores[bad])}, not a finite number`;
  return Float64Array.from(scores as number[]);
}

function parseScores(answer: unknown, count: number): Float64Array {
  const scores = readScores(answer, count);
  if (typeof scores === 'string') throw new ProcessFailure(scores);
  return scores;
}
