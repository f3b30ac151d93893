import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  decodeSafetensors, encodeSafetensors, fromFloat32, readSafetensors, readSafetensorsHeader, toFloat32,
  writeSafetensors, type HostTensor,
} from '../../src/engine/safetensors.js';
import { PosteriorError } from '../../src/util/errors.js';

const PYTHON = resolve('.venv/bin/python');
const noPython = existsSync(PYTHON) ? false : 'needs the project .venv (scripts/setup.sh)';

function python(script: string, ...args: string[]): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'posterior-st-'));
}

function concat(chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}

// Deterministic values that exercise sign, magnitude and fraction.
function seq(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

function sample(): Record<string, HostTensor> {
  return {
    'h.0.attn.c_attn.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.from(seq(6, (i) => (i - 2.5) / 7)) },
    'wte': { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
    'scalar': { dtype: 'F32', shape: [], data: Float32Array.of(42.5) },
    'empty': { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    'ids': { dtype: 'I64', shape: [2, 2], data: BigInt64Array.from([-(2n ** 62n), -1n, 0n, 2n ** 62n + 7n]) },
    'i32': { dtype: 'I32', shape: [3], data: Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1]) },
    'i16': { dtype: 'I16', shape: [2], data: Int16Array.from([-32768, 32767]) },
    'i8': { dtype: 'I8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
    'u8': { dtype: 'U8', shape: [3], data: Uint8Array.from([0, 128, 255]) },
    'mask': { dtype: 'BOOL', shape: [5], data: Uint8Array.from([1, 0, 0, 1, 1]) },
    'half': { dtype: 'F16', shape: [3], data: Uint16Array.from([0x3c00, 0xc000, 0x3555]) },
    'brain': { dtype: 'BF16', shape: [3], data: Uint16Array.from([0x3f80, 0xc040, 0x3eab]) },
  };
}

test('round trip: every dtype, scalars and empty tensors, metadata', () => {
  const dir = scratch();
  const p = join(dir, 'm.safetensors');
  const tensors = sample();
  writeSafetensors(p, tensors, { format: 'pt', note: 'é' });
  const back = readSafetensors(p);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'é' });
  assert.deepEqual([...back.tensors.keys()].sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const got = back.tensors.get(name)!;
    assert.equal(got.dtype, t.dtype, name);
    assert.deepEqual(got.shape, t.shape, name);
    assert.equal(got.data.constructor, t.data.constructor, name);
    assert.deepEqual([...got.data], [...t.data], name);
  }
  // aligned tensors are views of the file's bytes, not copies
  const ids = back.tensors.get('ids')!.data;
  const f32 = back.tensors.get('h.0.attn.c_attn.weight')!.data;
  assert.equal(ids.buffer, f32.buffer);
  const header = readSafetensorsHeader(p);
  assert.equal(header.entries.length, 12);
  assert.deepEqual(header.entries[0]!.dataOffsets, [0, 32]); // I64 goes first: largest alignment
  assert.equal(header.dataStart % 8, 0);
  assert.deepEqual(header.metadata, { format: 'pt', note: 'é' });
  rmSync(dir, { recursive: true });
});

test('toFloat32 decodes F16/BF16 and widens integers; F32 is returned without a copy', () => {
  const t = sample();
  assert.deepEqual([...toFloat32(t.half!)], [1, -2, Math.fround(0.333251953125)]);
  assert.deepEqual([...toFloat32(t.brain!)], [1, -3, Math.fround(0.333984375)]);
  assert.deepEqual([...toFloat32(t.i8!)], [-128, 0, 127]);
  assert.deepEqual([...toFloat32(t.ids!)].slice(1, 3), [-1, 0]);
  assert.equal(toFloat32(t.scalar!), t.scalar!.data);
  assert.deepEqual([...toFloat32({ dtype: 'F16', shape: [4], data: Uint16Array.from([0x0001, 0x7c00, 0xfc00, 0x8000]) })],
    [2 ** -24, Infinity, -Infinity, -0]);
});

