import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/engine/create.js';
import { noGrad } from '../../src/engine/autograd.js';
import { manualSeed } from '../../src/engine/random.js';
import { tidy } from '../../src/engine/scope.js';
import type { CorpusDocument } from '../../src/data/corpus.js';
import { compiledShare, compileRate, firstWord, heldOutLoss, heldOutSignatures, nextWordAccuracy, nextWordItems } from '../../src/eval/capability.js';
import { functionBody } from '../../src/scorers/function-scope.js';
import { BAD_TOKEN, GOOD_TOKEN } from '../../src/pretrain/objectives/conditional.js';
import { evalModel } from '../../src/eval/eval-model.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import { scoreContinuations } from '../../src/lm/logprob.js';
import { Tokenizer } from '../../src/lm/tokenizer.js';

/** A document whose segments are its sentences (each ends after ". "). */
function doc(id: string, text: string): CorpusDocument {
  const segments = [];
  let start = 0;
  for (const m of text.matchAll(/\. /g)) {
    segments.push({ start, end: m.index + 2, score: 0 });
    start = m.index + 2;
  }
  segments.push({ start, end: text.length, score: 0 });
  return { id, source: 'test', text, segments, score: 0 };
}

const gpt2 = Tokenizer.gpt2();
const CAT = gpt2.encode(' cat');

/**
 * A GPT whose next token never depends on the context: every block is zero, the final
 * LayerNorm's gain is 0 and its bias e_0, so the logits are column 0 of the token
 * embedding: `logits[id]` for the ids given, 0 elsewhere.
 */
function constantModel(vocab: number, logits: Record<number, number>): GPT {
  const model = new GPT(gptConfig({ vocab_size: vocab, n_positions: 64, n_embd: 8, n_layer: 1, n_head: 1 }));
  const C = 8;
  const wte = new Float32Array(vocab * C);
  for (const [id, z] of Object.entries(logits)) wte[Number(id) * C] = z;
  noGrad(() => tidy(() => {
    model.p('transformer.wte.weight').copy_(tensor(wte, [vocab, C]));
    model.p('transformer.ln_f.weight').fill_(0);
    model.p('transformer.ln_f.bias').copy_(tensor(Float32Array.from({ length: C }, (_, i) => (i === 0 ? 1 : 0)), [C]));
  }));
  return model;
}

const docs = [
  doc('a', 'I like my little pet cat. It ran away from the big dog. Short one here.'),
  doc('b', 'We all saw the black cat. Then it left'),
];

test('next-word items: the last word of a segment after three or more words, its context the document before it', () => {
  assert.equal(CAT.length, 1);
  assert.deepEqual(nextWordItems(docs, 10), [
    { context: 'I like my little pet', word: 'cat' },
    { context: 'I like my little pet cat. It ran away from the big', word: 'dog' },
    { context: 'We all saw the black', word: 'cat' },
  ]);
  assert.equal(nextWordItems(docs, 10, 1).length, 2);
  assert.equal(nextWordItems(docs, 2).length, 2);
  assert.equal(firstWord(' cat cat'), 'cat');
  assert.equal(firstWord("\tdon't."), "don't");
  assert.equal(firstWord('\ncat'), '');
  assert.equal(firstWord(', cat'), '');
});

test('next-word accuracy on a toy: a model that always says " cat" gets the two cat sentences of three', () => {
  const m = evalModel('toy', constantModel(gpt2.vocabSize, { [CAT[0]!]: 5 }), gpt2);
  assert.equal(nextWordAccuracy(m, nextWordItems(docs, 10)), 2 / 3);
  // A conditional model prefers <|good|> even more, but it is banned, so it still says " cat".
  const tok = Tokenizer.fromJSON(gpt2.toJSON());
  const [good] = tok.addSpecialTokens([GOOD_TOKEN, BAD_TOKEN]);
  const cond = evalModel('toy', constantModel(tok.vocabSize, { [CAT[0]!]: 5, [good!]: 10 }), tok);
  assert.equal(cond.conditional, true);
  assert.equal(nextWordAccuracy(cond, nextWordItems(docs, 10)), 2 / 3);
});

