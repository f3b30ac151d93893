// Quasi-rejection sampling (QRS, SPEC §4): accept x ~ q with min(1, P(x)/(β·q(x))).
// No bound is needed; the kept samples follow p_β ∝ min(P, β·q), which approaches
// p = P/Z as β grows while the acceptance rate E_q[min(P/q, β)]/β falls. From the same
// proposals we also estimate Z and TV(p_β, p), so a user sees both sides of the trade.
import type { Distribution, LogScored, Sample, SampleOptions } from '../distributions/distribution.js';
import { logMeanExp } from '../distributions/log-space.js';
import { logImportanceWeights } from '../estimators/importance-weights.js';
import { fail } from '../util/errors.js';
import { accumulate, type AccumulateOptions } from './accumulation.js';

export interface QRSOptions<O extends SampleOptions = SampleOptions> extends AccumulateOptions<O> {
  /** β > 0; give `logBeta` instead for values beyond floating point. Exactly one of the two. */
  beta?: number;
  /** log β: P/q is compared with β in log space. */
  logBeta?: number;
}

export interface QRSResult {
  samples: Sample[];
  /** log P(x) of the accepted samples. */
  logTarget: Float64Array;
  /** log q(x) of the accepted samples. */
  logProposal: Float64Array;
  drawn: number;
  accepted: number;
  /** accepted / drawn. */
  acceptanceRate: number;
  /** E_q[min(P/q, β)]/β estimated over every proposal: the expected acceptance rate. */
  expectedAcceptanceRate: number;
  /** log Ẑ = log mean P/q over every proposal. */
  logZ: number;
  /** TV(p_β, p) ≈ (1/2N) Σ |min(w, β)/Ẑ_β − w/Ẑ| over every proposal (w = P/q). */
  tvToTarget: number;
}

export async function quasiRejectionSample<O extends SampleOptions>(target: LogScored, proposal: Distribution<O>, n: number, options: QRSOptions<O>): Promise<QRSResult> {
  const { random } = options;
  if ((options.beta === undefined) === (options.logBeta === undefined)) fail('quasi-rejection sampling needs exactly one of beta and logBeta.');
  const logBeta = options.logBeta ?? Math.log(options.beta!);
  if (!Number.isFinite(logBeta)) fail(`β must be a positive finite number, got ${options.beta ?? `exp(${options.logBeta})`}.`);
  const allLogW: number[] = [];
  const acceptedLogTarget: number[] = [];
  let accepted = 0;
  const out = await accumulate(proposal, n, options, async (batch) => {
    const logP = await target.logScore(batch.samples, options.context);
    const logW = logImportanceWeights(logP, batch.logProbs);
    return Array.from(logW, (lw, i) => {
      allLogW.push(lw);
      const accept = random.float() < Math.exp(Math.min(0, lw - logBeta));
      // accumulate keeps the first n accepted samples in order, so do we.
      if (accept && accepted++ < n) acceptedLogTarget.push(logP[i]);
      return accept;
    });
  });
  const logW = Float64Array.from(allLogW);
  const logZ = logMeanExp(logW);
  const logClipped = logW.map((lw) => Math.min(lw, logBeta));
  const logZBeta = logMeanExp(logClipped);
  let tv = 0;
  for (let i = 0; i < logW.length; i++) tv += Math.abs(Math.exp(logClipped[i] - logZBeta) - Math.exp(logW[i] - logZ));
  return {
    samples: out.samples,
    logTarget: Float64Array.from(acceptedLogTarget),
    logProposal: out.logProbs,
    drawn: logW.length,
    accepted,
    acceptanceRate: accepted / logW.length,
    expectedAcceptanceRate: Math.exp(logZBeta - logBeta),
    logZ,
    tvToTarget: tv / (2 * logW.length),
  };
}
