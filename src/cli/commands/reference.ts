// `posterior reference`: trains a task's fixed reference LM once (an MLE model, larger
// and trained longer than a sweep's) and caches it with samples and their log-probs,
// for KL-from-reference and as the red LM of red-teaming.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultCorpusDir, defaultReferenceDir, DEFAULT_REFERENCE_BUDGET, DEFAULT_REFERENCE_SAMPLES, DEFAULT_REFERENCE_SIZE, REFERENCE_FILE, trainReference,
} from '../../eval/reference-model.js';
import { tasks } from '../../scorers/task-scorer.js';
import { fail } from '../../util/errors.js';
import { integer, parsedFlags, printedUsage } from '../sampling-flags.js';
import { knownTask, taskOptions } from '../task-flags.js';

export const summary = "train and cache a task's reference model (for KL from the reference and red-teaming)";

const d = DEFAULT_REFERENCE_SIZE;
const USAGE = `usage: posterior reference --task ${tasks.join('|')} [--budget TOKENS] [options]

  --task T           the task; its prepared corpus is .cache/data/<task> unless --corpus
  --budget TOKENS    training tokens (default ${DEFAULT_REFERENCE_BUDGET})
  --corpus DIR       the prepared corpus (train and validation splits)
  --out DIR          where the reference goes (default .cache/reference/<task>)
  --tokenizer FILE   a tokenizer.json to train with; evaluated models must share it
                     (default: train a byte-level BPE of --vocab-size on the corpus)
  --vocab-size N     vocabulary of the trained tokenizer (default 8192)
  --n-layer N, --n-embd N, --n-head N, --block-size N
                     model size (default ${d.n_layer}, ${d.n_embd}, ${d.n_head}, context ${d.block_size})
  --samples N        reference samples cached for KL estimates (default ${DEFAULT_REFERENCE_SAMPLES})
  --seed S           seed of training and sampling (default 0)
  --threads N        LibTorch threads
  --force            replace an existing reference
  --json             print the reference's manifest as one JSON object

Models evaluated against it must use its tokenizer: <out>/model/tokenizer.json.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('reference', () => parseArgs({
    args,
    options: {
      ...taskOptions,
      budget: { type: 'string' },
      out: { type: 'string' },
      tokenizer: { type: 'string' },
      'vocab-size': { type: 'string' },
      'n-layer': { type: 'string' },
      'n-embd': { type: 'string' },
      'n-head': { type: 'string' },
      'block-size': { type: 'string' },
      samples: { type: 'string' },
      threads: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
    strict: true,
  }));
  if (printedUsage(values.help, USAGE)) return 0;
  const task = knownTask('reference', values.task);
  if (values.tokenizer && values['vocab-size']) fail('give --tokenizer or --vocab-size, not both: the vocabulary size of a given tokenizer is its own');
  const outDir = values.out ?? defaultReferenceDir(task);
  if (existsSync(join(outDir, REFERENCE_FILE)) && !values.force) fail(`${outDir} already holds a reference for task ${task}; pass --force to train a new one`);
  if (values.tokenizer && !existsSync(values.tokenizer)) fail(`tokenizer file ${values.tokenizer} does not exist`);
  const opt = (flag: string, min: number) => (values[flag as keyof typeof values] === undefined ? undefined : integer(String(values[flag as keyof typeof values]), `--${flag}`, min));
  const model = Object.fromEntries(
    ([['n_layer', 'n-layer'], ['n_embd', 'n-embd'], ['n_head', 'n-head'], ['block_size', 'block-size']] as const)
      .map(([field, flag]) => [field, opt(flag, 1)])
      .filter(([, v]) => v !== undefined),
  );
  const manifest = await trainReference({
    task, outDir,
    corpusDir: values.corpus ?? defaultCorpusDir(task),
    model,
    ...(values.budget !== undefined ? { budget: integer(values.budget, '--budget', 1) } : {}),
    ...(values.tokenizer ? { tokenizerPath: values.tokenizer } : {}),
    ...(values['vocab-size'] !== undefined ? { vocabSize: integer(values['vocab-size'], '--vocab-size', 257) } : {}),
    ...(values.samples !== undefined ? { samples: integer(values.samples, '--samples', 1) } : {}),
    ...(values.threads !== undefined ? { threads: integer(values.threads, '--threads', 1) } : {}),
    seed: integer(values.seed, '--seed', 0),
  });
  if (values.json) console.log(JSON.stringify({ dir: outDir, ...manifest }));
  else {
    console.log(`reference for ${task} in ${outDir}: ${manifest.steps} steps on ${manifest.budget} tokens, val/loss ${manifest.val_loss?.toFixed(4) ?? '-'}, ` +
      `${manifest.samples} samples of ${manifest.mean_sample_tokens.toFixed(1)} tokens on average`);
    console.log(`models evaluated against it must use ${join(outDir, 'model', 'tokenizer.json')}`);
  }
  return 0;
}
