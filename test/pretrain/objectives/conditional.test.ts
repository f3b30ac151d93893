import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../../src/engine/autograd.js';
import { tidy } from '../../../src/engine/scope.js';
import type { Document } from '../../../src/pretrain/corpus.js';
import { BAD_TOKEN, ConditionalObjective, conditionalPrompt, controlTokenIds, GOOD_TOKEN, hasControlTokens } from '../../../src/pretrain/objectives/conditional.js';
import { tokenizeDocuments } from '../../../src/pretrain/tokenize-documents.js';
import { PosteriorError } from '../../../src/util/errors.js';
import { tinyModel, tinyTokenizer } from './fixtures.js';

/** A document from (text, score) segments laid end to end. */
function doc(id: string, parts: [string, number][]): Document {
  let at = 0;
  const segments = parts.map(([text, score]) => ({ start: at, end: (at += text.length), score }));
  return { id, text: parts.map((p) => p[0]).join(''), segments };
}

function setup(params: { threshold?: number; quantile?: number; drop_prob?: number } = {}) {
  const tokenizer = tinyTokenizer();
  const objective = new ConditionalObjective({ drop_prob: 0, ...params }, 'config run.yaml');
  objective.extendTokenizer(tokenizer);
  return { tokenizer, objective };
}

const prose = doc('prose', [['the cat sat on the mat.', 0], [' a dog ran in the park.', 0.5], [' we like green tea.', 1]]);
const code = doc('code', [['x = 1\n', 0], ['print(x)\n', 0.25]]);

test('every segment starts with <|good|> (score ≤ t) or <|bad|>, the token scored like its segment; the text is otherwise untouched', () => {
  const { tokenizer, objective } = setup({ threshold: 0.5 });
  const [good, bad] = controlTokenIds(tokenizer);
  const tokenized = tokenizeDocuments([prose, code], tokenizer);
  const out = objective.prepare([prose, code], tokenized, { tokenizer, seed: 0 });
  assert.equal(tokenizer.decode(out[0]!.ids), `${GOOD_TOKEN}the cat sat on the mat.${GOOD_TOKEN} a dog ran in the park.${BAD_TOKEN} we like green tea.`);
  assert.equal(tokenizer.decode(out[1]!.ids), `${GOOD_TOKEN}x = 1\n${GOOD_TOKEN}print(x)\n`);
  out.forEach((d, i) => {
    const kept = [...d.ids.keys()].filter((t) => d.ids[t] !== good && d.ids[t] !== bad);
    assert.deepEqual(kept.map((t) => d.ids[t]), [...tokenized[i]!.ids], 'the document tokens keep their order');
    assert.deepEqual(kept.map((t) => d.scores![t]), [...tokenized[i]!.scores!], 'and their scores');
  });
  const controls = [...out[0]!.ids.keys()].filter((t) => out[0]!.ids[t] === good || out[0]!.ids[t] === bad);
  assert.deepEqual(controls.map((t) => out[0]!.scores![t]), [0, 0.5, 1]);
  assert.deepEqual(objective.stats, { threshold: 0.5, segments: 5, good: 4, bad: 1, dropped: 0 });
});

test('t defaults to the median segment score; a threshold outside the scores is one sentence', () => {
  const { tokenizer, objective } = setup();
  objective.prepare([prose, code], tokenizeDocuments([prose, code], tokenizer), { tokenizer, seed: 0 });
  assert.equal(objective.stats!.threshold, 0.25); // scores 0, 0, 0.25, 0.5, 1
  assert.equal(objective.stats!.bad, 2);
  const high = setup({ threshold: 2 });
  assert.throws(() => high.objective.prepare([prose], tokenizeDocuments([prose], high.tokenizer), { tokenizer: high.tokenizer, seed: 0 }),
    new PosteriorError("config run.yaml: field `objective.threshold` is 2, outside the range of the corpus's segment scores (0 to 1)"));
});

test('prefix dropout: each segment loses its prefix with probability drop_prob, seeded by the run seed', () => {
  const n = 5000;
  const many = doc('many', Array.from({ length: n }, (_, i) => [' a.', i % 2] as [string, number]));
  for (const p of [0.1, 0.01]) {
    const { tokenizer, objective } = setup({ threshold: 0, drop_prob: p });
    const tokenized = tokenizeDocuments([many], tokenizer);
    const a = objective.prepare([many], tokenized, { tokenizer, seed: 3 });
    const { segments, dropped, good, bad } = objective.stats!;
    assert.equal(segments, n);
    assert.equal(good + bad + dropped, n);
    assert.equal(a[0]!.ids.length, tokenized[0]!.ids.length + n - dropped);
    const sd = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(dropped / n - p) < 4 * sd, `dropped ${dropped / n}, expected ${p} ± ${4 * sd}`);
    assert.deepEqual(objective.prepare([many], tokenized, { tokenizer, seed: 3 }), a, 'the same seed drops the same prefixes');
    assert.notDeepEqual(objective.prepare([many], tokenized, { tokenizer, seed: 4 }), a, 'another seed drops others');
  }
});

test('the control tokens start at the mean embedding plus N(0, 0.01²) noise; other rows are untouched', () => {
  const { tokenizer, objective } = setup();
  const ids = controlTokenIds(tokenizer);
  const model = tinyModel(3, tokenizer.vocabSize);
  const C = model.config.n_embd;
  const before = noGrad(() => tidy(() => model.p('transformer.wte.weight').toFloat32Array()));
  objective.initModel(model, tokenizer);
  const after = noGrad(() => tidy(() => model.p('transformer.wte.weight').toFloat32Array()));
  const rows = tokenizer.vocabSize;
  const mean = new Float64Array(C);
  for (let v = 0; v < rows; v++) {
    if (ids.includes(v)) continue;
    assert.deepEqual(after.subarray(v * C, (v + 1) * C), before.subarray(v * C, (v + 1) * C));
    for (let k = 0; k < C; k++) mean[k] += before[v * C + k]! / (rows - ids.length);
  }
  const noise = ids.flatMap((v) => Array.from({ length: C }, (_, k) => after[v * C + k]! - mean[k]!));
  const m = noise.reduce((s, x) => s + x, 0) / noise.length;
  const sd = Math.sqrt(noise.reduce((s, x) => s + (x - m) ** 2, 0) / (noise.length - 1));
  assert.ok(Math.abs(m) < 4 * 0.01 / Math.sqrt(noise.length), `noise mean ${m}`);
  assert.ok(sd > 0.007 && sd < 0.013, `noise sd ${sd} (expected 0.01; the embeddings themselves have sd 0.02)`);
});

test('inference helpers: the <|good|> prompt after <|endoftext|>, the ids to ban, and one sentence for a model without them', () => {
  const { tokenizer } = setup();
  const [good, bad] = controlTokenIds(tokenizer);
  assert.deepEqual([good, bad], [tokenizer.tokenToId(GOOD_TOKEN), tokenizer.tokenToId(BAD_TOKEN)]);
  assert.deepEqual([hasControlTokens(tokenizer), hasControlTokens(tinyTokenizer())], [true, false]);
  assert.deepEqual([...conditionalPrompt(tokenizer)], [tokenizer.eosId, good]);
  assert.deepEqual([...conditionalPrompt(tokenizer, 'the cat')], [tokenizer.eosId, good, ...tokenizer.encode('the cat')]);
  assert.throws(() => conditionalPrompt(tinyTokenizer(), '', 'model runs/mle/model'),
    new PosteriorError('model runs/mle/model has no <|good|> and <|bad|> tokens, so it was not trained with conditional training'));
});
