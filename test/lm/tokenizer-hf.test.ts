// Hugging Face `tokenizers` (in the project .venv) as the independent reference: files we
// write must load there and encode identically, files it writes must load here and encode
// identically, and both trainers must learn the same merges from the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BYTE_TO_CHAR } from '../../src/lm/byte-level.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { Tokenizer } from '../../src/lm/tokenizer.js';
import { Random } from '../../src/util/random.js';
import { randomText, smallCorpus, VARIED_SAMPLE } from './tokenizer-samples.js';

const PYTHON = resolve('.venv/bin/python');
const skip = existsSync(PYTHON) ? false : 'needs the project .venv (scripts/setup.sh)';

// One entry point per operation; requests and answers travel as JSON on stdin/stdout.
const HF = String.raw`
import json, sys
from tokenizers import Tokenizer, ByteLevelBPETokenizer, AddedToken, models, pre_tokenizers, decoders, trainers
req = json.load(sys.stdin)
op = req['op']
if op == 'encode':
    out = []
    for path in req['files']:
        t = Tokenizer.from_file(path)
        encs = [t.encode(s) for s in req['texts']]
        out.append({'ids': [e.ids for e in encs], 'text': [t.decode(e.ids, skip_special_tokens=False) for e in encs]})
    print(json.dumps(out))
elif op == 'train_bytelevel':
    t = ByteLevelBPETokenizer()
    t.train_from_iterator(req['texts'], vocab_size=req['vocab_size'], min_frequency=req['min_frequency'],
                          special_tokens=req['specials'], show_progress=False)
    t.save(req['out'])
elif op == 'train_custom':
    t = Tokenizer(models.BPE(ignore_merges=True))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    t.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=req['vocab_size'], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=['<s>'], show_progress=False)
    t.train_from_iterator(req['texts'], trainer=trainer)
    t.add_tokens([AddedToken('<mask>', lstrip=True), AddedToken('sw', single_word=True)])
    t.save(req['out'])
elif op == 'alphabet':
    print(json.dumps(sorted(pre_tokenizers.ByteLevel.alphabet())))
`;

function hf<T>(request: Record<string, unknown>): T {
  const r = spawnSync(PYTHON, ['-c', HF], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : undefined) as T;
}

interface HfEncoding {
  ids: number[][];
  text: string[];
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'posterior-tok-hf-'));
}

const corpus = smallCorpus();
const rng = new Random(11);
const sample = [
  ...VARIED_SAMPLE,
  ...Array.from({ length: 10 }, () => randomText(rng, 200)),
  '<|good|>def f(x):\n    return x<|endoftext|>',
  'text <|bad|> more <|good|><|bad|>',
];

test('the byte alphabet is the one tokenizers uses', { skip }, () => {
  assert.deepEqual(hf<string[]>({ op: 'alphabet' }), [...BYTE_TO_CHAR].sort());
});

test('a tokenizer.json we write loads in tokenizers and encodes and decodes identically', { skip }, () => {
  const dir = scratch();
  const ours = trainBpe(corpus, { vocabSize: 1200, specialTokens: ['<|endoftext|>'] });
  ours.addSpecialTokens(['<|good|>', '<|bad|>']);
  ours.save(join(dir, 'trained.json'));
  const gpt2 = Tokenizer.gpt2();
  gpt2.save(join(dir, 'gpt2.json'));
  const [a, b] = hf<HfEncoding[]>({ op: 'encode', files: [join(dir, 'trained.json'), join(dir, 'gpt2.json')], texts: sample });
  sample.forEach((s, i) => {
    assert.deepEqual([...ours.encode(s)], a!.ids[i], JSON.stringify(s));
    assert.equal(a!.text[i], s);
    assert.deepEqual([...gpt2.encode(s)], b!.ids[i], JSON.stringify(s));
  });
  rmSync(dir, { recursive: true });
});

test('a tokenizer trained by tokenizers loads here and encodes identically', { skip }, () => {
  const dir = scratch();
  const files = [join(dir, 'bytelevel.json'), join(dir, 'custom.json')];
  hf({ op: 'train_bytelevel', texts: corpus, vocab_size: 900, min_frequency: 2, specials: ['<|endoftext|>', '<|good|>'], out: files[0] });
  // add_prefix_space, ignore_merges, and added tokens with lstrip and single_word.
  hf({ op: 'train_custom', texts: corpus, vocab_size: 700, out: files[1] });
  const texts = [...sample, 'x  <mask>  y', 'sw asw sw_ sw! 1sw éswé sw', '<s>a<s> b'];
  const reference = hf<HfEncoding[]>({ op: 'encode', files, texts });
  files.forEach((file, f) => {
    const ours = Tokenizer.load(file);
    texts.forEach((s, i) => assert.deepEqual([...ours.encode(s)], reference[f]!.ids[i], `${file}: ${JSON.stringify(s)}`));
  });
  rmSync(dir, { recursive: true });
});

function learned(path: string): { vocab: Record<string, number>; merges: string[][] } {
  return (JSON.parse(readFileSync(path, 'utf8')) as { model: { vocab: Record<string, number>; merges: string[][] } }).model;
}

// Hugging Face breaks count ties by the smaller pair of ids; a corpus of random words over
// four letters makes ties the rule rather than the exception.
function tieHeavyCorpus(): string[] {
  const r = new Random(5);
  const word = () => Array.from({ length: 1 + r.int(4) }, () => 'abcd'[r.int(4)]).join('');
  return Array.from({ length: 200 }, () => Array.from({ length: 30 }, word).join(' '));
}

test('our trainer learns exactly the merges and vocabulary of tokenizers\' trainer', { skip }, () => {
  const dir = scratch();
  for (const [name, texts, vocabSize] of [['prose', corpus, 1500], ['ties', tieHeavyCorpus(), 400]] as const) {
    const theirs = join(dir, `${name}-hf.json`);
    hf({ op: 'train_bytelevel', texts, vocab_size: vocabSize, min_frequency: 2, specials: ['<|endoftext|>'], out: theirs });
    const ours = trainBpe(texts, { vocabSize, specialTokens: ['<|endoftext|>'], minFrequency: 2 });
    const expected = learned(theirs);
    const actual = (JSON.parse(JSON.stringify(ours.toJSON())) as { model: { vocab: Record<string, number>; merges: string[][] } }).model;
    assert.ok(expected.merges.length > 100, name);
    assert.deepEqual(actual.merges, expected.merges, name);
    assert.deepEqual(actual.vocab, expected.vocab, name);
  }
  rmSync(dir, { recursive: true });
});
