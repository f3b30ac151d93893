import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../../src/engine/autograd.js';
import { tidy } from '../../../src/engine/scope.js';
import { parsePretrainConfig } from '../../../src/pretrain/config.js';
import type { Objective } from '../../../src/pretrain/objective.js';
import { controlTokenIds } from '../../../src/pretrain/objectives/conditional.js';
import { createObjective } from '../../../src/pretrain/objectives/index.js';
import { dataAt, FinetuneRegime, packPhases, switchesData, switchStep } from '../../../src/pretrain/regime.js';
import { tokenizeDocuments } from '../../../src/pretrain/tokenize-documents.js';
import { batch, realMean, scores, targetLogProbs, tinyModel, tinyTokenizer } from './fixtures.js';

const quiet = { write: () => true };
const lossAt = (o: Objective, model: ReturnType<typeof tinyModel>, step: number, totalSteps: number, train = false) => tidy(() => {
  const r = o.loss(model, batch(), { step, totalSteps, train });
  return { loss: r.loss.item(), metrics: r.metrics };
});

test('the finetune regime switches from MLE to the objective at half the steps', () => {
  assert.deepEqual([10, 11, 1].map((n) => switchStep('finetune', n)), [5, 5, 0]);
  assert.equal(switchStep('pretrain', 10), 0);
  const model = tinyModel();
  const logp = targetLogProbs(model);
  const mle = realMean((i) => -logp[i]!);
  const rwr = realMean((i) => Math.exp(-scores[i]! / 0.5) * -logp[i]!);
  const o = createObjective({ name: 'rwr', beta: 0.5, regime: 'finetune' }, 'config run.yaml');
  assert.ok(o instanceof FinetuneRegime);
  assert.equal(o.name, 'rwr');
  for (const [step, expected, feedback] of [[0, mle, 0], [4, mle, 0], [5, rwr, 1], [9, rwr, 1]] as const) {
    const out = lossAt(o, model, step, 10);
    assert.ok(Math.abs(out.loss - expected) < 1e-5, `step ${step}: ${out.loss} vs ${expected}`);
    assert.equal(out.metrics['regime/feedback'], feedback);
    assert.equal('rwr/weight_mean' in out.metrics, feedback === 1);
  }
  const pretrainRegime = createObjective({ name: 'rwr', beta: 0.5 }, 'config run.yaml');
  assert.ok(Math.abs(lossAt(pretrainRegime, model, 0, 10).loss - rwr) < 1e-5, 'the pretrain regime uses the objective from step 0');
});

const docs = [
  { id: 'a', text: 'the cat sat on the mat. a dog ran in the park.', segments: [{ start: 0, end: 23, score: 0 }, { start: 23, end: 46, score: 1 }] },
  { id: 'b', text: 'we like green tea.', score: 0.5 },
];

test('conditional training in the finetune regime: new token embeddings start at the switch, from the embeddings learnt by then', () => {
  const tokenizer = tinyTokenizer();
  const o = createObjective({ name: 'conditional', threshold: 0, regime: 'finetune' }, 'config run.yaml');
  o.extendTokenizer!(tokenizer);
  const model = tinyModel(2, tokenizer.vocabSize);
  o.initModel!(model, tokenizer);
  o.prepare!(docs, tokenizeDocuments(docs, tokenizer), { tokenizer, seed: 0 });
  const [good] = controlTokenIds(tokenizer);
  const wte = model.p('transformer.wte.weight');
  const row = () => noGrad(() => tidy(() => Array.from(wte.select(0, good).toFloat32Array())));
  const setRow = (v: number) => noGrad(() => tidy(() => wte.select(0, good).fill_(v)));
  setRow(5); // as if the MLE half had moved it
  lossAt(o, model, 4, 10, true);
  assert.ok(row().every((x) => x === 5), 'before the switch the row is left alone');
  lossAt(o, model, 5, 10, true);
  assert.ok(row().every((x) => Math.abs(x) < 0.1), `at the switch it is re-initialised near the mean embedding: ${row()}`);
  setRow(5);
  lossAt(o, model, 5, 10, true); // the switch step's second micro-batch
  lossAt(o, model, 6, 10, true);
  assert.ok(row().every((x) => x === 5), 'and only once');
});

test('the finetune regime trains on the documents as read before the switch and on the objective\'s documents after it', () => {
  const tokenizer = tinyTokenizer();
  const config = parsePretrainConfig({
    out_dir: '/unused', tokenizer: { path: '/unused.json' }, data: { train: '/unused.jsonl' },
    model: { block_size: 8 }, training: { steps: 9 },
  }, 'config run.yaml');
  const corpora = { train: docs, validation: docs };
  const o = createObjective({ name: 'conditional', threshold: 0, regime: 'finetune' }, 'config run.yaml');
  o.extendTokenizer!(tokenizer);
  const phases = packPhases(corpora, tokenizer, o, config, quiet);
  const ids = controlTokenIds(tokenizer);
  const has = (step: number) => [...dataAt(phases, step).train.tokens].some((t) => ids.includes(t));
  assert.equal(phases.switchStep, 4);
  assert.deepEqual([0, 3, 4, 8].map(has), [false, false, true, true]);
  assert.deepEqual([3, 4, 5].map((s) => switchesData(phases, s)), [false, true, false]);
  assert.deepEqual(phases.before.validation.tokens, phases.after.validation.tokens, 'validation data stays as read');
  // Filtering drops documents only from the switch on; an objective that keeps the documents keeps one stream.
  const filtering = packPhases(corpora, tokenizer, createObjective({ name: 'filtering', threshold: 0.5, regime: 'finetune' }, 'x'), config, quiet);
  assert.deepEqual([filtering.before.train.documents, filtering.after.train.documents], [2, 1]);
  const ul = packPhases(corpora, tokenizer, createObjective({ name: 'unlikelihood', regime: 'finetune' }, 'x'), config, quiet);
  assert.equal(ul.before, ul.after);
  assert.equal(switchesData(ul, 4), false);
  const pretrain = packPhases(corpora, tokenizer, createObjective({ name: 'conditional', threshold: 0 }, 'x'), config, quiet);
  assert.deepEqual([pretrain.switchStep, pretrain.before === pretrain.after], [0, true]);
});
