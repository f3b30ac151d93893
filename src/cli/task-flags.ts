// Flags shared by the commands that work on one task (`posterior eval`, `posterior
// redteam`, `posterior reference`): the task, its corpus, the seed, and for the commands
// that evaluate a model, that model, the task's reference and the run store.
import { isTask, tasks, type Task } from '../scorers/task-scorer.js';
import { fail } from '../util/errors.js';

export const taskOptions = {
  task: { type: 'string' },
  corpus: { type: 'string' },
  seed: { type: 'string', default: '0' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const evaluatedModelOptions = {
  model: { type: 'string' },
  reference: { type: 'string' },
  conditional: { type: 'boolean', default: false },
  store: { type: 'string' },
} as const;

export function requiredModel(command: string, model: string | undefined): string {
  if (!model) fail(`--model DIR is required; run 'posterior ${command} --help' for the options`);
  return model;
}

export function requiredTask(command: string, task: string | undefined): string {
  if (!task) fail(`--task is required (${tasks.join(', ')}); run 'posterior ${command} --help' for the options`);
  return task;
}

/** --task, required and one of the known tasks. */
export function knownTask(command: string, task: string | undefined): Task {
  const name = requiredTask(command, task);
  if (!isTask(name)) fail(`unknown task '${name}'; the tasks are ${tasks.join(', ')}`);
  return name;
}