// One Python process (importing torch takes seconds) writes both reference files.
let fixtures: { dir: string; written: string; conversions: string; expected: string } | undefined;
function pythonFixtures(): { written: string; conversions: string; expected: string } {
  if (fixtures) return fixtures;
  const dir = scratch();
  const written = join(dir, 'py.safetensors');
  const conversions = join(dir, 'conv.safetensors');
  const expected = python(`
import json, sys, torch
from safetensors.torch import save_file
g = torch.Generator().manual_seed(0)
t = {
  'b.f32': torch.randn(3, 5, generator=g),
  'a.f64': torch.randn(4, generator=g, dtype=torch.float64),
  'f16': torch.randn(2, 3, generator=g).half(),
  'bf16': torch.randn(7, generator=g).bfloat16(),
  'i64': torch.tensor([[-2**62, 3], [2**62 + 7, -1]], dtype=torch.int64),
  'i32': torch.tensor([-2**31, 0, 2**31 - 1], dtype=torch.int32),
  'i16': torch.tensor([-32768, 1, 32767], dtype=torch.int16),
  'i8': torch.tensor([-128, 5, 127], dtype=torch.int8),
  'u8': torch.tensor([0, 200, 255], dtype=torch.uint8),
  'bool': torch.tensor([True, False, True]),
  'scalar': torch.tensor(1.5),
  'empty': torch.zeros(0, 3),
}
save_file(t, sys.argv[1], metadata={'format': 'pt'})
# F16/BF16 rounding reference: edge cases, then values across magnitudes
g = torch.Generator().manual_seed(1)
edge = torch.tensor([0.0, -0.0, 1.0, 65504.0, 65520.0, 65519.99, 1e6, -1e6, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-10,
                     float('inf'), float('-inf'), float('nan'), 3.4e38, 1.0009765625, 1.00048828125, 1.0014648438])
x = torch.cat([edge, torch.randn(2000, generator=g) * 10 ** torch.randint(-9, 6, (2000,), generator=g).float()])
save_file({'x': x, 'h': x.half(), 'b': x.bfloat16()}, sys.argv[2])
def values(x):
  if x.dtype in (torch.float16, torch.bfloat16): return {'bits': (x.view(torch.int16).to(torch.int32) & 0xffff).flatten().tolist(), 'f32': x.float().flatten().tolist()}
  if x.dtype == torch.int64: return [str(v) for v in x.flatten().tolist()]
  if x.dtype == torch.bool: return [int(v) for v in x.flatten().tolist()]
  return x.flatten().tolist()
print(json.dumps({k: {'shape': list(v.shape), 'values': values(v)} for k, v in t.items()}))
`, written, conversions);
  fixtures = { dir, written, conversions, expected };
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return fixtures;
}

test('files written by Python safetensors read identically, and we write the same bytes', { skip: noPython }, () => {
  const { written: p, expected: out } = pythonFixtures();
  const expected = JSON.parse(out) as Record<string, { shape: number[]; values: unknown }>;
  const got = readSafetensors(p);
  assert.deepEqual(got.metadata, { format: 'pt' });
  assert.deepEqual([...got.tensors.keys()].sort(), Object.keys(expected).sort());
  for (const [name, e] of Object.entries(expected)) {
    const t = got.tensors.get(name)!;
    assert.deepEqual(t.shape, e.shape, name);
    if (t.dtype === 'F16' || t.dtype === 'BF16') {
      const v = e.values as { bits: number[]; f32: number[] };
      assert.deepEqual([...t.data], v.bits, name);
      assert.deepEqual([...toFloat32(t)], v.f32, name);
    } else if (t.dtype === 'I64') {
      assert.deepEqual([...t.data].map(String), e.values, name);
    } else {
      // F32 values went through Python doubles, which hold them exactly
      assert.deepEqual([...t.data], e.values, name);
    }
  }
  // Re-encoding what we read, given in a scrambled order, gives Python's bytes exactly.
  const scrambled = new Map([...got.tensors.entries()].reverse());
  assert.ok(concat(encodeSafetensors(scrambled, { format: 'pt' })).equals(readFileSync(p)));
});

