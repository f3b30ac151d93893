// Builds the LibTorch Node-API addon (native/) with g++ directly: one object per
// source file, compiled in parallel, relinked only when a source or header changed.
// LibTorch comes from the project's .venv torch wheel unless LIBTORCH points at
// another LibTorch (an official archive or a CUDA build), which needs no code change.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cpus } from 'node:os';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'native', 'src');
const out = join(root, 'native', 'build');
const target = join(out, 'posterior_native.node');

function libtorchDir() {
  if (process.env.LIBTORCH) return resolve(process.env.LIBTORCH);
  const py = join(root, '.venv', 'bin', 'python');
  if (!existsSync(py)) throw new Error('no LibTorch: run scripts/setup.sh (creates .venv with torch) or set LIBTORCH=/path/to/libtorch');
  return execFileSync(py, ['-c', 'import torch, os; print(os.path.dirname(torch.__file__))']).toString().trim();
}

const torch = libtorchDir();
const nodeInclude = resolve(dirname(process.execPath), '..', 'include', 'node');
const napiInclude = join(root, 'node_modules', 'node-addon-api');
const flags = [
  '-std=c++20', '-O2', '-fPIC', '-fvisibility=hidden', '-D_GLIBCXX_USE_CXX11_ABI=1',
  '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-Wno-deprecated-declarations',
  `-I${nodeInclude}`, `-I${napiInclude}`,
  `-I${join(torch, 'include')}`, `-I${join(torch, 'include', 'torch', 'csrc', 'api', 'include')}`,
];
const libDir = join(torch, 'lib');
const linkFlags = ['-shared', `-L${libDir}`, `-Wl,-rpath,${libDir}`, '-ltorch', '-ltorch_cpu', '-lc10'];
if (existsSync(join(libDir, 'libtorch_cuda.so'))) linkFlags.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda');

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const sources = readdirSync(src).filter((f) => f.endsWith('.cc'));
const newestHeader = Math.max(0, ...readdirSync(src).filter((f) => f.endsWith('.h')).map((f) => mtime(join(src, f))));
mkdirSync(out, { recursive: true });

function run(cmd, args) {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} exited with ${code}`))));
  });
}

async function main() {
  const stale = sources.filter((f) => {
    const o = join(out, f.replace(/\.cc$/, '.o'));
    return mtime(o) < Math.max(mtime(join(src, f)), newestHeader);
  });
  if (stale.length === 0 && sources.every((f) => mtime(target) >= mtime(join(out, f.replace(/\.cc$/, '.o'))))) return;
  if (stale.length) console.error(`[native] compiling ${stale.join(' ')} against ${torch}`);
  const queue = [...stale];
  const workers = Array.from({ length: Math.max(1, cpus().length) }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      await run('g++', [...flags, '-c', join(src, f), '-o', join(out, f.replace(/\.cc$/, '.o'))]);
    }
  });
  await Promise.all(workers);
  await run('g++', [...sources.map((f) => join(out, f.replace(/\.cc$/, '.o'))), ...linkFlags, '-o', target]);
  console.error(`[native] built ${target}`);
}

main().catch((e) => {
  console.error(`[native] build failed: ${e.message}`);
  process.exit(1);
});
