import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Tokenizer } from '../../src/lm/tokenizer.js';
import { smallCorpus } from './tokenizer-samples.js';

const MAIN = resolve('dist/src/cli/main.js');

function posterior(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [MAIN, 'tokenizer', ...args], { encoding: 'utf8' });
}

function corpusDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-tok-cli-'));
  const texts = smallCorpus();
  mkdirSync(join(dir, 'docs', 'b'), { recursive: true });
  texts.slice(0, 5).forEach((t, i) => writeFileSync(join(dir, 'docs', `${i}.txt`), t));
  texts.slice(5, 8).forEach((t, i) => writeFileSync(join(dir, 'docs', 'b', `${i}.md`), t));
  writeFileSync(join(dir, 'docs', 'image.bin'), Uint8Array.of(0xff, 0xfe, 0x00, 0x81));
  writeFileSync(join(dir, 'rows.jsonl'), texts.slice(8).map((text) => JSON.stringify({ text, id: 1 })).join('\n') + '\n');
  return dir;
}

test('train reads directories and JSONL, writes a loadable tokenizer.json with special tokens first', () => {
  const dir = corpusDir();
  const out = join(dir, 'tok', 'tokenizer.json');
  const r = posterior('train', '--corpus', join(dir, 'docs'), join(dir, 'rows.jsonl'), '--vocab-size', '600', '--out', out, '--special', '<|endoftext|>,<|good|>');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /vocabulary 600 from 47 documents/);
  assert.match(r.stderr, /skipped 1 files that are not UTF-8 text, e\.g\. .*image\.bin/);
  const tok = Tokenizer.load(out);
  assert.equal(tok.vocabSize, 600);
  assert.equal(tok.tokenToId('<|endoftext|>'), 0);
  assert.equal(tok.tokenToId('<|good|>'), 1);
  const enc = posterior('encode', '--tokenizer', out, '--text', 'Call me Ishmael.<|endoftext|>');
  assert.equal(enc.status, 0, enc.stderr);
  const shown = JSON.parse(enc.stdout) as { ids: number[]; tokens: string[] };
  assert.deepEqual(shown.ids, [...tok.encode('Call me Ishmael.<|endoftext|>')]);
  assert.equal(shown.tokens.at(-1), '<|endoftext|>');
  rmSync(dir, { recursive: true });
});

test('--ext and --max-bytes select the corpus', () => {
  const dir = corpusDir();
  const out = join(dir, 'tokenizer.json');
  const r = posterior('train', '--corpus', join(dir, 'docs'), '--ext', 'md', '--max-bytes', '1000', '--vocab-size', '300', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /from 1 documents \(1000 bytes\)/);
  assert.doesNotMatch(r.stderr, /skipped/);
  rmSync(dir, { recursive: true });
});

test('a missing or empty corpus and bad flags are one clear sentence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-tok-cli-'));
  const out = join(dir, 'tokenizer.json');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'blank.txt'), '');
  const cases: Array<[string[], RegExp]> = [
    [['train', '--corpus', join(dir, 'nope'), '--vocab-size', '300', '--out', out], /corpus path .*nope does not exist/],
    [['train', '--corpus', empty, '--vocab-size', '300', '--out', out], /holds no text/],
    [['train', '--vocab-size', '300', '--out', out], /--corpus is required/],
    [['train', '--corpus', dir, '--vocab-size', '12', '--out', out], /--vocab-size must be an integer of at least 257/],
    [['train', '--corpus', dir, '--vocab-size', '300', '--out', out, '--bogus'], /Unknown option '--bogus'/],
    [['encode', '--tokenizer', join(dir, 'missing.json'), '--text', 'x'], /cannot read tokenizer file .*missing\.json/],
  ];
  writeFileSync(join(dir, 'bad.jsonl'), '{"text": "ok"}\n{"txt": 1}\n');
  cases.push([['train', '--corpus', join(dir, 'bad.jsonl'), '--vocab-size', '300', '--out', out], /bad\.jsonl line 2 has no string field "text"/]);
  for (const [args, message] of cases) {
    const r = posterior(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  rmSync(dir, { recursive: true });
});
