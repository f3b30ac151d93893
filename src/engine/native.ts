// Loads the LibTorch addon (native/build/posterior_native.node) and types its
// functions. Only engine/ imports this; everything else uses Tensor.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PosteriorError } from '../util/errors.js';

declare const nativeTensorBrand: unique symbol;
/** An opaque handle owning one at::Tensor. */
export type NativeTensor = { readonly [nativeTensorBrand]: true };

type T = NativeTensor;
type Num = T | number;
type Opt<X> = X | null | undefined;

export interface NativeAddon {
  fromArray(data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array, shape: number[], dtype?: string, device?: string): T;
  fromBytes(bytes: Uint8Array, dtype: string, shape: number[]): T;
  toArray(t: T): Float32Array | Float64Array | Int32Array | Uint8Array;
  toBytes(t: T): Uint8Array;
  item(t: T): number;
  shape(t: T): number[];
  dtype(t: T): string;
  device(t: T): string;
  dispose(t: T): void;
  zeros(shape: number[], dtype?: string, device?: string): T;
  ones(shape: number[], dtype?: string, device?: string): T;
  empty(shape: number[], dtype?: string, device?: string): T;
  full(shape: number[], value: number, dtype?: string, device?: string): T;
  randn(shape: number[], dtype?: string, device?: string): T;
  rand(shape: number[], dtype?: string, device?: string): T;
  arange(start: number, end: number, step: number, dtype?: string, device?: string): T;
  randint(low: number, high: number, shape: number[], device?: string): T;
  to(t: T, dtype?: Opt<string>, device?: Opt<string>): T;
  clone(t: T): T;
  contiguous(t: T): T;
  cudaAvailable(): boolean;

  add(a: T, b: Num): T; sub(a: T, b: Num): T; mul(a: T, b: Num): T; div(a: T, b: Num): T; pow(a: T, b: Num): T;
  eq(a: T, b: Num): T; ne(a: T, b: Num): T; lt(a: T, b: Num): T; le(a: T, b: Num): T; gt(a: T, b: Num): T; ge(a: T, b: Num): T;
  remainder(a: T, b: Num): T; maximum(a: T, b: T): T; minimum(a: T, b: T): T;
  logicalAnd(a: T, b: T): T; logicalOr(a: T, b: T): T; logicalNot(a: T): T;
  neg(a: T): T; exp(a: T): T; log(a: T): T; log1p(a: T): T; expm1(a: T): T; sqrt(a: T): T; rsqrt(a: T): T;
  tanh(a: T): T; sigmoid(a: T): T; logSigmoid(a: T): T; relu(a: T): T; abs(a: T): T; sign(a: T): T;
  square(a: T): T; floor(a: T): T; isfinite(a: T): T; isnan(a: T): T; sin(a: T): T; cos(a: T): T;
  where(cond: T, a: Num, b: Num): T;
  clamp(a: T, min: Opt<number>, max: Opt<number>): T;
  matmul(a: T, b: T): T; bmm(a: T, b: T): T; linear(x: T, w: T, b?: Opt<T>): T; affine(x: T, w: T, b: T): T;
  gelu(x: T, approximate?: 'none' | 'tanh'): T;
  softmax(x: T, dim: number): T; logSoftmax(x: T, dim: number): T;
  layerNorm(x: T, shape: number[], weight: Opt<T>, bias: Opt<T>, eps: number): T;
  embedding(weight: T, ids: T): T;
  dropout(x: T, p: number, train: boolean): T;
  crossEntropy(logits: T, target: T, ignoreIndex?: number, reduction?: 'mean' | 'sum' | 'none', labelSmoothing?: number): T;
  sdpa(q: T, k: T, v: T, mask: Opt<T>, dropoutP: number, isCausal: boolean, scale?: Opt<number>): T;
  gather(x: T, dim: number, index: T): T; indexSelect(x: T, dim: number, index: T): T;
  maskedFill(x: T, mask: T, value: number): T; indexFill(x: T, dim: number, index: T, value: number): T;
  scatter(x: T, dim: number, index: T, src: T): T;
  sum(x: T, dims?: number[], keepdim?: boolean): T; mean(x: T, dims?: number[], keepdim?: boolean): T;
  amax(x: T, dims?: number[], keepdim?: boolean): T; amin(x: T, dims?: number[], keepdim?: boolean): T;
  logsumexp(x: T, dims: number[], keepdim?: boolean): T;
  var(x: T, dims: number[], unbiased?: boolean, keepdim?: boolean): T;
  argmax(x: T, dim: number, keepdim?: boolean): T;
  topk(x: T, k: number, dim: number, largest?: boolean, sorted?: boolean): [T, T];
  sort(x: T, dim: number, descending?: boolean): [T, T];
  cumsum(x: T, dim: number): T;
  multinomial(probs: T, n: number, replacement?: boolean): T;
  reshape(x: T, shape: number[]): T; view(x: T, shape: number[]): T;
  transpose(x: T, a: number, b: number): T; permute(x: T, dims: number[]): T; expand(x: T, shape: number[]): T;
  squeeze(x: T, dim: number): T; unsqueeze(x: T, dim: number): T; flatten(x: T, start: number, end: number): T;
  slice(x: T, dim: number, start: number, end: number, step?: number): T; select(x: T, dim: number, index: number): T;
  cat(xs: T[], dim: number): T; stack(xs: T[], dim: number): T; split(x: T, size: number, dim: number): T[];
  tril(x: T, k?: number): T; triu(x: T, k?: number): T;
  copyInto(dst: T, src: T): void; fill(t: T, value: number): void; addInPlace(t: T, o: T, alpha?: number): void;
  mulInPlace(t: T, factor: number): void; normalInPlace(t: T, mean: number, std: number): void;

  setRequiresGrad(t: T, on: boolean): void; requiresGrad(t: T): boolean; detach(t: T): T;
  backward(t: T, gradOutput?: Opt<T>): void; grad(t: T): T | null; zeroGrad(params: T[]): void;
  setGradEnabled(on: boolean): void; isGradEnabled(): boolean;
  adamwStep(params: T[], expAvg: T[], expAvgSq: T[], step: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number): void;
  clipGradNorm(params: T[], maxNorm: number): number;
  manualSeed(seed: number): void; getRngState(): Uint8Array; setRngState(state: Uint8Array): void;
  setNumThreads(n: number): void; getNumThreads(): number;
}

function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // Walk up to the package root: works from src/ (tests via tsx) and from dist/src/.
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const p = join(dir, 'native', 'build', 'posterior_native.node');
    if (existsSync(p)) return p;
  }
  throw new PosteriorError('the native addon is not built: run `npm run setup` (or `node scripts/build-native.mjs`)');
}

// OpenMP reads its wait policy once, when LibTorch is loaded. Busy-waiting workers
// (the default) cost several-fold on a shared or oversubscribed machine (measured:
// minutes instead of seconds for a sampling run at load 10 on 2 cores), so we default
// to passive; a user who wants spinning sets OMP_WAIT_POLICY=ACTIVE.
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';

export const native: NativeAddon = createRequire(import.meta.url)(addonPath()) as NativeAddon;
