// The demo's KL reference is its own MLE model: a separate, stronger reference (as
// `posterior reference` trains) would cost another, longer training run that the time
// budget has no room for. So KL(mle ‖ model) measures how far feedback moved a model
// from the one trained on the same data, seed and steps without it; for the MLE model
// itself it is 0 by construction. The reference files go into the MLE run directory
// beside its model/ checkpoint, the layout loadReference reads.
import { join, resolve } from 'node:path';
import type { CorpusManifest } from '../data/manifest.js';
import {
  drawReferenceSamples, REFERENCE_FILE, REFERENCE_FORMAT, SAMPLES_FILE, type ReferenceManifest,
} from '../eval/reference-model.js';
import type { GPT } from '../lm/gpt.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { DemoConfig } from './config.js';
import { DEMO_TASK } from './corpus-cache.js';
import type { TrainedModel } from './train-model.js';

/** Samples the trained MLE model and writes it up as the task's reference in its run directory. */
export function useAsReference(mle: TrainedModel, model: GPT, tokenizer: Tokenizer, config: DemoConfig, corpus: { dir: string; manifest: CorpusManifest }, tokenizerPath: string): ReferenceManifest {
  const count = config.eval.referenceSamples;
  const samples = drawReferenceSamples(model, tokenizer, count, config.seed);
  writeFileAtomic(join(mle.runDir, SAMPLES_FILE), samples.map((s) => JSON.stringify({ tokens: Array.from(s.tokens), logProb: s.logProb, finished: s.finished })).join('\n') + '\n');
  const manifest: ReferenceManifest = {
    format: REFERENCE_FORMAT, task: DEMO_TASK,
    corpus: { dir: resolve(corpus.dir), train_sha256: corpus.manifest.files.train.sha256 },
    budget: mle.summary.tokens, seed: config.seed, model: { ...config.model, dropout: 0 }, tokenizer: resolve(tokenizerPath),
    steps: mle.summary.steps, val_loss: mle.summary.val_loss, samples: count,
    mean_sample_tokens: samples.reduce((n, s) => n + s.tokens.length, 0) / count,
  };
  writeFileAtomic(join(mle.runDir, REFERENCE_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
