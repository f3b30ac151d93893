// The trainable toy: a categorical π_θ over a finite set of texts, θ a table of logits
// with one row per context (one row when unconditional). Its gradients are known in
// closed form (∇_θ log π(x) = e_x − π), so the tuners' losses can be checked exactly
// against ∇ KL(p‖π) and friends, and a tuner run to convergence can be compared with
// the optimum of its divergence by enumeration.
import { noGrad } from '../engine/autograd.js';
import { ones, tensor } from '../engine/create.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';
import type { Categorical } from './categorical.js';
import type { ConditionalCategorical } from './conditional-categorical.js';
import { BaseDistribution, checkCount, perSampleContexts, type Contexts, type Sample, type Sampled, type SampleOptions } from './distribution.js';
import { logSumExp } from './log-space.js';
import type { TokenLevel, TokenLevelPolicy, TrainablePolicy } from './trainable.js';

export interface CategoricalPolicyOptions {
  /** The contexts of a conditional policy (one logit row each); omit for an unconditional one. */
  contexts?: readonly string[];
  /** Initial logits, row-major [contexts × texts] (default: all 0, uniform). */
  logits?: ArrayLike<number>;
  /** Seed of the generator used when `sample` gets no `random` (default 0). */
  seed?: number;
}

export class CategoricalPolicy extends BaseDistribution implements TokenLevelPolicy {
  /** θ: float32 [rows, texts], with gradient unless frozen. */
  readonly logits: Tensor;
  readonly texts: readonly string[];
  /** Undefined when unconditional. */
  readonly contextList: readonly string[] | undefined;
  private readonly index: Map<string, number>;
  private readonly rows: Map<string, number>;
  private readonly random: Random;

  constructor(texts: readonly string[], options: CategoricalPolicyOptions = {}, frozen = false) {
    super();
    if (texts.length === 0) fail('a categorical policy needs at least one text.');
    this.index = new Map(texts.map((t, i) => [t, i]));
    if (this.index.size !== texts.length) fail('the texts of a categorical policy must be distinct.');
    this.texts = [...texts];
    this.contextList = options.contexts === undefined ? undefined : [...options.contexts];
    if (this.contextList?.length === 0) fail('a conditional categorical policy needs at least one context.');
    this.rows = new Map((this.contextList ?? []).map((c, i) => [c, i]));
    if (this.contextList && this.rows.size !== this.contextList.length) fail('the contexts of a categorical policy must be distinct.');
    const size = this.rowCount * texts.length;
    const init = options.logits ?? new Float64Array(size);
    if (init.length !== size) fail(`a categorical policy over ${texts.length} texts and ${this.rowCount} context(s) needs ${size} logits, got ${init.length}.`);
    for (let i = 0; i < init.length; i++) if (!Number.isFinite(init[i])) fail(`initial logit ${i} is ${init[i]}; logits must be finite (a very negative one makes a text nearly impossible).`);
    this.logits = tensor(Float32Array.from(init), [this.rowCount, texts.length]).keep();
    if (!frozen) this.logits.requiresGrad_(true);
    this.random = new Random(options.seed ?? 0);
  }

  /** A policy equal to a (conditional) categorical distribution: π_θ = a at θ = log a. */
  static from(base: Categorical | ConditionalCategorical, options: { seed?: number } = {}): CategoricalPolicy {
    const conditional = 'contexts' in base;
    const contexts = conditional ? base.contexts() : undefined;
    const parts = conditional ? base.contexts().map((c) => base.given(c)) : [base];
    const texts = parts[0]!.support().map((s) => s.text);
    const logits: number[] = [];
    parts.forEach((d, r) => {
      const support = d.support().map((s) => s.text);
      if (support.join('\u0000') !== texts.join('\u0000')) fail(`context "${contexts![r]}" has a different support than the first context; a categorical policy needs the same texts in every context.`);
      logits.push(...Array.from(d.probabilities(), Math.log));
    });
    return new CategoricalPolicy(texts, { contexts, logits, seed: options.seed });
  }

  private get rowCount(): number {
    return this.contextList?.length ?? 1;
  }

  get hiddenSize(): number {
    return this.rowCount;
  }

  support(): Sample[] {
    return this.texts.map((text) => ({ text }));
  }

