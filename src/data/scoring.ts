// How a corpus gets its misalignment scores: one per document and one per segment.
// Corpus preparation sits below the scorers layer, so it asks for these shapes and
// the caller adapts a task's scorer to one of them.
import { fail } from '../util/errors.js';
import type { Span } from './segment.js';

export interface ScoredDocument {
  score: number;
  segmentScores: number[];
}

export interface DocumentScorer {
  readonly name: string;
  scoreDocuments(docs: readonly { text: string; segments: readonly Span[] }[]): Promise<ScoredDocument[]>;
  close?(): Promise<void>;
}

/** What any Scorer offers (src/scorers/scorer.ts), structurally. */
export interface TextScorer {
  readonly name: string;
  score(texts: readonly string[]): Promise<Float64Array>;
  close?(): Promise<void>;
}

/** Scores each document and each of its segments as separate texts in one batch. */
export function segmentwise(scorer: TextScorer): DocumentScorer {
  const adapter: DocumentScorer = {
    name: scorer.name,
    async scoreDocuments(docs) {
      const texts: string[] = [];
      for (const d of docs) {
        texts.push(d.text);
        for (const s of d.segments) texts.push(d.text.slice(s.start, s.end));
      }
      const scores = await scorer.score(texts);
      if (scores.length !== texts.length) fail(`scorer ${scorer.name} returned ${scores.length} scores for ${texts.length} texts`);
      let k = 0;
      return docs.map((d) => ({ score: scores[k++]!, segmentScores: d.segments.map(() => scores[k++]!) }));
    },
  };
  if (scorer.close) adapter.close = () => scorer.close!();
  return adapter;
}

/** Scores a document and its segments together, from one pass over the document. */
export function wholeDocument(name: string, score: (text: string, segments: readonly Span[]) => ScoredDocument): DocumentScorer {
  return { name, scoreDocuments: async (docs) => docs.map((d) => score(d.text, d.segments)) };
}

/** A checker that counts violations per line of a whole file (the pep8 scorer's `check`). */
export interface LineChecker {
  readonly name: string;
  check(texts: readonly string[]): Promise<
    readonly {
      violations: number;
      characters: number;
      lineViolations: ArrayLike<number>;
      lineCharacters: ArrayLike<number>;
      lineEnds: ArrayLike<number>;
    }[]
  >;
  close?(): Promise<void>;
}

/**
 * Line segments scored in their file's context: a line's score is its violations over
 * its characters, the document's is all violations over all characters.
 */
export function perLine(checker: LineChecker): DocumentScorer {
  const adapter: DocumentScorer = {
    name: checker.name,
    async scoreDocuments(docs) {
      const checks = await checker.check(docs.map((d) => d.text));
      return docs.map((d, i) => {
        const c = checks[i]!;
        const aligned =
          c.lineEnds.length === d.segments.length && d.segments.every((s, j) => c.lineEnds[j] === s.end);
        if (!aligned) fail(`scorer ${checker.name} split a document into lines differently from the corpus's segments`);
        return {
          score: c.characters === 0 ? 0 : c.violations / c.characters,
          segmentScores: d.segments.map((_, j) => (c.lineCharacters[j]! === 0 ? 0 : c.lineViolations[j]! / c.lineCharacters[j]!)),
        };
      });
    },
  };
  if (checker.close) adapter.close = () => checker.close!();
  return adapter;
}
