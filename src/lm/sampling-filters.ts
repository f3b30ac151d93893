// The logits processors of sampling, on [B, V] logit tensors: banned ids,
// temperature, top-k and top-p (nucleus), applied in that order, as Hugging Face's
// generate applies them. Each returns new logits where a removed token is -Infinity,
// so log_softmax of the result is the distribution actually sampled from. And the
// draw itself, by inverting each row's CDF with one uniform number.
import { zeros } from '../engine/create.js';
import { cat } from '../engine/functional.js';
import type { Tensor } from '../engine/tensor.js';

export interface SamplingFilters {
  /** Divides the logits; 1 leaves them alone (0, greedy, is handled by the caller). */
  temperature?: number;
  /** Keeps the k largest logits (and any tied with the k-th). */
  topK?: number;
  /** Keeps the smallest set of most likely tokens whose probability reaches p. */
  topP?: number;
  /** int64 [n] ids that may never be drawn. */
  banned?: Tensor | null;
}

/** Whether the filters can change the distribution (a top-k as large as the vocabulary counts, harmlessly). */
export function filtersActive(f: SamplingFilters): boolean {
  return !!f.banned || (f.temperature !== undefined && f.temperature !== 1) || f.topK !== undefined || (f.topP !== undefined && f.topP < 1);
}

export function banIds(logits: Tensor, banned: Tensor): Tensor {
  return logits.indexFill(-1, banned, -Infinity);
}

export function applyTemperature(logits: Tensor, temperature: number): Tensor {
  return temperature === 1 ? logits : logits.div(temperature);
}

export function topKFilter(logits: Tensor, k: number): Tensor {
  const vocab = logits.shape[logits.rank - 1]!;
  if (k >= vocab) return logits;
  const kth = logits.topk(k, -1)[0].slice(-1, k - 1, k);
  return logits.maskedFill(logits.lt(kth), -Infinity);
}

/**
 * Nucleus filter: in descending order, a token survives while the probability mass
 * strictly ahead of it is below p, so the most likely token always survives.
 */
export function topPFilter(logits: Tensor, p: number): Tensor {
  if (p >= 1) return logits;
  const [sorted, order] = logits.sort(-1, true);
  const probs = sorted.softmax(-1);
  const dropSorted = probs.cumsum(-1).sub(probs).ge(p);
  return logits.maskedFill(dropSorted.scatter(-1, order, dropSorted), -Infinity);
}

/** All filters, in Hugging Face's order: bans, temperature, top-k, top-p. */
export function filterLogits(logits: Tensor, f: SamplingFilters): Tensor {
  let z = f.banned ? banIds(logits, f.banned) : logits;
  if (f.temperature !== undefined) z = applyTemperature(z, f.temperature);
  if (f.topK !== undefined) z = topKFilter(z, f.topK);
  if (f.topP !== undefined) z = topPFilter(z, f.topP);
  return z;
}

/** Vocabulary entries per block of the two-level draw. */
const BLOCK = 128;

/**
 * One index per row of probs [B, V] (non-negative, not necessarily normalised), given
 * uniforms u [B, 2] in [0, 1): a block of BLOCK entries is chosen by its mass, then
 * an entry inside it, each as the first index whose cumulative mass reaches
 * (1 - u)·total. That target lies in (0, total], so the index is in range and its
 * probability is positive: a removed token is never drawn. Both cumulative sums are
 * short (V / BLOCK and BLOCK long); a cumulative sum over the whole vocabulary, or
 * torch.multinomial's exponential per entry, costs several times more.
 */
export function sampleCategorical(probs: Tensor, u: Tensor): Tensor {
  const [B, V] = probs.shape as [number, number];
  const g = Math.min(BLOCK, V), G = Math.ceil(V / g);
  const padded = G * g === V ? probs : cat([probs, zeros([B, G * g - V], probs.dtype, probs.device)], 1);
  const blocks = padded.view(B, G, g);
  const w = u.neg().add(1);
  const block = firstReaching(blocks.sum(-1).cumsum(-1), w.slice(1, 0, 1));
  const inBlock = blocks.gather(1, block.unsqueeze(-1).expand(B, 1, g)).view(B, g);
  // A number operand promotes int64 to float (exact below 2^24), hence the cast back.
  return block.mul(g).add(firstReaching(inBlock.cumsum(-1), w.slice(1, 1, 2))).to('int64');
}

/** Per row of cdf [B, n], the first index whose value reaches w·cdf[last] (w [B, 1] in (0, 1]). */
function firstReaching(cdf: Tensor, w: Tensor): Tensor {
  return cdf.lt(w.mul(cdf.slice(-1, -1, Number.MAX_SAFE_INTEGER))).sum(-1, true);
}
