// Diversity of samples, on their token ids (the evaluated models share one tokenizer,
// so the numbers compare across them): distinct-n (unique n-grams over n-grams within
// a sample, averaged over the samples that have an n-gram), Self-BLEU-5 over the
// first 200 samples (higher is less diverse) and the entropy, in nats, of the
// unigram distribution of all generated tokens pooled.
import { fail } from '../util/errors.js';
import { ngramCounts, selfBleu, type Tokens } from './bleu.js';

export const SELF_BLEU_SAMPLES = 200;

export interface DiversityMetrics {
  distinct1: number;
  distinct2: number;
  selfBleu5: number;
  entropy: number;
}

export function distinctN(samples: readonly Tokens[], n: number): number {
  let sum = 0, counted = 0;
  for (const s of samples) {
    const total = s.length - n + 1;
    if (total <= 0) continue;
    sum += ngramCounts(s, n).size / total;
    counted++;
  }
  return counted === 0 ? 0 : sum / counted;
}

export function tokenEntropy(samples: readonly Tokens[]): number {
  const counts = new Map<number, number>();
  let total = 0;
  for (const s of samples) {
    for (let i = 0; i < s.length; i++) counts.set(s[i]!, (counts.get(s[i]!) ?? 0) + 1);
    total += s.length;
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / total) * Math.log(c / total);
  return h;
}

export function diversityMetrics(samples: readonly Tokens[]): DiversityMetrics {
  if (samples.length < 2) fail(`diversity needs at least 2 samples, got ${samples.length}`);
  return {
    distinct1: distinctN(samples, 1),
    distinct2: distinctN(samples, 2),
    selfBleu5: selfBleu(samples.slice(0, SELF_BLEU_SAMPLES), 5),
    entropy: tokenEntropy(samples),
  };
}
