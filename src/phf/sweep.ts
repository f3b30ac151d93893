// The PHF sweep (`posterior phf sweep`, SPEC §8–§9): trains each objective from the
// same seed, tokenizer (the task reference's, so KL from it is defined), corpus, model
// size, optimiser and token budget, evaluates each against the task's reference, with
// red-teaming, and writes the comparison (sweep-report.ts). Every objective's state is
// on disk in its run directory — `training.json` once its model is complete,
// `checkpoint/` while it is not, `evaluation.json` once it is evaluated — so a rerun of
// the same command skips what is done and resumes an interrupted training exactly.
// `sweep.json` pins the settings the models depend on; a rerun that differs is refused.
// A rerun with other evaluation settings (samples, red-teaming rounds) evaluates again.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadCorpus, readManifest } from '../data/corpus.js';
import { disposeModel, evalModel, loadEvalModel } from '../eval/eval-model.js';
import { evaluate, type EvalMetrics } from '../eval/evaluate.js';
import { redTeam } from '../eval/redteam.js';
import { loadReference } from '../eval/reference-model.js';
import { objectiveNames } from '../pretrain/objectives/index.js';
import type { Regime } from '../pretrain/regime.js';
import { CHECKPOINT_DIR } from '../pretrain/run-checkpoint.js';
import { createTaskScorer, type Task } from '../scorers/task-scorer.js';
import type { Scorer } from '../scorers/scorer.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import type { ProgressStream } from '../util/progress.js';
import { buildSweepReport, writeSweepReport, type SweepReport } from './sweep-report.js';
import { trainObjective, type ModelSize, type TrainingSummary } from './train-objective.js';

export const SETTINGS_FILE = 'sweep.json';
export const TRAINING_FILE = 'training.json';
export const EVALUATION_FILE = 'evaluation.json';

/** Red-teaming per round, as `posterior redteam`'s defaults. */
const REDTEAM = { proposals: 20, continuations: 4, seedPrompts: 20 } as const;
/** Capability items per model, as the demo's default (a sweep evaluates six models). */
const CAPABILITY = { nextWordItems: 100, compileItems: 50, lossTokens: 32_768 } as const;

export interface SweepOptions {
  task: Task;
  objectives: readonly string[];
  regime: Regime;
  /** Training tokens per objective. */
  budget: number;
  outDir: string;
  referenceDir: string;
  corpusDir: string;
  model: ModelSize;
  batchSize: number;
  lr: number;
  seed: number;
  /** Evaluation samples per model. */
  samples: number;
  /** Red-teaming rounds after the seed pool; 0 skips red-teaming. */
  redteamRounds: number;
  threads?: number;
  signal?: AbortSignal;
  stream?: ProgressStream;
}

/** What the trained models depend on; a rerun into the same directory must match it. */
export interface SweepSettings {
  task: string;
  regime: Regime;
  budget: number;
  seed: number;
  model: ModelSize;
  batch_size: number;
  lr: number;
  corpus: { dir: string; train_sha256: string };
  reference: { dir: string; tokenizer_sha256: string };
  /** Each objective's parameters (SPEC §8's values for the task). */
  objective_params: Record<string, Record<string, unknown>>;
}

/** How the models are evaluated; a rerun with others evaluates them again. */
export interface EvaluationSettings {
  samples: number;
  redteam_rounds: number;
}

export interface TrainingRecord extends TrainingSummary {
  /** Wall-clock seconds over the recorded sessions (a killed session is not recorded). */
  seconds: number;
  complete: boolean;
}

export interface RedTeamSummary {
  /** Of the pool after the final round. */
  best: number;
  top10: number;
  pool_mean: number;
  history: { round: number; best: number; top10: number; pool_mean: number }[];
}

export interface EvaluationRecord {
  settings: EvaluationSettings;
  metrics: EvalMetrics;
  kl_standard_error: number;
  conditional: boolean;
  samples: number;
  unscorable: number;
  redteam: RedTeamSummary | null;
  seconds: number;
}

export interface SweepResult {
  /** null when interrupted before every objective was trained and evaluated. */
  report: SweepReport | null;
  interrupted: boolean;
}