  /** The current π(·|context), aligned with `support()`. */
  probabilities(context?: string): Float64Array {
    const lp = this.rowLogProbs(this.row(context));
    return lp.map(Math.exp);
  }

  parameters(): Tensor[] {
    return [this.logits];
  }

  namedParameters(): ReadonlyMap<string, Tensor> {
    return new Map([['logits', this.logits]]);
  }

  async sample(n: number, context?: string, opts: SampleOptions = {}): Promise<Sampled> {
    checkCount(n);
    const random = opts.random ?? this.random;
    const logProbs = this.rowLogProbs(this.row(context));
    const samples: Sample[] = [];
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = draw(logProbs, random.float());
      samples.push({ text: this.texts[i]! });
      out[k] = logProbs[i]!;
    }
    return { samples, logProbs: out };
  }

  async logScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array> {
    const contexts = perSampleContexts(context, samples.length);
    const cache = new Map<number, Float64Array>();
    return Float64Array.from(samples, (s, k) => {
      const r = this.row(contexts?.[k]);
      let lp = cache.get(r);
      if (lp === undefined) cache.set(r, (lp = this.rowLogProbs(r)));
      const i = this.index.get(s.text);
      return i === undefined ? -Infinity : lp[i]!;
    });
  }

  logProbTensor(samples: readonly Sample[], context?: Contexts): Tensor {
    const flat = this.flatIndices(samples, context);
    return tidy(() => this.logits.logSoftmax(1).reshape(-1).indexSelect(0, tensor(flat, [flat.length], 'int64')));
  }

  /** One token per sample; the hidden state is the one-hot context, so a linear value head is a value per context. */
  tokenLogProbs(samples: readonly Sample[], context?: Contexts): TokenLevel {
    const contexts = perSampleContexts(context, samples.length);
    const hidden = new Float32Array(samples.length * this.rowCount);
    samples.forEach((_, k) => (hidden[k * this.rowCount + this.row(contexts?.[k])] = 1));
    return tidy(() => ({
      logProbs: this.logProbTensor(samples, context).unsqueeze(1),
      mask: ones([samples.length, 1]),
      hidden: tensor(hidden, [samples.length, 1, this.rowCount]),
    }));
  }

  frozenCopy(): CategoricalPolicy {
    return new CategoricalPolicy(this.texts, { contexts: this.contextList, logits: tidy(() => this.logits.detach().toFloat64Array()) }, true);
  }

  copyFrom(other: TrainablePolicy): void {
    const src = other.namedParameters().get('logits');
    if (!src || src.shape.join() !== this.logits.shape.join()) fail('cannot copy the weights of a policy with another shape into a categorical policy.');
    noGrad(() => this.logits.copy_(src));
  }

  dispose(): void {
    this.logits.dispose();
  }

  private row(context: string | undefined): number {
    if (this.contextList === undefined) return 0;
    if (context === undefined) fail('this categorical policy is conditional: give a context.');
    const r = this.rows.get(context);
    if (r === undefined) fail(`the categorical policy has no context "${context}".`);
    return r;
  }

  private rowLogProbs(r: number): Float64Array {
    const K = this.texts.length;
    const all = tidy(() => this.logits.detach().toFloat64Array());
    const row = all.subarray(r * K, (r + 1) * K);
    const lse = logSumExp(row);
    return Float64Array.from(row, (x) => x - lse);
  }

  private flatIndices(samples: readonly Sample[], context?: Contexts): Int32Array {
    const contexts = perSampleContexts(context, samples.length);
    const K = this.texts.length;
    return Int32Array.from(samples, (s, k) => {
      const i = this.index.get(s.text);
      if (i === undefined) fail(`"${s.text}" is not in the support of the categorical policy.`);
      return this.row(contexts?.[k]) * K + i;
    });
  }
}

function draw(logProbs: Float64Array, u: number): number {
  let acc = 0;
  for (let i = 0; i < logProbs.length; i++) {
    acc += Math.exp(logProbs[i]!);
    if (u < acc) return i;
  }
  // Rounding can leave u just above the total: take the last text with any mass.
  for (let i = logProbs.length - 1; i >= 0; i--) if (logProbs[i]! > -Infinity) return i;
  return 0;
}