test('held-out loss is the mean cross-entropy of the EOS-separated documents', () => {
  const tok = trainBpe(['the cat sat on the mat. the dog sat on the log.'], { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
  manualSeed(3);
  const model = new GPT(gptConfig({ vocab_size: tok.vocabSize, n_positions: 64, n_embd: 16, n_layer: 1, n_head: 2, initializer_range: 0.3 })).initWeights();
  const m = evalModel('tiny', model, tok);
  const text = 'the cat sat on the log.';
  const ids = tok.encode(text);
  // The stream is EOS doc EOS: every document token and the closing EOS are predicted.
  const [s] = scoreContinuations(model, [Int32Array.of(m.eosId)], [Int32Array.from([...ids, m.eosId])]);
  const loss = heldOutLoss(m, [doc('x', text)]);
  assert.ok(Math.abs(loss - -s!.logProb / (ids.length + 1)) < 1e-5, `${loss} vs ${-s!.logProb / (ids.length + 1)}`);
});

const code = [
  'import os',
  '',
  '',
  'class A:',
  '    def method(self, x):',
  '        """Do a thing.',
  '',
  '        More text.',
  '        """',
  '        return x',
  '',
  '',
  'def f(a, b) -> int:',
  "    '''One line.'''",
  '    return a + b',
  '',
  '',
  'def g():',
  '    return 1',
  '',
  'def h(',
  '    x):',
  '    """Multi-line signatures are left out."""',
  '',
].join('\n');

test('held-out signatures: one-line defs with a docstring, dedented to the top level', () => {
  const code2: CorpusDocument = { id: 'c', source: 'test', text: code, segments: [{ start: 0, end: code.length, score: 0 }], score: 0 };
  assert.deepEqual(heldOutSignatures([code2], 10), [
    'def method(self, x):\n    """Do a thing.\n\n    More text.\n    """',
    "def f(a, b) -> int:\n    '''One line.'''",
  ]);
  assert.equal(heldOutSignatures([code2, code2], 10).length, 2);
  assert.equal(heldOutSignatures([code2], 1).length, 1);
});

test('a function body runs to the first top-level line; a body cut by the token limit loses its unfinished line', () => {
  assert.equal(functionBody('    return 1\n\nprint(2)\n', true), '    return 1\n');
  assert.equal(functionBody('    x = 1\n    y = (', false), '    x = 1');
  assert.equal(functionBody('    x = 1\n    y = 2', true), '    x = 1\n    y = 2');
  assert.equal(functionBody('    pass\n# comment\n', true), '    pass');
});

test('compile rate: each signature gets one sampled body, checked as signature + body; an empty body fails', async () => {
  // " cat" and <|endoftext|> tie far above the rest: at least 10 " cat"s (min new tokens), then soon an end.
  const tok = trainBpe(['the cat sat on the mat. the cat sat on the cat.'], { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
  const [cat] = tok.encode(' cat');
  const m = evalModel('toy', constantModel(tok.vocabSize, { [cat!]: 20, [tok.eosId!]: 20 }), tok);
  const signatures = ['def f():\n    """F."""\n', 'def g(x):\n    """G."""\n', 'def h():\n    """H."""\n'];
  const seen: { texts: readonly string[]; contexts?: readonly string[] }[] = [];
  const checker = {
    async compiles(texts: readonly string[], contexts?: readonly string[]): Promise<boolean[]> {
      seen.push({ texts, contexts });
      return texts.map((_, i) => i !== 1);
    },
  };
  manualSeed(0);
  assert.equal(await compileRate(m, signatures, checker), 2 / 3);
  assert.deepEqual(seen[0]!.contexts, signatures);
  for (const body of seen[0]!.texts) assert.match(body, /^( cat){10,}$/);
  assert.equal(compiledShare(['', '    x = 1', '    y', '  \n'], [true, true, false, true]), 1 / 4);
});
