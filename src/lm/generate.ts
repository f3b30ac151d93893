// Batched sampling from a GPT with a preallocated KV cache: the prompts are prefilled
// once, then each step feeds one token per row. A step is one tidy() scope of native
// calls with no JavaScript loop over the vocabulary; the sampled ids, their log-probs
// under the sampling distribution and under the model stay native until the end, and
// only the ids cross to JavaScript per step, and only when an EOS must be watched.
// Prompts of different lengths are left-padded, with an explicit attention mask and
// per-row positions, so each row computes exactly what it would alone.
import { arange, rand, tensor } from '../engine/create.js';
import { cat } from '../engine/functional.js';
import { noGrad } from '../engine/autograd.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { fail } from '../util/errors.js';
import type { GPT } from './gpt.js';
import { KVCache } from './kv-cache.js';
import { filterLogits, filtersActive, sampleCategorical, type SamplingFilters } from './sampling-filters.js';
import type { Tokenizer } from './tokenizer.js';

export interface GenerateProgress {
  /** New tokens generated so far (1 after the first step). */
  step: number;
  maxNewTokens: number;
  /** Rows of the current batch that have emitted EOS (0 without an eosId). */
  finished: number;
  /** Rows in the current batch. */
  rows: number;
}

export interface GenerateOptions {
  /** Clipped to the model's context (n_positions); a prompt must leave room for this many. */
  maxNewTokens: number;
  /** EOS is banned until this many tokens have been generated (default 0). */
  minNewTokens?: number;
  /** 0 is greedy decoding; default 1. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** A row stops at this token; it is part of the output and of the log-probs. */
  eosId?: number;
  bannedIds?: readonly number[];
  /** Samples per prompt (default 1). */
  numReturnSequences?: number;
  /** Rows decoded together (default: all prompts × numReturnSequences at once). */
  batchSize?: number;
  /** Default: the device of the model's parameters. */
  device?: string;
  /** Decodes each sample's tokens into `text` (special tokens left out). */
  tokenizer?: Tokenizer;
  onToken?: (progress: GenerateProgress) => void;
}

export interface GeneratedSample {
  /** Index into the prompts array. */
  promptIndex: number;
  /** The new tokens; a finished row ends with the EOS token and stops there. */
  tokens: Int32Array;
  text?: string;
  /**
   * Log-probability of each new token under the distribution it was drawn from (after
   * temperature, top-k, top-p and bans); 0 for greedy decoding, whose choice is certain.
   */
  logProbs: Float64Array;
  /** Log-probability of each new token under the model itself (no temperature, filter or ban). */
  modelLogProbs: Float64Array;
  logProb: number;
  modelLogProb: number;
  /** Whether the sample ended with EOS. */
  finished: boolean;
}

/** Everything a batch needs, validated once. */
interface Plan {
  maxNew: number;
  minNew: number;
  greedy: boolean;
  filters: SamplingFilters;
  eosId: number | undefined;
  banned: number[];
  device: string;
  onToken: ((p: GenerateProgress) => void) | undefined;
}

/** The raw outcome of one batch: row-major [rows, steps] arrays. */
interface BatchResult {
  steps: number;
  tokens: Int32Array;
  logProbs: Float64Array;
  modelLogProbs: Float64Array;
}

/**
 * Samples continuations of token-id prompts. Returns numReturnSequences samples per
 * prompt, prompt by prompt. Seeded by LibTorch's RNG (manualSeed), so runs repeat.
 */
export function generate(model: GPT, prompts: readonly Int32Array[], opts: GenerateOptions): GeneratedSample[] {
  const plan = makePlan(model, prompts, opts);
  const n = positiveInt(opts.numReturnSequences ?? 1, 'numReturnSequences');
  const rows: number[] = [];
  for (let i = 0; i < prompts.length; i++) for (let j = 0; j < n; j++) rows.push(i);
  const batchSize = positiveInt(opts.batchSize ?? Math.max(rows.length, 1), 'batchSize');
  const out: GeneratedSample[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const chunk = rows.slice(start, start + batchSize);
    const r = decodeBatch(model, chunk.map((i) => prompts[i]!), plan);
    chunk.forEach((promptIndex, b) => out.push(toSample(r, b, promptIndex, plan.eosId, opts.tokenizer)));
  }
  return out;
}

