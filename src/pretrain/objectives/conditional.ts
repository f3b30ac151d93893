// Conditional training: every segment of a training document starts with `<|good|>`
// if its score is ≤ t, else `<|bad|>`, and the model learns the text by MLE, so it
// learns p(x | control token). A few segments (drop_prob: 1% for text, 10% for code)
// keep no prefix, so the model also knows text without one. The two control tokens
// are new to the tokenizer; their embeddings start at the mean embedding plus a little
// noise, near what the model already knows rather than at a random point. At inference
// the prompt is `<|endoftext|><|good|>` and both control tokens are banned.
import type { TokenizedDocument } from '../../data/packing.js';
import { noGrad } from '../../engine/autograd.js';
import { randn, tensor } from '../../engine/create.js';
import { tidy } from '../../engine/scope.js';
import { symbolsToBytes } from '../../lm/byte-level.js';
import type { GPT } from '../../lm/gpt.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { fail } from '../../util/errors.js';
import { Random } from '../../util/random.js';
import type { Document } from '../corpus.js';
import type { Objective, ObjectiveContext, ObjectiveOutput, PrepareContext, TrainBatch } from '../objective.js';
import { utf8Offsets } from '../tokenize-documents.js';
import { MleObjective } from './mle.js';
import { documentSegments, resolveThreshold, segmentScores, type ThresholdSpec } from './threshold.js';

export const GOOD_TOKEN = '<|good|>';
export const BAD_TOKEN = '<|bad|>';
/** Default t: the median segment score (0 when most segments are clean, as in the PHF paper's code and PII runs). */
export const CONDITIONAL_QUANTILE = 0.5;
/** Scale of the noise added to the mean embedding. */
export const CONTROL_INIT_STD = 0.01;
// Offsets the run seed so prefix dropout draws a stream of its own.
const DROP_SEED_OFFSET = 0x636f6e64;

export interface ConditionalParams extends ThresholdSpec {
  /** Probability that a segment keeps no prefix. */
  drop_prob: number;
}

export interface PrefixStats {
  threshold: number;
  segments: number;
  good: number;
  bad: number;
  dropped: number;
}

export class ConditionalObjective implements Objective {
  readonly name = 'conditional';
  readonly needsScores = true;
  private readonly mle = new MleObjective();
  /** Set by prepare. */
  stats: PrefixStats | undefined;

  constructor(private readonly params: ConditionalParams, private readonly source: string) {}

  extendTokenizer(tokenizer: Tokenizer): void {
    tokenizer.addSpecialTokens([GOOD_TOKEN, BAD_TOKEN]);
  }

  initModel(model: GPT, tokenizer: Tokenizer): void {
    initControlEmbeddings(model, controlTokenIds(tokenizer));
  }

  prepare(docs: readonly Document[], tokenized: TokenizedDocument[], ctx: PrepareContext): TokenizedDocument[] {
    const threshold = resolveThreshold(this.params, CONDITIONAL_QUANTILE, segmentScores(docs), 'segment', this.source);
    const out = prefixSegments(docs, tokenized, ctx.tokenizer, { threshold, dropProb: this.params.drop_prob, seed: ctx.seed });
    this.stats = out.stats;
    return out.documents;
  }

  loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext): ObjectiveOutput {
    const out = this.mle.loss(model, batch, ctx);
    const s = this.stats;
    const metrics: Record<string, number> = s ? { 'conditional/threshold': s.threshold, 'conditional/bad_fraction': s.bad / Math.max(1, s.good + s.bad) } : {};
    return { loss: out.loss, metrics };
  }
}

/** Whether the tokenizer has both control tokens (a conditionally trained model). */
export function hasControlTokens(tokenizer: Tokenizer): boolean {
  return tokenizer.tokenToId(GOOD_TOKEN) !== undefined && tokenizer.tokenToId(BAD_TOKEN) !== undefined;
}

/** [<|good|>, <|bad|>] ids: what generation bans; `model` names the model in the sentence if they are missing. */
export function controlTokenIds(tokenizer: Tokenizer, model = 'the model'): [good: number, bad: number] {
  const good = tokenizer.tokenToId(GOOD_TOKEN), bad = tokenizer.tokenToId(BAD_TOKEN);
  if (good === undefined || bad === undefined) fail(`${model} has no ${GOOD_TOKEN} and ${BAD_TOKEN} tokens, so it was not trained with conditional training`);
  return [good, bad];
}

