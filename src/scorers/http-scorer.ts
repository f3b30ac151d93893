// A scorer behind an HTTP endpoint (a classifier served anywhere): POST
// {"texts": [...], "contexts": [...]} as JSON (contexts are "" when the caller gave
// none) and read back {"scores": [...]}, one finite number per text. Timeouts,
// connection errors, 5xx and 429 are retried with exponential backoff; any other
// status, a body that is not that JSON, or the wrong number of scores is an error
// naming the URL at once, since asking again would get the same answer.
import { setTimeout as sleep } from 'node:timers/promises';
import { fail } from '../util/errors.js';
import { readScores, scoreInBatches } from './process-scorer.js';
import type { Scorer } from './scorer.js';

export interface HttpScorerOptions {
  url: string;
  /** Default: the URL's host. */
  name?: string;
  headers?: Record<string, string>;
  /** Per attempt, until the whole answer has arrived; default 30 s. */
  timeoutMs?: number;
  /** Attempts after the first; default 3. */
  retries?: number;
  /** Wait before the first retry, doubled for each next one; default 250 ms. */
  backoffMs?: number;
  /** Texts per request; default 64. */
  batchSize?: number;
}

/** A failure worth another attempt. */
class Transient extends Error {}

export function httpScorer(options: HttpScorerOptions): Scorer {
  const { url, headers = {}, timeoutMs = 30_000, retries = 3, backoffMs = 250, batchSize = 64 } = options;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(`the HTTP scorer URL ${JSON.stringify(url)} is not a valid URL`);
  }
  const name = options.name ?? parsed.host;
  const label = `HTTP scorer ${name} at ${url}`;

  const post = async (texts: readonly string[], contexts: readonly string[]): Promise<Float64Array> => {
    let response: Response;
    let body: string;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ texts, contexts }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = await response.text();
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new Transient(timedOut ? `no answer within ${timeoutMs} ms` : `could not connect: ${describe(err)}`);
    }
    if (response.status >= 500 || response.status === 429) throw new Transient(`it answered HTTP ${response.status}`);
    if (!response.ok) fail(`${label} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
    let answer: unknown;
    try {
      answer = JSON.parse(body);
    } catch {
      fail(`${label} answered a body that is not JSON: ${JSON.stringify(body.slice(0, 80))}`);
    }
    const scores = readScores(answer, texts.length);
    if (typeof scores === 'string') fail(`${label}: ${scores}`);
    return scores;
  };

  const postWithRetries = async (texts: readonly string[], contexts: readonly string[], what: string): Promise<Float64Array> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await post(texts, contexts);
      } catch (err) {
        if (!(err instanceof Transient)) throw err;
        if (attempt >= retries) fail(`${label} failed ${attempt + 1} times on ${what}; the last time ${err.message}`);
        await sleep(backoffMs * 2 ** attempt);
      }
    }
  };

  return {
    name,
    score(texts, contexts) {
      return scoreInBatches(name, batchSize, texts, contexts, postWithRetries);
    },
  };
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
