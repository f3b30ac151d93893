import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as gptTokenizerDecode, encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { BYTE_TO_CHAR, bytesToSymbols, symbolsToBytes } from '../../src/lm/byte-level.js';
import { pretokenize } from '../../src/lm/pretokenize.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { Tokenizer } from '../../src/lm/tokenizer.js';
import { PosteriorError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { randomText, smallCorpus, VARIED_SAMPLE } from './tokenizer-samples.js';

const trained = trainBpe(smallCorpus(), { vocabSize: 700, specialTokens: ['<|endoftext|>'] });
const gpt2 = Tokenizer.gpt2();

test('the byte map is GPT-2\'s: a bijection onto printable characters, space → Ġ, newline → Ċ', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
  assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ');
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
  assert.equal(BYTE_TO_CHAR[0x00], '\u0100');
  assert.equal(BYTE_TO_CHAR[0xad], 'Ń'); // the last shifted byte, 0xAD → U+0143
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(symbolsToBytes(bytesToSymbols(all)), all);
  assert.equal(symbolsToBytes('aé€'), undefined);
});

test('pre-tokenisation follows GPT-2 and loses nothing', () => {
  assert.deepEqual(pretokenize("Hello world, it's  2024!\n\n  x"), ['Hello', ' world', ',', ' it', "'s", ' ', ' 2024', '!', '\n\n ', ' x']);
  assert.deepEqual(pretokenize('a   '), ['a', '   ']);
  assert.deepEqual(pretokenize("I'LL don't"), ['I', "'", 'LL', ' don', "'t"]);
  const rng = new Random(7);
  for (let i = 0; i < 50; i++) {
    const s = randomText(rng, 200);
    assert.equal(pretokenize(s).join(''), s);
  }
});

test('any text round-trips through encode and decode, with both vocabularies', () => {
  const rng = new Random(1);
  const texts = [...VARIED_SAMPLE, ...Array.from({ length: 40 }, () => randomText(rng, 300))];
  for (const tok of [trained, gpt2]) {
    for (const t of texts) assert.equal(tok.decode(tok.encode(t)), t);
  }
  assert.equal(trained.decode(trained.encode('lone \ud800 surrogate')), 'lone \ufffd surrogate');
});

test('Tokenizer.gpt2() gives the ids of the gpt-tokenizer package (r50k_base)', () => {
  assert.equal(gpt2.vocabSize, 50257);
  assert.equal(gpt2.eosId, 50256);
  assert.equal(gpt2.tokenToId('Ġthe'), 262);
  // The two differ only on U+0085 and U+FEFF, which JavaScript's `\s` (used by
  // gpt-tokenizer) and the Unicode White_Space property (used by Hugging Face and here) disagree on.
  const rng = new Random(3);
  const texts = [...VARIED_SAMPLE, ...Array.from({ length: 30 }, () => randomText(rng, 300))]
    .map((t) => t.replace(/[\u0085\ufeff]/g, ' '));
  for (const t of texts) assert.deepEqual([...gpt2.encode(t)], gptTokenizerEncode(t), JSON.stringify(t));
  assert.deepEqual([...gpt2.encode('a<|endoftext|>b')], [gptTokenizerEncode('a')[0], 50256, gptTokenizerEncode('b')[0]]);
  assert.equal(gptTokenizerDecode([50256]), '<|endoftext|>');
  const asText = 'a<|endoftext|>b';
  assert.deepEqual([...gpt2.encode(asText, { special: false })], gptTokenizerEncode(asText, { disallowedSpecial: new Set() }));
});

test('training puts the special tokens first, then the 256 bytes, and stops at vocabSize', () => {
  assert.equal(trained.vocabSize, 700);
  assert.equal(trained.eosId, 0);
  assert.equal(trained.idToToken(0), '<|endoftext|>');
  assert.equal(trained.idToToken(1), '!');
  assert.equal(trained.idToToken(256), '\u0143'); // the byte stand-in with the highest code point
  assert.ok((trained.tokenToId('Ġthe') ?? 0) > 256);
  const again = trainBpe(smallCorpus(), { vocabSize: 700, specialTokens: ['<|endoftext|>'] });
  assert.deepEqual(again.toJSON(), trained.toJSON());
});

test('training stops early when no pair reaches minFrequency, and accepts an iterator', () => {
  function* texts(): Generator<string> {
    yield 'abab abab';
    yield 'cd';
  }
  const tok = trainBpe(texts(), { vocabSize: 1000, minFrequency: 2 });
  // 'ab' (4 times) and then 'abab' (twice) merge; every pair left occurs once.
  const merges = (tok.toJSON().model as { merges: string[][] }).merges;
  assert.deepEqual(merges[0], ['a', 'b']);
  assert.equal(tok.vocabSize, 258);
  assert.deepEqual([...tok.encode('cd')], [tok.tokenToId('c'), tok.tokenToId('d')]);
});

