import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareCorpus } from '../../src/data/prepare.js';
import { perLine } from '../../src/data/scoring.js';
import { memorySource } from '../../src/data/source.js';
import { METRIC_NAMES } from '../../src/eval/evaluate.js';
import { openStore } from '../../src/runs/store.js';
import { createPep8Scorer } from '../../src/scorers/pep8.js';

const main = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });

/** Small Python files, a third with PEP 8 violations, each with documented functions. */
function pyFile(i: number): string {
  return [
    'import os',
    '',
    '',
    `def func_${i}(a, b):`,
    `    """Add a and b, number ${i}."""`,
    i % 3 === 0 ? '    x=a+b' : '    x = a + b',
    '    return x',
    '',
    '',
    `class Thing${i}:`,
    '    def method(self, value):',
    `        """Return the value times ${i}."""`,
    `        return value * ${i}`,
    '',
  ].join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'posterior-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const corpus = join(dir, 'corpus'), reference = join(dir, 'reference'), store = join(dir, 'store.sqlite');
const files = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`m${i}.py`, pyFile(i)]));

async function prepare(out: string, split: { train: number; validation: number; test: number }): Promise<void> {
  const pep8 = createPep8Scorer();
  try {
    await prepareCorpus({
      task: 'pep8', outDir: out, sources: [memorySource('mem', files)], segmentation: 'lines', scorer: perLine(pep8),
      clean: { minChars: 64, maxChars: 10_000 }, split, progressStream: null,
    });
  } finally {
    await pep8.close();
  }
}

// One tiny corpus and reference for all the tests below, made once.
const ready = (async () => {
  await prepare(corpus, { train: 0.6, validation: 0.2, test: 0.2 });
  const r = cli('reference', '--task', 'pep8', '--corpus', corpus, '--out', reference, '--budget', String(30 * 16 * 64), '--n-layer', '1', '--n-embd', '32',
    '--n-head', '2', '--block-size', '64', '--vocab-size', '300', '--samples', '30', '--threads', '1', '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { steps: number; samples: number };
})();

test('posterior reference trains, caches its samples and refuses to overwrite without --force', async () => {
  const manifest = await ready;
  assert.equal(manifest.steps, 30);
  assert.equal(manifest.samples, 30);
  const again = cli('reference', '--task', 'pep8', '--corpus', corpus, '--out', reference);
  assert.equal(again.status, 1);
  assert.equal(again.stderr, `posterior: ${reference} already holds a reference for task pep8; pass --force to train a new one\n`);
  const elsewhere = cli('reference', '--task', 'pep8', '--corpus', corpus, '--out', corpus);
  assert.equal(elsewhere.stderr, `posterior: refusing to replace ${corpus} with a reference: it is not empty and holds no reference.json\n`);
});

test('posterior eval on a tiny model prints every metric as one JSON object and records it in the run store', async () => {
  await ready;
  const args = ['eval', '--model', join(reference, 'model'), '--task', 'pep8', '--corpus', corpus, '--reference', reference, '--samples', '25', '--next-word', '20', '--compile', '5', '--store', store];
  const r = cli(...args, '--json');
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(r.stdout) as Record<string, number | null>;
  assert.deepEqual(Object.keys(metrics), [...METRIC_NAMES]);
  for (const name of METRIC_NAMES) assert.equal(typeof metrics[name], 'number', name);
  // The reference scored against itself: the same log-probs, so KL is exactly 0.
  assert.equal(metrics['kl_from_reference'], 0);
  for (const name of ['misalignment/hit_rate', 'capability/next_word_acc', 'capability/compile_rate', 'diversity/distinct_1', 'diversity/distinct_2', 'diversity/self_bleu_5'] as const) {
    assert.ok(metrics[name]! >= 0 && metrics[name]! <= 1, `${name} = ${metrics[name]}`);
  }
  assert.ok(metrics['misalignment/max@25']! >= metrics['misalignment/mean']!);
  assert.ok(metrics['capability/loss']! > 0 && metrics['diversity/entropy']! > 0);
  const s = openStore(store);
  try {
    const [run] = s.listRuns({ kind: 'eval' });
    assert.equal(run!.status, 'finished');
    assert.equal(run!.name, 'pep8/model');
    assert.equal(s.metrics(run!.id, 'misalignment/mean')[0]!.value, metrics['misalignment/mean']);
  } finally {
    s.close();
  }
  // Seeded: the table shows the same numbers.
  const table = cli(...args);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`misalignment/mean +${metrics['misalignment/mean']!.toFixed(4)}\\n`));
  assert.match(table.stdout, /kl_from_reference +0\.0000 ± 0\.0000 \(30 reference samples\)/);
});

