// A policy π_θ that a tuner can train: a Distribution whose log-probabilities are also
// available as a differentiable tensor, whose weights an optimiser can reach, and which
// can be copied (a frozen proposal q for KL-adaptive DPG, a reference). The LM
// distribution over our GPT and the categorical toy of the closed-form tests are both
// one, so every tuner runs unchanged on either.
import type { Tensor } from '../engine/tensor.js';
import type { Contexts, Distribution, Sample, Sampled, SampleOptions } from './distribution.js';

export interface TrainablePolicy<O extends SampleOptions = SampleOptions> extends Distribution<O> {
  /** The tensors an optimiser updates. */
  parameters(): Tensor[];
  /** The same tensors by name, for checkpoints. */
  namedParameters(): ReadonlyMap<string, Tensor>;
  /** Differentiable log π(x|c) of each sample, float32 [N]; `context` as in `logScore`. */
  logProbTensor(samples: readonly Sample[], context?: Contexts): Tensor;
  /** An independent copy of the current weights that records no gradient. */
  frozenCopy(): TrainablePolicy<O>;
  /** Overwrites this policy's weights with those of `other` (the same architecture). */
  copyFrom(other: TrainablePolicy<O>): void;
  /** Frees the weights; the policy is unusable afterwards. */
  dispose(): void;
  /**
   * Identifies how texts become the policy's units (a hash of the tokenizer): samples
   * carry token ids, so a proposal or base that tokenises differently must be refused.
   */
  readonly tokenizerFingerprint?: string;
  /** Writes a directory that loads back as a model (Hugging Face layout for an LM). */
  save?(dir: string): void;
  /** Draws `perContext` samples for each context in one go (faster for an LM than one call each); samples come context by context. */
  sampleMany?(contexts: readonly (string | undefined)[], perContext: number, opts?: O): Promise<Sampled>;
}

/** A sequence seen token by token: what PPO's per-token rewards and value head need. */
export interface TokenLevel {
  /** log π of each generated token [N, L], 0 past a row's end; differentiable. */
  logProbs: Tensor;
  /** float32 [N, L]: 1 where a row has a token. */
  mask: Tensor;
  /** The hidden state from which each token was predicted [N, L, H]: the value head's input. */
  hidden: Tensor;
}

export interface TokenLevelPolicy<O extends SampleOptions = SampleOptions> extends TrainablePolicy<O> {
  /** H, the width of `TokenLevel.hidden`. */
  readonly hiddenSize: number;
  tokenLogProbs(samples: readonly Sample[], context?: Contexts): TokenLevel;
}

/** A distribution that can also score each token of a sample: log a(x_t | c, x_<t). */
export interface TokenScored {
  tokenLogScores(samples: readonly Sample[], context?: Contexts): Promise<Float64Array[]>;
}

export function isTokenLevel<O extends SampleOptions>(p: TrainablePolicy<O>): p is TokenLevelPolicy<O> {
  return typeof (p as Partial<TokenLevelPolicy<O>>).tokenLogProbs === 'function';
}

export function isTokenScored(d: unknown): d is TokenScored {
  return typeof (d as Partial<TokenScored>).tokenLogScores === 'function';
}

/** The tokenizer fingerprint of any distribution that has one. */
export function tokenizerFingerprint(d: unknown): string | undefined {
  const f = (d as { tokenizerFingerprint?: unknown }).tokenizerFingerprint;
  return typeof f === 'string' ? f : undefined;
}
