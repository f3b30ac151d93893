import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPretrainConfig, objectiveSpec, parsePretrainConfig, totalSteps } from '../../src/pretrain/config.js';
import { createObjective } from '../../src/pretrain/objectives/index.js';
import { PosteriorError } from '../../src/util/errors.js';

const minimal = () => ({
  out_dir: 'runs/x',
  tokenizer: { train: { vocab_size: 512 } },
  data: { train: 'corpus.jsonl' },
  training: { steps: 10 },
});

function refused(raw: unknown, expected: string): void {
  assert.throws(() => parsePretrainConfig(raw, 'config run.yaml'), (e: unknown) => {
    assert.ok(e instanceof PosteriorError, String(e));
    assert.equal(e.message, expected);
    return true;
  });
}

test('a minimal config gets the documented defaults', () => {
  const c = parsePretrainConfig(minimal(), 'config run.yaml');
  assert.deepEqual(c.model, { n_layer: 4, n_embd: 256, n_head: 4, block_size: 128, dropout: 0.1 });
  assert.deepEqual(c.optimizer, { lr: 1e-3, min_lr: 1e-4, warmup_steps: 100, betas: [0.9, 0.95], eps: 1e-8, weight_decay: 0.1, grad_clip: 1 });
  assert.equal(c.training.batch_size, 16);
  assert.equal(c.objective, 'mle');
  assert.deepEqual(objectiveSpec(c), { name: 'mle' });
  assert.equal(c.seed, 0);
  assert.equal(totalSteps(c), 10);
});

test('a token budget becomes whole optimiser steps', () => {
  const c = parsePretrainConfig({ ...minimal(), training: { tokens: 100_000, batch_size: 4, grad_accum: 2 }, model: { block_size: 64 } }, 'x');
  assert.equal(totalSteps(c), Math.ceil(100_000 / (4 * 2 * 64)));
});

test('unknown fields, wrong types and broken rules are one sentence naming file and field', () => {
  refused({ ...minimal(), model: { n_layers: 2 } }, 'config run.yaml: unknown field `model.n_layers` (did you mean `n_layer`?)');
  refused({ ...minimal(), model: { n_layer: 'four' } }, 'config run.yaml: field `model.n_layer` must be a number, got string "four"');
  refused({ ...minimal(), optimizer: { lr: 0, min_lr: 0 } }, 'config run.yaml: field `optimizer.lr` must be greater than 0, got 0');
  refused({ ...minimal(), learning_rate: 1 }, 'config run.yaml: unknown field `learning_rate`');
  refused({ ...minimal(), data: {} }, 'config run.yaml: field `data.train` is required');
  refused({ ...minimal(), training: { steps: 5, tokens: 100 } }, 'config run.yaml: field `training` needs exactly one of `steps` and `tokens`');
  refused({ ...minimal(), tokenizer: {} }, 'config run.yaml: field `tokenizer` needs exactly one of `path` (a tokenizer.json) and `train` ({vocab_size})');
  refused({ ...minimal(), optimizer: { lr: 1e-4, min_lr: 1e-3 } }, 'config run.yaml: field `optimizer.min_lr` must not exceed optimizer.lr (0.0001), got 0.001');
  refused({ ...minimal(), model: { n_embd: 100, n_head: 3 } }, 'config run.yaml: field `model.n_embd` must be divisible by model.n_head (3), got 100');
});

test('the objective is named by its registry, and its parameters are checked strictly', () => {
  const c = parsePretrainConfig({ ...minimal(), objective: { name: 'mle' } }, 'config run.yaml');
  assert.equal(createObjective(objectiveSpec(c), 'config run.yaml').name, 'mle');
  assert.throws(() => createObjective({ name: 'magic' }, 'config run.yaml'), /^PosteriorError: config run.yaml: field `objective` names an unknown objective 'magic' \(known: mle, filtering, conditional, unlikelihood, rwr, awr\)$/);
  assert.throws(() => createObjective({ name: 'mle', alpha: 1 }, 'config run.yaml'), /config run.yaml: unknown field `objective.alpha`/);
});

test('config files: YAML errors and missing files name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-config-'));
  const path = join(dir, 'run.yaml');
  writeFileSync(path, 'out_dir: x\ntokenizer: {train: {vocab_size: 300}}\ndata: {train: c}\ntraining: {steps: 3, batch_size: 0}\n');
  assert.throws(() => loadPretrainConfig(path), (e: Error) => e instanceof PosteriorError && e.message === `config ${path}: field \`training.batch_size\` must be greater than 0, got 0`);
  writeFileSync(path, 'out_dir: [unclosed\n');
  assert.throws(() => loadPretrainConfig(path), (e: Error) => e instanceof PosteriorError && e.message.startsWith(`config ${path} is not valid YAML`));
  assert.throws(() => loadPretrainConfig(join(dir, 'none.yaml')), /none\.yaml does not exist/);
});
