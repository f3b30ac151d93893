// How far a model is from a target, without training: draw samples from the model,
// score them, and report Ẑ (per context when conditional), KL/TV/JS between p and
// the model, KL(model‖a), how often the target is satisfied, the features' moments and
// the effective sample size — the same estimators and names as the tuning metrics —
// and, for token samples, distinct-1/2 (a policy that collapses onto a few sequences
// can satisfy a target while losing the prior's diversity).
import type { ContextDistribution } from '../distributions/context-distribution.js';
import type { Distribution, LogScored, Sample, SampleOptions } from '../distributions/distribution.js';
import type { Warn } from '../estimators/warning.js';
import { distinctN } from '../eval/diversity.js';
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';
import { drawSamples, scoreSamples } from './draw.js';
import { PartitionEstimate } from './partition-estimate.js';
import { groupByContext } from './rollout.js';
import { RolloutMonitor } from './rollout-metrics.js';
import type { Metrics } from './strategy.js';

export interface EstimateOptions<O extends SampleOptions> {
  model: Distribution<O>;
  base: Distribution;
  target: LogScored;
  features?: readonly Scorer[];
  contexts?: ContextDistribution;
  /** Samples per context (all samples when unconditional). */
  samples: number;
  /** Contexts drawn (default 16; conditional targets only). */
  contextCount?: number;
  sampleOptions?: Omit<O, 'random'>;
  random?: Random;
  warn?: Warn;
}

export async function estimateAgainstTarget<O extends SampleOptions>(o: EstimateOptions<O>): Promise<Metrics> {
  if (!Number.isSafeInteger(o.samples) || o.samples < 1) fail(`the number of samples must be a positive integer, got ${o.samples}.`);
  const random = o.random ?? new Random(0);
  const contexts = o.contexts ? o.contexts.sample(o.contextCount ?? 16, random) : [undefined];
  const drawn = await drawSamples(o.model, contexts, o.samples, { ...o.sampleOptions, random } as O);
  const scored = await scoreSamples(drawn, { base: o.base, target: o.target, monitor: o.features });
  const n = drawn.samples.length;
  const groups = groupByContext(drawn.contexts, n);
  const logZ = new PartitionEstimate({ kind: 'per-context', epsilon: 0 }).estimate({ logTarget: scored.logTarget!, logBase: scored.logBase, logProposal: drawn.logProposal, contexts: drawn.contexts, groups });
  const logPolicy = await o.model.logScore(drawn.samples, drawn.contexts);
  const monitor = new RolloutMonitor({ warn: o.warn ?? (() => {}) });
  const m = monitor.metrics({ ...drawn, groups, logBase: scored.logBase, logPolicy, logTarget: scored.logTarget, logZ }, scored.features, 0);
  const hits = groups.filter((g) => Number.isFinite(logZ[g[0]!]!)).length;
  return { ...m, log_z: Math.log(m.z!), samples: n, contexts_with_hits: hits / groups.length, ...distinctMetrics(drawn.samples) };
}

function distinctMetrics(samples: readonly Sample[]): Metrics {
  const tokens = samples.flatMap((s) => (s.tokens ? [s.tokens] : []));
  if (tokens.length < samples.length) return {};
  return { 'diversity/distinct_1': distinctN(tokens, 1), 'diversity/distinct_2': distinctN(tokens, 2) };
}
