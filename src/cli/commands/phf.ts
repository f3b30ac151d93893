// `posterior phf sweep`: pretraining with human feedback, every objective trained from
// the same seed, tokenizer and data and evaluated against the task's reference
// (src/phf/sweep.ts); results as Markdown, JSON and a Pareto plot. Ctrl-C stops a
// training at a step boundary after a checkpoint, or the sweep once the evaluation in
// progress ends; the same command resumes it.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCorpusDir, defaultReferenceDir } from '../../eval/reference-model.js';
import { objectiveNames } from '../../pretrain/objectives/index.js';
import { REGIMES, type Regime } from '../../pretrain/regime.js';
import { runSweep } from '../../phf/sweep.js';
import { resultsTable } from '../../phf/sweep-report.js';
import { tasks } from '../../scorers/task-scorer.js';
import { fail } from '../../util/errors.js';
import { untilSigint } from '../run-flags.js';
import { integer, parsedFlags, printedUsage } from '../sampling-flags.js';
import { knownTask, taskOptions } from '../task-flags.js';

export const summary = 'pretraining with human feedback: sweep the objectives on a task and compare them (phf sweep)';

const DEFAULT_BUDGET = 1_000_000;

const USAGE = `usage: posterior phf sweep --task ${tasks.join('|')} --objectives LIST [options]

Trains each objective from the same seed, tokenizer (the reference's), data order,
model size, optimiser and token budget, evaluates each against the task's reference
(misalignment, KL from the reference, capability, diversity, red-teaming) and writes
OUT/results.md, OUT/results.json and OUT/pareto.svg (misalignment against KL, frontier
drawn). Rerunning the same command skips finished objectives and resumes an
interrupted training exactly (Ctrl-C stops a training at its next step, or the sweep
after the evaluation in progress); a rerun with other training settings into the same
OUT is refused, one with other evaluation settings evaluates again.

  --task T               the task (its corpus, scorer and reference)
  --objectives LIST      comma-separated, of ${objectiveNames.join(', ')}
  --regime R             ${REGIMES.join(' (feedback from the first token) | ')} (MLE for the first half) (default pretrain)
  --budget TOKENS        training tokens per objective (default ${DEFAULT_BUDGET}: 489 steps, measured
                         at about 1.9 steps/s, so about 4.5 minutes of training per objective
                         for the default model on 2 shared cores, plus the evaluation)
  --out DIR              output directory (default runs/phf-<task>-<regime>)
  --reference DIR        the task's reference (default .cache/reference/<task>; train it with
                         'posterior reference --task T')
  --corpus DIR           the prepared corpus (default .cache/data/<task>)
  --n-layer N, --n-embd N, --n-head N, --block-size N
                         model size (default 4, 128, 4, context 128)
  --batch-size N         sequences per step (default 16)
  --lr LR                peak learning rate (default 3e-3, warmup then cosine to lr/10)
  --seed S               seed of training and evaluation (default 0)
  --samples N            evaluation samples per model (default 200)
  --redteam-rounds N     red-teaming rounds per model, 0 to skip (default 2)
  --threads N            LibTorch threads
  --json                 print results.json on stdout
Progress goes to stderr.`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') return (console.log(USAGE), 0);
  if (sub !== 'sweep') fail(`${sub === undefined ? 'a subcommand is required' : `unknown subcommand 'phf ${sub}'`}; the one subcommand is 'posterior phf sweep' (see 'posterior phf --help')`);
  return sweep(rest);
}

async function sweep(args: string[]): Promise<number> {
  const { values } = parsedFlags('phf sweep', () => parseArgs({
    args,
    options: {
      ...taskOptions,
      objectives: { type: 'string' },
      regime: { type: 'string', default: 'pretrain' },
      budget: { type: 'string', default: String(DEFAULT_BUDGET) },
      out: { type: 'string' },
      reference: { type: 'string' },
      'n-layer': { type: 'string', default: '4' },
      'n-embd': { type: 'string', default: '128' },
      'n-head': { type: 'string', default: '4' },
      'block-size': { type: 'string', default: '128' },
      'batch-size': { type: 'string', default: '16' },
      lr: { type: 'string', default: '3e-3' },
      samples: { type: 'string', default: '200' },
      'redteam-rounds': { type: 'string', default: '2' },
      threads: { type: 'string' },
    },
    strict: true,
  }));
  if (printedUsage(values.help, USAGE)) return 0;
  const task = knownTask('phf sweep', values.task);
  if (!values.objectives) fail(`--objectives is required: a comma-separated list of ${objectiveNames.join(', ')}`);
  if (!(REGIMES as readonly string[]).includes(values.regime)) fail(`--regime must be one of ${REGIMES.join(', ')}, got ${values.regime}`);
  const regime = values.regime as Regime;
  const lr = Number(values.lr);
  if (values.lr.trim() === '' || !(lr > 0) || !Number.isFinite(lr)) fail(`--lr must be a positive number, got ${values.lr}`);
  const result = await untilSigint((signal) => runSweep({
    task, regime, lr, signal,
    objectives: values.objectives!.split(',').map((s) => s.trim()).filter(Boolean),
    budget: integer(values.budget, '--budget', 1),
    outDir: values.out ?? join('runs', `phf-${task}-${regime}`),
    referenceDir: values.reference ?? defaultReferenceDir(task),
    corpusDir: values.corpus ?? defaultCorpusDir(task),
    model: {
      n_layer: integer(values['n-layer'], '--n-layer', 1), n_embd: integer(values['n-embd'], '--n-embd', 1),
      n_head: integer(values['n-head'], '--n-head', 1), block_size: integer(values['block-size'], '--block-size', 2),
    },
    batchSize: integer(values['batch-size'], '--batch-size', 1),
    seed: integer(values.seed, '--seed', 0),
    samples: integer(values.samples, '--samples', 25),
    redteamRounds: integer(values['redteam-rounds'], '--redteam-rounds', 0),
    ...(values.threads !== undefined && { threads: integer(values.threads, '--threads', 1) }),
  }));
  if (!result.report) return 130;
  if (values.json) console.log(JSON.stringify(result.report));
  else {
    console.log(resultsTable(result.report.rows));
    console.log(`\nPareto frontier (misalignment against KL from the reference): ${result.report.pareto.frontier.join(', ') || 'none'}`);
    console.log(`Results: ${result.report.files.markdown}, ${result.report.files.json}, ${result.report.files.svg}`);
  }
  return 0;
}
