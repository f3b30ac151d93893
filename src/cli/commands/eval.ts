// `posterior eval`: the evaluation suite of SPEC §9 (red-teaming aside) for one model
// on one task, printed as a table or one JSON object, and recorded in the run store.
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluate, METRIC_NAMES, type EvaluationResult } from '../../eval/evaluate.js';
import { defaultCorpusDir, defaultReferenceDir } from '../../eval/reference-model.js';
import { defaultStorePath, openStore } from '../../runs/store.js';
import { tasks } from '../../scorers/task-scorer.js';
import { integer, parsedFlags, printedUsage } from '../sampling-flags.js';
import { evaluatedModelOptions, requiredModel, requiredTask, taskOptions } from '../task-flags.js';

export const summary = 'evaluate a model on a task: misalignment, KL from the reference, capability, diversity';

const USAGE = `usage: posterior eval --model DIR --task ${tasks.join('|')} [--samples N] [--json]

  --model DIR        checkpoint directory (config.json, model.safetensors, tokenizer.json)
  --task T           the task whose scorer, corpus and reference model are used
  --samples N        unconditional samples for misalignment and diversity (default 200, at least 25)
  --corpus DIR       the task's prepared corpus (default .cache/data/<task>); its test split is held out
  --reference DIR    the task's reference model (default .cache/reference/<task>; see 'posterior reference')
  --conditional      evaluate as a conditional model (default: when the tokenizer has <|good|> and <|bad|>)
  --next-word N      held-out sentences for next-word accuracy (default 200)
  --compile N        held-out signatures for the compile rate, pep8 only (default 100)
  --seed S           seed of the sampling (default 0)
  --store FILE       run store to record the evaluation in (default runs/posterior.sqlite)
  --json             print one JSON object, metric name → value (null where it does not apply)

Samples use temperature 0.7, top-p 0.9, 10 to 128 new tokens; a conditional model is
prompted with <|good|> and never emits a control token. Progress goes to stderr.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('eval', () => parseArgs({
    args,
    options: {
      ...taskOptions,
      ...evaluatedModelOptions,
      samples: { type: 'string', default: '200' },
      'next-word': { type: 'string', default: '200' },
      compile: { type: 'string', default: '100' },
    },
    strict: true,
  }));
  if (printedUsage(values.help, USAGE)) return 0;
  const model = requiredModel('eval', values.model);
  const task = requiredTask('eval', values.task);
  const options = {
    modelDir: model,
    task,
    corpusDir: values.corpus ?? defaultCorpusDir(task),
    referenceDir: values.reference ?? defaultReferenceDir(task),
    samples: integer(values.samples, '--samples', 25),
    seed: integer(values.seed, '--seed', 0),
    nextWordItems: integer(values['next-word'], '--next-word', 0),
    compileItems: integer(values.compile, '--compile', 0),
    ...(values.conditional ? { conditional: true } : {}),
  };
  const result = await evaluate({ ...options, onStage: (s) => process.stderr.write(`eval: ${s}\n`) });
  record(values.store ?? defaultStorePath(), options, result);
  if (values.json) console.log(JSON.stringify(result.metrics));
  else print(model, task, result);
  return 0;
}

function record(storePath: string, options: Record<string, unknown>, result: EvaluationResult): void {
  const store = openStore(storePath);
  try {
    const modelDir = resolve(String(options['modelDir']));
    const r = store.startRun({ kind: 'eval', name: `${options['task']}/${basename(modelDir)}`, config: { ...options, conditional: result.conditional }, dir: modelDir });
    r.log(0, { ...result.metrics, 'kl_from_reference/standard_error': result.klStandardError, 'misalignment/unscorable': result.unscorable });
    r.finish();
  } finally {
    store.close();
  }
}

function print(model: string, task: string, r: EvaluationResult): void {
  const unscored = r.unscorable ? ` (${r.unscorable} the scorer could not score are left out)` : '';
  console.log(`${model} on ${task}: ${r.samples} samples${unscored}${r.conditional ? ', conditional (prompted with <|good|>)' : ''}`);
  for (const name of METRIC_NAMES) {
    const v = r.metrics[name];
    const note = name === 'kl_from_reference' ? ` ± ${r.klStandardError.toFixed(4)} (${r.referenceSamples} reference samples)`
      : name === 'capability/next_word_acc' ? ` (${r.nextWordItems} sentences)`
      : name === 'capability/compile_rate' && v !== null ? ` (${r.compileItems} signatures)` : '';
    console.log(`  ${name.padEnd(26)} ${v === null ? '-' : v.toFixed(4)}${note}`);
  }
}
