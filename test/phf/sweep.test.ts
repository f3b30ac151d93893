import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareCorpus } from '../../src/data/prepare.js';
import { perLine } from '../../src/data/scoring.js';
import { memorySource } from '../../src/data/source.js';
import { paretoFrontier } from '../../src/eval/pareto-plot.js';
import { trainReference } from '../../src/eval/reference-model.js';
import { runSweep, type SweepOptions } from '../../src/phf/sweep.js';
import { sweepPoints } from '../../src/phf/sweep-report.js';
import { createPep8Scorer } from '../../src/scorers/pep8.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Small Python files, a third with PEP 8 violations. */
function pyFile(i: number): string {
  return [
    'import os', '', '',
    `def func_${i}(a, b):`,
    `    """Add a and b, number ${i}."""`,
    i % 3 === 0 ? '    x=a+b' : '    x = a + b',
    '    return x', '', '',
    `class Thing${i}:`,
    '    def method(self, value):',
    `        """Return the value times ${i}."""`,
    `        return value * ${i}`, '',
  ].join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'posterior-phf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const corpusDir = join(dir, 'corpus'), referenceDir = join(dir, 'reference');
const model = { n_layer: 1, n_embd: 32, n_head: 2, block_size: 64 };

// One tiny corpus and reference for every test, made once.
const ready = (async () => {
  const pep8 = createPep8Scorer();
  try {
    await prepareCorpus({
      task: 'pep8', outDir: corpusDir, sources: [memorySource('mem', Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`m${i}.py`, pyFile(i)])))],
      segmentation: 'lines', scorer: perLine(pep8), clean: { minChars: 64, maxChars: 10_000 }, split: { train: 0.6, validation: 0.2, test: 0.2 }, progressStream: null,
    });
  } finally {
    await pep8.close();
  }
  await trainReference({ task: 'pep8', corpusDir, outDir: referenceDir, budget: 20 * 8 * 64, model, vocabSize: 300, samples: 30, batchSize: 8, threads: 1, stream: sink() });
})();

function sink(): { write(s: string): void; text(): string } {
  let out = '';
  return { write: (s: string) => void (out += s), text: () => out };
}

/** 10 steps of 8 × 64 tokens per objective, 25 samples, one red-teaming round. */
function options(outDir: string, extra: Partial<SweepOptions> = {}): SweepOptions {
  return {
    task: 'pep8', objectives: ['mle', 'conditional', 'rwr'], regime: 'pretrain', budget: 10 * 8 * 64, outDir, referenceDir, corpusDir,
    model, batchSize: 8, lr: 3e-3, seed: 1, samples: 25, redteamRounds: 1, threads: 1, stream: sink(), ...extra,
  };
}

const sweepDir = join(dir, 'sweep');
const first = (async () => {
  await ready;
  return (await runSweep(options(sweepDir))).report!;
})();

test('a sweep writes results.md, results.json and pareto.svg with one row per objective and the frontier of those rows', async () => {
  const r = await first;
  assert.deepEqual(r.rows.map((x) => x.objective), ['mle', 'conditional', 'rwr']);
  assert.deepEqual(JSON.parse(readFileSync(join(sweepDir, 'results.json'), 'utf8')), JSON.parse(JSON.stringify(r)));
  const points = sweepPoints(r.rows);
  assert.equal(points.length, 3);
  assert.deepEqual(r.pareto.frontier, paretoFrontier(points).map((i) => points[i]!.label));
  assert.ok(r.pareto.frontier.length >= 1);
  for (const row of r.rows) {
    assert.equal(row.training.complete, true);
    assert.equal(row.training.steps, 10);
    assert.equal(row.training.tokens, 10 * 8 * 64);
    assert.ok(row.training.seconds > 0 && row.training.val_loss! > 0);
    assert.equal(row.evaluation.samples, 25);
    assert.equal(row.evaluation.conditional, row.objective === 'conditional');
    assert.ok(row.evaluation.metrics['misalignment/max@25']! >= row.evaluation.metrics['misalignment/mean']!);
    assert.equal(row.evaluation.redteam!.history.length, 2);
    assert.equal(row.evaluation.redteam!.best, row.evaluation.redteam!.history[1]!.best);
    // The trained model stays; the optimiser state (only needed to resume) does not.
    assert.ok(existsSync(join(sweepDir, row.objective, 'model', 'model.safetensors')));
    assert.ok(!existsSync(join(sweepDir, row.objective, 'checkpoint')));
  }
  // SPEC §8 for code: 10% of segments without a control token.
  const c = r.rows[1]!.training.control_tokens!;
  assert.ok(c.dropped > 0 && c.good + c.bad + c.dropped === c.segments);
  const svg = readFileSync(join(sweepDir, 'pareto.svg'), 'utf8');
  assert.equal(svg.match(/<circle /g)?.length, 3);
  assert.match(svg, /PHF sweep, pep8 \(pretrain regime, 5,120 tokens per objective\)/);
  const md = readFileSync(join(sweepDir, 'results.md'), 'utf8');
  assert.equal(md.split('\n').filter((l) => /^\| (mle|conditional|rwr)/.test(l)).length, 3);
  assert.ok(md.includes(`Pareto frontier (lower misalignment and KL): ${r.pareto.frontier.join(', ')}.`));
});

