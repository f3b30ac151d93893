import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function posterior(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad flags and tasks are one sentence and exit 1, before anything is fetched', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'posterior-data-')), 'c');
  for (const [args, message] of [
    [['data', 'prepare', 'poetry'], /^posterior: unknown task 'poetry'; the tasks are pep8, pii, toxicity\n$/],
    [['data', 'prepare'], /^posterior: data prepare needs one task/],
    [['data', 'prepare', 'pii', '--max-chars', '0', '--out', out], /^posterior: --max-chars must be a positive integer, not '0'\n$/],
    [['data', 'prepare', 'pii', '--split', '1,2', '--out', out], /^posterior: --split must be three non-negative numbers/],
    [['data', 'prepare', 'pii', '--frobnicate'], /^posterior: Unknown option '--frobnicate'; run 'posterior data --help'/],
    [['data', 'shuffle'], /^posterior: unknown subcommand 'data shuffle'/],
  ] as const) {
    const r = posterior(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  assert.equal(posterior('data', '--help').status, 0);
});
