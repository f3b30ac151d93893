// The two regimes through the trainer: in the finetune regime the first half of the
// steps trains by MLE on the documents as read and the second half by the objective on
// its own documents; a run stopped before, at or after the switch resumes bit-exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../../src/engine/random.js';
import { parsePretrainConfig, type PretrainConfig } from '../../../src/pretrain/config.js';
import type { Objective, ObjectiveContext, TrainBatch } from '../../../src/pretrain/objective.js';
import { BAD_TOKEN, GOOD_TOKEN } from '../../../src/pretrain/objectives/conditional.js';
import { createObjective } from '../../../src/pretrain/objectives/index.js';
import { FinetuneRegime } from '../../../src/pretrain/regime.js';
import { pretrain, type PretrainResult } from '../../../src/pretrain/trainer.js';
import type { GPT } from '../../../src/lm/gpt.js';
import { Random } from '../../../src/util/random.js';

const quiet = { write: () => true };
const root = mkdtempSync(join(tmpdir(), 'posterior-regime-'));
const corpusPath = join(root, 'corpus.jsonl');
{
  const phrases = ['the cat sat on the mat.', 'a dog ran in the park.', 'we like green tea.', 'it rains in spring.'];
  const rng = new Random(2);
  const lines = Array.from({ length: 60 }, (_, d) => {
    let text = '';
    const segments = Array.from({ length: 3 + rng.int(4) }, (_, s) => {
      const sentence = (s === 0 ? '' : ' ') + phrases[rng.int(phrases.length)]!;
      const seg = { start: text.length, end: text.length + sentence.length, score: rng.float() < 0.3 ? 1 : 0 };
      text += sentence;
      return seg;
    });
    return JSON.stringify({ id: `d${d}`, text, segments });
  });
  writeFileSync(corpusPath, lines.join('\n') + '\n');
}

function config(name: string, objective: object, steps = 20): PretrainConfig {
  return parsePretrainConfig({
    out_dir: join(root, name), seed: 4, threads: 1, objective,
    tokenizer: { train: { vocab_size: 280 } },
    data: { train: corpusPath, validation_fraction: 0.1 },
    model: { n_layer: 1, n_embd: 32, n_head: 2, block_size: 32, dropout: 0.1 },
    optimizer: { lr: 1e-2, min_lr: 1e-3, warmup_steps: 3 },
    training: { steps, batch_size: 4, grad_accum: 2, eval_interval: 1000, checkpoint_interval: 1000 },
    samples: { count: 0 },
  }, `config ${name}.yaml`);
}

/** Records, per step, whether its batches held a control token. */
class Spy extends FinetuneRegime {
  readonly sawControl = new Map<number, boolean>();
  controls: number[] = [];
  override extendTokenizer(...args: Parameters<FinetuneRegime['extendTokenizer']>): void {
    super.extendTokenizer(...args);
    this.controls = [GOOD_TOKEN, BAD_TOKEN].map((t) => args[0].tokenToId(t)!);
  }
  override loss(model: GPT, batch: TrainBatch, ctx: ObjectiveContext) {
    const ids = batch.input.toInt32Array();
    this.sawControl.set(ctx.step, (this.sawControl.get(ctx.step) ?? false) || ids.some((id) => this.controls.includes(id)));
    return super.loss(model, batch, ctx);
  }
}

test('finetune regime: MLE on the documents as read for the first half, conditional training on prefixed ones after', async () => {
  const spy = new Spy(createObjective({ name: 'conditional', threshold: 0 }, 'x'));
  const feedback: number[] = [];
  await pretrain(config('phases', { name: 'conditional', threshold: 0, regime: 'finetune' }), { stream: quiet, objective: spy, onStep: (_, m) => feedback.push(m['regime/feedback']!) });
  const steps = [...spy.sawControl.keys()].sort((a, b) => a - b);
  assert.deepEqual(steps, Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(steps.map((s) => spy.sawControl.get(s)), steps.map((s) => s >= 10));
  assert.deepEqual(feedback, steps.map((s) => Number(s >= 10)));
});

function paramBytes(r: PretrainResult, extra?: Map<string, { toBytes(): Uint8Array }>): Map<string, Buffer> {
  const all = new Map([...r.model.params, ...(extra ?? [])]);
  return new Map([...all].map(([k, t]) => [k, Buffer.from(t.toBytes())]));
}

async function resumedEqualsStraight(name: string, spec: { name: string } & Record<string, unknown>, stopAt: number, steps = 20): Promise<void> {
  const straightObjective = createObjective(spec, 'x');
  const straight = await pretrain(config(`${name}-straight-${stopAt}`, spec, steps), { stream: quiet, objective: straightObjective });
  const stop = new AbortController();
  await pretrain(config(`${name}-resumed-${stopAt}`, spec, steps), { stream: quiet, signal: stop.signal, onStep: (s) => s === stopAt && stop.abort() });
  manualSeed(999);
  const resumedObjective = createObjective(spec, 'x');
  const resumed = await pretrain(config(`${name}-resumed-${stopAt}`, spec, steps), { stream: quiet, resume: true, objective: resumedObjective });
  assert.equal(resumed.steps, steps);
  const own = (o: Objective, r: PretrainResult) => o.parameters?.(r.model);
  const a = paramBytes(straight, own(straightObjective, straight)), b = paramBytes(resumed, own(resumedObjective, resumed));
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [k, bytes] of a) assert.ok(bytes.equals(b.get(k)!), `${name} stopped at ${stopAt}: ${k} differs after resume`);
}

test('finetune regime: conditional training stopped before, at and after the switch resumes bit-identically', async () => {
  for (const stopAt of [7, 10, 13]) await resumedEqualsStraight('conditional', { name: 'conditional', threshold: 0, regime: 'finetune' }, stopAt);
});

test('AWR\'s value head is sized by the model on resume, and a finetune-regime AWR run resumes bit-identically', async () => {
  await resumedEqualsStraight('awr', { name: 'awr', regime: 'finetune' }, 13);
  await resumedEqualsStraight('filtering', { name: 'filtering', regime: 'finetune' }, 12);
});
