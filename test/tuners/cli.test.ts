// The commands: every examples/tune-*.yaml runs from `posterior tune` (the LM ones on a
// tiny random GPT standing in for the prior, a few steps each), `estimate` and `qrs` on
// the toy target, and bad input gets one sentence and exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { manualSeed } from '../../src/engine/random.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { saveModel } from '../../src/lm/checkpoint.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import { loadTargetConfig } from '../../src/tuners/target-config.js';
import { loadTuneConfig } from '../../src/tuners/config.js';

const root = mkdtempSync(join(tmpdir(), 'posterior-tune-cli-'));

function posterior(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tinyPrior(dir: string, corpus: string): string {
  const tokenizer = trainBpe([corpus], { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  manualSeed(0);
  const eos = tokenizer.eosId!;
  const model = new GPT(gptConfig({ vocab_size: tokenizer.vocabSize, n_positions: 256, n_embd: 32, n_layer: 1, n_head: 2, eos_token_id: eos, bos_token_id: eos })).initWeights();
  saveModel(dir, model, { tokenizer });
  return dir;
}

const priorDir = tinyPrior(join(root, 'prior'), 'def add(a, b):\n    return a + b\n\nsquare = lambda x: x * x\nprint(add(1, 2))\n');

/** An example, shrunk to a smoke run on the tiny prior. */
function shrunk(example: string): string {
  const config = YAML.parse(readFileSync(example, 'utf8')) as Record<string, any>;
  const target = YAML.parse(readFileSync(config.target as string, 'utf8')) as Record<string, any>;
  if (typeof target.prior === 'string') target.prior = priorDir;
  // A random GPT never writes "lambda"; a letter keeps the features firing.
  const text = JSON.stringify(target).replaceAll('{"contains":"lambda"}', '{"contains":"a","whole_word":false}');
  config.target = JSON.parse(text);
  if (config.target.fit) config.target.fit.pool_size = 64;
  if (config.reward?.contains === 'lambda') config.reward = { contains: 'a', whole_word: false };
  config.out_dir = join(root, 'runs', example.replace(/\W/g, '_'));
  config.steps = 2;
  config.threads = 1;
  config.sampling = { ...config.sampling, samples_per_context: 4, max_new_tokens: 8, ...(config.sampling?.contexts_per_step ? { contexts_per_step: 2 } : {}) };
  const path = join(root, `${example.replace(/\W/g, '_')}.yaml`);
  writeFileSync(path, YAML.stringify(config));
  return path;
}

const examples = readdirSync('examples').filter((f) => /^(tune-.*|cdpg-code)\.yaml$/.test(f)).map((f) => join('examples', f));

test('every example config is valid', () => {
  assert.ok(examples.length >= 9, `found ${examples.length} tune examples`);
  for (const e of examples) loadTuneConfig(e);
  for (const f of readdirSync('examples').filter((f) => /^target-.*\.yaml$/.test(f))) loadTargetConfig(join('examples', f));
});

test('every example runs from posterior tune', () => {
  for (const example of examples) {
    const r = posterior('tune', '--config', shrunk(example), '--json');
    assert.equal(r.code, 0, `${example}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { steps: number; model_dir: string | null; checkpoint_dir: string };
    assert.equal(out.steps, 2, example);
    assert.ok(existsSync(join(out.checkpoint_dir, 'weights.safetensors')), example);
    if (!example.includes('toy')) assert.ok(out.model_dir !== null && existsSync(join(out.model_dir, 'model.safetensors')), example);
  }
});

test('the toy example reaches its target, and estimate and qrs measure it', () => {
  const config = YAML.parse(readFileSync('examples/tune-toy.yaml', 'utf8')) as Record<string, unknown>;
  const path = join(root, 'toy.yaml');
  writeFileSync(path, YAML.stringify({ ...config, out_dir: join(root, 'toy-run') }));
  const tuned = posterior('tune', '--config', path, '--json');
  assert.equal(tuned.code, 0, tuned.stderr);
  assert.ok((JSON.parse(tuned.stdout) as { kl_target_policy: number }).kl_target_policy < 0.01);

  const est = posterior('estimate', '--target', 'examples/target-toy.yaml', '--model', 'prior', '-n', '20000', '--json');
  assert.equal(est.code, 0, est.stderr);
  const m = JSON.parse(est.stdout) as Record<string, number>;
  // Z = a("the cat sat") + a("a cat ran") = 0.1; under the prior, KL(π‖a) = 0 and E[b] = Z.
  assert.ok(Math.abs(m.z! - 0.1) < 0.01 && m.kl_policy_base === 0 && Math.abs(m['b/mean']! - m.z!) < 1e-12, est.stdout);
  assert.ok(Math.abs(m.kl_target_policy! - -Math.log(0.1)) < 0.1);

  // A fixed budget of proposals: exactly 400 drawn, each kept with min(1, b/β) = b, so the rate estimates Z = 0.1.
  const budget = posterior('qrs', '--target', 'examples/target-toy.yaml', '--proposal', 'prior', '--draws', '400', '--beta', '0.5', '--out', join(root, 'budget.jsonl'), '--json');
  assert.equal(budget.code, 0, budget.stderr);
  const b = JSON.parse(budget.stdout) as { drawn: number; accepted: number; acceptance_rate: number };
  assert.equal(b.drawn, 400);
  assert.ok(Math.abs(b.acceptance_rate - 0.1) < 5 * Math.sqrt(0.09 / 400) && b.accepted === Math.round(b.acceptance_rate * 400), budget.stdout);

  const out = join(root, 'qrs.jsonl');
  const q = posterior('qrs', '--target', 'examples/target-toy.yaml', '--proposal', 'prior', '-n', '50', '--beta', '0.5', '--out', out, '--json');
  assert.equal(q.code, 0, q.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string });
  assert.equal(lines.length, 50);
  assert.ok(lines.every((l) => l.text.includes('cat')));
  assert.ok(Math.abs((JSON.parse(q.stdout) as { acceptance_rate: number }).acceptance_rate - 0.2) < 0.1);
});

test('bad input is one sentence and exit code 1', () => {
  const bad = (file: string, body: unknown) => {
    const p = join(root, file);
    writeFileSync(p, YAML.stringify(body));
    return p;
  };
  const base = { out_dir: join(root, 'bad'), target: 'examples/target-toy.yaml', method: { name: 'dpg' }, steps: 2 };
  const cases: [string[], RegExp][] = [
    [['tune', '--config', bad('a.yaml', { ...base, stpes: 3 })], /unknown field `stpes` \(did you mean `steps`\?\)/],
    [['tune', '--config', bad('b.yaml', { ...base, method: { name: 'reinforce' } })], /field `reward` is required by reinforce/],
    [['tune', '--config', bad('c.yaml', { ...base, method: { name: 'gdc' } })], /method gdc needs a target with constraints/],
    [['tune', '--config', bad('d.yaml', { ...base, method: { name: 'f-dpg', divergence: 'hellinger' } })], /field `method.divergence` must be one of/],
    [['tune', '--config', bad('e.yaml', { ...base, target: { prior: join(root, 'nowhere'), factors: [{ require: { contains: 'x' } }] } })], /nowhere does not exist/],
    [['tune', '--config', bad('f.yaml', { ...base, target: { prior: priorDir, factors: [{ require: { task: 'pep8' } }] } })], /field `target.factors\[0\].require` must be a boolean feature/],
    [['qrs', '--target', bad('t.yaml', { prior: priorDir, factors: [{ require: { contains: 'a', whole_word: false } }] }), '--proposal', tinyPrior(join(root, 'other'), 'completely different text, another tokenizer'), '-n', '1', '--beta', '1'], /uses a different tokenizer than the target's prior/],
    [['estimate', '--target', 'examples/target-toy.yaml'], /--target CONFIG and --model DIR are required/],
  ];
  for (const [args, pattern] of cases) {
    const r = posterior(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, pattern);
  }
});

test('a run resumes only with the same config', () => {
  const config = { out_dir: join(root, 'resume'), target: 'examples/target-toy.yaml', method: { name: 'dpg' }, steps: 2, optimizer: { lr: 0.1 } };
  const path = join(root, 'resume.yaml');
  writeFileSync(path, YAML.stringify(config));
  assert.equal(posterior('tune', '--config', path).code, 0);
  writeFileSync(path, YAML.stringify({ ...config, steps: 4 }));
  const more = posterior('tune', '--config', path, '--resume', '--json');
  assert.equal(more.code, 0, more.stderr);
  assert.equal((JSON.parse(more.stdout) as { steps: number }).steps, 4);
  writeFileSync(path, YAML.stringify({ ...config, steps: 6, optimizer: { lr: 0.2 } }));
  const changed = posterior('tune', '--config', path, '--resume');
  assert.equal(changed.code, 1);
  assert.match(changed.stderr, /field `optimizer.lr` differs from the run in .*, so it cannot be resumed exactly/);
});
