// `posterior score` end to end, as a user runs it: files and JSON lines in, scores out,
// and one sentence (exit code 1) for each kind of bad input.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'posterior-score-'));
  writeFileSync(join(dir, 'a.py'), 'import os,sys\nx=1\n\n\n\n');
  writeFileSync(join(dir, 'clean.py'), 'x = 1\n');
  writeFileSync(join(dir, 'binary'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]));
  writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function score(args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [main, 'score', ...args], { input, encoding: 'utf8' });
}

it('prints one score per file', () => {
  const r = score(['--task', 'pep8', join(dir, 'a.py'), join(dir, 'clean.py')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${Number((4 / 21).toPrecision(6))}\t${join(dir, 'a.py')}\n0\t${join(dir, 'clean.py')}\n`);
});

it('prints per-line pep8 scores as JSON', () => {
  const r = score(['--task', 'pep8', '--segments', '--json', join(dir, 'a.py')]);
  assert.equal(r.status, 0, r.stderr);
  const record = JSON.parse(r.stdout) as { score: number; segments: { text: string; score: number }[] };
  assert.equal(record.score, 4 / 21);
  assert.deepEqual(record.segments, [
    { text: 'import os,sys\n', score: 2 / 14 },
    { text: 'x=1\n', score: 1 / 4 },
    { text: '\n', score: 0 },
    { text: '\n', score: 0 },
    { text: '\n', score: 1 },
  ]);
});

it('scores JSON lines from stdin, per sentence with --segments', () => {
  const input = `${JSON.stringify({ text: 'Fuck this. The sky is blue.' })}\n\n${JSON.stringify({ text: 'All good here.' })}\n`;
  const r = score(['--task', 'toxicity', '--segments', '-'], input);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(lines.map((l) => [l[1], l[2]]), [
    ['-:1:1', '"Fuck this. "'],
    ['-:1:2', '"The sky is blue."'],
    ['-:3:1', '"All good here."'],
  ]);
  assert.ok(Number(lines[0]![0]) > 0.5);
  assert.equal(Number(lines[1]![0]), 0);
});

it('scores a pep8 text in its context and runs the pii task', () => {
  const code = score(['--task', 'pep8', '--json'], JSON.stringify({ text: '    return x\n', context: 'def f(x):\n' }) + '\n');
  assert.equal(code.status, 0, code.stderr);
  assert.deepEqual(JSON.parse(code.stdout), { source: '-:1', score: 0 });
  const pii = score(['--task', 'pii', '--json'], JSON.stringify({ text: 'Write to bob@example.com today.' }) + '\n');
  assert.equal(pii.status, 0, pii.stderr);
  assert.ok((JSON.parse(pii.stdout) as { score: number }).score > 0);
});

it('answers bad input with one sentence and exit code 1', () => {
  const cases: [string[], string, RegExp][] = [
    [['--task', 'pep8', join(dir, 'binary')], '', /binary \(it contains NUL bytes\)/],
    [['--task', 'toxicity', join(dir, 'latin1.txt')], '', /latin1\.txt is not valid UTF-8 text/],
    [['--task', 'pep8', join(dir, 'missing.py')], '', /cannot read .*missing\.py: ENOENT/],
    [['--task', 'toxicity'], 'not json\n', /stdin line 1 is not JSON/],
    [['--task', 'toxicity'], '{"texts": ["a"]}\n', /stdin line 1 has no "text" string/],
    [['--task', 'sentiment'], '', /--task must be one of pep8, pii, toxicity/],
    [[join(dir, 'a.py')], '', /--task is required/],
    [['--task', 'pep8', '--colour'], '', /Unknown option '--colour'/],
  ];
  for (const [args, input, message] of cases) {
    const r = score(args, input);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
