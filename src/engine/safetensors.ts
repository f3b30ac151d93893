// The safetensors format (Hugging Face), read and written in TypeScript over typed arrays.
// Layout: u64 little-endian header length N, N bytes of JSON
//   {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
// padded with spaces, then the data section; offsets are relative to its start. We check
// everything the reference implementation checks (tensors tile the data section exactly,
// sizes match shape × dtype) so a file we accept is one it accepts, and we write the same
// bytes it writes: tensors ordered by descending dtype alignment then name, header padded
// to 8 bytes, so every tensor is aligned and can be viewed without copying.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';

export type DType = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/** Element storage per dtype; F16 and BF16 are raw bit patterns (see toFloat32/fromFloat32), BOOL is 0/1 bytes. */
export type TensorData =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A tensor in host memory: row-major elements of `dtype`, `shape` [] for a scalar. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsContents {
  /** In file (data offset) order. Views share the file's buffer. */
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range within the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** In data-offset order. */
  entries: TensorEntry[];
  metadata: Record<string, string>;
  /** File offset of the data section (8 + header length). */
  dataStart: number;
}

type ArrayCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData; BYTES_PER_ELEMENT: number };

// `rank` is the reference's dtype order (ascending alignment); the writer sorts on it.
const DTYPES: Record<DType, { rank: number; ctor: ArrayCtor }> = {
  BOOL: { rank: 0, ctor: Uint8Array },
  U8: { rank: 4, ctor: Uint8Array },
  I8: { rank: 5, ctor: Int8Array },
  I16: { rank: 11, ctor: Int16Array },
  U16: { rank: 12, ctor: Uint16Array },
  F16: { rank: 13, ctor: Uint16Array },
  BF16: { rank: 14, ctor: Uint16Array },
  I32: { rank: 15, ctor: Int32Array },
  U32: { rank: 16, ctor: Uint32Array },
  F32: { rank: 17, ctor: Float32Array },
  F64: { rank: 19, ctor: Float64Array },
  I64: { rank: 20, ctor: BigInt64Array },
  U64: { rank: 21, ctor: BigUint64Array },
};

// The reference refuses larger headers; a garbage length usually lands far beyond it.
const MAX_HEADER = 100_000_000;

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: DType): number {
  return DTYPES[dtype].ctor.BYTES_PER_ELEMENT;
}

/** Reads a whole safetensors file; tensors are views into one buffer where aligned. */
export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail(`cannot read safetensors file ${path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  return decodeSafetensors(bytes, path);
}

/** Reads and validates only the header: names, dtypes, shapes, without loading the data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    fail(`cannot read safetensors file ${path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  try {
    const size = fstatSync(fd).size;
    const n = headerLength(readExactly(fd, 0, Math.min(8, size)), size, path);
    return parseHeader(readExactly(fd, 8, n), size - 8 - n, path);
  } finally {
    closeSync(fd);
  }
}

/** Decodes safetensors bytes; `source` names the origin in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  checkHost();
  const n = headerLength(bytes, bytes.byteLength, source);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n, source);
  const tensors = new Map<string, HostTensor>();
  for (const { name, dtype, shape, dataOffsets } of header.entries) {
    const ctor = DTYPES[dtype].ctor;
    const start = bytes.byteOffset + header.dataStart + dataOffsets[0];
    const count = (dataOffsets[1] - dataOffsets[0]) / ctor.BYTES_PER_ELEMENT;
    // A misaligned tensor (from a non-reference writer) gets a copy, which is aligned.
    // (Not bytes.slice: on a Buffer that is a view, not a copy.)
    const data = start % ctor.BYTES_PER_ELEMENT === 0
      ? new ctor(bytes.buffer, start, count)
      : new ctor(new Uint8Array(bytes.subarray(header.dataStart + dataOffsets[0], header.dataStart + dataOffsets[1])).buffer, 0, count);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Encodes tensors as safetensors, byte for byte as the reference writer does, returned
 * as chunks (header, then each tensor's bytes as a view) so nothing large is copied.
 * `metadata`, when given, becomes `__metadata__`.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array[] {
  checkHost();
  const list = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))] as [string, HostTensor][];
  for (const [name, t] of list) checkTensor(name, t);
  list.sort(([a, ta], [b, tb]) => DTYPES[tb.dtype].rank - DTYPES[ta.dtype].rank || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const header: Record<string, unknown> = Object.create(null); // a tensor may be called `__proto__`
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of list) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(head, 8);
  return [head, ...list.map(([, t]) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
}

/** Writes a safetensors file atomically (a reader sees the old file or the whole new one). */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, HostTensor> | Readonly<Record<string, HostTensor>>,
  metadata?: Readonly<Record<string, string>>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** The elements as float32: F32 data is returned as is (no copy); F16/BF16 are decoded. */
export function toFloat32(t: HostTensor): Float32Array {
  const d = t.data;
  if (t.dtype === 'F32') return d as Float32Array;
  if (t.dtype === 'BF16') {
    const out = new Float32Array(d.length);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < d.length; i++) bits[i] = (d as Uint16Array)[i]! << 16;
    return out;
  }
  if (t.dtype === 'F16') {
    const table = halfTable();
    const out = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = table[(d as Uint16Array)[i]!]!;
    return out;
  }
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  return out;
}

