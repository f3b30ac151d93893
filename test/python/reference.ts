// The tests' independent reference: test/python/reference.py (PyTorch, transformers,
// tokenizers in the project's .venv), started once per test file and spoken to in JSON
// lines, so the Python imports are paid once. A missing .venv fails loudly: these
// checks must never be skipped silently.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const ROOT = packageRoot();
export const PYTHON = join(ROOT, '.venv', 'bin', 'python');

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class Reference {
  private readonly pending: Pending[] = [];
  private stderr = '';
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const p = this.pending.shift();
      if (!p) return;
      const answer = JSON.parse(line) as { error?: string };
      if (answer.error) p.reject(new Error(`reference.py failed:\n${answer.error}`));
      else p.resolve(answer);
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on('exit', (code) => {
      this.exited = true;
      for (const p of this.pending.splice(0)) p.reject(new Error(`reference.py exited with code ${code}:\n${this.stderr}`));
    });
  }

  /** Starts the reference; throws a clear error if the project's .venv is missing. */
  static start(): Reference {
    if (!existsSync(PYTHON)) {
      throw new Error(`the Python reference needs ${PYTHON} (torch, transformers, tokenizers): run scripts/setup.sh`);
    }
    const child = spawn(PYTHON, [join(ROOT, 'test', 'python', 'reference.py')], {
      env: { ...process.env, OMP_NUM_THREADS: '1', TRANSFORMERS_VERBOSITY: 'error', HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
    });
    return new Reference(child);
  }

  call<T>(request: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`reference.py is not running:\n${this.stderr}`));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(JSON.stringify(request) + '\n');
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}
