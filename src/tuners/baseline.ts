// Baselines for score-function gradients: subtracting b from a reward leaves the
// expected gradient unchanged (E_π[∇ log π] = 0) and cuts its variance. Batch means and
// leave-one-out are computed per context group (samples of one prompt share a
// baseline); the running mean carries over steps and is checkpointed.
import { fail } from '../util/errors.js';

export const groupBaselines = ['none', 'batch-mean', 'leave-one-out'] as const;
export type GroupBaseline = (typeof groupBaselines)[number];

/** b_i for every sample: 0, the mean of its group, or the mean of the rest of its group (0 for a lone sample). */
export function groupBaseline(values: Float64Array, groups: readonly (readonly number[])[], kind: GroupBaseline): Float64Array {
  const out = new Float64Array(values.length);
  if (kind === 'none') return out;
  for (const g of groups) {
    let sum = 0;
    for (const i of g) sum += values[i]!;
    if (kind === 'batch-mean') {
      for (const i of g) out[i] = sum / g.length;
    } else if (g.length > 1) {
      for (const i of g) out[i] = (sum - values[i]!) / (g.length - 1);
    }
  }
  return out;
}

/** An exponential moving average b ← m·b + (1 − m)·x, starting at the first x. */
export class RunningMean {
  private current: number | undefined;

  constructor(readonly momentum: number, value?: number) {
    if (!(momentum >= 0 && momentum < 1)) fail(`the baseline momentum must lie in [0, 1), got ${momentum}.`);
    this.current = value;
  }

  /** The baseline to use now; `fallback` (the batch's own mean) before the first update. */
  value(fallback: number): number {
    return this.current ?? fallback;
  }

  update(x: number): void {
    if (!Number.isFinite(x)) return;
    this.current = this.current === undefined ? x : this.momentum * this.current + (1 - this.momentum) * x;
  }

  state(): number | null {
    return this.current ?? null;
  }

  load(value: unknown): void {
    if (value !== null && typeof value !== 'number') fail('the checkpoint holds a malformed running baseline.');
    this.current = value ?? undefined;
  }
}
