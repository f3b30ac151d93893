// Shared pieces of the PHF objective tests: a tiny tokenizer, a tiny GPT with fixed
// (seeded) weights, a batch with scores and padding, and the model's log-probs read
// out once so that tests compute expected losses by hand in JavaScript.
import { IGNORE } from '../../../src/data/packing.js';
import { tensor } from '../../../src/engine/create.js';
import { noGrad } from '../../../src/engine/autograd.js';
import { manualSeed } from '../../../src/engine/random.js';
import { tidy } from '../../../src/engine/scope.js';
import { trainBpe } from '../../../src/lm/bpe-trainer.js';
import { GPT } from '../../../src/lm/gpt.js';
import { gptConfig } from '../../../src/lm/gpt-config.js';
import type { Tokenizer } from '../../../src/lm/tokenizer.js';
import type { Document } from '../../../src/pretrain/corpus.js';
import type { TrainBatch } from '../../../src/pretrain/objective.js';

export const V = 13, B = 2, T = 5, C = 8;

export function tinyModel(seed = 7, vocab = V): GPT {
  manualSeed(seed);
  return new GPT(gptConfig({ vocab_size: vocab, n_positions: 16, n_embd: C, n_layer: 1, n_head: 2, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 })).initWeights();
}

/** Two rows of five targets; the second row's last two targets are padding. */
export const input = [1, 4, 2, 9, 3, 5, 5, 7, 0, 0];
export const target = [4, 2, 9, 3, 11, 5, 7, 0, IGNORE, IGNORE];
export const scores = [0, 0.2, 0.7, 0.2, 1, 0, 0.9, 0.3, 0, 0];

export function batch(): TrainBatch {
  return { input: tensor(input, [B, T], 'int64'), target: tensor(target, [B, T], 'int64'), scores: tensor(scores, [B, T], 'float32') };
}

/** log p(target) at every position (NaN under padding), in float64, from one forward pass. */
export function targetLogProbs(model: GPT): number[] {
  const logp = noGrad(() => tidy(() => model.forward(tensor(input, [B, T], 'int64')).logSoftmax(-1).toFloat32Array()));
  return target.map((y, i) => (y === IGNORE ? NaN : logp[i * V + y]!));
}

/** Final hidden states [B·T][C] as numbers. */
export function hiddenStates(model: GPT): number[][] {
  const h = noGrad(() => tidy(() => model.hidden(tensor(input, [B, T], 'int64')).toFloat32Array()));
  return Array.from({ length: B * T }, (_, i) => Array.from(h.subarray(i * C, (i + 1) * C)));
}

/** Mean of f over the real (non-padding) positions. */
export function realMean(f: (i: number) => number): number {
  const real = target.flatMap((y, i) => (y === IGNORE ? [] : [i]));
  return real.reduce((s, i) => s + f(i), 0) / real.length;
}

/** Two documents whose segment scores span [0, 1]. */
export const scoredDocs: Document[] = [
  { id: 'a', text: 'one. two.', segments: [{ start: 0, end: 4, score: 0 }, { start: 4, end: 9, score: 0.2 }] },
  { id: 'b', text: 'three.', score: 1 },
];

export function tinyTokenizer(): Tokenizer {
  const text = 'the cat sat on the mat. a dog ran in the park. we like green tea.\nx = 1\nprint(x)\n';
  return trainBpe([text.repeat(4)], { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
}
