// The data side of a pretraining run: read the corpora, get a tokenizer (load it or
// train one on the training documents), tokenise, let the objective rewrite the
// training documents, and pack both splits into blocks. Everything here is a
// deterministic function of the config, so a resumed run rebuilds the same blocks.
import { createHash } from 'node:crypto';
import { packDocuments, type PackedCorpus, type TokenizedDocument } from '../data/packing.js';
import { trainBpe } from '../lm/bpe-trainer.js';
import { Tokenizer } from '../lm/tokenizer.js';
import { fail } from '../util/errors.js';
import { progress, type ProgressStream } from '../util/progress.js';
import { readCorpus, splitDocuments, type Document } from './corpus.js';
import type { PretrainConfig } from './config.js';
import type { Objective } from './objective.js';
import { hasScores, tokenizeDocuments } from './tokenize-documents.js';

export const EOS = '<|endoftext|>';

export interface Corpora {
  train: Document[];
  validation: Document[];
}

export interface PackedData {
  train: PackedCorpus;
  validation: PackedCorpus;
  /** SHA-256 of the training stream: a resumed run must train on the same tokens. */
  trainHash: string;
}

export function readCorpora(c: PretrainConfig): Corpora {
  const opts = { extensions: c.data.extensions, maxBytes: c.data.max_bytes };
  const docs = readCorpus(c.data.train, opts);
  if (c.data.validation) return { train: docs, validation: readCorpus(c.data.validation, opts) };
  const split = splitDocuments(docs, c.data.validation_fraction, c.seed);
  if (split.validation.length === 0) fail(`corpus ${c.data.train} has a single document, so no validation split can be held out; give data.validation`);
  return split;
}

/** Trains a byte-level BPE on the training documents, `<|endoftext|>` as id 0. */
export function trainTokenizer(docs: readonly Document[], vocabSize: number, maxBytes = Infinity, stream?: ProgressStream): Tokenizer {
  const texts: string[] = [];
  let bytes = 0;
  for (const d of docs) {
    if (bytes >= maxBytes) break;
    texts.push(d.text);
    bytes += Buffer.byteLength(d.text);
  }
  const bar = progress('tokenizer', { total: vocabSize, unit: 'tok', stream });
  const tokenizer = trainBpe(texts, { vocabSize, specialTokens: [EOS], onProgress: (p) => p.phase === 'merging' && bar.update(p.done) });
  bar.done();
  return tokenizer;
}

/** The id of `<|endoftext|>`, added to the tokenizer if it lacks one. */
export function ensureEos(tokenizer: Tokenizer): number {
  return tokenizer.eosId ?? tokenizer.addSpecialTokens([EOS])[0]!;
}

export function packCorpora(corpora: Corpora, tokenizer: Tokenizer, objective: Objective, c: PretrainConfig, stream?: ProgressStream): PackedData {
  if (objective.needsScores && !hasScores(corpora.train)) {
    fail(`objective ${objective.name} needs per-token scores, but corpus ${c.data.train} has documents without \`segments\` or \`score\``);
  }
  const eosId = ensureEos(tokenizer);
  const pack = { blockSize: c.model.block_size, eosId };
  let train = tokenize(corpora.train, tokenizer, 'tokenize train', stream);
  if (objective.prepare) train = objective.prepare(corpora.train, train, { tokenizer, seed: c.seed });
  const packedTrain = packDocuments(train, pack);
  if (packedTrain.numBlocks === 0) fail(`corpus ${c.data.train} leaves no training tokens`);
  const validation = packDocuments(tokenize(corpora.validation, tokenizer, 'tokenize validation', stream), pack);
  if (validation.numBlocks === 0) fail(`the validation documents (${c.data.validation ?? c.data.train}) hold no tokens`);
  const trainHash = createHash('sha256').update(new Uint8Array(packedTrain.tokens.buffer)).digest('hex');
  return { train: packedTrain, validation, trainHash };
}

function tokenize(docs: readonly Document[], tokenizer: Tokenizer, label: string, stream?: ProgressStream): TokenizedDocument[] {
  const bar = progress(label, { total: docs.length, unit: 'doc', stream });
  const out = tokenizeDocuments(docs, tokenizer, (n) => bar.update(n));
  bar.done();
  return out;
}
