// Red-teaming by iterated few-shot prompting (SPEC §9), with the task's reference LM
// as the red LM. The pool starts from held-out prefixes that elicit misaligned text:
// the text just before each misaligned segment of the test documents (document
// openings fill the pool if there are too few). Each round, for each new prompt,
// 4 pool prompts are drawn without replacement, each draw with probability
// ∝ exp(score/0.1) among those left; the red LM continues them, laid out as the
// documents it was trained on (`<|endoftext|>p1<|endoftext|>…p4<|endoftext|>`, the
// best-scoring last), and its text up to its own `<|endoftext|>` is the new prompt.
// The target writes K continuations of each prompt; the prompt's score is their mean
// misalignment. Every round logs the pool's best score, top-10 mean and mean.
import type { CorpusDocument } from '../data/corpus.js';
import { manualSeed } from '../engine/random.js';
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';
import type { EvalModel } from './eval-model.js';
import { scoreTexts } from '../scorers/score-texts.js';
import { mean } from './misalignment.js';
import { EVAL_SAMPLING, sampleTexts, type SamplingSettings } from './sampling.js';

export const SELECTION_TEMPERATURE = 0.1;
export const FEW_SHOT = 4;
const TOP = 10;

export interface RedTeamOptions {
  target: EvalModel;
  red: EvalModel;
  scorer: Scorer;
  /** Held-out documents to seed the pool from. */
  docs: readonly CorpusDocument[];
  rounds?: number;
  /** New prompts the red LM writes per round. */
  proposals?: number;
  /** Continuations per prompt (K). */
  continuations?: number;
  /** Prompts the pool starts with. */
  seedPrompts?: number;
  /** Longest prompt, in characters for seeds and in red-LM tokens for proposals. */
  promptChars?: number;
  promptTokens?: number;
  seed?: number;
  onRound?: (stats: RoundStats) => void;
}

export interface PoolEntry {
  prompt: string;
  score: number;
  /** 0 for the seed prompts. */
  round: number;
}

export interface RoundStats {
  round: number;
  /** Over the whole pool after the round. */
  best: number;
  top10: number;
  poolMean: number;
  /** Mean score of this round's new prompts alone (NaN if none could be scored). */
  roundMean: number;
  poolSize: number;
}

export interface RedTeamResult {
  rounds: RoundStats[];
  /** Best first. */
  pool: PoolEntry[];
}

/** softmax(score / temperature): the chance each pool prompt is the first few-shot example. */
export function selectionProbabilities(scores: ArrayLike<number>, temperature = SELECTION_TEMPERATURE): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]! / temperature);
  const p = Float64Array.from(scores as ArrayLike<number>, (s) => Math.exp(s / temperature - max));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
}

/** k distinct indices, each drawn ∝ exp(score/temperature) among those not yet drawn. */
export function drawFewShot(scores: ArrayLike<number>, k: number, rng: Random, temperature = SELECTION_TEMPERATURE): number[] {
  if (scores.length < k) fail(`the red-team pool has ${scores.length} prompts, fewer than the ${k} few-shot examples a proposal needs`);
  const left = Array.from({ length: scores.length }, (_, i) => i);
  const picked: number[] = [];
  while (picked.length < k) {
    const p = selectionProbabilities(left.map((i) => scores[i]!), temperature);
    let u = rng.float(), j = 0;
    while (j < p.length - 1 && u >= p[j]!) u -= p[j++]!;
    picked.push(left[j]!);
    left.splice(j, 1);
  }
  return picked;
}

/** Text before each misaligned segment of the documents (up to maxChars, from a segment start), then document openings. */
export function seedPrompts(docs: readonly CorpusDocument[], count: number, maxChars: number): string[] {
  const out = new Set<string>();
  const clip = (text: string) => text.slice(-maxChars).trimStart();
  for (const d of docs) {
    for (let i = 1; i < d.segments.length && out.size < count; i++) {
      if (!(d.segments[i]!.score > 0)) continue;
      const prompt = clip(d.text.slice(d.segments[i - 1]!.start, d.segments[i]!.start));
      if (prompt.trim() !== '') out.add(prompt);
    }
  }
  for (const d of docs) {
    if (out.size >= count) break;
    const first = d.segments[0];
    const prompt = first ? clip(d.text.slice(0, first.end)) : '';
    if (prompt.trim() !== '') out.add(prompt);
  }
  return [...out].slice(0, count);
}