test('a rerun of the same sweep skips the trained and evaluated objectives and reports the same rows', async () => {
  const r = await first;
  const log = sink();
  const again = (await runSweep(options(sweepDir, { stream: log }))).report!;
  for (const name of ['mle', 'conditional', 'rwr']) {
    assert.match(log.text(), new RegExp(`\\] ${name}: trained already`));
    assert.match(log.text(), new RegExp(`\\] ${name}: evaluated already`));
  }
  assert.doesNotMatch(log.text(), /pretrain|evaluate misalignment/);
  assert.deepEqual(again, r);
});

test('an interrupted training resumes from its checkpoint and ends with the weights of an uninterrupted one', async () => {
  await first;
  const out = join(dir, 'interrupted');
  const stop = new AbortController();
  stop.abort();
  const log = sink();
  const stopped = await runSweep(options(out, { objectives: ['mle'], signal: stop.signal, stream: log }));
  assert.equal(stopped.report, null);
  assert.equal(stopped.interrupted, true);
  assert.match(log.text(), /mle: interrupted; rerun the same command to resume it/);
  assert.ok(existsSync(join(out, 'mle', 'checkpoint')));
  const resumed = sink();
  const r = (await runSweep(options(out, { objectives: ['mle'], stream: resumed }))).report!;
  assert.match(resumed.text(), /mle: resuming/);
  assert.equal(r.rows[0]!.training.steps, 10);
  assert.deepEqual(readFileSync(join(out, 'mle', 'model', 'model.safetensors')), readFileSync(join(sweepDir, 'mle', 'model', 'model.safetensors')));
});

test('a sweep refuses other settings in the same directory, unknown objectives and a missing reference, each in one sentence', async () => {
  await first;
  await assert.rejects(runSweep(options(sweepDir, { budget: 12 * 8 * 64 })), {
    message: `${sweepDir} holds a sweep with budget 5120, not 6144; rerun it with its own settings (${join(sweepDir, 'sweep.json')}) or choose another --out`,
  });
  await assert.rejects(runSweep(options(sweepDir, { regime: 'finetune' })), { message: /holds a sweep with regime "pretrain", not "finetune"/ });
  await assert.rejects(runSweep(options(sweepDir, { objectives: ['mle', 'dpo'] })), {
    message: "unknown objective 'dpo'; the objectives are mle, filtering, conditional, unlikelihood, rwr, awr",
  });
  const none = join(dir, 'no-reference');
  await assert.rejects(runSweep(options(join(dir, 'elsewhere'), { referenceDir: none })), {
    message: `there is no reference model for task pep8 in ${none}; train one with 'posterior reference --task pep8'`,
  });
  assert.ok(!existsSync(join(dir, 'elsewhere')));
});

test('a rerun with other evaluation settings evaluates again without training again', async () => {
  await first;
  const log = sink();
  const r = (await runSweep(options(sweepDir, { objectives: ['rwr'], samples: 50, redteamRounds: 0, stream: log }))).report!;
  assert.match(log.text(), /rwr: trained already \(10 steps\)/);
  assert.match(log.text(), /rwr: evaluated before with other settings \(\{"samples":25,"redteam_rounds":1\}\); evaluating again/);
  assert.equal(r.rows[0]!.evaluation.samples, 50);
  assert.equal(r.rows[0]!.evaluation.redteam, null);
  assert.equal(r.settings.samples, 50);
});

test('posterior phf: --help, and bad flags are one sentence with exit code 1', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'phf', ...args], { encoding: 'utf8' });
  const help = run('sweep', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--redteam-rounds N/);
  for (const [args, message] of [
    [['sweep', '--task', 'pep8', '--objectives', 'mle,ppo'], "unknown objective 'ppo'; the objectives are mle, filtering, conditional, unlikelihood, rwr, awr"],
    [['sweep', '--task', 'pep8', '--objectives', 'mle', '--regime', 'late'], '--regime must be one of pretrain, finetune, got late'],
    [['sweeps'], "unknown subcommand 'phf sweeps'; the one subcommand is 'posterior phf sweep' (see 'posterior phf --help')"],
  ] as const) {
    const r = run(...args);
    assert.equal(r.stderr, `posterior: ${message}\n`);
    assert.equal(r.status, 1);
  }
});
