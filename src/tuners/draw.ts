// The first half of a tuning step, shared with `posterior estimate`: draw M samples per
// context from a proposal, then score them under the base, the target, a reward and
// monitored features. An EBM over the very same base only needs its factors scored.
import type { Distribution, LogScored, Sample, SampleOptions } from '../distributions/distribution.js';
import { EBM } from '../distributions/ebm.js';
import { scoreFeature } from '../distributions/feature.js';
import { isTokenScored, type TrainablePolicy } from '../distributions/trainable.js';
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';

export interface Drawn {
  samples: Sample[];
  /** log q of each sample under the distribution (and options) that drew it. */
  logProposal: Float64Array;
  /** The context of each sample; undefined when unconditional. */
  contexts: string[] | undefined;
}

/** `perContext` samples for each context (undefined: the single unconditional one). */
export async function drawSamples<O extends SampleOptions>(proposal: Distribution<O>, contexts: readonly (string | undefined)[], perContext: number, opts: O): Promise<Drawn> {
  const samples: Sample[] = [];
  const logProposal = new Float64Array(contexts.length * perContext);
  const many = (proposal as Partial<TrainablePolicy<O>>).sampleMany;
  const batches = [];
  if (many && contexts.length > 1) batches.push(await many.call(proposal, contexts, perContext, opts));
  else for (const c of contexts) batches.push(await proposal.sample(perContext, c, opts));
  for (const b of batches) {
    if (b.samples.length !== b.logProbs.length) fail(`the proposal returned ${b.samples.length} samples but ${b.logProbs.length} log-probabilities.`);
    if (samples.length + b.samples.length > logProposal.length) fail(`the proposal returned more samples than the ${logProposal.length} asked for.`);
    logProposal.set(b.logProbs, samples.length);
    samples.push(...b.samples);
  }
  if (samples.length !== logProposal.length) fail(`the proposal returned ${samples.length} samples when asked for ${logProposal.length}.`);
  const conditional = contexts.some((c) => c !== undefined);
  return { samples, logProposal, contexts: conditional ? contexts.flatMap((c) => new Array<string>(perContext).fill(c ?? '')) : undefined };
}

export interface ScoreInputs {
  base: Distribution;
  target?: LogScored;
  reward?: Scorer;
  monitor?: readonly Scorer[];
  /** Also score each token under the base (PPO). */
  tokenLogBase?: boolean;
}

export interface Scored {
  logBase: Float64Array;
  logTarget?: Float64Array;
  reward?: Float64Array;
  /** Monitored feature values by name. */
  features: Map<string, Float64Array>;
  tokenLogBase?: Float64Array[];
}

export async function scoreSamples(d: Drawn, s: ScoreInputs): Promise<Scored> {
  const logBase = await s.base.logScore(d.samples, d.contexts);
  if (logBase.length !== d.samples.length) fail(`the base returned ${logBase.length} log-probabilities for ${d.samples.length} samples.`);
  let logTarget: Float64Array | undefined;
  if (s.target instanceof EBM && s.target.base === s.base) {
    const factors = await s.target.factorLogScore(d.samples, d.contexts);
    logTarget = factors.map((f, i) => f + logBase[i]!);
  } else if (s.target) {
    logTarget = await s.target.logScore(d.samples, d.contexts);
  }
  const features = new Map<string, Float64Array>();
  for (const f of s.monitor ?? []) features.set(f.name, await scoreFeature(f, d.samples, d.contexts));
  const reward = s.reward ? await scoreFeature(s.reward, d.samples, d.contexts) : undefined;
  // A base without per-token scores (a categorical) sees each sample as one token.
  const tokenLogBase = s.tokenLogBase ? (isTokenScored(s.base) ? await s.base.tokenLogScores(d.samples, d.contexts) : Array.from(logBase, (v) => Float64Array.of(v))) : undefined;
  return { logBase, logTarget, reward, features, tokenLogBase };
}