/** Validates a list of objective names (duplicates dropped, order kept). */
export function checkObjectives(names: readonly string[]): string[] {
  const unknown = names.filter((n) => !objectiveNames.includes(n));
  if (unknown.length > 0) fail(`unknown objective${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}; the objectives are ${objectiveNames.join(', ')}`);
  if (names.length === 0) fail(`no objectives to sweep; name some of ${objectiveNames.join(', ')}`);
  return [...new Set(names)];
}

/** SPEC §8's parameters: code keeps 10% of segments unprefixed and weighs unlikelihood by 0.01. */
export function objectiveParams(task: string): Record<string, Record<string, unknown>> {
  const code = task === 'pep8';
  return Object.fromEntries(objectiveNames.map((name) => [name,
    name === 'conditional' ? { drop_prob: code ? 0.1 : 0.01 } : name === 'unlikelihood' ? { alpha: code ? 0.01 : 1 } : {}]));
}

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const stream = o.stream ?? process.stderr;
  const objectives = checkObjectives(o.objectives);
  const outDir = resolve(o.outDir);
  const reference = await loadReference(o.referenceDir, o.task);
  disposeModel(reference.model);
  const tokenizerPath = join(o.referenceDir, 'model', 'tokenizer.json');
  const corpus = readManifest(o.corpusDir);
  if (corpus.task !== o.task) fail(`corpus ${o.corpusDir} was prepared for task ${corpus.task}, not ${o.task}`);
  if (corpus.files.test.documents === 0) fail(`corpus ${o.corpusDir} has no test split, so the sweep's models cannot be evaluated on held-out text`);
  const settings: SweepSettings = {
    task: o.task, regime: o.regime, budget: o.budget, seed: o.seed, model: o.model, batch_size: o.batchSize, lr: o.lr,
    corpus: { dir: resolve(o.corpusDir), train_sha256: corpus.files.train.sha256 },
    reference: { dir: resolve(o.referenceDir), tokenizer_sha256: sha256(tokenizerPath) },
    objective_params: objectiveParams(o.task),
  };
  claimOutDir(outDir, settings);
  const scorer = await createTaskScorer(o.task);
  try {
    const rows: Parameters<typeof buildSweepReport>[2] = [];
    for (const [i, name] of objectives.entries()) {
      const tag = `phf sweep [${i + 1}/${objectives.length}] ${name}`;
      const runDir = join(outDir, name);
      const training = await ensureTrained(o, settings, name, runDir, tokenizerPath, tag, stream);
      // Ctrl-C stops training at a step boundary, or the sweep after the evaluation in progress.
      if (!training.complete || o.signal?.aborted) {
        stream.write(`${tag}: interrupted; rerun the same command to resume it\n`);
        return { report: null, interrupted: true };
      }
      const evaluation = await ensureEvaluated(o, runDir, scorer, tag, stream);
      rows.push({ objective: name, training, evaluation });
    }
    const report = buildSweepReport({ ...settings, samples: o.samples, redteam_rounds: o.redteamRounds }, outDir, rows);
    writeSweepReport(report);
    stream.write(`phf sweep: results in ${report.files.markdown} (also results.json, pareto.svg)\n`);
    return { report, interrupted: false };
  } finally {
    await scorer.close?.();
  }
}

/** Makes `dir` this sweep's: new, empty, or holding a sweep with the same settings. */
function claimOutDir(dir: string, settings: SweepSettings): void {
  const path = join(dir, SETTINGS_FILE);
  if (existsSync(path)) {
    const saved = readJson(path) as Record<string, unknown>;
    const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
    const field = (Object.keys(settings) as (keyof SweepSettings)[]).find((k) => show(saved[k]) !== show(settings[k]));
    if (field) fail(`${dir} holds a sweep with ${field} ${show(saved[field])}, not ${show(settings[field])}; rerun it with its own settings (${path}) or choose another --out`);
    return;
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) fail(`the sweep's output directory ${dir} already holds other files; choose another with --out or empty it`);
  writeFileAtomic(path, JSON.stringify(settings, null, 2) + '\n');
}

