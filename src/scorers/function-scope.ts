// Scoring the function a continuation completes. Prompted with a signature (and its
// docstring), an LM writes the body and then, unless stopped, goes on with the rest
// of a module; a feature of "the completed function" (it compiles, pycodestyle finds
// nothing in it) must see the signature and the body only.
import type { Scorer } from './scorer.js';
import { checkBatch } from './validate.js';

/**
 * The function body in a continuation of a signature prompt: its lines up to the first
 * non-blank line at the top level. A continuation cut by the token limit loses its
 * last, unfinished line, which the limit and not the model broke.
 */
export function functionBody(continuation: string, finished: boolean): string {
  const lines = continuation.split('\n');
  const top = lines.findIndex((l) => l.trim() !== '' && !/^[ \t]/.test(l));
  if (top >= 0) return lines.slice(0, top).join('\n');
  return (finished ? lines : lines.slice(0, -1)).join('\n');
}

/**
 * A 0/1 feature of the function that context + text completes: `inner` sees the body
 * as a file would end it (no trailing blank lines, one final newline). A scorer sees
 * text, not whether it ended with EOS, so a last line without its newline counts as
 * cut. An empty body — the model went straight back to the top level — scores 0: the
 * function is the prompt's, not the model's.
 */
export function functionScoped(inner: Scorer): Scorer {
  return {
    name: `${inner.name} (function)`,
    async score(texts, contexts) {
      checkBatch(inner.name, texts, contexts);
      const bodies = texts.map((t) => functionBody(t, t.endsWith('\n')).replace(/\s+$/, ''));
      const kept = bodies.flatMap((b, i) => (b.trim() === '' ? [] : [i]));
      const out = new Float64Array(texts.length);
      if (kept.length === 0) return out;
      const scores = await inner.score(kept.map((i) => `${bodies[i]}\n`), contexts && kept.map((i) => contexts[i]!));
      kept.forEach((i, j) => (out[i] = scores[j]!));
      return out;
    },
    ...(inner.close && { close: inner.close.bind(inner) }),
  };
}
