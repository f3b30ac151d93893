// User-facing failures: bad input (config, corpus, checkpoint, flag, scorer output).
// The CLI prints `message` alone — one sentence naming the file or field — and exits
// non-zero; anything else that escapes is a bug and keeps its stack trace.
export class PosteriorError extends Error {
  override readonly name = 'PosteriorError';
}

export function fail(message: string): never {
  throw new PosteriorError(message);
}
