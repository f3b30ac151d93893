import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwrObjective } from '../../../src/pretrain/objectives/awr.js';
import { createObjective, objectiveNames } from '../../../src/pretrain/objectives/index.js';
import { FinetuneRegime } from '../../../src/pretrain/regime.js';
import { PosteriorError } from '../../../src/util/errors.js';

const src = 'config run.yaml';

test('the registry names the six objectives; each takes its parameters and a regime', () => {
  assert.deepEqual(objectiveNames, ['mle', 'filtering', 'conditional', 'unlikelihood', 'rwr', 'awr']);
  for (const name of objectiveNames) {
    const o = createObjective({ name }, src);
    assert.equal(o.name, name);
    assert.equal(o.needsScores, name !== 'mle');
    assert.ok(createObjective({ name, regime: 'finetune' }, src) instanceof FinetuneRegime);
  }
  assert.ok(createObjective({ name: 'awr', alpha: 1, beta: 0.1 }, src) instanceof AwrObjective);
  createObjective({ name: 'conditional', quantile: 0.2, drop_prob: 0.1 }, src);
  createObjective({ name: 'unlikelihood', threshold: 0, alpha: 0.01 }, src);
});

test('unknown objectives and parameters, out-of-range values and conflicting thresholds are one sentence', () => {
  const refused = (spec: { name: string } & Record<string, unknown>, message: string | RegExp) =>
    assert.throws(() => createObjective(spec, src), (e: unknown) => e instanceof PosteriorError && (typeof message === 'string' ? e.message === message : message.test(e.message)));
  refused({ name: 'dpo' }, `${src}: field \`objective\` names an unknown objective 'dpo' (known: mle, filtering, conditional, unlikelihood, rwr, awr)`);
  refused({ name: 'rwr', alpha: 1 }, /^config run\.yaml: unknown field `objective\.alpha`/);
  refused({ name: 'conditional', drop: 0.1 }, /^config run\.yaml: unknown field `objective\.drop`/);
  refused({ name: 'conditional', drop_prob: 1.5 }, /^config run\.yaml: field `objective\.drop_prob`/);
  refused({ name: 'filtering', quantile: 2 }, /^config run\.yaml: field `objective\.quantile`/);
  refused({ name: 'awr', beta: 0 }, /^config run\.yaml: field `objective\.beta`/);
  refused({ name: 'mle', regime: 'later' }, /^config run\.yaml: field `objective\.regime`/);
  refused({ name: 'filtering', threshold: 0.1, quantile: 0.5 }, `${src}: field \`objective\` gives both \`threshold\` and \`quantile\`; give one of them`);
});
