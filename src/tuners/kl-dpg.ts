// KL-adaptive DPG (SPEC §5): off-policy DPG. Samples come from a frozen proposal q,
// a copy of an earlier π; every K steps (default 16) KL(p‖π) and KL(p‖q) are
// estimated on the same samples, and when π is closer to the target, π is copied into
// q. The loss is DPG's, whose advantage already divides by q.
import type { Distribution } from '../distributions/distribution.js';
import type { TrainablePolicy } from '../distributions/trainable.js';
import type { Tensor } from '../engine/tensor.js';
import { fail } from '../util/errors.js';
import { DPG } from './dpg.js';
import type { Rollout } from './rollout.js';
import { klTargetPolicyByContext } from './rollout-metrics.js';
import type { Metrics } from './strategy.js';

export interface KLAdaptiveDPGOptions {
  /** Steps between comparisons of π and q (default 16). */
  interval?: number;
}

export class KLAdaptiveDPG extends DPG {
  override readonly name = 'kl-dpg';
  readonly interval: number;
  private readonly q: TrainablePolicy;

  constructor(
    private readonly policy: TrainablePolicy,
    options: KLAdaptiveDPGOptions = {},
  ) {
    super();
    this.interval = options.interval ?? 16;
    if (!Number.isSafeInteger(this.interval) || this.interval < 1) fail(`the proposal update interval must be a positive integer, got ${this.interval}.`);
    this.q = policy.frozenCopy();
  }

  proposal(): Distribution {
    return this.q;
  }

  override buffers(): ReadonlyMap<string, Tensor> {
    return new Map([...this.q.namedParameters()].map(([name, t]) => [`proposal.${name}`, t]));
  }

  /** Every `interval` steps: π (after this step's update) replaces q if it is closer to p on this step's samples. */
  async afterUpdate(r: Rollout, step: number): Promise<Metrics> {
    if (step % this.interval !== 0) return {};
    const logPolicy = await this.policy.logScore(r.samples, r.contexts);
    const klPolicy = klTargetPolicyByContext(r, logPolicy);
    const klProposal = klTargetPolicyByContext(r, r.logProposal);
    // NaN when no sample has target weight: nothing to compare, q stays.
    const better = klPolicy < klProposal;
    if (better) this.q.copyFrom(this.policy);
    return { 'proposal/kl_target_policy': klPolicy, 'proposal/kl_target_proposal': klProposal, 'proposal/updated': better ? 1 : 0 };
  }

  override dispose(): void {
    this.q.dispose();
  }
}