/** Float32 values as F16 or BF16 bit patterns, rounding to nearest even as PyTorch does. */
export function fromFloat32(values: Float32Array, dtype: 'F16' | 'BF16'): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = dtype === 'BF16' ? toBf16(bits[i]!) : toF16(bits[i]!);
  return out;
}

function toBf16(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return 0x7fc0; // PyTorch's canonical NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function toF16(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00); // NaN as PyTorch writes it, or infinity
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // may carry into the exponent, which is right
  return sign | r;
}

let halfCache: Float32Array | undefined;
function halfTable(): Float32Array {
  if (halfCache) return halfCache;
  halfCache = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    halfCache[h] = exp === 0 ? sign * mant * 2 ** -24
      : exp === 0x1f ? (mant ? NaN : sign * Infinity)
      : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return halfCache;
}

function readExactly(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const got = readSync(fd, buf, done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return buf.subarray(0, done);
}

function headerLength(bytes: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) {
    fail(`safetensors file ${source} is truncated or not a safetensors file: it has ${fileSize} bytes, fewer than the 8-byte header length`);
  }
  const n = Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER)) {
    fail(`safetensors file ${source} is corrupt or not a safetensors file: its header length ${n} exceeds the 100 MB limit`);
  }
  if (Number(n) + 8 > fileSize) {
    fail(`safetensors file ${source} is truncated or corrupt: its header length ${n} runs past the end of the ${fileSize}-byte file`);
  }
  return Number(n);
}

function parseHeader(headerBytes: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail(`safetensors file ${source} is corrupt: its header is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`safetensors file ${source} is corrupt: its header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) fail(`safetensors file ${source} is corrupt: its header is not a JSON object`);
  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') metadata = info === null ? {} : parseMetadata(info, source); // null: the reference's "none"
    else entries.push(parseEntry(name, info, source));
  }
  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let covered = 0;
  let prev: TensorEntry | undefined;
  for (const e of entries) {
    const [begin] = e.dataOffsets;
    if (begin < covered) {
      fail(`safetensors file ${source} is corrupt: tensors \`${prev!.name}\` and \`${e.name}\` overlap (data_offsets ${fmt(prev!.dataOffsets)} and ${fmt(e.dataOffsets)})`);
    }
    if (begin > covered) {
      fail(`safetensors file ${source} is corrupt: bytes ${covered}..${begin} of the data section before tensor \`${e.name}\` belong to no tensor`);
    }
    covered = e.dataOffsets[1];
    prev = e;
  }
  if (covered > dataLength) {
    fail(`safetensors file ${source} is truncated: its tensors need ${covered} bytes of data but only ${dataLength} follow the header`);
  }
  if (covered < dataLength) {
    fail(`safetensors file ${source} is corrupt: it has ${dataLength} bytes of data but its tensors cover only ${covered}`);
  }
  return { entries, metadata, dataStart: 8 + headerBytes.byteLength };
}

function parseMetadata(info: unknown, source: string): Record<string, string> {
  if (!isRecord(info) || !Object.values(info).every((v) => typeof v === 'string')) {
    fail(`safetensors file ${source} is corrupt: \`__metadata__\` must map names to strings`);
  }
  return info as Record<string, string>;
}

function parseEntry(name: string, info: unknown, source: string): TensorEntry {
  const where = `safetensors file ${source}: tensor \`${name}\``;
  if (!isRecord(info)) fail(`${where} is described by ${typeof info}, not an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) {
    fail(`${where} has unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${where} has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`${where} has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const size = (shape as number[]).reduce((a, b) => a * b, 1) * dtypeSize(dtype as DType);
  if (size !== offsets[1] - offsets[0]) {
    fail(`${where} has shape ${fmt(shape as number[])} of ${dtype} (${size} bytes) but data_offsets ${fmt(offsets as number[])} span ${offsets[1] - offsets[0]} bytes`);
  }
  return { name, dtype: dtype as DType, shape: shape as number[], dataOffsets: [offsets[0], offsets[1]] };
}

// Programmer errors (wrong array type, length/shape mismatch) rather than user input.
function checkTensor(name: string, t: HostTensor): void {
  if (name === '__metadata__') throw new Error('safetensors: `__metadata__` cannot name a tensor');
  const spec = DTYPES[t.dtype];
  if (spec === undefined) throw new Error(`safetensors: tensor \`${name}\` has unsupported dtype ${String(t.dtype)}`);
  if (!(t.data instanceof spec.ctor)) {
    throw new Error(`safetensors: tensor \`${name}\` is ${t.dtype} but its data is a ${t.data.constructor.name}, not a ${spec.ctor.name}`);
  }
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (!t.shape.every(isCount) || count !== t.data.length) {
    throw new Error(`safetensors: tensor \`${name}\` has shape ${fmt(t.shape)} but ${t.data.length} elements`);
  }
}

// Typed arrays use host byte order; safetensors is little-endian.
function checkHost(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: only little-endian hosts are supported');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function fmt(xs: readonly number[]): string {
  return `[${xs.join(', ')}]`;
}
