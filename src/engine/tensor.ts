// The Tensor: a TypeScript handle over one native at::Tensor. Every operation
// returns a new Tensor registered in the current scope (see scope.ts); shapes are
// plain number arrays; dims may be negative, as in PyTorch.
import { native, type NativeTensor } from './native.js';
import { track, untrack, type Disposable } from './scope.js';

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';
export type Device = string; // 'cpu', 'cuda', 'cuda:1'
type Operand = Tensor | number;

const h = (x: Operand): NativeTensor | number => (typeof x === 'number' ? x : x.handle);

export class Tensor implements Disposable {
  private _shape: number[] | undefined;
  private _disposed = false;

  constructor(readonly handle: NativeTensor) {
    track(this);
  }

  get shape(): number[] {
    return (this._shape ??= native.shape(this.handle));
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get dtype(): DType {
    return native.dtype(this.handle) as DType;
  }
  get device(): Device {
    return native.device(this.handle);
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    native.dispose(this.handle);
  }
  /** Keeps this tensor alive past the enclosing tidy(). */
  keep(): this {
    untrack(this);
    return this;
  }

  // Copies out.
  toFloat32Array(): Float32Array {
    return this.copyOut('float32') as Float32Array;
  }
  toFloat64Array(): Float64Array {
    return this.copyOut('float64') as Float64Array;
  }
  /** Integers (and bools) as Int32Array; the addon narrows int64 itself. */
  toInt32Array(): Int32Array {
    const dt = this.dtype;
    return (dt === 'int64' || dt === 'int32' ? native.toArray(this.handle) : this.copyOut('int32')) as Int32Array;
  }
  private copyOut(dtype: DType): Float32Array | Float64Array | Int32Array | Uint8Array {
    if (this.dtype === dtype) return native.toArray(this.handle);
    // The converted temporary is freed at once, not left to the garbage collector.
    const tmp = native.to(this.handle, dtype);
    try {
      return native.toArray(tmp);
    } finally {
      native.dispose(tmp);
    }
  }
  toBytes(): Uint8Array {
    return native.toBytes(this.handle);
  }
  item(): number {
    return native.item(this.handle);
  }

  // Elementwise.
  add(o: Operand): Tensor { return new Tensor(native.add(this.handle, h(o))); }
  sub(o: Operand): Tensor { return new Tensor(native.sub(this.handle, h(o))); }
  mul(o: Operand): Tensor { return new Tensor(native.mul(this.handle, h(o))); }
  div(o: Operand): Tensor { return new Tensor(native.div(this.handle, h(o))); }
  pow(o: Operand): Tensor { return new Tensor(native.pow(this.handle, h(o))); }
  eq(o: Operand): Tensor { return new Tensor(native.eq(this.handle, h(o))); }
  ne(o: Operand): Tensor { return new Tensor(native.ne(this.handle, h(o))); }
  lt(o: Operand): Tensor { return new Tensor(native.lt(this.handle, h(o))); }
  le(o: Operand): Tensor { return new Tensor(native.le(this.handle, h(o))); }
  gt(o: Operand): Tensor { return new Tensor(native.gt(this.handle, h(o))); }
  ge(o: Operand): Tensor { return new Tensor(native.ge(this.handle, h(o))); }
  remainder(o: Operand): Tensor { return new Tensor(native.remainder(this.handle, h(o))); }
  maximum(o: Tensor): Tensor { return new Tensor(native.maximum(this.handle, o.handle)); }
  minimum(o: Tensor): Tensor { return new Tensor(native.minimum(this.handle, o.handle)); }
  and(o: Tensor): Tensor { return new Tensor(native.logicalAnd(this.handle, o.handle)); }
  or(o: Tensor): Tensor { return new Tensor(native.logicalOr(this.handle, o.handle)); }
  not(): Tensor { return new Tensor(native.logicalNot(this.handle)); }
  neg(): Tensor { return new Tensor(native.neg(this.handle)); }
  exp(): Tensor { return new Tensor(native.exp(this.handle)); }
  log(): Tensor { return new Tensor(native.log(this.handle)); }
  log1p(): Tensor { return new Tensor(native.log1p(this.handle)); }
  expm1(): Tensor { return new Tensor(native.expm1(this.handle)); }
  sqrt(): Tensor { return new Tensor(native.sqrt(this.handle)); }
  rsqrt(): Tensor { return new Tensor(native.rsqrt(this.handle)); }
  tanh(): Tensor { return new Tensor(native.tanh(this.handle)); }
  sigmoid(): Tensor { return new Tensor(native.sigmoid(this.handle)); }
  logSigmoid(): Tensor { return new Tensor(native.logSigmoid(this.handle)); }
  relu(): Tensor { return new Tensor(native.relu(this.handle)); }
  abs(): Tensor { return new Tensor(native.abs(this.handle)); }
  sign(): Tensor { return new Tensor(native.sign(this.handle)); }
  square(): Tensor { return new Tensor(native.square(this.handle)); }
  floor(): Tensor { return new Tensor(native.floor(this.handle)); }
  isFinite(): Tensor { return new Tensor(native.isfinite(this.handle)); }
  isNaN(): Tensor { return new Tensor(native.isnan(this.handle)); }
  clamp(min: number | null, max: number | null = null): Tensor { return new Tensor(native.clamp(this.handle, min, max)); }
  maskedFill(mask: Tensor, value: number): Tensor { return new Tensor(native.maskedFill(this.handle, mask.handle, value)); }
  indexFill(dim: number, index: Tensor, value: number): Tensor { return new Tensor(native.indexFill(this.handle, dim, index.handle, value)); }

  // Linear algebra.
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this.handle, o.handle)); }
  bmm(o: Tensor): Tensor { return new Tensor(native.bmm(this.handle, o.handle)); }

  // Reductions (no dims: over everything).
  sum(dims?: number[] | number, keepdim = false): Tensor { return new Tensor(native.sum(this.handle, dimList(dims), keepdim)); }
  mean(dims?: number[] | number, keepdim = false): Tensor { return new Tensor(native.mean(this.handle, dimList(dims), keepdim)); }
  amax(dims?: number[] | number, keepdim = false): Tensor { return new Tensor(native.amax(this.handle, dimList(dims), keepdim)); }
  amin(dims?: number[] | number, keepdim = false): Tensor { return new Tensor(native.amin(this.handle, dimList(dims), keepdim)); }
  logsumexp(dims: number[] | number, keepdim = false): Tensor { return new Tensor(native.logsumexp(this.handle, dimList(dims)!, keepdim)); }
  var(dims: number[] | number, unbiased = true, keepdim = false): Tensor { return new Tensor(native.var(this.handle, dimList(dims)!, unbiased, keepdim)); }
  argmax(dim: number, keepdim = false): Tensor { return new Tensor(native.argmax(this.handle, dim, keepdim)); }
  cumsum(dim: number): Tensor { return new Tensor(native.cumsum(this.handle, dim)); }
  softmax(dim: number): Tensor { return new Tensor(native.softmax(this.handle, dim)); }
  logSoftmax(dim: number): Tensor { return new Tensor(native.logSoftmax(this.handle, dim)); }
  topk(k: number, dim = -1, largest = true): [Tensor, Tensor] {
    const [v, i] = native.topk(this.handle, k, dim, largest, true);
    return [new Tensor(v), new Tensor(i)];
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    const [v, i] = native.sort(this.handle, dim, descending);
    return [new Tensor(v), new Tensor(i)];
  }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this.handle, dim, index.handle)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.handle, dim, index.handle)); }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor { return new Tensor(native.scatter(this.handle, dim, index.handle, src.handle)); }

  // Shapes.
  reshape(...shape: number[]): Tensor { return new Tensor(native.reshape(this.handle, shape)); }
  view(...shape: number[]): Tensor { return new Tensor(native.view(this.handle, shape)); }
  transpose(a: number, b: number): Tensor { return new Tensor(native.transpose(this.handle, a, b)); }
  permute(...dims: number[]): Tensor { return new Tensor(native.permute(this.handle, dims)); }
  expand(...shape: number[]): Tensor { return new Tensor(native.expand(this.handle, shape)); }
  squeeze(dim: number): Tensor { return new Tensor(native.squeeze(this.handle, dim)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.handle, dim)); }
  flatten(start = 0, end = -1): Tensor { return new Tensor(native.flatten(this.handle, start, end)); }
  /** Elements start..end-1 along dim (a view). */
  slice(dim: number, start: number, end: number, step = 1): Tensor { return new Tensor(native.slice(this.handle, dim, start, end, step)); }
  select(dim: number, index: number): Tensor { return new Tensor(native.select(this.handle, dim, index)); }
  split(size: number, dim: number): Tensor[] { return native.split(this.handle, size, dim).map((t) => new Tensor(t)); }
  tril(k = 0): Tensor { return new Tensor(native.tril(this.handle, k)); }
  triu(k = 0): Tensor { return new Tensor(native.triu(this.handle, k)); }
  contiguous(): Tensor { return new Tensor(native.contiguous(this.handle)); }
  clone(): Tensor { return new Tensor(native.clone(this.handle)); }
  to(dtype: DType | null, device: Device | null = null): Tensor { return new Tensor(native.to(this.handle, dtype, device)); }

  // In place (no autograd): caches, optimiser state, initialisation.
  copy_(src: Tensor): this { native.copyInto(this.handle, src.handle); return this; }
  fill_(value: number): this { native.fill(this.handle, value); return this; }
  add_(o: Tensor, alpha = 1): this { native.addInPlace(this.handle, o.handle, alpha); return this; }
  mul_(factor: number): this { native.mulInPlace(this.handle, factor); return this; }
  normal_(mean: number, std: number): this { native.normalInPlace(this.handle, mean, std); return this; }

  // Autograd.
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  requiresGrad_(on = true): this { native.setRequiresGrad(this.handle, on); return this; }
  detach(): Tensor { return new Tensor(native.detach(this.handle)); }
  backward(gradOutput?: Tensor): void { native.backward(this.handle, gradOutput?.handle); }
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g ? new Tensor(g) : null;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device})`;
  }
}

function dimList(dims: number[] | number | undefined): number[] | undefined {
  return typeof dims === 'number' ? [dims] : dims;
}
