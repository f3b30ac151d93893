// A running estimate of log Z across training steps, one per context (SPEC §2, §7).
// Each batch's Ẑ is unbiased whatever proposal drew it, so by default we pool every
// sample seen (a cumulative mean); `momentum` switches to an exponential moving
// average of the per-batch estimates instead. The state is plain JSON for checkpoints.
import { logAddExp, logSumExp } from '../distributions/log-space.js';
import { fail } from '../util/errors.js';

/** The key of the unconditional estimate. */
const NO_CONTEXT = '';

interface Entry {
  logZ: number;
  count: number;
}

export interface RunningPartitionState {
  momentum: number | null;
  entries: [string, Entry][];
}

export class RunningPartition {
  private readonly entries = new Map<string, Entry>();

  /** `momentum` α ∈ (0, 1]: Z ← (1 − α)·Z + α·Ẑ_batch; omit for the cumulative mean. */
  constructor(readonly momentum?: number) {
    if (momentum !== undefined && !(momentum > 0 && momentum <= 1)) fail(`the running-Z momentum must lie in (0, 1], got ${momentum}.`);
  }

  static fromState(state: RunningPartitionState): RunningPartition {
    const r = new RunningPartition(state.momentum ?? undefined);
    for (const [key, entry] of state.entries) r.entries.set(key, { ...entry });
    return r;
  }

  state(): RunningPartitionState {
    return { momentum: this.momentum ?? null, entries: [...this.entries].map(([k, e]) => [k, { ...e }]) };
  }

  /** Folds in log-weights of samples drawn under one context (or none); returns the running log Z. */
  update(logWeights: Float64Array, context: string = NO_CONTEXT): number {
    if (logWeights.length === 0) fail('a running Z update needs at least one sample.');
    const batchLogSum = logSumExp(logWeights);
    const n = logWeights.length;
    const old = this.entries.get(context);
    let logZ: number;
    if (old === undefined) logZ = batchLogSum - Math.log(n);
    else if (this.momentum === undefined) logZ = logAddExp(old.logZ + Math.log(old.count), batchLogSum) - Math.log(old.count + n);
    else logZ = logAddExp(old.logZ + Math.log1p(-this.momentum), batchLogSum - Math.log(n) + Math.log(this.momentum));
    this.entries.set(context, { logZ, count: (old?.count ?? 0) + n });
    return logZ;
  }

  /** Groups samples by their context and updates each; returns each sample's running log Z. */
  updateGrouped(logWeights: Float64Array, contexts: readonly string[]): Float64Array {
    if (contexts.length !== logWeights.length) fail(`got ${contexts.length} contexts for ${logWeights.length} log-weights.`);
    const groups = new Map<string, number[]>();
    contexts.forEach((c, i) => {
      const idx = groups.get(c);
      if (idx === undefined) groups.set(c, [i]);
      else idx.push(i);
    });
    const out = new Float64Array(logWeights.length);
    for (const [context, idx] of groups) {
      const logZ = this.update(Float64Array.from(idx, (i) => logWeights[i]), context);
      for (const i of idx) out[i] = logZ;
    }
    return out;
  }

  /** The running log Z of a context; undefined before its first update. */
  logZ(context: string = NO_CONTEXT): number | undefined {
    return this.entries.get(context)?.logZ;
  }

  /** How many samples have gone into a context's estimate. */
  count(context: string = NO_CONTEXT): number {
    return this.entries.get(context)?.count ?? 0;
  }
}