test('posterior eval of a conditionally trained model prompts it with <|good|> and scores the reference samples after it', async () => {
  await ready;
  const config = join(dir, 'conditional.yaml');
  writeFileSync(config, [
    `out_dir: ${join(dir, 'conditional')}`,
    'objective: conditional',
    `tokenizer: {path: ${join(reference, 'model', 'tokenizer.json')}}`,
    `data: {train: ${join(corpus, 'train.jsonl')}, validation: ${join(corpus, 'validation.jsonl')}}`,
    'model: {n_layer: 1, n_embd: 32, n_head: 2, block_size: 64, dropout: 0}',
    'optimizer: {warmup_steps: 2}',
    'training: {steps: 10, batch_size: 8, eval_interval: 10}',
    'samples: {count: 0}',
    'threads: 1',
  ].join('\n'));
  const trained = cli('pretrain', '--config', config, '--json');
  assert.equal(trained.status, 0, trained.stderr);
  const args = ['eval', '--model', join(dir, 'conditional', 'model'), '--task', 'pep8', '--corpus', corpus, '--reference', reference, '--samples', '25', '--next-word', '10', '--compile', '3', '--store', store];
  const table = cli(...args);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /: 25 samples, conditional \(prompted with <\|good\|>\)\n/);
  const metrics = JSON.parse(cli(...args, '--json').stdout) as Record<string, number>;
  assert.ok(metrics['kl_from_reference']! > 0, `KL ${metrics['kl_from_reference']}`);
});

test('posterior eval: bad input is one sentence and exit code 1', async () => {
  await ready;
  const model = join(reference, 'model');
  const run = (...extra: string[]) => cli('eval', '--model', model, '--task', 'pep8', '--corpus', corpus, '--reference', reference, '--store', store, ...extra);
  const expect = (r: ReturnType<typeof cli>, message: string) => {
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `posterior: ${message}\n`);
    assert.equal(r.status, 1);
  };
  expect(run('--conditional'), `model ${model} has no <|good|> and <|bad|> tokens, so it cannot be evaluated as a conditional model`);
  expect(run('--reference', join(dir, 'none')), `there is no reference model for task pep8 in ${join(dir, 'none')}; train one with 'posterior reference --task pep8'`);
  expect(run('--samples', '10'), '--samples must be an integer ≥ 25, got 10');
  expect(run('--task', 'poetry'), "unknown task 'poetry'; the tasks are pep8, pii, toxicity");
  const noTest = join(dir, 'no-test');
  await prepare(noTest, { train: 0.8, validation: 0.2, test: 0 });
  expect(run('--corpus', noTest), `corpus ${noTest} has no test split (test.jsonl holds no documents), so capability cannot be measured on held-out text`);
});

test('posterior redteam runs the seeded rounds against the reference as red LM', async () => {
  await ready;
  const args = ['redteam', '--model', join(reference, 'model'), '--task', 'pep8', '--corpus', corpus, '--reference', reference, '--rounds', '2', '--proposals', '3',
    '--continuations', '2', '--seed-prompts', '4', '--store', store, '--json'];
  const r = cli(...args);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { rounds: { round: number; best: number; top10: number; poolMean: number; poolSize: number }[]; top: { score: number }[] };
  assert.deepEqual(out.rounds.map((x) => [x.round, x.poolSize]), [[0, 4], [1, 7], [2, 10]]);
  assert.equal(out.rounds[2]!.best, out.top[0]!.score);
  assert.deepEqual(JSON.parse(cli(...args).stdout), out);
});
