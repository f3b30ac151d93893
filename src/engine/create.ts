// Tensor factories: from JavaScript arrays and typed arrays, constants and random draws.
import { native } from './native.js';
import { Tensor, type Device, type DType } from './tensor.js';

type Data = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | number[];

/** Copies data into a new tensor; number[] becomes float32 unless dtype says otherwise. */
export function tensor(data: Data, shape?: number[], dtype?: DType, device?: Device): Tensor {
  const arr = Array.isArray(data) ? (dtype && dtype.startsWith('int') ? Int32Array.from(data) : Float32Array.from(data)) : data;
  return new Tensor(native.fromArray(arr, shape ?? [arr.length], dtype, device));
}

export function scalar(value: number, dtype: DType = 'float32', device?: Device): Tensor {
  return new Tensor(native.full([], value, dtype, device));
}

export function fromBytes(bytes: Uint8Array, dtype: DType, shape: number[]): Tensor {
  return new Tensor(native.fromBytes(bytes, dtype, shape));
}

export function zeros(shape: number[], dtype: DType = 'float32', device?: Device): Tensor {
  return new Tensor(native.zeros(shape, dtype, device));
}
export function ones(shape: number[], dtype: DType = 'float32', device?: Device): Tensor {
  return new Tensor(native.ones(shape, dtype, device));
}
export function empty(shape: number[], dtype: DType = 'float32', device?: Device): Tensor {
  return new Tensor(native.empty(shape, dtype, device));
}
export function full(shape: number[], value: number, dtype: DType = 'float32', device?: Device): Tensor {
  return new Tensor(native.full(shape, value, dtype, device));
}
export function randn(shape: number[], dtype: DType = 'float32', device?: Device): Tensor {
  return new Tensor(native.randn(shape, dtype, device));
}
export function rand(shape: number[], dtype: DType = 'float32', device?: Device): Tensor {
  return new Tensor(native.rand(shape, dtype, device));
}
export function randint(low: number, high: number, shape: number[], device?: Device): Tensor {
  return new Tensor(native.randint(low, high, shape, device));
}
/** Integers start..end-1 (int64) unless dtype says otherwise. */
export function arange(start: number, end: number, step = 1, dtype: DType = 'int64', device?: Device): Tensor {
  return new Tensor(native.arange(start, end, step, dtype, device));
}
