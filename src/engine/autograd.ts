// Gradient mode: noGrad(fn) runs fn without recording an autograd graph
// (sampling, scoring, evaluation), restoring the previous mode afterwards.
import { native } from './native.js';
import type { Tensor } from './tensor.js';

export function noGrad<R>(fn: () => R): R {
  const was = native.isGradEnabled();
  native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(was);
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Drops the gradients of params (PyTorch's zero_grad(set_to_none=True)). */
export function zeroGrad(params: Tensor[]): void {
  native.zeroGrad(params.map((p) => p.handle));
}

/** Rescales gradients so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return native.clipGradNorm(params.map((p) => p.handle), maxNorm);
}
