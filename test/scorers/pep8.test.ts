// The pep8 scorer against the `pycodestyle` command itself: the same texts written to
// files and checked by one run of .venv/bin/pycodestyle must give the same counts,
// per file and per line. Then the definitions (scores, lines, contexts, compiles) and
// the failure modes of the worker pool, with stand-in "pythons" that crash or hang.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PosteriorError } from '../../src/util/errors.js';
import { createPep8Scorer, lineEnds, type Pep8Scorer } from '../../src/scorers/pep8.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const python = join(repo, '.venv/bin/python');
const pycodestyle = join(repo, '.venv/bin/pycodestyle');
const stdlib = '/usr/lib/python3.11';

/** Every 12th small-enough .py file of the standard library, strict UTF-8, in path order. */
function stdlibSample(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (name === '__pycache__' || name === 'site-packages' || name === 'dist-packages') continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.py') && st.size < 40_000) files.push(p);
    }
  };
  walk(stdlib);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return files
    .filter((_, i) => i % 12 === 0)
    .map((p) => decoder.decode(readFileSync(p)))
    .filter((t) => !/^#.*coding[:=]\s*(?!utf-?8)/im.test(t.split('\n').slice(0, 2).join('\n')));
}

const handMade = [
  '',
  '\n\n\n',
  'x = 1',
  'import os,sys\nx=1\n\n\n\n',
  'def f( a ):\n  return a  \n\tpass\n',
  'class A:\n    pass\nclass B:\n    pass\n',
  'x = 1\r\ny=2\r\nz =3\r\n',
  'x = 1\ry=2\rz =3\r',
  '\ufeffimport os\nprint( os.sep )\n',
  's = "é' + 'ü'.repeat(76) + '"\n',
  's = "' + '😀'.repeat(76) + '"\n',
  'x = 1  # noqa\ny = 2;z=3  # noqa: E702\n',
  'def f(:\n    pass\n',
  'x = (1,\n     2\n',
  'p = "\\d"\nif x == None : pass\n',
  'l = 1\nO = 2\nI = 3\n',
  'x = 1\x0cy = 2\n',
  '    x = 1\n',
  'a = b if c else-1\nprint(a , b)\nlambda: 0\nf = lambda x: 2 * x\n',
];

