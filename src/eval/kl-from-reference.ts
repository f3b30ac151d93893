// KL(ref ‖ model) ≈ mean over the reference's cached samples x ~ ref of
// log ref(x) − log model(x) (SPEC §9). Both log-probabilities are of the same token
// ids, so the model must share the reference's tokenizer; a conditional model may add
// its control tokens beyond it and scores x after `<|endoftext|><|good|>` with them
// banned — the distribution it samples from. Unbanned, every line of code would pay
// for the probability of the <|good|> that conditional training put before most lines
// and that generation never emits, and KL would count that as drift.
import type { GPT } from '../lm/gpt.js';
import { scoreContinuations } from '../lm/logprob.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { fail } from '../util/errors.js';
import { BAD_TOKEN, GOOD_TOKEN } from '../pretrain/objectives/conditional.js';
import type { EvalModel } from './eval-model.js';
import type { Reference, ReferenceSample } from './reference-model.js';

export interface KlEstimate {
  kl: number;
  /** Standard error of the mean. */
  standardError: number;
  samples: number;
}

/** The estimate from log ref(x_i) and log model(x_i). */
export function klEstimate(refLogProbs: ArrayLike<number>, modelLogProbs: ArrayLike<number>): KlEstimate {
  const n = refLogProbs.length;
  if (n === 0 || modelLogProbs.length !== n) throw new Error(`klEstimate: ${n} reference and ${modelLogProbs.length} model log-probs`);
  let sum = 0, sq = 0;
  for (let i = 0; i < n; i++) {
    const d = refLogProbs[i]! - modelLogProbs[i]!;
    sum += d;
    sq += d * d;
  }
  const kl = sum / n;
  const variance = n > 1 ? Math.max(sq / n - kl * kl, 0) * n / (n - 1) : 0;
  return { kl, standardError: Math.sqrt(variance / n), samples: n };
}

/** Scores the reference samples under `model` after `prompt` and estimates KL(ref ‖ model). */
export function klFromSamples(model: GPT, prompt: Int32Array, samples: readonly ReferenceSample[], banned: readonly number[] = []): KlEstimate {
  const scores = scoreContinuations(model, samples.map(() => prompt), samples.map((s) => s.tokens), { batchSize: 32, banned });
  return klEstimate(samples.map((s) => s.logProb), scores.map((s) => s.logProb));
}

/**
 * Refuses a model whose tokenizer is not the reference's: every reference id must be
 * the same token with the same merges, and any further ids may only be control tokens.
 */
export function checkSharedTokenizer(ref: Tokenizer, refDir: string, model: Tokenizer, modelDir: string): void {
  const why = tokenizerDifference(ref, model);
  if (why) fail(`model ${modelDir} does not share the tokenizer of the reference in ${refDir} (${why}), so KL from the reference cannot be estimated; train it with the reference's tokenizer.json`);
}

function tokenizerDifference(ref: Tokenizer, model: Tokenizer): string | undefined {
  for (let id = 0; id < ref.vocabSize; id++) {
    if (ref.idToToken(id) !== model.idToToken(id)) return `token ${id} is ${JSON.stringify(model.idToToken(id))} instead of ${JSON.stringify(ref.idToToken(id))}`;
  }
  for (let id = ref.vocabSize; id < model.vocabSize; id++) {
    const t = model.idToToken(id);
    if (t !== GOOD_TOKEN && t !== BAD_TOKEN) return `it adds token ${JSON.stringify(t)}`;
  }
  const merges = (t: Tokenizer) => JSON.stringify((t.toJSON() as { model: { merges: unknown } }).model.merges);
  return merges(ref) === merges(model) ? undefined : 'its BPE merges differ';
}

/** The reference's cached samples scored under the evaluated model (after `<|good|>`, control tokens banned, for a conditional one). */
export function klFromReference(m: EvalModel, ref: Pick<Reference, 'dir' | 'tokenizer' | 'samples'>): KlEstimate {
  checkSharedTokenizer(ref.tokenizer, ref.dir, m.tokenizer, m.dir);
  const context = m.model.config.n_positions;
  const longest = Math.max(...ref.samples.map((s) => s.tokens.length));
  if (m.prompt.length + longest > context) fail(`the reference samples in ${ref.dir} run to ${longest} tokens, which with the prompt exceed the context of ${context} of model ${m.dir}`);
  return klFromSamples(m.model, m.prompt, ref.samples, m.banned);
}
