// The metrics every tuning method logs (names as in disco/TRL), from one rollout: how
// far the policy and the proposal are from the target (context-averaged, SPEC §7),
// Z, the effective sample size, how often the target is satisfied, feature moments,
// and how far the policy moved from the base. Expectations under π are estimated with
// self-normalised weights π/q, which are 1 on-policy. Two symptoms warn loudly:
// exploding importance weights and a negative running KL(π‖a).
import { jsTargetPolicy, klTargetPolicy, tvTargetPolicy, type TargetPolicyLogProbs } from '../estimators/divergences.js';
import { checkImportanceWeights } from '../estimators/effective-sample-size.js';
import { RunningPolicyKL } from '../estimators/kl-policy-base.js';
import type { Warn } from '../estimators/warning.js';
import type { Rollout } from './rollout.js';
import type { Metrics } from './strategy.js';

type Divergence = (input: TargetPolicyLogProbs) => number;

function pick(xs: Float64Array, idx: readonly number[]): Float64Array {
  return Float64Array.from(idx, (i) => xs[i]!);
}

/**
 * A divergence between p_c and `logPolicy`, estimated per context with its Z_c and
 * averaged over the contexts where some sample has target weight (elsewhere p_c is
 * unknown); NaN without a target or without any such context.
 */
export function divergenceByContext(divergence: Divergence, r: Rollout, logPolicy: Float64Array): number {
  if (r.logTarget === undefined || r.logZ === undefined) return NaN;
  let sum = 0, count = 0;
  for (const g of r.groups) {
    const logZ = r.logZ[g[0]!]!;
    if (!Number.isFinite(logZ)) continue;
    sum += divergence({ logTarget: pick(r.logTarget, g), logPolicy: pick(logPolicy, g), logProposal: pick(r.logProposal, g), logZ });
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

export function klTargetPolicyByContext(r: Rollout, logPolicy: Float64Array): number {
  return divergenceByContext(klTargetPolicy, r, logPolicy);
}

/** Self-normalised weights π/q (all 1 on-policy), normalised to mean 1. */
export function policyWeights(r: Rollout): Float64Array {
  const logW = r.logPolicy.map((lp, i) => lp - r.logProposal[i]!);
  let max = -Infinity;
  for (const w of logW) if (w > max) max = w;
  const w = logW.map((x) => Math.exp(x - max));
  const mean = w.reduce((s, x) => s + x, 0) / w.length;
  return w.map((x) => x / mean);
}

/** E_π[f] ≈ Σ w_i f_i / Σ w_i. */
export function policyMean(weights: Float64Array, values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) sum += weights[i]! * values[i]!;
  return sum / weights.length;
}

export interface MonitorOptions {
  warn: Warn;
  /** Momentum of the running KL(π‖a) (default 0.1). */
  klMomentum?: number;
}

/** Computes a rollout's metrics and keeps the running KL(π‖a) across steps. */
export class RolloutMonitor {
  private readonly runningKL: RunningPolicyKL;

  constructor(
    private readonly options: MonitorOptions,
    running?: number,
  ) {
    // float32 log-probabilities summed over a sequence are off by ~1e-5: only a clearly negative value is a symptom.
    this.runningKL = new RunningPolicyKL({ momentum: options.klMomentum, warn: options.warn, running, tolerance: 1e-3 });
  }

  get runningPolicyBaseKL(): number | undefined {
    return this.runningKL.running;
  }

  metrics(r: Rollout, features: ReadonlyMap<string, Float64Array>, step: number): Metrics {
    const w = policyWeights(r);
    const m: Metrics = {};
    const diff = r.logPolicy.map((lp, i) => lp - r.logBase[i]!);
    // RunningPolicyKL averages log π − log a over samples of π; off-policy we hand it the
    // weighted differences w_i·(log π − log a) (with log a := 0), whose mean is the same estimate.
    const kl = this.runningKL.update(diff.map((d, i) => (w[i] === 0 ? 0 : w[i]! * d)), new Float64Array(diff.length));
    m.kl_policy_base = kl.running;
    m['objective/kl'] = kl.batch;
    m['objective/entropy'] = -policyMean(w, r.logPolicy);
    if (r.reward) m['reward/mean'] = policyMean(w, r.reward);
    for (const [name, values] of features) m[`moment/${name}`] = policyMean(w, values);
    if (r.logTarget) Object.assign(m, this.targetMetrics(r, w, step));
    return m;
  }

  private targetMetrics(r: Rollout, w: Float64Array, step: number): Metrics {
    const logTarget = r.logTarget!;
    const m: Metrics = { 'b/mean': policyMean(w, Array.from(logTarget, (lp) => (lp > -Infinity ? 1 : 0))) };
    if (r.logZ === undefined) return m;
    let z = 0;
    for (const g of r.groups) z += Math.exp(r.logZ[g[0]!]!);
    m.z = z / r.groups.length;
    if (!(m.z > 0)) return m;
    m.kl_target_policy = divergenceByContext(klTargetPolicy, r, r.logPolicy);
    m.tv_target_policy = divergenceByContext(tvTargetPolicy, r, r.logPolicy);
    m.js_target_policy = divergenceByContext(jsTargetPolicy, r, r.logPolicy);
    m.kl_target_proposal = divergenceByContext(klTargetPolicy, r, r.logProposal);
    // Weights P/(Z_c q) are comparable across contexts; their ESS is the batch's worth as samples of p.
    const logW = logTarget.map((lp, i) => (Number.isFinite(r.logZ![i]) ? lp - r.logZ![i]! - r.logProposal[i]! : -Infinity));
    const d = checkImportanceWeights(logW, { warn: this.options.warn, label: `step ${step}` });
    m.ess = d.ess;
    m.ess_fraction = d.essFraction;
    return m;
  }
}
