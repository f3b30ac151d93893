// Capability on the task's held-out (test) documents (SPEC §9):
// - loss: mean token cross-entropy of the plain documents, packed as in training;
// - next-word accuracy (LAMBADA-style): from a document's text up to the last word of
//   one of its segments (a sentence, or a line of code), greedy decoding until a word
//   boundary must produce exactly that word;
// - for code, the share of generated functions that compile: a held-out `def` line and
//   its docstring, dedented, are the prompt; the body runs until the first line back at
//   the top level; Python's compile() of prompt + body decides, and an empty body fails.
// Generation from a conditional model starts after `<|good|>` with the control tokens
// banned, as all its sampling does; the loss is of the plain text.
import type { CorpusDocument } from '../data/corpus.js';
import { packDocuments } from '../data/packing.js';
import { validationLoss } from '../pretrain/trainer.js';
import { functionBody } from '../scorers/function-scope.js';
import type { EvalModel } from './eval-model.js';
import { EVAL_SAMPLING, sampleTexts, type SamplingSettings } from './sampling.js';

const LOSS_BATCH = 16;

/** Mean cross-entropy (nats per token) over the first `maxTokens` tokens of the documents. */
export function heldOutLoss(m: EvalModel, docs: readonly CorpusDocument[], maxTokens = 65_536): number {
  const blockSize = m.model.config.n_positions;
  // Only as many documents as the budget needs are tokenised.
  const tokenized: { ids: Int32Array }[] = [];
  for (let i = 0, n = 0; i < docs.length && n < maxTokens; i++) {
    const ids = m.tokenizer.encode(docs[i]!.text, { special: false });
    tokenized.push({ ids });
    n += ids.length + 1;
  }
  const packed = packDocuments(tokenized, { blockSize, eosId: m.eosId });
  return validationLoss(m.model, packed, LOSS_BATCH, Math.max(1, Math.ceil(maxTokens / (LOSS_BATCH * blockSize))));
}

export interface NextWordItem {
  /** The document up to the word, without the space before it (byte-level BPE joins that space to the word). */
  context: string;
  word: string;
}

const WORD = /[\p{L}\p{N}_]+(?:'[\p{L}\p{N}_]+)*/gu;
/** Words before the target inside its segment, so the segment gives some context. */
const MIN_WORDS_BEFORE = 3;

/**
 * Up to `max` items, at most `perDocument` from each document in order: segments whose
 * last word follows a space and at least three other words.
 */
export function nextWordItems(docs: readonly CorpusDocument[], max: number, perDocument = 2): NextWordItem[] {
  const items: NextWordItem[] = [];
  for (const d of docs) {
    let taken = 0;
    for (const seg of d.segments) {
      if (items.length >= max || taken >= perDocument) break;
      const words = [...d.text.slice(seg.start, seg.end).matchAll(WORD)];
      const last = words[words.length - 1];
      if (!last || words.length <= MIN_WORDS_BEFORE) continue;
      const at = seg.start + last.index;
      if (d.text[at - 1] !== ' ') continue;
      items.push({ context: d.text.slice(0, at - 1), word: last[0] });
      taken++;
    }
    if (items.length >= max) break;
  }
  return items;
}

/** The word a continuation starts with (after spaces or tabs), or '' if it starts with none. */
export function firstWord(text: string): string {
  const m = /^[ \t]*([\p{L}\p{N}_]+(?:'[\p{L}\p{N}_]+)*)/u.exec(text);
  return m ? m[1]! : '';
}

const GREEDY_WORD: SamplingSettings = { temperature: 0, topP: 1, minNewTokens: 0, maxNewTokens: 10 };

/** Share of items whose greedy continuation starts with exactly the held-out word. */
export function nextWordAccuracy(m: EvalModel, items: readonly NextWordItem[]): number {
  if (items.length === 0) return NaN;
  // The context's most recent tokens that fit beside the start prompt and the new tokens.
  const room = m.model.config.n_positions - m.prompt.length - GREEDY_WORD.maxNewTokens + 1;
  const prompts = items.map((it) => {
    const ids = m.tokenizer.encode(it.context, { special: false });
    return ids.length > room ? ids.slice(ids.length - room) : ids;
  });
  const out = sampleTexts(m, prompts, 1, GREEDY_WORD);
  let hits = 0;
  out.forEach((s, i) => {
    if (firstWord(s.text) === items[i]!.word) hits++;
  });
  return hits / items.length;
}

const DEF = /^([ \t]*)(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(.*\)[ \t]*(?:->[^:]*)?:[ \t]*$/;
const DOC_OPEN = /^[ \t]+[rRuU]?("""|''')/;
const MAX_DOCSTRING_LINES = 30;

/**
 * Up to `max` distinct prompts: a one-line `def` signature followed by its docstring,
 * dedented to the top level, ending where the docstring closes. Not with the newline:
 * byte-level BPE merges a line break with the indentation after it, so in training a
 * bare newline token is followed by a top-level line, and a prompt ending with one
 * asks the model to leave the function before writing its body.
 */
export function heldOutSignatures(docs: readonly CorpusDocument[], max: number): string[] {
  const out = new Set<string>();
  for (const d of docs) {
    const lines = d.text.split('\n');
    for (let i = 0; i + 1 < lines.length && out.size < max; i++) {
      const def = DEF.exec(lines[i]!);
      const open = def && DOC_OPEN.exec(lines[i + 1]!);
      if (!def || !open) continue;
      const indent = def[1]!, quote = open[1]!;
      const afterOpen = lines[i + 1]!.slice(open[0].length);
      let end = i + 1;
      if (!afterOpen.includes(quote)) {
        while (end + 1 < lines.length && end - i <= MAX_DOCSTRING_LINES && !lines[end + 1]!.includes(quote)) end++;
        end++;
        if (end >= lines.length || end - i > MAX_DOCSTRING_LINES) continue;
      }
      const snippet = lines.slice(i, end + 1);
      if (!snippet.every((l) => l.startsWith(indent) || l.trim() === '')) continue;
      out.add(snippet.map((l) => l.slice(Math.min(indent.length, l.length))).join('\n'));
      i = end;
    }
    if (out.size >= max) break;
  }
  return [...out];
}

/** What compile checking needs of the pep8 scorer. */
export interface CompileChecker {
  compiles(texts: readonly string[], contexts?: readonly string[]): Promise<boolean[]>;
}

/**
 * Share of bodies that compile. An empty body (the model went straight back to the top
 * level) leaves a docstring-only function, which compiles but was not written by the
 * model, so it counts as a failure.
 */
export function compiledShare(bodies: readonly string[], compiles: readonly boolean[]): number {
  return bodies.filter((b, i) => b.trim() !== '' && compiles[i] === true).length / bodies.length;
}

/** Share of sampled bodies that compile after their signature (LibTorch's RNG seeded by the caller). */
export async function compileRate(m: EvalModel, signatures: readonly string[], checker: CompileChecker): Promise<number> {
  const room = Math.floor(m.model.config.n_positions / 2);
  const prompts = signatures.map((s) => m.tokenizer.encode(s, { special: false }));
  const fits = signatures.filter((_, i) => prompts[i]!.length <= room);
  if (fits.length === 0) return NaN;
  const samples = sampleTexts(m, prompts.filter((p) => p.length <= room), 1, EVAL_SAMPLING);
  const bodies = samples.map((s) => functionBody(s.text, s.finished));
  return compiledShare(bodies, await checker.compiles(bodies, fits));
}
