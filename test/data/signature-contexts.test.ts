// `posterior data signatures`: the documented functions of one split, as JSONL strings a
// context distribution reads back; too-long ones left out; none at all is one sentence.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareCorpus } from '../../src/data/prepare.js';
import { perLine } from '../../src/data/scoring.js';
import { memorySource } from '../../src/data/source.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { ContextDistribution } from '../../src/distributions/context-distribution.js';
import { createPep8Scorer } from '../../src/scorers/pep8.js';

const main = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'posterior-signatures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pyFile(i: number): string {
  const doc = i % 2 === 0 ? `"""Short ${i}."""` : `"""${'A long docstring. '.repeat(10)}"""`;
  return `import os\n\n\ndef f_${i}(a):\n    ${doc}\n    return a\n\n\ndef g_${i}(b):\n    return b\n`;
}

test('data signatures writes the documented functions of a split that fit, as contexts', async () => {
  const corpus = join(dir, 'corpus');
  const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m${i}.py`, pyFile(i)]));
  const pep8 = createPep8Scorer();
  try {
    await prepareCorpus({
      task: 'pep8', outDir: corpus, sources: [memorySource('mem', files)], segmentation: 'lines', scorer: perLine(pep8),
      clean: { minChars: 16, maxChars: 10_000 }, split: { train: 0.5, validation: 0.5, test: 0 }, progressStream: null,
    });
  } finally {
    await pep8.close();
  }
  const out = join(dir, 'contexts.jsonl');
  const r = cli('data', 'signatures', '--corpus', corpus, '--split', 'validation', '--out', out, '--max-chars', '80');
  assert.equal(r.status, 0, r.stderr);
  const contexts = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string);
  assert.ok(contexts.length > 0 && contexts.every((c) => /^def f_\d+\(a\):\n {4}"""Short \d+\."""$/.test(c)), contexts.join('|'));
  const fromFile = await ContextDistribution.fromFile(out);
  assert.equal(fromFile.sample(1)[0]!.startsWith('def f_'), true);

  // With a tokenizer, the token limit applies too: byte-level BPE of 260 tokens barely merges, so "Short" signatures run over 20 tokens.
  const tok = trainBpe([contexts.join('')], { vocabSize: 260, specialTokens: ['<|endoftext|>'] });
  const tokPath = join(dir, 'tokenizer.json');
  tok.save(tokPath);
  const limited = join(dir, 'limited.jsonl');
  const tokenCounts = contexts.map((c) => tok.encode(c, { special: false }).length);
  const limit = Math.min(...tokenCounts);
  assert.equal(cli('data', 'signatures', '--corpus', corpus, '--split', 'validation', '--out', limited, '--max-chars', '80', '--tokenizer', tokPath, '--max-tokens', String(limit)).status, 0);
  const kept = readFileSync(limited, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string);
  assert.deepEqual(kept, contexts.filter((_, i) => tokenCounts[i]! <= limit));
  assert.ok(kept.length < contexts.length, `every signature has ${limit} tokens, so the limit was not tested`);

  const none = cli('data', 'signatures', '--corpus', corpus, '--split', 'validation', '--out', join(dir, 'none.jsonl'), '--max-chars', '10');
  assert.equal(none.status, 1);
  assert.match(none.stderr.trim(), /^[^\n]*holds no documented function signature of at most 10 characters[^\n]*$/);
});
