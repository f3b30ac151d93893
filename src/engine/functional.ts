// Neural-network functions and multi-tensor operations, PyTorch's F.* names.
import { native } from './native.js';
import { Tensor } from './tensor.js';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(x.handle, weight.handle, bias?.handle));
}
/** x·W + b with W stored [in, out] (GPT-2's Conv1D layout). */
export function affine(x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  return new Tensor(native.affine(x.handle, weight.handle, bias.handle));
}
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return new Tensor(native.gelu(x.handle, approximate));
}
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(x.handle, [x.shape[x.rank - 1]!], weight?.handle, bias?.handle, eps));
}
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  return new Tensor(native.embedding(weight.handle, ids.handle));
}
export function dropout(x: Tensor, p: number, train: boolean): Tensor {
  return p === 0 || !train ? x : new Tensor(native.dropout(x.handle, p, train));
}
/** Token cross-entropy: logits [N, C], targets [N] (int64). */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: { ignoreIndex?: number; reduction?: 'mean' | 'sum' | 'none'; labelSmoothing?: number } = {}): Tensor {
  return new Tensor(native.crossEntropy(logits.handle, targets.handle, opts.ignoreIndex ?? -100, opts.reduction ?? 'mean', opts.labelSmoothing ?? 0));
}
/** Scaled dot-product attention over [B, H, T, D]; mask is boolean (true = attend) or additive. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: { mask?: Tensor | null; causal?: boolean; dropout?: number; scale?: number } = {}): Tensor {
  return new Tensor(native.sdpa(q.handle, k.handle, v.handle, opts.mask?.handle, opts.dropout ?? 0, opts.causal ?? false, opts.scale));
}
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return new Tensor(native.where(cond.handle, typeof a === 'number' ? a : a.handle, typeof b === 'number' ? b : b.handle));
}
export function cat(xs: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(xs.map((x) => x.handle), dim));
}
export function stack(xs: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(xs.map((x) => x.handle), dim));
}
/** Draws n indices per row from (unnormalised, non-negative) probabilities. */
export function multinomial(probs: Tensor, n: number, replacement = false): Tensor {
  return new Tensor(native.multinomial(probs.handle, n, replacement));
}
