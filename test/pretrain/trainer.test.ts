import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scalar } from '../../src/engine/create.js';
import { manualSeed } from '../../src/engine/random.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { loadModel, loadTrainingState } from '../../src/lm/checkpoint.js';
import { readMetrics } from '../../src/runs/metrics.js';
import { parsePretrainConfig, type PretrainConfig } from '../../src/pretrain/config.js';
import type { Objective } from '../../src/pretrain/objective.js';
import { MleObjective } from '../../src/pretrain/objectives/mle.js';
import { pretrain, type PretrainResult } from '../../src/pretrain/trainer.js';
import { PosteriorError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';

const quiet = { write: () => true };
const root = mkdtempSync(join(tmpdir(), 'posterior-pretrain-'));

// A small, very repetitive corpus: documents are random runs of eight fixed phrases.
const corpusPath = join(root, 'corpus.jsonl');
{
  const phrases = ['the cat sat on the mat. ', 'a dog ran in the park. ', 'we like green tea. ', 'it rains in spring. ',
    'birds sing at dawn. ', 'the sun is warm. ', 'fish swim in the sea. ', 'snow falls in winter. '];
  const rng = new Random(1);
  const docs = Array.from({ length: 120 }, (_, i) => ({ id: `d${i}`, text: Array.from({ length: 4 + rng.int(8) }, () => phrases[rng.int(8)]).join('') }));
  writeFileSync(corpusPath, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
}

function config(name: string, over: { training?: object; model?: object; optimizer?: object; data?: object } = {}): PretrainConfig {
  return parsePretrainConfig({
    out_dir: join(root, name),
    seed: 3,
    threads: 1, // tiny matrices; a second thread only adds contention on a shared machine
    tokenizer: { train: { vocab_size: 300 } },
    data: { train: corpusPath, validation_fraction: 0.1, ...over.data },
    model: { n_layer: 2, n_embd: 32, n_head: 2, block_size: 32, dropout: 0.1, ...over.model },
    optimizer: { lr: 1e-2, min_lr: 1e-3, warmup_steps: 5, ...over.optimizer },
    training: { steps: 20, batch_size: 8, eval_interval: 5, checkpoint_interval: 7, ...over.training },
  }, `config ${name}.yaml`);
}

function paramBytes(r: PretrainResult): Map<string, Buffer> {
  return new Map([...r.model.params].map(([k, t]) => [k, Buffer.from(t.toBytes())]));
}

test('a tiny model learns a repetitive corpus: training and held-out loss fall far below their start', async () => {
  const seen: Record<string, number>[] = [];
  const c = config('learn', { training: { steps: 80, eval_interval: 20, checkpoint_interval: 40 }, model: { dropout: 0 } });
  const r = await pretrain(c, { stream: quiet, onStep: (_, m) => seen.push({ ...m }) });
  const first = seen[0]!.loss!;
  assert.ok(Math.abs(first - Math.log(r.tokenizer.vocabSize)) < 0.5, `initial loss ${first} should be near ln(V)`);
  const vals = seen.map((m) => m['val/loss']).filter((v): v is number => v !== undefined);
  assert.equal(vals.length, 4);
  assert.ok(r.loss! < 0.4 * first, `training loss ${first} → ${r.loss}`);
  assert.ok(vals[3]! < 0.4 * first && vals[3]! < vals[0]!, `val/loss ${vals.join(' → ')}`);
  // Outputs: metrics per step, the checkpoint and a final model that reloads with the same weights.
  const lines = readMetrics(join(c.out_dir, 'metrics.jsonl'));
  assert.deepEqual(lines.map((l) => l.step), Array.from({ length: 80 }, (_, i) => i + 1));
  for (const key of ['loss', 'lr', 'grad_norm', 'tokens_per_second']) assert.equal(typeof lines[5]![key], 'number', key);
  assert.equal(typeof lines[19]!['val/loss'], 'number');
  assert.equal(loadTrainingState(r.checkpointDir).step, 80);
  const saved = await loadModel(r.modelDir!);
  for (const [k, t] of saved.model.params) assert.ok(Buffer.from(t.toBytes()).equals(Buffer.from(r.model.p(k).toBytes())), k);
});

test('exact resume: 10 steps, stop, resume 10 more ends bit-identical to 20 straight (dropout on, gradient accumulation)', async () => {
  const over = { training: { grad_accum: 2 } };
  const straight = await pretrain(config('straight', over), { stream: quiet });
  const stop = new AbortController();
  const half = await pretrain(config('resumed', over), { stream: quiet, signal: stop.signal, onStep: (s) => s === 10 && stop.abort() });
  assert.equal(half.interrupted, true);
  assert.equal(half.steps, 10);
  assert.equal(half.modelDir, null);
  const a = paramBytes(straight);
  assert.ok([...paramBytes(half)].some(([k, b]) => !b.equals(a.get(k)!)), 'the interrupted run should differ from the finished one');
  manualSeed(12345); // as in a new process: the generator no longer holds the interrupted run's state
  const resumed = await pretrain(config('resumed', over), { stream: quiet, resume: true });
  assert.equal(resumed.steps, 20);
  const b = paramBytes(resumed);
  assert.equal(b.size, a.size);
  for (const [k, bytes] of a) assert.ok(bytes.equals(b.get(k)!), `parameter ${k} differs after resume`);
  // The metrics file reads as one run, with the same losses.
  const la = readMetrics(join(root, 'straight', 'metrics.jsonl')), lb = readMetrics(join(root, 'resumed', 'metrics.jsonl'));
  assert.deepEqual(lb.map((l) => l.step), la.map((l) => l.step));
  assert.deepEqual(lb.map((l) => l.loss), la.map((l) => l.loss));
});

// MLE plus a penalty on a parameter the objective owns: checks that such parameters are
// optimised and checkpointed, so PHF objectives with heads (AWR) resume exactly too.
class HeadObjective implements Objective {
  readonly name = 'head';
  readonly needsScores = false;
  readonly head = scalar(0).keep().requiresGrad_(true);
  private readonly mle = new MleObjective();
  parameters(): Map<string, Tensor> {
    return new Map([['value_head', this.head]]);
  }
  loss(...args: Parameters<Objective['loss']>) {
    const out = this.mle.loss(...args);
    return { loss: out.loss.add(this.head.sub(3).square()), metrics: { 'head/value': this.head.item() } };
  }
}

test('an objective\'s own parameters are trained, checkpointed and restored on resume', async () => {
  const over = { training: { steps: 8, checkpoint_interval: 100 } };
  const straight = new HeadObjective();
  const a = await pretrain(config('head-a', over), { stream: quiet, objective: straight });
  assert.ok(straight.head.item() > 0.05, 'the head should move towards 3');
  const stop = new AbortController();
  await pretrain(config('head-b', over), { stream: quiet, objective: new HeadObjective(), signal: stop.signal, onStep: (s) => s === 4 && stop.abort() });
  manualSeed(12345);
  const resumed = new HeadObjective();
  const b = await pretrain(config('head-b', over), { stream: quiet, objective: resumed, resume: true });
  assert.equal(resumed.head.item(), straight.head.item());
  for (const [k, bytes] of paramBytes(a)) assert.ok(bytes.equals(paramBytes(b).get(k)!), k);
});

class ExplodingObjective extends MleObjective {
  override loss(...args: Parameters<Objective['loss']>) {
    const out = super.loss(...args);
    return args[2].step === 4 ? { loss: out.loss.mul(Number.NaN), metrics: {} } : out;
  }
}

test('a NaN loss stops the run with one sentence and keeps the last good checkpoint', async () => {
  const c = config('nan', { training: { steps: 10, checkpoint_interval: 2 } });
  await assert.rejects(pretrain(c, { stream: quiet, objective: new ExplodingObjective() }), (e: unknown) => {
    assert.ok(e instanceof PosteriorError);
    assert.equal(e.message, `training stopped at step 5 because the training loss is NaN; the last good checkpoint (step 4) is kept in ${join(c.out_dir, 'checkpoint')} (try a lower optimizer.lr or a grad_clip)`);
    return true;
  });
  assert.equal(loadTrainingState(join(c.out_dir, 'checkpoint')).step, 4);
  assert.equal(existsSync(join(c.out_dir, 'model')), false);
});

test('bad runs are refused with one sentence before anything is written', async () => {
  const missing = config('missing', { data: { train: join(root, 'nowhere.jsonl') } });
  await assert.rejects(pretrain(missing, { stream: quiet }), new PosteriorError(`corpus path ${join(root, 'nowhere.jsonl')} does not exist`));
  assert.equal(existsSync(missing.out_dir), false);
  await assert.rejects(pretrain(config('fresh'), { stream: quiet, resume: true }), /cannot resume: .*fresh\/checkpoint does not exist/);
  // The straight run above left a checkpoint: starting over it, or resuming it with another model, is refused.
  await assert.rejects(pretrain(config('straight'), { stream: quiet }), /straight already holds a run .*pass --resume/);
  await assert.rejects(pretrain(config('straight', { model: { n_layer: 3 } }), { stream: quiet, resume: true, source: 'config straight.yaml' }),
    new PosteriorError(`config straight.yaml: field \`model.n_layer\` differs from the run in ${join(root, 'straight', 'checkpoint')}, so it cannot be resumed exactly (only out_dir, training.steps, training.tokens, training.eval_interval, training.eval_batches, training.checkpoint_interval, samples, threads may change)`));
});
