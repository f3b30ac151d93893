// Rejection sampling with a known bound P(x) ≤ M·q(x) (SPEC §4): accept x ~ q with
// probability P(x)/(M·q(x)). The kept samples follow p = P/Z exactly, and the
// acceptance rate estimates Z/M. A sample that breaks the bound would make the
// output inexact, so it is refused rather than clipped.
import type { Distribution, LogScored, Sample, SampleOptions } from '../distributions/distribution.js';
import { fail } from '../util/errors.js';
import { logImportanceWeights } from '../estimators/importance-weights.js';
import { accumulate, type AccumulateOptions } from './accumulation.js';

export interface RejectionOptions<O extends SampleOptions = SampleOptions> extends AccumulateOptions<O> {
  /** log M, with P(x) ≤ M·q(x) for every x. */
  logBound: number;
}

export interface RejectionResult {
  samples: Sample[];
  /** log q(x) of the accepted samples. */
  logProposal: Float64Array;
  drawn: number;
  accepted: number;
  /** accepted / drawn; its expectation is Z/M. */
  acceptanceRate: number;
  /** log(M · acceptanceRate), an unbiased-in-Z estimate of log Z. */
  logZ: number;
}

export async function rejectionSample<O extends SampleOptions>(target: LogScored, proposal: Distribution<O>, n: number, options: RejectionOptions<O>): Promise<RejectionResult> {
  const { logBound, random } = options;
  if (!Number.isFinite(logBound)) fail(`the log-bound log M must be a finite number, got ${logBound}.`);
  let accepted = 0;
  let decided = 0;
  const out = await accumulate(proposal, n, options, async (batch) => {
    const logW = logImportanceWeights(await target.logScore(batch.samples, options.context), batch.logProbs);
    return Array.from(logW, (lw, i) => {
      // A little slack for rounding in log-probabilities computed by different code paths.
      if (lw > logBound + 1e-9) fail(`the bound is violated: log P(x) − log q(x) = ${lw} > log M = ${logBound} for "${batch.samples[i].text}", so rejection sampling would not be exact; raise M.`);
      const accept = random.float() < Math.exp(lw - logBound);
      decided++;
      if (accept) accepted++;
      return accept;
    });
  });
  return { samples: out.samples, logProposal: out.logProbs, drawn: decided, accepted, acceptanceRate: accepted / decided, logZ: logBound + Math.log(accepted / decided) };
}