test('files we write load in Python safetensors.torch.load_file with identical values', { skip: noPython }, () => {
  const dir = scratch();
  const p = join(dir, 'ours.safetensors');
  const tensors = sample();
  writeSafetensors(p, tensors, { format: 'pt' });
  const out = python(`
import json, sys, torch
from safetensors import safe_open
from safetensors.torch import load_file
t = load_file(sys.argv[1])
with safe_open(sys.argv[1], 'pt') as f: meta = f.metadata()
def values(x):
  if x.dtype in (torch.float16, torch.bfloat16): return x.float().flatten().tolist()
  if x.dtype == torch.int64: return [str(v) for v in x.flatten().tolist()]
  if x.dtype == torch.bool: return [int(v) for v in x.flatten().tolist()]
  return x.flatten().tolist()
print(json.dumps({'meta': meta, 't': {k: {'dtype': str(v.dtype), 'shape': list(v.shape), 'values': values(v)} for k, v in t.items()}}))
`, p);
  const py = JSON.parse(out) as { meta: Record<string, string>; t: Record<string, { dtype: string; shape: number[]; values: unknown[] }> };
  assert.deepEqual(py.meta, { format: 'pt' });
  const torchName: Record<string, string> = {
    F32: 'torch.float32', F64: 'torch.float64', I64: 'torch.int64', I32: 'torch.int32', I16: 'torch.int16',
    I8: 'torch.int8', U8: 'torch.uint8', BOOL: 'torch.bool', F16: 'torch.float16', BF16: 'torch.bfloat16',
  };
  for (const [name, t] of Object.entries(tensors)) {
    const e = py.t[name]!;
    assert.equal(e.dtype, torchName[t.dtype], name);
    assert.deepEqual(e.shape, t.shape, name);
    const ours = t.dtype === 'I64' ? [...t.data].map(String) : t.dtype === 'F16' || t.dtype === 'BF16' ? [...toFloat32(t)] : [...t.data];
    assert.deepEqual(e.values, ours, name);
  }
  rmSync(dir, { recursive: true });
});

test('fromFloat32 rounds to F16 and BF16 exactly as PyTorch does', { skip: noPython }, () => {
  const { tensors } = readSafetensors(pythonFixtures().conversions);
  const x = tensors.get('x')!.data as Float32Array;
  assert.deepEqual([...fromFloat32(x, 'F16')], [...tensors.get('h')!.data]);
  // PyTorch's own NaN pattern differs between its scalar and vector paths; any NaN will do.
  const isNaN16 = (b: number): boolean => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
  const ours = fromFloat32(x, 'BF16');
  const torch = tensors.get('b')!.data as Uint16Array;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) assert.ok(isNaN16(ours[i]!) && isNaN16(torch[i]!));
    else assert.equal(ours[i], torch[i], `element ${i}: ${x[i]}`);
  }
});

