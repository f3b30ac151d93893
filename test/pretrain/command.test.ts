import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [main, 'pretrain', ...args], { encoding: 'utf8' });

test('posterior pretrain: a bad config is one line on stderr and exit code 1, nothing on stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-pretrain-cli-'));
  const path = join(dir, 'run.yaml');
  writeFileSync(path, `out_dir: ${join(dir, 'out')}\ntokenizer: {train: {vocab_size: 300}}\ndata: {train: ${join(dir, 'none')}}\ntraining: {steps: 2, batchsize: 4}\n`);
  const r = cli('--config', path);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `posterior: config ${path}: unknown field \`training.batchsize\` (did you mean \`batch_size\`?)\n`);
  writeFileSync(path, `out_dir: ${join(dir, 'out')}\ntokenizer: {train: {vocab_size: 300}}\ndata: {train: ${join(dir, 'none')}}\ntraining: {steps: 2}\n`);
  const missing = cli('--config', path, '--json');
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, `posterior: corpus path ${join(dir, 'none')} does not exist\n`);
});

test('posterior pretrain: flags are checked and --help answers', () => {
  assert.equal(cli().stderr, "posterior: --config FILE is required; run 'posterior pretrain --help' for the options\n");
  assert.match(cli('--config', 'x.yaml', '--fast').stderr, /^posterior: Unknown option '--fast'; run 'posterior pretrain --help'/);
  const help = cli('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: posterior pretrain --config FILE \[--resume\] \[--json\]/);
});