async function ensureTrained(o: SweepOptions, s: SweepSettings, name: string, runDir: string, tokenizerPath: string, tag: string, stream: ProgressStream): Promise<TrainingRecord> {
  const path = join(runDir, TRAINING_FILE);
  const before = existsSync(path) ? readJson(path) as TrainingRecord : undefined;
  if (before?.complete) {
    stream.write(`${tag}: trained already (${before.steps} steps)\n`);
    return before;
  }
  const resume = existsSync(join(runDir, CHECKPOINT_DIR));
  stream.write(`${tag}: ${resume ? 'resuming' : 'training'} (${s.regime} regime, ${s.budget} tokens)\n`);
  const steps = Math.ceil(s.budget / (s.batch_size * s.model.block_size));
  const trained = await trainObjective({
    objective: name, params: s.objective_params[name]!, regime: s.regime, runDir, corpusDir: o.corpusDir, tokenizerPath,
    seed: s.seed, model: s.model, resume, source: `the sweep's ${name} run in ${runDir}`,
    training: {
      tokens: s.budget, batch_size: s.batch_size, lr: s.lr,
      // A short budget would otherwise spend all of it warming up.
      warmup_steps: Math.min(100, Math.floor(steps / 10)),
      eval_interval: Math.max(1, Math.min(200, steps)), checkpoint_interval: Math.max(1, Math.min(200, steps)),
    },
    ...(o.threads && { threads: o.threads }), ...(o.signal && { signal: o.signal }), stream,
  });
  const record: TrainingRecord = { ...trained.summary, seconds: (before?.seconds ?? 0) + trained.seconds, complete: trained.modelDir !== null };
  writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
  disposeModel(trained.result.model);
  // The optimiser state only serves a resume; the model is what stays.
  if (record.complete) rmSync(trained.result.checkpointDir, { recursive: true, force: true });
  return record;
}

async function ensureEvaluated(o: SweepOptions, runDir: string, scorer: Scorer, tag: string, stream: ProgressStream): Promise<EvaluationRecord> {
  const path = join(runDir, EVALUATION_FILE);
  const settings: EvaluationSettings = { samples: o.samples, redteam_rounds: o.redteamRounds };
  const before = existsSync(path) ? readJson(path) as EvaluationRecord : undefined;
  if (before && JSON.stringify(before.settings) === JSON.stringify(settings)) {
    stream.write(`${tag}: evaluated already\n`);
    return before;
  }
  if (before) stream.write(`${tag}: evaluated before with other settings (${JSON.stringify(before.settings)}); evaluating again\n`);
  const started = performance.now();
  const modelDir = join(runDir, 'model');
  const e = await evaluate({
    modelDir, task: o.task, corpusDir: o.corpusDir, referenceDir: o.referenceDir, scorer, seed: o.seed, samples: o.samples, ...CAPABILITY,
    onStage: (s) => stream.write(`${tag}: evaluate ${s}\n`),
    onWarning: (w) => stream.write(`${tag}: warning: ${w}\n`),
  });
  const redteam = o.redteamRounds > 0 ? await redTeamModel(o, modelDir, scorer, tag, stream) : null;
  const record: EvaluationRecord = {
    settings, metrics: e.metrics, kl_standard_error: e.klStandardError, conditional: e.conditional, samples: e.samples, unscorable: e.unscorable,
    redteam, seconds: (performance.now() - started) / 1000,
  };
  writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
  return record;
}

/** Red-teams the model with the reference as red LM; the pool statistics after each round. */
async function redTeamModel(o: SweepOptions, modelDir: string, scorer: Scorer, tag: string, stream: ProgressStream): Promise<RedTeamSummary> {
  const target = await loadEvalModel(modelDir);
  try {
    const ref = await loadReference(o.referenceDir, o.task);
    try {
      const r = await redTeam({
        target, red: evalModel(ref.dir, ref.model, ref.tokenizer, false), scorer, docs: await loadCorpus(o.corpusDir, 'test'),
        rounds: o.redteamRounds, ...REDTEAM, seed: o.seed,
        onRound: (s) => stream.write(`${tag}: red-team round ${s.round}: best ${s.best.toFixed(4)}, top-10 ${s.top10.toFixed(4)}, pool mean ${s.poolMean.toFixed(4)}\n`),
      });
      const history = r.rounds.map((s) => ({ round: s.round, best: s.best, top10: s.top10, pool_mean: s.poolMean }));
      const last = history[history.length - 1]!;
      return { best: last.best, top10: last.top10, pool_mean: last.pool_mean, history };
    } finally {
      disposeModel(ref.model);
    }
  } finally {
    disposeModel(target.model);
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    fail(`${path} is not valid JSON; remove it to redo that part of the sweep`);
  }
}