// Each corruption, the sentence we expect, and a check that the reference refuses it too.
test('corrupt and truncated files are refused with one sentence naming the file', { skip: noPython }, () => {
  const dir = scratch();
  const good = concat(encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) }, b: { dtype: 'I8', shape: [3], data: Int8Array.of(1, 2, 3) } }));
  const withHeader = (h: object, data: Uint8Array): Buffer => {
    const json = Buffer.from(JSON.stringify(h));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([len, json, data]);
  };
  const hugeLen = Buffer.from(good);
  hugeLen.writeBigUInt64LE(2n ** 40n, 0);
  const pastEnd = Buffer.from(good);
  pastEnd.writeBigUInt64LE(BigInt(good.length), 0);
  const cases: [string, Uint8Array, RegExp][] = [
    ['short', good.subarray(0, 5), /has 5 bytes, fewer than the 8-byte header length/],
    ['huge', hugeLen, /header length 1099511627776 exceeds the 100 MB limit/],
    ['pastend', pastEnd, /is truncated or corrupt: its header length \d+ runs past the end of the \d+-byte file/],
    ['truncated', good.subarray(0, good.length - 2), /is truncated: its tensors need 11 bytes of data but only 9 follow the header/],
    ['trailing', Buffer.concat([good, Buffer.from([0])]), /has 12 bytes of data but its tensors cover only 11/],
    ['json', withHeader({}, new Uint8Array(0)).fill(0x7b, 8), /header is not valid JSON/],
    ['dtype', withHeader({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor `a` has unknown or unsupported dtype "Q7"/],
    ['size', withHeader({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(12)), /tensor `a` has shape \[2, 2\] of F32 \(16 bytes\) but data_offsets \[0, 12\] span 12 bytes/],
    ['overlap', withHeader({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } }, new Uint8Array(4)), /tensors `a` and `b` overlap/],
    ['gap', withHeader({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [1], data_offsets: [3, 4] } }, new Uint8Array(4)), /bytes 2\.\.3 of the data section before tensor `b` belong to no tensor/],
    ['offsets', withHeader({ a: { dtype: 'U8', shape: [2], data_offsets: [2, 0] } }, new Uint8Array(2)), /tensor `a` has invalid data_offsets \[2,0\]/],
    ['shape', withHeader({ a: { dtype: 'U8', shape: [-2], data_offsets: [0, 2] } }, new Uint8Array(2)), /tensor `a` has an invalid shape \[-2\]/],
    ['meta', withHeader({ __metadata__: { n: 3 } }, new Uint8Array(0)), /`__metadata__` must map names to strings/],
  ];
  for (const [name, bytes, message] of cases) {
    const p = join(dir, `${name}.safetensors`);
    writeFileSync(p, bytes);
    for (const read of [readSafetensors, readSafetensorsHeader]) {
      assert.throws(() => read(p), (e: unknown) => {
        assert.ok(e instanceof PosteriorError, `${name}: ${String(e)}`);
        assert.ok(e.message.includes(p), `${name}: ${e.message}`);
        assert.match(e.message, message, name);
        return true;
      });
    }
  }
  const refusedByReference = python(`
import sys
from safetensors import safe_open
bad = []
for p in sys.argv[1:]:
  try:
    with safe_open(p, 'np') as f: [f.get_tensor(k) for k in f.keys()]
  except Exception: bad.append(p)
print(len(bad))
`, ...cases.map(([name]) => join(dir, `${name}.safetensors`)));
  assert.equal(Number(refusedByReference), cases.length);
  assert.throws(() => readSafetensors(join(dir, 'missing.safetensors')), /cannot read safetensors file .*missing\.safetensors: no such file/);
  rmSync(dir, { recursive: true });
});

test('a misaligned tensor from a foreign writer is copied into aligned memory', () => {
  const json = Buffer.from(JSON.stringify({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'F32', shape: [2], data_offsets: [1, 9] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const data = Buffer.alloc(9);
  data[0] = 7;
  data.writeFloatLE(1.25, 1);
  data.writeFloatLE(-3, 5);
  const { tensors } = decodeSafetensors(Buffer.concat([len, json, data]), 'inline');
  assert.deepEqual([...tensors.get('b')!.data], [1.25, -3]);
  assert.deepEqual([...tensors.get('a')!.data], [7]);
});

test('the writer refuses data that does not match its dtype or shape', () => {
  assert.throws(() => encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: Float64Array.of(1, 2) } }), /is F32 but its data is a Float64Array/);
  assert.throws(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2) } }), /has shape \[3\] but 2 elements/);
});
