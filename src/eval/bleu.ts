// BLEU (Papineni et al. 2002) on token-id sequences, and Self-BLEU (Zhu et al. 2018,
// Texygen): each sample scored as a hypothesis against all the others as references,
// averaged. Sentence BLEU without smoothing:
//   p_n  = Σ_g min(count_hyp(g), max_ref count_ref(g)) / Σ_g count_hyp(g)   (n = 1..N)
//   BP   = 1 if c > r, else exp(1 − r/c), c = |hyp|, r = the reference length closest
//          to c (the shorter on a tie)
//   BLEU = BP · exp(Σ_n (1/N) log p_n), which is 0 as soon as one p_n is 0 or the
//          hypothesis has no n-grams of some order (it is shorter than N).

export type Tokens = ArrayLike<number>;

/** n-gram → count, each n-gram keyed by its ids joined with commas. */
export function ngramCounts(tokens: Tokens, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = Array.prototype.slice.call(tokens, i, i + n).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The length in `lengths` closest to c, the shorter on a tie. */
function closestLength(c: number, lengths: Iterable<number>): number {
  let best = Infinity;
  for (const r of lengths) if (Math.abs(r - c) < Math.abs(best - c) || (Math.abs(r - c) === Math.abs(best - c) && r < best)) best = r;
  return best;
}

function brevityPenalty(c: number, r: number): number {
  if (c === 0) return 0;
  return c > r ? 1 : Math.exp(1 - r / c);
}

/** BLEU from per-order clipped matches and totals (index n-1 holds order n). */
function combine(matches: readonly number[], totals: readonly number[], bp: number): number {
  let logSum = 0;
  for (let k = 0; k < matches.length; k++) {
    if (totals[k] === 0 || matches[k] === 0) return 0;
    logSum += Math.log(matches[k]! / totals[k]!);
  }
  return bp * Math.exp(logSum / matches.length);
}

/** Sentence BLEU-maxN of one hypothesis against references, uniform weights. */
export function bleu(hypothesis: Tokens, references: readonly Tokens[], maxN = 4): number {
  if (references.length === 0) throw new Error('bleu: no references');
  const matches: number[] = [], totals: number[] = [];
  for (let n = 1; n <= maxN; n++) {
    const refMax = new Map<string, number>();
    for (const r of references) for (const [g, c] of ngramCounts(r, n)) refMax.set(g, Math.max(refMax.get(g) ?? 0, c));
    let m = 0, t = 0;
    for (const [g, c] of ngramCounts(hypothesis, n)) {
      m += Math.min(c, refMax.get(g) ?? 0);
      t += c;
    }
    matches.push(m);
    totals.push(t);
  }
  const c = hypothesis.length;
  return combine(matches, totals, brevityPenalty(c, closestLength(c, references.map((r) => r.length))));
}

/**
 * Mean BLEU-maxN of each sample against all the others. Equal to averaging bleu(s_i,
 * others) but linear in the number of n-grams: for each n-gram it keeps the two
 * samples holding it most often, so the largest count among the others is one lookup.
 */
export function selfBleu(samples: readonly Tokens[], maxN = 5): number {
  const N = samples.length;
  if (N < 2) throw new Error('selfBleu: needs at least two samples');
  const matches = Array.from({ length: N }, () => new Array<number>(maxN).fill(0));
  const totals = Array.from({ length: N }, () => new Array<number>(maxN).fill(0));
  for (let n = 1; n <= maxN; n++) {
    const counts = samples.map((s) => ngramCounts(s, n));
    const top = new Map<string, { first: number; firstCount: number; second: number }>();
    counts.forEach((m, i) => {
      for (const [g, c] of m) {
        const e = top.get(g);
        if (!e) top.set(g, { first: i, firstCount: c, second: 0 });
        else if (c > e.firstCount) top.set(g, { first: i, firstCount: c, second: e.firstCount });
        else e.second = Math.max(e.second, c);
      }
    });
    counts.forEach((m, i) => {
      for (const [g, c] of m) {
        const e = top.get(g)!;
        matches[i]![n - 1]! += Math.min(c, e.first === i ? e.second : e.firstCount);
        totals[i]![n - 1]! += c;
      }
    });
  }
  const lengths = samples.map((s) => s.length);
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const others = lengths.filter((_, j) => j !== i);
    sum += combine(matches[i]!, totals[i]!, brevityPenalty(lengths[i]!, closestLength(lengths[i]!, others)));
  }
  return sum / N;
}
