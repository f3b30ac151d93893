// The learning-rate schedule of GPT pretraining (nanoGPT, GPT-3): a linear warmup
// from lr/warmup to lr, then a half cosine from lr down to minLr at the last step.
// It is a pure function of the step, so a resumed run needs no schedule state.
import { fail } from '../util/errors.js';

export interface ScheduleOptions {
  lr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** The learning rate for 0-based optimiser step `step` of `totalSteps`. */
export type Schedule = (step: number) => number;

export function warmupCosine({ lr, minLr, warmupSteps, totalSteps }: ScheduleOptions): Schedule {
  if (!(minLr >= 0 && minLr <= lr)) fail(`min_lr (${minLr}) must lie between 0 and lr (${lr})`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) fail(`warmup_steps must be a non-negative integer, got ${warmupSteps}`);
  return (step) => {
    if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
    const decaySteps = totalSteps - warmupSteps;
    if (decaySteps <= 0 || step >= totalSteps) return minLr;
    const progress = (step - warmupSteps) / decaySteps;
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}