function makePlan(model: GPT, prompts: readonly Int32Array[], opts: GenerateOptions): Plan {
  const vocab = model.config.vocab_size;
  const context = model.config.n_positions;
  const maxNew = Math.min(positiveInt(opts.maxNewTokens, 'maxNewTokens'), context);
  const minNew = opts.minNewTokens ?? 0;
  if (!Number.isInteger(minNew) || minNew < 0 || minNew > maxNew) fail(`minNewTokens must be an integer from 0 to maxNewTokens (${maxNew}), got ${minNew}`);
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) fail(`temperature must be a finite number ≥ 0, got ${temperature}`);
  if (opts.topK !== undefined) positiveInt(opts.topK, 'topK');
  if (opts.topP !== undefined && !(opts.topP > 0 && opts.topP <= 1)) fail(`topP must be in (0, 1], got ${opts.topP}`);
  const eosId = opts.eosId;
  if (eosId !== undefined) tokenId(eosId, vocab, 'eosId');
  const banned = [...new Set(opts.bannedIds ?? [])];
  banned.forEach((id, i) => tokenId(id, vocab, `bannedIds[${i}]`));
  if (banned.length >= vocab) fail(`bannedIds bans all ${vocab} tokens of the vocabulary; nothing is left to sample`);
  prompts.forEach((p, i) => {
    if (p.length === 0) fail(`prompt ${i} is empty; start it with a BOS/EOS token (GPT-2 uses <|endoftext|>)`);
    if (p.length + maxNew - 1 > context) {
      fail(p.length > context
        ? `prompt ${i} has ${p.length} tokens but the model's context holds ${context}; no new token fits`
        : `prompt ${i} has ${p.length} tokens; with ${maxNew} new tokens that exceeds the model's context of ${context} (at most ${context - p.length + 1} new tokens fit)`);
    }
    for (let t = 0; t < p.length; t++) if (!(p[t]! >= 0 && p[t]! < vocab)) fail(`prompt ${i} has token id ${p[t]} at position ${t}, outside the vocabulary (0 to ${vocab - 1})`);
  });
  const greedy = temperature === 0;
  const filters: SamplingFilters = {
    temperature: greedy || temperature === 1 ? undefined : temperature,
    topK: greedy || opts.topK === undefined || opts.topK >= vocab ? undefined : opts.topK,
    topP: greedy || opts.topP === undefined || opts.topP >= 1 ? undefined : opts.topP,
  };
  return { maxNew, minNew, greedy, filters, eosId, banned, device: opts.device ?? model.p('transformer.wte.weight').device, onToken: opts.onToken };
}

function decodeBatch(model: GPT, prompts: Int32Array[], plan: Plan): BatchResult {
  const B = prompts.length;
  const T = Math.max(...prompts.map((p) => p.length));
  const ragged = prompts.some((p) => p.length !== T);
  const { n_layer, n_head } = model.config;
  // The last sampled token is never fed back, so the cache needs one slot less.
  const cache = new KVCache(n_layer, B, n_head, T + plan.maxNew - 1, model.headDim, plan.device);
  try {
    return noGrad(() => tidy(() => {
      const inputs = batchInputs(prompts, T, plan.maxNew, ragged, plan.device);
      // model.logits() with the tied head laid out [C, V]: for a few rows, that GEMM
      // layout is ~15% faster on CPU than the [V, C] one, and one copy per batch is cheap.
      const head = model.p('transformer.wte.weight').transpose(0, 1).contiguous();
      // Every step's uniforms in one draw: a step takes a view instead of allocating.
      const uniforms = plan.greedy ? null : rand([plan.maxNew, B, 2], 'float32', plan.device);
      const banned = plan.banned.length ? tensor(Int32Array.from(plan.banned), [plan.banned.length], 'int64', plan.device) : null;
      const bannedEarly = plan.eosId !== undefined && plan.minNew > 0 && !plan.banned.includes(plan.eosId)
        ? tensor(Int32Array.from([...plan.banned, plan.eosId]), [plan.banned.length + 1], 'int64', plan.device) : banned;
      const tokens: Tensor[] = [], logProbs: Tensor[] = [], modelLogProbs: Tensor[] = [];
      const done = new Uint8Array(B);
      let finished = 0, input = inputs.ids;
      for (let t = 0; t < plan.maxNew; t++) {
        // Step t feeds the prompts (t = 0) or the token sampled at t - 1, at cache column T + t - 1.
        const col = t === 0 ? 0 : T + t - 1, width = t === 0 ? T : 1;
        const s = tidy(() => {
          const hidden = model.hidden(input, {
            cache,
            positions: inputs.positions.slice(1, col, col + width),
            mask: inputs.mask ? (t === 0 ? inputs.mask.prefill : inputs.mask.keys.slice(3, 0, T + t)) : undefined,
          });
          return sampleStep(hidden.select(1, width - 1).matmul(head), uniforms?.select(0, t) ?? null, plan, t < plan.minNew ? bannedEarly : banned);
        });
        tokens.push(s.next); modelLogProbs.push(s.modelLogProb);
        if (s.logProb) logProbs.push(s.logProb);
        input = s.next;
        if (plan.eosId !== undefined) {
          const ids = s.next.toInt32Array();
          for (let b = 0; b < B; b++) if (!done[b] && ids[b] === plan.eosId) { done[b] = 1; finished++; }
        }
        plan.onToken?.({ step: t + 1, maxNewTokens: plan.maxNew, finished, rows: B });
        if (finished === B) break;
      }
      return {
        steps: tokens.length,
        tokens: cat(tokens, 1).toInt32Array(),
        logProbs: plan.greedy ? new Float64Array(B * tokens.length) : cat(logProbs, 1).toFloat64Array(),
        modelLogProbs: cat(modelLogProbs, 1).toFloat64Array(),
      };
    }));
  } finally {
    cache.dispose();
  }
}

