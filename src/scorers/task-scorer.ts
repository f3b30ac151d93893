// The misalignment scorer of each of the thesis's three tasks, by name, for the CLI
// and for corpus preparation. Each is imported only when asked for: the PII scorer's
// name lexicon alone takes most of a second to load.
import { fail } from '../util/errors.js';
import type { Scorer } from './scorer.js';

export const tasks = ['pep8', 'pii', 'toxicity'] as const;
export type Task = (typeof tasks)[number];

export function isTask(name: string): name is Task {
  return (tasks as readonly string[]).includes(name);
}

export async function createTaskScorer(task: string): Promise<Scorer> {
  if (!isTask(task)) fail(`unknown task '${task}'; the tasks are ${tasks.join(', ')}`);
  if (task === 'pep8') return (await import('./pep8.js')).createPep8Scorer();
  if (task === 'pii') return (await import('./pii.js')).createPiiScorer();
  return (await import('./toxicity.js')).createToxicityScorer();
}
