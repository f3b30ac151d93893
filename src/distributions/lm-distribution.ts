// A language model as a Distribution over texts: a(x|c) for the prior, π_θ(x|c) for a
// policy. A context c is a prompt; every prompt starts with the start token (GPT-2's
// <|endoftext|>) followed by c's tokens, so an unconditional sample is a document from
// its start. A sample is the new tokens up to and including EOS (if drawn); its
// log-probability is that of exactly those tokens — under the sampling distribution
// (temperature, top-k, top-p) when it is drawn, under the model itself when scored.
import { createHash } from 'node:crypto';
import { noGrad } from '../engine/autograd.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { loadModel, saveModel } from '../lm/checkpoint.js';
import { generate } from '../lm/generate.js';
import { GPT } from '../lm/gpt.js';
import { continuationLogProbs, scoreContinuations, sequenceLogProbs } from '../lm/logprob.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { fail } from '../util/errors.js';
import { BaseDistribution, checkCount, perSampleContexts, type Contexts, type Sample, type Sampled, type SampleOptions } from './distribution.js';
import type { TokenLevel, TokenLevelPolicy, TokenScored, TrainablePolicy } from './trainable.js';

export interface LMSampleOptions extends SampleOptions {
  /** Default 1 (the model's own distribution); 0 is greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Default 64. */
  maxNewTokens?: number;
  minNewTokens?: number;
  /** Rows decoded together (default: all). */
  batchSize?: number;
}

export interface LMDistributionOptions {
  /** Sampling options used when `sample` is given none. */
  sampling?: Omit<LMSampleOptions, 'random'>;
  /** Pairs per forward pass when scoring without gradient (default 16). */
  scoreBatchSize?: number;
}

export class LMDistribution extends BaseDistribution<LMSampleOptions> implements TokenLevelPolicy<LMSampleOptions>, TokenScored {
  readonly startId: number;
  readonly eosId: number | undefined;
  private fingerprint: string | undefined;
  private readonly promptCache = new Map<string, Int32Array>();
  private readonly unused: number[];

