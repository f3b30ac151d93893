import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoConfig } from '../../src/demo/config.js';
import { claimOutDir, runDemo } from '../../src/demo/demo.js';
import { comparisonTable, type DemoReport } from '../../src/demo/report.js';
import { memorySource } from '../../src/data/source.js';
import { METRIC_NAMES } from '../../src/eval/evaluate.js';
import { Tokenizer } from '../../src/lm/tokenizer.js';
import { PosteriorError } from '../../src/util/errors.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

// Smaller than --quick, so the whole demo runs twice in seconds: every stage, not the effect.
const TINY: DemoConfig = {
  preset: 'test',
  seed: 3,
  corpusFraction: 1,
  vocabSize: 400,
  model: { n_layer: 1, n_embd: 32, n_head: 2, block_size: 96 },
  training: { steps: 12, batch_size: 8, lr: 3e-3, warmup_steps: 2, eval_interval: 6 },
  dropProb: 0.1,
  eval: { samples: 50, referenceSamples: 16, nextWordItems: 8, compileItems: 4, lossTokens: 2048, shown: 1 },
};

// Real Python from the standard library (on every machine the tests run on): the first
// 20 modules and four whose ids ('stdlib/<name>') hash into the validation and test splits.
function stdlibSource() {
  const dir = '/usr/lib/python3.11';
  const first = readdirSync(dir).filter((n) => n.endsWith('.py')).sort().slice(0, 20);
  const names = [...first, 'hashlib.py', 'heapq.py', '_weakrefset.py', 'fractions.py'];
  return memorySource('stdlib', Object.fromEntries(names.map((n) => [n, readFileSync(join(dir, n))])));
}

function sink(): { write(s: string): void; text(): string } {
  let out = '';
  return { write: (s: string) => void (out += s), text: () => out };
}

test('the demo trains and evaluates both models and writes the report; a rerun reuses the cache and repeats every metric', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'posterior-demo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const opts = { config: TINY, outDir: join(root, 'out'), cacheDir: join(root, 'cache'), sourcesDir: join(root, 'sources'), command: 'test', sources: [stdlibSource()] };
  const log = sink();
  const r = await runDemo({ ...opts, stream: log });

  for (const name of ['corpus', 'tokenizer', 'pretrain mle', 'reference', 'pretrain conditional', 'evaluate mle', 'evaluate conditional', 'samples']) {
    assert.match(log.text(), new RegExp(`demo \\[\\d/8\\] ${name} done in`), name);
  }
  assert.deepEqual(Object.keys(r.metrics).sort(), ['conditional', 'mle']);
  for (const name of ['mle', 'conditional'] as const) {
    const m = r.metrics[name];
    assert.deepEqual(Object.keys(m).sort(), [...METRIC_NAMES].sort());
    for (const k of ['misalignment/mean', 'misalignment/max@25', 'misalignment/hit_rate', 'kl_from_reference', 'capability/loss', 'diversity/distinct_1'] as const) {
      assert.equal(typeof m[k], 'number', `${name} ${k}`);
    }
    assert.ok(m['misalignment/mean']! >= 0 && m['misalignment/max@25']! >= m['misalignment/mean']!);
    assert.equal(r.models[name].training.steps, TINY.training.steps);
    assert.equal(r.models[name].training.tokens, TINY.training.steps * TINY.training.batch_size * TINY.model.block_size);
    assert.equal(r.models[name].samples.length, 1);
  }
  // The reference is the MLE model: its KL from itself is 0 exactly, the conditional model's is not.
  assert.equal(r.metrics.mle.kl_from_reference, 0);
  assert.ok(r.metrics.conditional.kl_from_reference! > 0);
  assert.equal(r.models.mle.conditional, false);
  assert.equal(r.models.conditional.conditional, true);
  const c = r.models.conditional.training.control_tokens!;
  assert.equal(c.good + c.bad + c.dropped, c.segments);
  assert.ok(c.bad > 0 && c.good > 0 && c.dropped > 0);
  assert.equal(r.models.mle.training.control_tokens, undefined);
  const conditionalTokenizer = Tokenizer.load(join(opts.outDir, 'conditional', 'model', 'tokenizer.json'));
  assert.notEqual(conditionalTokenizer.tokenToId('<|good|>'), undefined);
  assert.equal(Tokenizer.load(join(opts.outDir, 'mle', 'model', 'tokenizer.json')).tokenToId('<|good|>'), undefined);

  assert.deepEqual(JSON.parse(readFileSync(r.files.json, 'utf8')), JSON.parse(JSON.stringify(r)));
  const svg = readFileSync(r.files.svg, 'utf8');
  assert.equal(svg.match(/<circle /g)?.length, 2);
  const md = readFileSync(r.files.markdown, 'utf8');
  assert.ok(md.includes('| misalignment: mean (↓) |') && md.includes('![misalignment against KL from the reference](pareto.svg)'));
  assert.match(comparisonTable(r), /^metric +mle +conditional +change\n/);
  assert.ok(r.pareto.frontier.includes('mle'));
  assert.equal(r.corpus.reused, false);
  assert.equal(r.tokenizer.reused, false);

  const again: DemoReport = await runDemo({ ...opts, stream: sink() });
  assert.equal(again.corpus.reused, true);
  assert.equal(again.tokenizer.reused, true);
  assert.deepEqual(again.metrics, r.metrics);
  assert.deepEqual(again.models.conditional.samples, r.models.conditional.samples);
});

test('the demo refuses an output directory holding files it did not write, and leaves them alone', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-demo-out-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  mkdirSync(join(dir, 'mle'));
  assert.throws(() => claimOutDir(dir), (e: unknown) => e instanceof PosteriorError && e.message.includes(dir) && e.message.includes('--out'));
  assert.ok(existsSync(join(dir, 'mle')) && existsSync(join(dir, 'notes.txt')));
});

test('posterior demo: --help, and an unknown flag is one sentence with exit code 1', () => {
  const help = spawnSync(process.execPath, [cli, 'demo', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--quick/);
  const bad = spawnSync(process.execPath, [cli, 'demo', '--fast'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^posterior: .*'--fast'.*posterior demo --help/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