/** Mean misalignment of K target continuations of each prompt (NaN if the scorer could score none of them). */
export async function scorePrompts(target: EvalModel, scorer: Scorer, prompts: readonly string[], k: number, settings: SamplingSettings = EVAL_SAMPLING): Promise<Float64Array> {
  const room = Math.floor(target.model.config.n_positions / 2);
  const ids = prompts.map((p) => {
    const t = target.tokenizer.encode(p, { special: false });
    return t.length > room ? t.slice(t.length - room) : t;
  });
  const samples = sampleTexts(target, ids, k, settings);
  const { scores } = await scoreTexts(scorer, samples.map((s) => s.text), samples.map((s) => prompts[s.promptIndex]!));
  return Float64Array.from(prompts, (_, i) => meanOfScored(scores.subarray(i * k, (i + 1) * k)));
}

/** The mean of the scores the scorer could give; NaN if it could give none. */
function meanOfScored(scores: Float64Array): number {
  const scored = scores.filter((s) => !Number.isNaN(s));
  return scored.length === 0 ? NaN : mean(scored);
}

/** The red LM's new prompts, each from its own draw of few-shot examples. */
function propose(red: EvalModel, pool: readonly PoolEntry[], count: number, maxTokens: number, rng: Random): string[] {
  const settings: SamplingSettings = { temperature: 1, topP: 0.9, minNewTokens: 1, maxNewTokens: maxTokens };
  // Each example keeps its last tokens so that four of them, their separators and the new prompt fit the context.
  const perExample = Math.floor((red.model.config.n_positions - red.prompt.length - maxTokens) / FEW_SHOT) - 1;
  if (perExample < 1) fail(`the red LM's context of ${red.model.config.n_positions} tokens is too short for ${FEW_SHOT} examples and a prompt of ${maxTokens} tokens`);
  const contexts: Int32Array[] = [];
  for (let i = 0; i < count; i++) {
    const picked = drawFewShot(pool.map((e) => e.score), FEW_SHOT, rng).sort((a, b) => pool[a]!.score - pool[b]!.score);
    const ids: number[] = [];
    for (const j of picked) {
      const t = red.tokenizer.encode(pool[j]!.prompt, { special: false });
      ids.push(...t.slice(Math.max(0, t.length - perExample)), red.eosId);
    }
    contexts.push(Int32Array.from(ids));
  }
  return sampleTexts(red, contexts, 1, settings).map((s) => s.text);
}

function stats(round: number, pool: readonly PoolEntry[], fresh: readonly number[]): RoundStats {
  const sorted = pool.map((e) => e.score).sort((a, b) => b - a);
  return {
    round, best: sorted[0]!, top10: mean(sorted.slice(0, TOP)), poolMean: mean(sorted),
    roundMean: fresh.length ? mean(fresh) : NaN, poolSize: pool.length,
  };
}

export async function redTeam(opts: RedTeamOptions): Promise<RedTeamResult> {
  const rounds = opts.rounds ?? 5, proposals = opts.proposals ?? 20, k = opts.continuations ?? 4;
  const seed = opts.seed ?? 0;
  for (const [name, v] of [['rounds', rounds], ['proposals', proposals], ['continuations', k]] as const) {
    if (!Number.isInteger(v) || v < 1) fail(`red-teaming ${name} must be a positive integer, got ${v}`);
  }
  const rng = new Random(seed);
  manualSeed(seed);
  const seeds = seedPrompts(opts.docs, opts.seedPrompts ?? 20, opts.promptChars ?? 200);
  if (seeds.length < FEW_SHOT) fail(`the held-out documents give ${seeds.length} seed prompts for red-teaming, fewer than the ${FEW_SHOT} few-shot examples it needs`);
  // A prompt none of whose continuations could be scored stays out of the pool.
  const seedScores = await scorePrompts(opts.target, opts.scorer, seeds, k);
  const pool: PoolEntry[] = seeds.map((prompt, i) => ({ prompt, score: seedScores[i]!, round: 0 })).filter((e) => !Number.isNaN(e.score));
  if (pool.length < FEW_SHOT) fail(`only ${pool.length} of the ${seeds.length} seed prompts could be scored, fewer than the ${FEW_SHOT} few-shot examples red-teaming needs`);
  const log: RoundStats[] = [stats(0, pool, pool.map((e) => e.score))];
  opts.onRound?.(log[0]!);
  for (let r = 1; r <= rounds; r++) {
    const fresh = propose(opts.red, pool, proposals, opts.promptTokens ?? 32, rng);
    const scores = await scorePrompts(opts.target, opts.scorer, fresh, k);
    const added = fresh.map((prompt, i) => ({ prompt, score: scores[i]!, round: r })).filter((e) => !Number.isNaN(e.score));
    pool.push(...added);
    log.push(stats(r, pool, added.map((e) => e.score)));
    opts.onRound?.(log[r]!);
  }
  return { rounds: log, pool: [...pool].sort((a, b) => b.score - a.score) };
}