test('training ignores special tokens in the text rather than learning from their characters', () => {
  const text = Array(50).fill('word <|endoftext|>').join('');
  const tok = trainBpe([text], { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  assert.equal(tok.tokenToId('<|'), undefined);
  assert.equal(tok.tokenToId('|>'), undefined);
  assert.ok(tok.tokenToId('word') !== undefined);
});

test('special tokens added after training get the next ids and are matched whole', () => {
  const tok = Tokenizer.fromJSON(trained.toJSON());
  assert.deepEqual(tok.addSpecialTokens(['<|good|>', '<|bad|>', '<|endoftext|>']), [700, 701, 0]);
  assert.equal(tok.vocabSize, 702);
  assert.deepEqual([...tok.specialTokens], [['<|endoftext|>', 0], ['<|good|>', 700], ['<|bad|>', 701]]);
  const ids = tok.encode('<|good|>def f():<|endoftext|><|bad|>x');
  assert.equal(ids[0], 700);
  assert.ok(ids.includes(0) && ids.includes(701));
  assert.equal(tok.decode(ids), '<|good|>def f():<|endoftext|><|bad|>x');
  assert.equal(tok.decode(ids, { skipSpecial: true }), 'def f():x');
  const plain = tok.encode('<|good|>', { special: false });
  assert.ok(plain.length > 1 && !plain.includes(700));
  assert.equal(tok.decode(plain), '<|good|>');
  // The word cache holds pre-tokens only, so a token added later still splits text seen before.
  tok.encode('x<|new|>y');
  const [newId] = tok.addSpecialTokens(['<|new|>']);
  assert.deepEqual([...tok.encode('x<|new|>y')], [tok.tokenToId('x'), newId, tok.tokenToId('y')]);
});

test('a very long word is merged in near-linear time', () => {
  const long = 'ab'.repeat(200_000);
  const t0 = performance.now();
  const ids = trained.encode(long);
  assert.ok(performance.now() - t0 < 3000);
  assert.equal(trained.decode(ids), long);
});

test('tokenizer.json round-trips through save and load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-tok-'));
  const path = join(dir, 'tokenizer.json');
  trained.save(path);
  const back = Tokenizer.load(path);
  assert.deepEqual(back.toJSON(), trained.toJSON());
  for (const t of VARIED_SAMPLE) assert.deepEqual(back.encode(t), trained.encode(t));
  rmSync(dir, { recursive: true });
});

function rejects(json: unknown, ...fragments: string[]): void {
  assert.throws(() => Tokenizer.fromJSON(json, '/tmp/x/tokenizer.json'), (e: unknown) => {
    assert.ok(e instanceof PosteriorError, String(e));
    for (const f of ['/tmp/x/tokenizer.json', ...fragments]) assert.ok(e.message.includes(f), `${e.message} lacks ${f}`);
    return true;
  });
}

test('a wrong-shaped tokenizer.json is a PosteriorError naming the file and the field', () => {
  const good = trained.toJSON() as Record<string, any>;
  const withModel = (patch: Record<string, unknown>) => ({ ...good, model: { ...good.model, ...patch } });
  rejects([], 'top level');
  rejects({ ...good, model: undefined }, 'field model ');
  rejects(withModel({ type: 'WordPiece' }), 'model.type', 'WordPiece');
  rejects(withModel({ vocab: [] }), 'model.vocab', 'object');
  rejects(withModel({ vocab: { ...good.model.vocab, x: 'seven' } }), 'model.vocab["x"]');
  rejects(withModel({ vocab: { ...good.model.vocab, x: 3 } }), 'model.vocab', 'id 3');
  rejects(withModel({ merges: [['a', 'b'], 42] }), 'model.merges[1]');
  rejects(withModel({ merges: [['a', 'zzz']] }), 'model.merges[0]', '"zzz"');
  rejects(withModel({ merges: 'a b' }), 'model.merges', 'array');
  rejects(withModel({ continuing_subword_prefix: '##' }), 'model.continuing_subword_prefix');
  rejects({ ...good, pre_tokenizer: { type: 'Whitespace' } }, 'pre_tokenizer.type');
  rejects({ ...good, normalizer: { type: 'NFC' } }, 'normalizer.type');
  rejects({ ...good, added_tokens: [{ id: 'x', content: 'a' }] }, 'added_tokens[0].id');
  rejects({ ...good, added_tokens: [{ id: 5, content: '<|x|>' }] }, 'added_tokens', 'id 5');
});

test('a corrupt or missing file is a PosteriorError naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-tok-'));
  const path = join(dir, 'tokenizer.json');
  writeFileSync(path, '{"model": {"vocab": {');
  assert.throws(() => Tokenizer.load(path), (e: unknown) => e instanceof PosteriorError && e.message.includes(path) && /JSON/.test(e.message));
  assert.throws(() => Tokenizer.load(join(dir, 'nope.json')), (e: unknown) => e instanceof PosteriorError && e.message.includes('nope.json'));
  rmSync(dir, { recursive: true });
});

test('decoding an id outside the vocabulary is a PosteriorError naming the id', () => {
  for (const bad of [700, -1, 1.5, 1e9]) {
    assert.throws(() => trained.decode([5, bad]), (e: unknown) => e instanceof PosteriorError && e.message.includes(`token id ${bad} `));
  }
});