  constructor(
    readonly model: GPT,
    readonly tokenizer: Tokenizer,
    readonly options: LMDistributionOptions = {},
  ) {
    super();
    const c = model.config;
    if (tokenizer.vocabSize > c.vocab_size) fail(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary holds ${c.vocab_size}; they do not belong together.`);
    const start = c.bos_token_id ?? c.eos_token_id ?? tokenizer.eosId;
    if (start === undefined || start === null) fail('the model has no bos_token_id or eos_token_id and the tokenizer no <|endoftext|>, so there is no token to start a sample from.');
    this.startId = start;
    this.eosId = tokenizer.eosId ?? c.eos_token_id ?? undefined;
    // A vocabulary padded beyond the tokenizer has ids no text can hold: never sample them.
    this.unused = Array.from({ length: c.vocab_size - tokenizer.vocabSize }, (_, i) => tokenizer.vocabSize + i);
  }

  /** Loads a checkpoint directory (config.json, model.safetensors, tokenizer.json). */
  static async load(dir: string, options: LMDistributionOptions = {}): Promise<LMDistribution> {
    const { model, tokenizer } = await loadModel(dir);
    if (tokenizer === null) fail(`checkpoint ${dir} has no tokenizer (tokenizer.json, or vocab.json and merges.txt); an LM distribution needs one.`);
    return new LMDistribution(model, tokenizer, options);
  }

  /** A hash of the tokenizer: samples carry token ids, so distributions must agree on it. */
  get tokenizerFingerprint(): string {
    return (this.fingerprint ??= createHash('sha256').update(JSON.stringify(this.tokenizer.toJSON())).digest('hex').slice(0, 16));
  }

  get hiddenSize(): number {
    return this.model.config.n_embd;
  }

  parameters(): Tensor[] {
    return this.model.parameters();
  }

  namedParameters(): ReadonlyMap<string, Tensor> {
    return this.model.params;
  }

  async sample(n: number, context?: string, opts?: LMSampleOptions): Promise<Sampled> {
    return this.sampleMany([context], n, opts);
  }

  async sampleMany(contexts: readonly (string | undefined)[], perContext: number, opts: LMSampleOptions = {}): Promise<Sampled> {
    checkCount(perContext);
    if (perContext === 0 || contexts.length === 0) return { samples: [], logProbs: new Float64Array(0) };
    const o = { ...this.options.sampling, ...opts };
    const out = generate(this.model, contexts.map((c) => this.prompt(c)), {
      maxNewTokens: o.maxNewTokens ?? 64, minNewTokens: o.minNewTokens, temperature: o.temperature, topK: o.topK, topP: o.topP,
      eosId: this.eosId, bannedIds: this.unused, numReturnSequences: perContext, batchSize: o.batchSize, tokenizer: this.tokenizer,
    });
    return { samples: out.map((s) => ({ text: s.text!, tokens: s.tokens })), logProbs: Float64Array.from(out, (s) => s.logProb) };
  }

  async logScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array> {
    return Float64Array.from(this.score(samples, context), (s) => s.logProb);
  }

  async tokenLogScores(samples: readonly Sample[], context?: Contexts): Promise<Float64Array[]> {
    return this.score(samples, context).map((s) => s.logProbs);
  }

  logProbTensor(samples: readonly Sample[], context?: Contexts): Tensor {
    const { prompts, tokens } = this.pairs(samples, context);
    return tidy(() => sequenceLogProbs(this.model, prompts, tokens).sum);
  }

  /** Per-token log π and the last hidden state that predicted each token: one forward pass. */
  tokenLogProbs(samples: readonly Sample[], context?: Contexts): TokenLevel {
    const { prompts, tokens } = this.pairs(samples, context);
    const N = samples.length;
    const L = Math.max(1, ...tokens.map((t) => t.length));
    const T = Math.max(...prompts.map((p, n) => p.length + tokens[n]!.length));
    if (T > this.model.config.n_positions) fail(`a prompt and sample of ${T} tokens exceed the model's context of ${this.model.config.n_positions}.`);
    return tidy(() => {
      const { logProbs, mask, hidden } = continuationLogProbs(this.model, prompts.map((p, n) => ({ context: p, continuation: tokens[n]! })), L);
      return { logProbs, mask, hidden: hidden.view(N, L, hidden.shape[1]!) };
    });
  }

  frozenCopy(): LMDistribution {
    const copy = new GPT(this.model.config);
    noGrad(() => {
      for (const [name, t] of copy.params) t.requiresGrad_(false).copy_(this.model.p(name));
    });
    return new LMDistribution(copy, this.tokenizer, this.options);
  }

  copyFrom(other: TrainablePolicy<LMSampleOptions>): void {
    const theirs = other.namedParameters();
    noGrad(() => {
      for (const [name, t] of this.model.params) {
        const src = theirs.get(name);
        if (!src || src.shape.join() !== t.shape.join()) fail(`cannot copy weights into this LM: the other policy lacks \`${name}\` of shape [${t.shape.join(', ')}].`);
        t.copy_(src);
      }
    });
  }

  dispose(): void {
    for (const t of this.model.params.values()) t.dispose();
  }

  save(dir: string): void {
    saveModel(dir, this.model, { tokenizer: this.tokenizer });
  }

  /** [start, ...tokens of the context]. */
  prompt(context: string | undefined): Int32Array {
    const key = context ?? '';
    let ids = this.promptCache.get(key);
    if (ids === undefined) {
      const body = key === '' ? new Int32Array(0) : this.tokenizer.encode(key);
      ids = new Int32Array(body.length + 1);
      ids[0] = this.startId;
      ids.set(body, 1);
      if (this.promptCache.size < 10_000) this.promptCache.set(key, ids);
    }
    return ids;
  }

  /** A sample's token ids: its own, or its text encoded and ended with EOS (the event of generating exactly that text). */
  tokensOf(sample: Sample): Int32Array {
    if (sample.tokens !== undefined) return sample.tokens;
    const body = this.tokenizer.encode(sample.text);
    if (this.eosId === undefined) return body;
    const out = new Int32Array(body.length + 1);
    out.set(body);
    out[body.length] = this.eosId;
    return out;
  }

  private pairs(samples: readonly Sample[], context?: Contexts): { prompts: Int32Array[]; tokens: Int32Array[] } {
    const contexts = perSampleContexts(context, samples.length);
    return { prompts: samples.map((_, i) => this.prompt(contexts?.[i])), tokens: samples.map((s) => this.tokensOf(s)) };
  }

  private score(samples: readonly Sample[], context?: Contexts) {
    const { prompts, tokens } = this.pairs(samples, context);
    return scoreContinuations(this.model, prompts, tokens, { batchSize: this.options.scoreBatchSize });
  }
}
