// Log-probabilities of given continuations after given contexts, in batches: each
// pair is laid out as context ++ continuation, rows are right-padded (attention is
// causal, so padding after a row's last token cannot change what comes before it),
// and only the hidden states that predict continuation tokens reach the LM head.
//
// An empty context is scored as the one-token context [startId], GPT-2's convention
// of starting a text with <|endoftext|>: startId defaults to the model config's
// bos_token_id, else its eos_token_id. generate() with the prompt [startId] samples
// from the same distribution.
import { tensor, zeros } from '../engine/create.js';
import { crossEntropy } from '../engine/functional.js';
import { noGrad } from '../engine/autograd.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { fail } from '../util/errors.js';
import type { GPT } from './gpt.js';

export interface ScoreOptions {
  /** Pairs per forward pass (default 16). */
  batchSize?: number;
  /** The token an empty context starts from (default: bos_token_id, else eos_token_id). */
  startId?: number;
  /**
   * Tokens the scored distribution never emits (as generate's bannedIds): their logits
   * are -∞, so the others' probabilities are renormalised as sampling renormalises them.
   */
  banned?: readonly number[];
}

export interface ContinuationScore {
  /** log p(token | context, earlier continuation tokens), one per continuation token. */
  logProbs: Float64Array;
  logProb: number;
}

export interface SequenceLogProbs {
  /** Summed continuation log-probs [N], differentiable. */
  sum: Tensor;
  /** Per-token log-probs [N, L] (L the longest continuation), 0 past each row's end. */
  perToken: Tensor;
  /** float32 [N, L]: 1 where perToken holds a real token, 0 on padding. */
  mask: Tensor;
}

/** Per-token and summed log-probs of each continuation given its context, without gradients. */
export function scoreContinuations(model: GPT, contexts: readonly Int32Array[], continuations: readonly Int32Array[], opts: ScoreOptions = {}): ContinuationScore[] {
  const rows = validate(model, contexts, continuations, opts.startId);
  const batchSize = opts.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batchSize must be a positive integer, got ${batchSize}`);
  // Rows of similar length share a batch, so little of it is padding.
  const order = rows.map((_, i) => i).sort((a, b) => rows[b]!.context.length + rows[b]!.continuation.length - rows[a]!.context.length - rows[a]!.continuation.length);
  const out: ContinuationScore[] = new Array(rows.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const { perToken, L } = noGrad(() => tidy(() => {
      const r = forward(model, batch.map((i) => rows[i]!), false, opts.banned);
      return { perToken: r.perToken.toFloat64Array(), L: r.perToken.shape[1]! };
    }));
    batch.forEach((i, k) => {
      const logProbs = perToken.slice(k * L, k * L + rows[i]!.continuation.length);
      out[i] = { logProbs, logProb: logProbs.reduce((s, x) => s + x, 0) };
    });
  }
  return out;
}

/**
 * The differentiable form for training: summed and per-token log-probs of each
 * continuation, one forward pass over all N pairs (dropout on when train is set).
 */
export function sequenceLogProbs(model: GPT, contexts: readonly Int32Array[], continuations: readonly Int32Array[], opts: { train?: boolean; startId?: number } = {}): SequenceLogProbs {
  return tidy(() => forward(model, validate(model, contexts, continuations, opts.startId), opts.train ?? false));
}

export interface Row {
  context: Int32Array;
  continuation: Int32Array;
}

function validate(model: GPT, contexts: readonly Int32Array[], continuations: readonly Int32Array[], startId: number | undefined): Row[] {
  const { vocab_size: vocab, n_positions: context } = model.config;
  if (contexts.length !== continuations.length) fail(`got ${contexts.length} contexts but ${continuations.length} continuations; they must pair up`);
  const start = startId ?? model.config.bos_token_id ?? model.config.eos_token_id ?? undefined;
  if (start !== undefined && !(Number.isInteger(start) && start >= 0 && start < vocab)) fail(`startId ${start} is outside the vocabulary (0 to ${vocab - 1})`);
  return contexts.map((ctx, i) => {
    const cont = continuations[i]!;
    checkIds(ctx, vocab, `context ${i}`);
    checkIds(cont, vocab, `continuation ${i}`);
    if (ctx.length === 0 && start === undefined) fail(`context ${i} is empty and the model config has no bos_token_id or eos_token_id to start from; pass startId`);
    const c = ctx.length === 0 ? Int32Array.of(start!) : ctx;
    if (c.length + cont.length > context) fail(`pair ${i} has ${c.length} context and ${cont.length} continuation tokens, more than the model's context of ${context}`);
    return { context: c, continuation: cont };
  });
}

function checkIds(ids: Int32Array, vocab: number, what: string): void {
  for (let t = 0; t < ids.length; t++) if (!(ids[t]! >= 0 && ids[t]! < vocab)) fail(`${what} has token id ${ids[t]} at position ${t}, outside the vocabulary (0 to ${vocab - 1})`);
}

function forward(model: GPT, rows: Row[], train: boolean, banned: readonly number[] = []): SequenceLogProbs {
  const N = rows.length;
  const L = Math.max(0, ...rows.map((r) => r.continuation.length));
  const device = model.p('transformer.wte.weight').device;
  if (L === 0) return { sum: zeros([N], 'float32', device), perToken: zeros([N, 0], 'float32', device), mask: zeros([N, 0], 'float32', device) };
  const { logProbs: perToken, mask } = continuationLogProbs(model, rows, L, train, banned);
  return { sum: perToken.sum(1), perToken, mask };
}

/**
 * One forward pass over the N rows, continuations padded to L ≥ the longest: per-token
 * log-probs [N, L], the mask [N, L] (1 on real tokens) and the hidden state that
 * predicted each token [N·L, H]. Call inside tidy.
 */
export function continuationLogProbs(model: GPT, rows: readonly Row[], L: number, train = false, banned: readonly number[] = []): { logProbs: Tensor; mask: Tensor; hidden: Tensor } {
  const N = rows.length;
  const device = model.p('transformer.wte.weight').device;
  const T = Math.max(...rows.map((r) => r.context.length + r.continuation.length));
  const ids = new Int32Array(N * T), mask = new Float32Array(N * L);
  // Row n's continuation token j is predicted by the hidden state just before it; padding points at position 0 and is masked.
  const from = new Int32Array(N * L), targets = new Int32Array(N * L).fill(-100);
  rows.forEach(({ context, continuation }, n) => {
    ids.set(context, n * T);
    ids.set(continuation, n * T + context.length);
    for (let j = 0; j < continuation.length; j++) {
      from[n * L + j] = n * T + context.length + j - 1;
      targets[n * L + j] = continuation[j]!;
      mask[n * L + j] = 1;
    }
  });
  const hidden = model.hidden(tensor(ids, [N, T], 'int64', device), { train });
  const picked = hidden.reshape(N * T, hidden.shape[2]!).indexSelect(0, tensor(from, [N * L], 'int64', device));
  const logits = banned.length === 0 ? model.logits(picked) : model.logits(picked).indexFill(1, tensor(Int32Array.from(banned), [banned.length], 'int64', device), -Infinity);
  const nll = crossEntropy(logits, tensor(targets, [N * L], 'int64', device), { ignoreIndex: -100, reduction: 'none' });
  return { logProbs: nll.neg().view(N, L), mask: tensor(mask, [N, L], 'float32', device), hidden: picked };
}
