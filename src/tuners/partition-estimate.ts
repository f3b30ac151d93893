// How the loop normalises the target each step. 'running' (DPG, KL-DPG, f-DPG, GDC):
// a running Ẑ over every sample seen so far, per context if there are contexts
// (SPEC §2) unless `pooled` — one Ẑ for all contexts, as if the context were part of
// the sample: the context-free DPG that CDPG is compared with. 'per-context' (CDPG, SPEC §7): Z_c estimated from this step's M samples of
// context c alone, with ε added to b = P/a in the estimate — Ẑ_c = mean (P + ε·a)/q —
// so a context with no hit does not divide by zero.
import { logAddExp, logMeanExp } from '../distributions/log-space.js';
import { logImportanceWeights } from '../estimators/importance-weights.js';
import { RunningPartition, type RunningPartitionState } from '../estimators/running-partition.js';
import { fail } from '../util/errors.js';

export type PartitionOptions =
  | { kind: 'running'; /** EMA weight of each batch; omit for the cumulative mean. */ momentum?: number; pooled?: boolean }
  | { kind: 'per-context'; /** Added to b(x) in the estimate (default 1e-4). */ epsilon?: number };

export interface PartitionInput {
  logTarget: Float64Array;
  logBase: Float64Array;
  logProposal: Float64Array;
  contexts: readonly string[] | undefined;
  groups: readonly (readonly number[])[];
}

export class PartitionEstimate {
  private running: RunningPartition | undefined;
  private readonly logEpsilon: number;

  constructor(readonly options: PartitionOptions = { kind: 'running' }) {
    if (options.kind === 'running') this.running = new RunningPartition(options.momentum);
    const epsilon = options.kind === 'per-context' ? (options.epsilon ?? 1e-4) : 0;
    if (!(epsilon >= 0) || !Number.isFinite(epsilon)) fail(`ε must be a finite number ≥ 0, got ${epsilon}.`);
    this.logEpsilon = Math.log(epsilon);
  }

  /** log Z of each sample's context, folding this batch in first. */
  estimate(x: PartitionInput): Float64Array {
    const logW = logImportanceWeights(x.logTarget, x.logProposal);
    if (this.running) {
      const pooled = this.options.kind === 'running' && this.options.pooled === true;
      return this.running.updateGrouped(logW, (!pooled && x.contexts) || new Array<string>(logW.length).fill(''));
    }
    const out = new Float64Array(logW.length);
    for (const g of x.groups) {
      const smoothed = Float64Array.from(g, (i) => logAddExp(x.logTarget[i]!, this.logEpsilon + x.logBase[i]!) - x.logProposal[i]!);
      const logZ = logMeanExp(smoothed);
      for (const i of g) out[i] = logZ;
    }
    return out;
  }

  state(): RunningPartitionState | null {
    return this.running?.state() ?? null;
  }

  load(state: RunningPartitionState | null): void {
    if (this.options.kind !== 'running') return;
    if (state === null) fail('the checkpoint holds no running estimate of Z, but this run keeps one.');
    this.running = RunningPartition.fromState(state);
  }
}