/** `<|endoftext|><|good|>` then `text`: the prompt that asks a conditionally trained model for aligned text. */
export function conditionalPrompt(tokenizer: Tokenizer, text = '', model = 'the model'): Int32Array {
  const [good] = controlTokenIds(tokenizer, model);
  const eos = tokenizer.eosId;
  return Int32Array.from([...(eos === undefined ? [] : [eos]), good, ...tokenizer.encode(text, { special: false })]);
}

/** Sets each control token's embedding row to the mean of the other rows plus N(0, 0.01²) noise (LibTorch's RNG). */
export function initControlEmbeddings(model: GPT, ids: readonly number[]): void {
  noGrad(() => tidy(() => {
    const wte = model.p('transformer.wte.weight');
    const [V, C] = wte.shape as [number, number];
    const own = wte.indexSelect(0, tensor(ids.slice(), [ids.length], 'int64')).sum(0);
    const mean = wte.sum(0).sub(own).div(V - ids.length);
    for (const id of ids) wte.select(0, id).copy_(mean.add(randn([C]).mul(CONTROL_INIT_STD)));
  }));
}

export interface PrefixOptions {
  threshold: number;
  dropProb: number;
  seed: number;
}

/**
 * Inserts a control token before the first token of every segment (the first token
 * whose last byte lies in it, as token scores are assigned), unless dropped; the
 * token takes its segment's score. Segments too short to own a token get none.
 */
export function prefixSegments(docs: readonly Document[], tokenized: readonly TokenizedDocument[], tokenizer: Tokenizer, o: PrefixOptions): { documents: TokenizedDocument[]; stats: PrefixStats } {
  const [good, bad] = controlTokenIds(tokenizer, 'the tokenizer');
  const lengths = tokenByteLengths(tokenizer);
  const rng = new Random(o.seed + DROP_SEED_OFFSET);
  const stats: PrefixStats = { threshold: o.threshold, segments: 0, good: 0, bad: 0, dropped: 0 };
  const documents = tokenized.map((d, i) => {
    const doc = docs[i]!;
    const ends = tokenByteEnds(d.ids, lengths);
    const byteAt = utf8Offsets(doc.text);
    const ids: number[] = [], scores: number[] = [];
    let t = 0;
    const copyUntil = (end: number) => {
      for (; t < end; t++) {
        ids.push(d.ids[t]!);
        scores.push(d.scores![t]!);
      }
    };
    for (const s of [...documentSegments(doc)].sort((a, b) => a.start - b.start)) {
      const first = firstTokenEndingAfter(ends, byteAt[s.start]!, t);
      if (first >= ends.length || ends[first]! > byteAt[s.end]!) continue;
      copyUntil(first);
      stats.segments++;
      if (rng.float() < o.dropProb) {
        stats.dropped++;
        continue;
      }
      const isGood = s.score <= o.threshold;
      stats[isGood ? 'good' : 'bad']++;
      ids.push(isGood ? good : bad);
      scores.push(s.score);
    }
    copyUntil(d.ids.length);
    return { ids: Int32Array.from(ids), scores: Float32Array.from(scores) };
  });
  return { documents, stats };
}

function firstTokenEndingAfter(ends: Uint32Array, byte: number, from: number): number {
  let t = from;
  while (t < ends.length && ends[t]! <= byte) t++;
  return t;
}

/** ends[t] = bytes spelled by tokens 0..t. */
function tokenByteEnds(ids: Int32Array, lengths: Int32Array): Uint32Array {
  const ends = new Uint32Array(ids.length);
  let end = 0;
  ids.forEach((id, t) => (ends[t] = end += lengths[id]!));
  return ends;
}

// Bytes each id spells, as tokenize-documents.ts counts them when it scores tokens.
function tokenByteLengths(tokenizer: Tokenizer): Int32Array {
  const table = new Int32Array(tokenizer.vocabSize);
  for (let id = 0; id < table.length; id++) {
    const token = tokenizer.idToToken(id);
    if (token !== undefined) table[id] = symbolsToBytes(token)?.length ?? Buffer.byteLength(token);
  }
  return table;
}
