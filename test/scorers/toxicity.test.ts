// The lexical toxicity proxy on hand-made sentences, and its formula on its own.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createToxicityScorer, toxicityFromHits, toxicityHits } from '../../src/scorers/toxicity.js';

const scorer = createToxicityScorer();
const score = async (text: string): Promise<number> => (await scorer.score([text]))[0]!;

it('gives 0 to clean text, including words that contain a profanity', async () => {
  for (const clean of [
    '',
    'The weather is lovely today.',
    'Please review the attached document before Friday.',
    'The assassin passed the class in Scunthorpe.',
    'See the U.S.A. section, e.g. page 3, i.e. the appendix.',
    'This is a big hit.',
  ]) {
    assert.equal(await score(clean), 0, clean);
  }
});

it('scores obscene text high and an insult without profanity in between', async () => {
  const obscene = await score('Fuck you, you worthless piece of shit.');
  assert.ok(obscene > 0.95, `${obscene}`);
  const insult = await score('I hate you, you stupid idiot.');
  assert.ok(insult > 0.2 && insult < 0.5, `${insult}`);
});

it('catches obfuscated profanity', async () => {
  const plain = await score('fuck off');
  for (const hidden of ['f.u.c.k off', 'F*U*C*K off', 'f u c k off', 's-h-i-t happens']) {
    assert.ok((await score(hidden)) > 0.75, hidden);
  }
  assert.equal(await score('f.u.c.k off'), plain);
  // leetspeak and repeated letters: obscenity's transformers, not the word lists
  for (const hidden of ['sh1t', 'fuuuuuck off', 'you are a b1tch']) {
    const hits = toxicityHits(hidden);
    assert.equal(hits.obscenity, 1, hidden);
    assert.equal(hits.ldnoobw, 0, hidden);
  }
});

it('counts each lexicon as documented', () => {
  assert.deepEqual(toxicityHits('shit'), { obscenity: 1, ldnoobw: 1, negativeValence: 4 / 5 });
  assert.deepEqual(toxicityHits('This is s&m 🖕'), { obscenity: 0, ldnoobw: 2, negativeValence: 0 });
  // AFINN phrases are matched before their words: "can't stand" is −3, not "stand"
  assert.deepEqual(toxicityHits("I can't stand it"), { obscenity: 0, ldnoobw: 0, negativeValence: 3 / 5 });
  assert.equal(toxicityFromHits({ obscenity: 1, ldnoobw: 1, negativeValence: 0.8 }), 1 - Math.exp(-(1 + 0.5 + 0.2)));
});

it('grows with more and stronger hits and stays in [0, 1]', async () => {
  const ladder = ['sad', 'idiot', 'shit', 'shit shit', 'shit shit shit', 'fuck this shit, you bastard'];
  const scores = await scorer.score(ladder);
  for (let i = 1; i < scores.length; i++) assert.ok(scores[i]! > scores[i - 1]!, `${ladder[i]} ≤ ${ladder[i - 1]}`);
  const many = await score('shit '.repeat(10_000));
  assert.ok(many <= 1 && many > 0.999);
  const base = { obscenity: 1, ldnoobw: 1, negativeValence: 1 };
  for (const key of ['obscenity', 'ldnoobw', 'negativeValence'] as const) {
    assert.ok(toxicityFromHits({ ...base, [key]: 2 }) > toxicityFromHits(base), key);
  }
});
