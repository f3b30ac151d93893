// The subprocess scorer against small scorers written in JavaScript and Python,
// well-behaved and not: they crash, hang, miscount or answer words instead of numbers.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processScorer } from '../../src/scorers/process-scorer.js';
import type { Scorer } from '../../src/scorers/scorer.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'posterior-process-scorer-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A Node scorer whose answer to each request line is computed by `answer`. */
function nodeScorer(name: string, answer: string, options: { timeoutMs?: number; batchSize?: number } = {}): Scorer {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(
    path,
    `import { createInterface } from 'node:readline';
import { existsSync, writeFileSync } from 'node:fs';
const marker = ${JSON.stringify(join(dir, `${name}.marker`))};
for await (const line of createInterface({ input: process.stdin })) {
  const { texts, contexts } = JSON.parse(line);
  ${answer}
}`,
  );
  return processScorer({ command: process.execPath, args: [path], name, ...options });
}

const lengths = 'console.log(JSON.stringify({ scores: texts.map((t, i) => t.length + 100 * contexts[i].length) }));';

it('scores in batches through a JSON-lines process, with "" for missing contexts', async () => {
  const s = nodeScorer('lengths', lengths, { batchSize: 2 });
  try {
    assert.deepEqual([...(await s.score(['a', 'bb', 'ccc', 'dddd', 'eeeee']))], [1, 2, 3, 4, 5]);
    assert.deepEqual([...(await s.score(['a', 'b'], ['x', '']))], [101, 1]);
  } finally {
    await s.close?.();
  }
});

it('works with a scorer in another language (Python)', async () => {
  const path = join(dir, 'vowels.py');
  writeFileSync(
    path,
    `import json, sys
for line in sys.stdin:
    texts = json.loads(line)["texts"]
    print(json.dumps({"scores": [sum(c in "aeiou" for c in t) for t in texts]}), flush=True)
`,
  );
  const s = processScorer({ command: 'python3', args: [path] });
  try {
    assert.equal(s.name, 'python3');
    assert.deepEqual([...(await s.score(['banana', 'xyz', 'é']))], [3, 0, 0]);
  } finally {
    await s.close?.();
  }
});

it('restarts a process that crashed and retries the batch once', async () => {
  const s = nodeScorer('crash-once', `if (!existsSync(marker)) { writeFileSync(marker, ''); process.exit(9); }\n${lengths}`);
  try {
    assert.deepEqual([...(await s.score(['abc']))], [3]);
    assert.ok(existsSync(join(dir, 'crash-once.marker')));
  } finally {
    await s.close?.();
  }
});

it('names the command when it answers the wrong number of scores', async () => {
  const s = nodeScorer('miscount', 'console.log(JSON.stringify({ scores: [1] }));');
  await assert.rejects(s.score(['a', 'b']), /scorer miscount \(.*node.* .*miscount\.mjs\) failed twice on texts 0\.\.1 \(restarted once\): it answered 1 scores for 2 texts/);
  await s.close?.();
});

it('names the command when it answers something that is not a number', async () => {
  const s = nodeScorer('wordy', 'console.log(JSON.stringify({ scores: texts.map(() => "high") }));');
  await assert.rejects(s.score(['a']), /scorer wordy .*wordy\.mjs.*its score for text 0 is "high", not a finite number/);
  await s.close?.();
});

it('times out a process that never answers', async () => {
  const s = nodeScorer('silent', '', { timeoutMs: 150 });
  const started = Date.now();
  await assert.rejects(s.score(['a']), /scorer silent .* failed twice .*no answer within 150 ms/);
  assert.ok(Date.now() - started < 3000);
  await s.close?.();
});

it('names a command that cannot start', async () => {
  const s = processScorer({ command: join(dir, 'no-such-scorer') });
  await assert.rejects(s.score(['a']), /scorer no-such-scorer .* could not start: .*ENOENT/);
});
