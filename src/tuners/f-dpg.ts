// f-DPG (SPEC §5): minimise an f-divergence D_f(π‖p) = E_p[f(π/p)]. Its gradient is
// E_π[f′(t) ∇ log π] with t = π(x)/p(x), so with the pseudo-reward r(x) = −f′(t) it
// is a policy gradient: loss = mean_i (π/q)_detached · −(r_i − b) · log π(x_i), b a
// running mean of r under π. Forward KL gives DPG back; reverse KL on a·exp(r/β) gives
// the KL-penalised reward of RLHF, r/β − log(π/a), up to a constant.
//
// Where P(x) = 0, t = ∞; f′(∞) is infinite for reverse KL and χ²(π‖p) (their
// divergence is infinite whenever π puts mass there), so log t is capped at
// `maxLogRatio`: such samples get a large finite penalty rather than an infinite one.
import type { Tensor } from '../engine/tensor.js';
import { fail } from '../util/errors.js';
import { groupBaseline, RunningMean } from './baseline.js';
import { required, type Rollout } from './rollout.js';
import { policyMean, policyWeights } from './rollout-metrics.js';
import { LossStrategy, policyGradientLoss, type LossOutput, type StrategyState } from './strategy.js';

/** D_f(π‖p) for: KL(p‖π), KL(π‖p), TV, JS, χ²(p‖π), χ²(π‖p). */
export const fDivergences = ['forward-kl', 'reverse-kl', 'total-variation', 'jensen-shannon', 'forward-chi2', 'reverse-chi2'] as const;
export type FDivergence = (typeof fDivergences)[number];

/** f′(t) as a function of log t (SPEC §5's table), stable for large |log t|. */
export const fPrime: Readonly<Record<FDivergence, (logT: number) => number>> = {
  'forward-kl': (l) => -Math.exp(-l),
  'reverse-kl': (l) => l + 1,
  'total-variation': (l) => 0.5 * Math.sign(l),
  // log(2t/(1+t)) = log 2 − log(1 + 1/t)
  'jensen-shannon': (l) => Math.LN2 - Math.log1p(Math.exp(-l)),
  'forward-chi2': (l) => 1 - Math.exp(-2 * l),
  'reverse-chi2': (l) => 2 * Math.expm1(l),
};

export interface FDPGOptions {
  divergence: FDivergence;
  /** 'running-mean' (default, SPEC §5) or, per context group, 'batch-mean' or 'none'. */
  baseline?: 'running-mean' | 'batch-mean' | 'none';
  /** Momentum of the running-mean baseline (default 0.9). */
  momentum?: number;
  /** Cap on log t = log π − log p (default 10). */
  maxLogRatio?: number;
}

export class FDPG extends LossStrategy {
  readonly name: string;
  readonly needs = { target: true, reward: false };
  readonly divergence: FDivergence;
  private readonly baselineKind: NonNullable<FDPGOptions['baseline']>;
  private readonly running: RunningMean;
  private readonly maxLogRatio: number;

  constructor(options: FDPGOptions) {
    super();
    if (!fDivergences.includes(options.divergence)) fail(`unknown f-divergence "${options.divergence}"; use one of ${fDivergences.join(', ')}.`);
    this.divergence = options.divergence;
    this.name = `f-dpg (${options.divergence})`;
    this.baselineKind = options.baseline ?? 'running-mean';
    this.running = new RunningMean(options.momentum ?? 0.9);
    this.maxLogRatio = options.maxLogRatio ?? 10;
    if (!(this.maxLogRatio > 0)) fail(`maxLogRatio must be positive, got ${this.maxLogRatio}.`);
  }

  /** r_i = −f′(t_i), t_i = π(x_i)/p(x_i) with log t capped. */
  pseudoRewards(r: Rollout): Float64Array {
    const logTarget = required(r, 'logTarget', this.name);
    const logZ = required(r, 'logZ', this.name);
    const f = fPrime[this.divergence];
    return Float64Array.from(r.logPolicy, (lp, i) => -f(Math.min(lp - logTarget[i]! + logZ[i]!, this.maxLogRatio)));
  }

  loss(r: Rollout, logPolicy: Tensor): LossOutput {
    const rewards = this.pseudoRewards(r);
    const w = policyWeights(r);
    const mean = policyMean(w, rewards);
    const b = this.baselineKind === 'running-mean' ? new Float64Array(rewards.length).fill(this.running.value(mean)) : groupBaseline(rewards, r.groups, this.baselineKind);
    // policyWeights are normalised to mean 1; the loss wants π/q itself.
    const ratio = r.logPolicy.map((lp, i) => Math.exp(lp - r.logProposal[i]!));
    const coefficients = rewards.map((x, i) => ratio[i]! * (x - b[i]!));
    this.running.update(mean);
    return { loss: policyGradientLoss(coefficients, logPolicy), metrics: { 'fdpg/pseudo_reward': mean, 'fdpg/baseline': b.reduce((s, x) => s + x, 0) / b.length } };
  }

  override state(): StrategyState {
    return { baseline: this.running.state() };
  }

  override load(state: StrategyState): void {
    this.running.load(state.baseline ?? null);
  }
}
