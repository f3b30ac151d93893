// Preallocated key/value cache for incremental decoding: one [B, H, capacity, D]
// buffer per layer and per k/v, written in place, so a step costs no reallocation
// and no concatenation (the per-token cost that a growing torch.cat cache pays).
import { empty } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';

export class KVCache {
  readonly keys: Tensor[];
  readonly values: Tensor[];
  /** Number of positions already written. */
  length = 0;

  constructor(layers: number, batch: number, heads: number, capacity: number, headDim: number, readonly device = 'cpu') {
    // Uninitialised: every position is written before attention reads it.
    const make = () => empty([batch, heads, capacity, headDim], 'float32', device).keep();
    this.keys = Array.from({ length: layers }, make);
    this.values = Array.from({ length: layers }, make);
  }

  get capacity(): number {
    return this.keys[0]!.shape[2]!;
  }

  /** Writes k, v ([B, H, n, D]) at the current position and returns views of everything so far. */
  append(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const n = k.shape[2]!;
    const end = this.length + n;
    this.keys[layer]!.slice(2, this.length, end).copy_(k);
    this.values[layer]!.slice(2, this.length, end).copy_(v);
    return [this.keys[layer]!.slice(2, 0, end), this.values[layer]!.slice(2, 0, end)];
  }

  /** Called once per forward pass, after every layer has appended. */
  advance(n: number): void {
    this.length += n;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
  }
}