/**
 * One draw per row from the last position's logits [B, V] with uniforms [B, 2] (null:
 * greedy): ids [B, 1] and log-probs [B, 1] under the model and under the sampling
 * distribution (none when greedy, whose choice is certain).
 */
function sampleStep(logits: Tensor, uniforms: Tensor | null, plan: Plan, banned: Tensor | null): { next: Tensor; logProb: Tensor | null; modelLogProb: Tensor } {
  const filters = { ...plan.filters, banned };
  const modelLogProbOf = (next: Tensor) => logits.gather(1, next).sub(logits.logsumexp(-1, true));
  if (!uniforms) {
    const next = (banned ? filterLogits(logits, filters) : logits).argmax(-1, true);
    return { next, logProb: null, modelLogProb: modelLogProbOf(next) };
  }
  const filtered = filtersActive(filters);
  const probs = (filtered ? filterLogits(logits, filters) : logits).softmax(-1);
  const next = sampleCategorical(probs, uniforms);
  // A drawn token's probability is far above float32's smallest normal, so its log is accurate.
  const logProb = probs.gather(1, next).log();
  return { next, logProb, modelLogProb: filtered ? modelLogProbOf(next) : logProb };
}

interface BatchInputs {
  /** int64 [B, T], left-padded with id 0. */
  ids: Tensor;
  /** int64 [B or 1, T + maxNew]: the position of whatever sits in each cache column. */
  positions: Tensor;
  /** Only for prompts of different lengths: prefill [B,1,T,T] and key-validity [B,1,1,S] masks. */
  mask: { prefill: Tensor; keys: Tensor } | null;
}

function batchInputs(prompts: Int32Array[], T: number, maxNew: number, ragged: boolean, device: string): BatchInputs {
  const B = prompts.length, S = T + maxNew;
  const ids = new Int32Array(B * T);
  prompts.forEach((p, b) => ids.set(p, b * T + T - p.length));
  const idsT = tensor(ids, [B, T], 'int64', device);
  if (!ragged) return { ids: idsT, positions: arange(0, S, 1, 'int64', device).unsqueeze(0), mask: null };
  const positions = new Int32Array(B * S), keys = new Uint8Array(B * S), prefill = new Uint8Array(B * T * T);
  prompts.forEach((p, b) => {
    const pad = T - p.length;
    for (let s = 0; s < S; s++) {
      positions[b * S + s] = Math.max(s - pad, 0);
      keys[b * S + s] = s >= pad ? 1 : 0;
    }
    // A padding query attends to itself only, so its row stays finite (an all-masked row is NaN).
    for (let q = 0; q < T; q++) for (let s = 0; s <= q; s++) prefill[(b * T + q) * T + s] = s >= pad || s === q ? 1 : 0;
  });
  return {
    ids: idsT,
    positions: tensor(positions, [B, S], 'int64', device),
    mask: { prefill: tensor(prefill, [B, 1, T, T], 'bool', device), keys: tensor(keys, [B, 1, 1, S], 'bool', device) },
  };
}

function toSample(r: BatchResult, b: number, promptIndex: number, eosId: number | undefined, tokenizer: Tokenizer | undefined): GeneratedSample {
  const row = r.tokens.subarray(b * r.steps, (b + 1) * r.steps);
  const stop = eosId === undefined ? -1 : row.indexOf(eosId);
  const len = stop < 0 ? r.steps : stop + 1;
  const tokens = row.slice(0, len);
  const logProbs = r.logProbs.slice(b * r.steps, b * r.steps + len);
  const modelLogProbs = r.modelLogProbs.slice(b * r.steps, b * r.steps + len);
  return {
    promptIndex,
    tokens,
    ...(tokenizer ? { text: tokenizer.decode(tokens, { skipSpecial: true }) } : {}),
    logProbs,
    modelLogProbs,
    logProb: sum(logProbs),
    modelLogProb: sum(modelLogProbs),
    finished: stop >= 0,
  };
}

function sum(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

function positiveInt(x: number, name: string): number {
  if (!Number.isInteger(x) || x < 1) fail(`${name} must be a positive integer, got ${x}`);
  return x;
}

function tokenId(id: number, vocab: number, name: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocab) fail(`${name} is ${id}, outside the vocabulary (0 to ${vocab - 1})`);
}
