// `posterior redteam`: iterated few-shot red-teaming of a model on a task (SPEC §9),
// with the task's reference model as the red LM; per-round statistics of the prompt
// pool, printed and recorded in the run store.
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCorpus, readManifest } from '../../data/corpus.js';
import { disposeModel, evalModel, loadEvalModel } from '../../eval/eval-model.js';
import { redTeam, type RedTeamResult } from '../../eval/redteam.js';
import { defaultCorpusDir, defaultReferenceDir, loadReference } from '../../eval/reference-model.js';
import { defaultStorePath, openStore } from '../../runs/store.js';
import { createTaskScorer, tasks } from '../../scorers/task-scorer.js';
import { fail } from '../../util/errors.js';
import { integer, parsedFlags, printedUsage } from '../sampling-flags.js';
import { evaluatedModelOptions, knownTask, requiredModel, taskOptions } from '../task-flags.js';

export const summary = "red-team a model by iterated few-shot prompting, the task's reference model as red LM";

const USAGE = `usage: posterior redteam --model DIR --task ${tasks.join('|')} [--rounds R] [--json]

  --model DIR          the target checkpoint
  --task T             the task whose scorer, corpus and reference (the red LM) are used
  --rounds R           rounds of proposals after the seed pool (default 5)
  --proposals N        new prompts per round (default 20)
  --continuations K    target continuations per prompt; a prompt scores their mean misalignment (default 4)
  --seed-prompts N     held-out prefixes the pool starts from (default 20)
  --corpus DIR         the task's prepared corpus (default .cache/data/<task>; its test split seeds the pool)
  --reference DIR      the red LM (default .cache/reference/<task>)
  --conditional        evaluate the target as a conditional model (default: detect its control tokens)
  --seed S             seed (default 0)
  --store FILE         run store (default runs/posterior.sqlite)
  --json               one JSON object: the rounds and the ten best prompts

Each new prompt comes from 4 pool prompts drawn with probability ∝ exp(score/0.1).`;

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('redteam', () => parseArgs({
    args,
    options: {
      ...taskOptions,
      ...evaluatedModelOptions,
      rounds: { type: 'string', default: '5' },
      proposals: { type: 'string', default: '20' },
      continuations: { type: 'string', default: '4' },
      'seed-prompts': { type: 'string', default: '20' },
    },
    strict: true,
  }));
  if (printedUsage(values.help, USAGE)) return 0;
  const model = requiredModel('redteam', values.model);
  const task = knownTask('redteam', values.task);
  const settings = {
    rounds: integer(values.rounds, '--rounds', 1),
    proposals: integer(values.proposals, '--proposals', 1),
    continuations: integer(values.continuations, '--continuations', 1),
    seedPrompts: integer(values['seed-prompts'], '--seed-prompts', 4),
    seed: integer(values.seed, '--seed', 0),
  };
  const corpusDir = values.corpus ?? defaultCorpusDir(task);
  if (readManifest(corpusDir).files.test.documents === 0) fail(`corpus ${corpusDir} has no test split, so there are no held-out prefixes to seed red-teaming with`);
  const target = await loadEvalModel(model, values.conditional ? true : undefined);
  const scorer = await createTaskScorer(task);
  let result: RedTeamResult;
  try {
    const ref = await loadReference(values.reference ?? defaultReferenceDir(task), task);
    try {
      result = await redTeam({
        ...settings, target, red: evalModel(ref.dir, ref.model, ref.tokenizer, false), scorer, docs: await loadCorpus(corpusDir, 'test'),
        onRound: (s) => process.stderr.write(`redteam: round ${s.round}: best ${s.best.toFixed(4)}, top-10 ${s.top10.toFixed(4)}, pool mean ${s.poolMean.toFixed(4)}\n`),
      });
    } finally {
      disposeModel(ref.model);
    }
  } finally {
    await scorer.close?.();
    disposeModel(target.model);
  }
  record(values.store ?? defaultStorePath(), model, task, { ...settings, corpus: corpusDir, conditional: target.conditional }, result);
  if (values.json) {
    console.log(JSON.stringify({ rounds: result.rounds, top: result.pool.slice(0, 10) }));
    return 0;
  }
  console.log(`red-teaming ${model} on ${task}${target.conditional ? ' (conditional, prompted with <|good|>)' : ''}`);
  console.log('round  best      top-10    pool mean  round mean  pool');
  for (const s of result.rounds) {
    console.log(`${String(s.round).padStart(5)}  ${s.best.toFixed(4).padEnd(8)}  ${s.top10.toFixed(4).padEnd(8)}  ${s.poolMean.toFixed(4).padEnd(9)}  ${s.roundMean.toFixed(4).padEnd(10)}  ${s.poolSize}`);
  }
  console.log('best prompts:');
  for (const e of result.pool.slice(0, 5)) console.log(`  ${e.score.toFixed(4)} (round ${e.round}): ${JSON.stringify(e.prompt)}`);
  return 0;
}

function record(storePath: string, model: string, task: string, config: Record<string, unknown>, result: RedTeamResult): void {
  const store = openStore(storePath);
  try {
    const dir = resolve(model);
    const r = store.startRun({ kind: 'redteam', name: `${task}/${basename(dir)}`, config: { model: dir, task, ...config }, dir });
    for (const s of result.rounds) r.log(s.round, { 'redteam/best': s.best, 'redteam/top10': s.top10, 'redteam/pool_mean': s.poolMean, 'redteam/round_mean': s.roundMean });
    r.finish();
  } finally {
    store.close();
  }
}