/** Per-file, per-line counts from the command's output, clamped into the file like the scorer. */
function commandCounts(dir: string, names: string[], texts: string[]): Map<string, Int32Array> {
  const r = spawnSync(pycodestyle, names, { cwd: dir, env: { PATH: process.env['PATH'], HOME: dir }, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.ok(r.status === 0 || r.status === 1, `pycodestyle failed: ${r.stderr}`);
  const counts = new Map(names.map((n, i) => [n, new Int32Array(lineEnds(texts[i]!).length)]));
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const m = /^(.+?):(\d+):\d+: [EWC]\d+ /.exec(line);
    assert.ok(m, `unexpected pycodestyle output: ${line}`);
    const perLine = counts.get(m[1]!)!;
    perLine[Math.min(Math.max(Number(m[2]), 1), perLine.length) - 1]! += 1;
  }
  return counts;
}

describe('pep8 scorer', () => {
  let scorer: Pep8Scorer;
  let dir: string;
  before(() => {
    scorer = createPep8Scorer();
    dir = mkdtempSync(join(tmpdir(), 'posterior-pep8-'));
  });
  after(async () => {
    await scorer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts exactly what the pycodestyle command prints, per file and per line', async () => {
    const texts = [...handMade, ...stdlibSample()];
    assert.ok(texts.length > 60, `only ${texts.length} texts`);
    const names = texts.map((t, i) => {
      const name = `t${String(i).padStart(3, '0')}.py`;
      writeFileSync(join(dir, name), t);
      return name;
    });
    const expected = commandCounts(dir, names, texts);
    const checks = await scorer.check(texts);
    let total = 0;
    checks.forEach((c, i) => {
      assert.deepEqual([...c.lineViolations], [...expected.get(names[i]!)!], `${names[i]}: ${JSON.stringify(texts[i]!.slice(0, 60))}`);
      total += c.violations;
    });
    assert.ok(total > 200, `the sample should have violations to compare, got ${total}`);
    assert.ok(checks.some((c) => c.violations === 0), 'the sample should have clean files too');
  });

  it('scores violations per character and lines so that they average to the text score', async () => {
    const text = 'import os,sys\nx=1\n\n\n\n';
    const [score] = await scorer.score([text]);
    assert.equal(score, 4 / text.length);
    const lines = await scorer.lineScores(text);
    assert.deepEqual([...lines], [2 / 14, 1 / 4, 0, 0, 1 / 1]);
    const ends = lineEnds(text);
    const weighted = lines.reduce((s, v, i) => s + v * (ends[i]! - (i ? ends[i - 1]! : 0)), 0) / text.length;
    assert.ok(Math.abs(weighted - score!) < 1e-15);
    assert.deepEqual([...(await scorer.score(['', 'x = 1\n']))], [0, 0]);
  });

  it('counts characters as code points', async () => {
    const text = 's = "' + '😀'.repeat(76) + '"\n'; // E501: 82 code points > 79 before the break
    const [check] = await scorer.check([text]);
    assert.equal(check!.characters, 83);
    assert.equal(check!.violations, 1);
  });

  it('checks a text in its context but counts only the text lines', async () => {
    const body = '    return x+1\n';
    const alone = await scorer.check([body]);
    assert.equal(alone[0]!.violations, 1); // E113 unexpected indentation
    const signature = 'import os,sys\ndef f(x):\n';
    const [withSignature] = await scorer.check([body], { contexts: [signature] });
    assert.equal(withSignature!.violations, 0); // the context's E401 and E231 are not the text's
    assert.equal(withSignature!.characters, body.length);
    assert.deepEqual(await scorer.compiles([body], [signature]), [true]);
    const [bad] = await scorer.check(['    return x  \n'], { contexts: ['def f(x):\n'] });
    assert.deepEqual([...bad!.lineViolations], [1]); // W291 trailing whitespace
  });

  it('says whether a text compiles, as Python compile() does', async () => {
    const texts = ['x = 1\n', 'def f(:\n', 'return 1\n', 'x = 1\0\n', '\ufeffx = 1\n', 'if x:\npass\n', ''];
    assert.deepEqual(await scorer.compiles(texts), [true, false, false, false, true, false, true]);
  });

  it('gives a defined score to a 1 MB line, NUL bytes and lone surrogates', async () => {
    const long = 's = "' + 'a'.repeat(1_000_000) + '"\n';
    const scores = await scorer.score([long, 'x = 1\0\n', 'x = "\ud800"\n']);
    assert.equal(scores[0], 1 / long.length); // E501 only
    assert.ok(scores.every(Number.isFinite));
  });

  it('reports the versions it runs, for corpus manifests', async () => {
    const { python: version, pycodestyle } = await scorer.versions();
    assert.match(version, /^3\.\d+\.\d+$/);
    assert.match(pycodestyle, /^2\.15\./);
  });

  it('rejects contexts that do not match the texts', async () => {
    await assert.rejects(scorer.score(['a', 'b'], ['c']), /2 texts but 1 contexts/);
  });
});

describe('pep8 worker failures', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'posterior-pep8-fail-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in for Python: a shell script that misbehaves, or runs the real one. */
  function fakePython(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('restarts a worker that dies mid-batch and retries the batch once', async () => {
    const marker = join(dir, 'crashed-once');
    const py = fakePython('crash-once', `if [ ! -e ${marker} ]; then touch ${marker}; read line; exit 3; fi\nexec ${python} "$@"`);
    const scorer = createPep8Scorer({ python: py, workers: 1 });
    try {
      assert.deepEqual([...(await scorer.score(['x=1\n']))], [1 / 4]);
    } finally {
      await scorer.close();
    }
  });

  it('gives one clear error when the worker keeps dying', async () => {
    const py = fakePython('always-crash', 'read line; echo "Traceback: boom" >&2; exit 3');
    const scorer = createPep8Scorer({ python: py, workers: 1 });
    await assert.rejects(scorer.score(['x = 1\n']), (err: unknown) => {
      assert.ok(err instanceof PosteriorError);
      assert.match(err.message, /pep8 worker 1 .*always-crash.* failed twice .* exited with code 3; its stderr ends: Traceback: boom/);
      return true;
    });
    await scorer.close();
  });

  it('times out a hanging worker, restarts it, then gives up with a clear error', async () => {
    const py = fakePython('hang', 'exec sleep 30');
    const scorer = createPep8Scorer({ python: py, workers: 1, timeoutMs: 200 });
    const started = Date.now();
    await assert.rejects(scorer.score(['x = 1\n']), /failed twice .* no answer within 20\d ms/);
    assert.ok(Date.now() - started < 5000);
    await scorer.close();
  });

  it('treats garbage output as a failure', async () => {
    const py = fakePython('garbage', 'read line; echo "Hello from a debug print"; exec sleep 30');
    const scorer = createPep8Scorer({ python: py, workers: 1 });
    await assert.rejects(scorer.score(['x = 1\n']), /failed twice .* not JSON: "Hello from a debug print"/);
    await scorer.close();
  });

  it('names a missing interpreter, also one given by POSTERIOR_PYTHON', () => {
    assert.throws(() => createPep8Scorer({ python: join(dir, 'no-such-python') }), /no-such-python does not exist; .*POSTERIOR_PYTHON/);
    process.env['POSTERIOR_PYTHON'] = join(dir, 'env-python');
    try {
      assert.throws(() => createPep8Scorer(), /env-python does not exist/);
    } finally {
      delete process.env['POSTERIOR_PYTHON'];
    }
  });

  it('serves concurrent callers with several workers', async () => {
    const scorer = createPep8Scorer({ workers: 2, batchSize: 3 });
    try {
      const texts = Array.from({ length: 20 }, (_, i) => `x=${i}\n`);
      const [a, b] = await Promise.all([scorer.score(texts), scorer.score(texts.slice(5))]);
      assert.deepEqual([...a], texts.map((t) => 1 / t.length));
      assert.deepEqual([...b], [...a.slice(5)]);
    } finally {
      await scorer.close();
    }
  });
});
