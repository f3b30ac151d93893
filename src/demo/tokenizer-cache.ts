// The demo's byte-level BPE, trained once on the corpus's training split and reused:
// its file name holds the vocabulary size and the training split's sha256, so a
// cached tokenizer is only found for the very text it was trained on. Both models of
// the demo (and the KL reference) share it, so their log-probabilities compare.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCorpus } from '../data/corpus.js';
import type { CorpusManifest } from '../data/manifest.js';
import { Tokenizer } from '../lm/tokenizer.js';
import { trainTokenizer } from '../pretrain/data.js';
import { PosteriorError } from '../util/errors.js';
import type { ProgressStream } from '../util/progress.js';

export interface DemoTokenizer {
  path: string;
  vocabSize: number;
  reused: boolean;
}

export async function demoTokenizer(corpusDir: string, manifest: CorpusManifest, vocabSize: number, cacheDir: string, stream?: ProgressStream): Promise<DemoTokenizer> {
  const path = join(cacheDir, `tokenizer-${vocabSize}-${manifest.files.train.sha256.slice(0, 16)}.json`);
  if (existsSync(path)) {
    try {
      return { path, vocabSize: Tokenizer.load(path).vocabSize, reused: true };
    } catch (e) {
      if (!(e instanceof PosteriorError)) throw e;
    }
  }
  const docs = await loadCorpus(corpusDir, 'train');
  const tokenizer = trainTokenizer(docs, vocabSize, Infinity, stream);
  tokenizer.save(path);
  return { path, vocabSize: tokenizer.vocabSize, reused: false };
}
