// Accumulation (SPEC §4): draw batches from a proposal until N samples are kept. With
// no selection every draw is kept; rejection and quasi-rejection sampling pass a
// selection that keeps some of each batch. The draw budget stops a target that the
// proposal (almost) never satisfies from looping forever.
import type { Distribution, Sample, Sampled, SampleOptions } from '../distributions/distribution.js';
import { checkCount } from '../distributions/distribution.js';
import { fail } from '../util/errors.js';
import type { Random } from '../util/random.js';

export interface AccumulateOptions<O extends SampleOptions = SampleOptions> {
  /** Drives the proposal (unless `sampleOptions.random` is set) and the accept decisions. */
  random: Random;
  /** Condition every draw on this context. */
  context?: string;
  /** Samples per call to the proposal (default 64). */
  batchSize?: number;
  /** Extra options for the proposal's sampler (temperature, …). */
  sampleOptions?: O;
  /** Give up after this many proposals (default 1000·N). */
  maxDraws?: number;
  /** At maxDraws, return what was kept instead of failing: a fixed budget of proposals (to measure an acceptance rate). */
  partial?: boolean;
}

/** Which samples of a batch to keep; called once per batch, in order. */
export type Selection = (batch: Sampled) => Promise<ArrayLike<boolean>>;

export interface Accumulated {
  samples: Sample[];
  /** log q(x) of the kept samples. */
  logProbs: Float64Array;
  /** Total proposals drawn (kept or not). */
  drawn: number;
}

export async function accumulate<O extends SampleOptions>(proposal: Distribution<O>, n: number, options: AccumulateOptions<O>, select?: Selection): Promise<Accumulated> {
  checkCount(n);
  const { batchSize = 64, maxDraws = 1000 * n } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) fail(`the batch size must be a positive integer, got ${batchSize}.`);
  const sampleOptions = { ...options.sampleOptions, random: options.sampleOptions?.random ?? options.random } as O;
  const samples: Sample[] = [];
  const logProbs: number[] = [];
  let drawn = 0;
  while (samples.length < n) {
    if (drawn >= maxDraws) {
      if (options.partial) break;
      fail(`after ${drawn} proposals only ${samples.length} of the ${n} samples requested were accepted (acceptance rate ${(samples.length / drawn).toPrecision(3)}); raise maxDraws, or use a proposal closer to the target.`);
    }
    // Without a selection every draw is kept, so never draw more than still needed.
    const want = Math.min(batchSize, select === undefined ? n - samples.length : maxDraws - drawn);
    const batch = await proposal.sample(want, options.context, sampleOptions);
    if (batch.samples.length !== want || batch.logProbs.length !== want) fail(`the proposal returned ${batch.samples.length} samples and ${batch.logProbs.length} log-probabilities when asked for ${want}.`);
    drawn += want;
    const keep = select === undefined ? undefined : await select(batch);
    if (keep !== undefined && keep.length !== want) fail(`a selection returned ${keep.length} decisions for a batch of ${want}.`);
    for (let i = 0; i < want && samples.length < n; i++) {
      if (keep !== undefined && !keep[i]) continue;
      samples.push(batch.samples[i]);
      logProbs.push(batch.logProbs[i]);
    }
  }
  return { samples, logProbs: Float64Array.from(logProbs), drawn };
}
