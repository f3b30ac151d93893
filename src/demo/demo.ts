// The end-to-end demo (`posterior demo`): prepare a slice of the PEP8 corpus, train a
// BPE tokenizer, pretrain an MLE and a conditional-training model from the same seed,
// tokenizer and data, evaluate both (misalignment, KL from the reference, capability,
// diversity) and write the comparison as JSON, Markdown and a Pareto plot. Each stage
// is one function; every stage reports on the progress stream as it starts and ends.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { manualSeed } from '../engine/random.js';
import { disposeModel, loadEvalModel } from '../eval/eval-model.js';
import { evaluate, type EvaluationResult } from '../eval/evaluate.js';
import { scoreTexts } from '../scorers/score-texts.js';
import { paretoFrontier, paretoSvg, type ParetoPoint } from '../eval/pareto-plot.js';
import { unconditionalSamples } from '../eval/sampling.js';
import type { CorpusSource } from '../data/source.js';
import { createPep8Scorer, type Pep8Scorer } from '../scorers/pep8.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { fail } from '../util/errors.js';
import type { ProgressStream } from '../util/progress.js';
import type { DemoConfig } from './config.js';
import { DEMO_TASK, demoCorpus, type DemoCorpus } from './corpus-cache.js';
import { useAsReference } from './reference.js';
import { DEMO_REPORT_FORMAT, markdownReport, type DemoReport, type ModelReport, type ShownSample } from './report.js';
import { demoTokenizer, type DemoTokenizer } from './tokenizer-cache.js';
import { DEMO_OBJECTIVES, trainDemoModel, type DemoObjective, type TrainedModel } from './train-model.js';

export interface DemoOptions {
  config: DemoConfig;
  /** Where the runs and the report go; the demo owns it (see claimOutDir). */
  outDir: string;
  /** Cached corpus and tokenizer. */
  cacheDir: string;
  /** Where Debian sources are unpacked. */
  sourcesDir: string;
  /** The command line that reproduces the run, quoted in the report. */
  command: string;
  /** Corpus sources other than the task's own (tests). */
  sources?: readonly CorpusSource[];
  /** Progress (default stderr). */
  stream?: ProgressStream;
}

/** A file in the out dir that marks it as the demo's, so a rerun may replace its runs. */
export const OUT_MARKER = '.posterior-demo';
const REPORT_FILES = ['report.md', 'report.json', 'pareto.svg'] as const;
const STAGES = 8;

export async function runDemo(o: DemoOptions): Promise<DemoReport> {
  const stream = o.stream ?? process.stderr;
  const outDir = resolve(o.outDir);
  claimOutDir(outDir);
  const timings: Record<string, number> = {};
  let n = 0;
  const stage = async <T>(name: string, what: string, fn: () => T | Promise<T>): Promise<T> => {
    stream.write(`demo [${++n}/${STAGES}] ${name}: ${what}\n`);
    const t0 = performance.now();
    const out = await fn();
    timings[name] = (performance.now() - t0) / 1000;
    stream.write(`demo [${n}/${STAGES}] ${name} done in ${timings[name]!.toFixed(1)} s\n`);
    return out;
  };
  const started = performance.now();
  const c = o.config;
  const scorer = createPep8Scorer();
  try {
    const corpus = await stage('corpus', `PEP8 corpus, ${Math.round(c.corpusFraction * 100)}% of the files of each source`, () =>
      demoCorpus({ cacheDir: o.cacheDir, sourcesDir: o.sourcesDir, fraction: c.corpusFraction, scorer, ...(o.sources && { sources: o.sources }), stream }));
    checkCorpus(corpus);
    const tokenizer = await stage('tokenizer', `byte-level BPE of ${c.vocabSize} tokens`, () => demoTokenizer(corpus.dir, corpus.manifest, c.vocabSize, o.cacheDir, stream));
    const train = (objective: DemoObjective) => trainDemoModel({ config: c, objective, runDir: join(outDir, objective), corpusDir: corpus.dir, tokenizerPath: tokenizer.path, stream });
    const steps = `${c.training.steps} steps of ${c.training.batch_size} × ${c.model.block_size} tokens, ${c.model.n_layer} layers × ${c.model.n_embd}`;
    const mle = await stage('pretrain mle', steps, () => train('mle'));
    await stage('reference', `${c.eval.referenceSamples} samples of the MLE model as the KL reference`, () => referenceFrom(mle, c, corpus, tokenizer));
    const conditional = await stage('pretrain conditional', `${steps}, <|good|>/<|bad|> segment prefixes`, () => train('conditional'));
    disposeModel(conditional.result.model);
    const models = { mle, conditional };
    const evaluations = {} as Record<DemoObjective, EvaluationResult>;
    for (const name of DEMO_OBJECTIVES) {
      evaluations[name] = await stage(`evaluate ${name}`, `${c.eval.samples} samples, KL, capability, diversity`, () => evaluateModel(models[name], mle.runDir, corpus.dir, c, scorer, stream));
    }
    const shown = await stage('samples', `${c.eval.shown} samples of each model for the report`, () => showSamples(models, c, scorer));
    timings.total = (performance.now() - started) / 1000;
    const report = buildReport(o, outDir, corpus, tokenizer, models, evaluations, shown, timings);
    writeReport(report, o.command);
    stream.write(`demo: report in ${report.files.markdown} (also report.json, pareto.svg) after ${timings.total.toFixed(1)} s\n`);
    return report;
  } finally {
    await scorer.close();
  }
}

/**
 * Makes `dir` the demo's: an empty or missing directory, or one a previous demo marked.
 * The previous demo's runs and report are removed: training refuses an occupied run
 * directory, and a run that fails must not leave an older report looking like its own.
 */
export function claimOutDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, OUT_MARKER))) {
    fail(`the demo's output directory ${dir} already holds other files; choose another with --out or empty it`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, OUT_MARKER), 'This directory holds the output of `posterior demo`, which replaces it on every run.\n');
  for (const name of [...DEMO_OBJECTIVES, ...REPORT_FILES]) rmSync(join(dir, name), { recursive: true, force: true });
}

function checkCorpus(corpus: DemoCorpus): void {
  const { files } = corpus.manifest;
  for (const split of ['train', 'validation', 'test'] as const) {
    if (files[split].documents === 0) fail(`the demo's corpus in ${corpus.dir} has no ${split} documents; a larger slice of the corpus is needed`);
  }
}

function referenceFrom(mle: TrainedModel, c: DemoConfig, corpus: DemoCorpus, tokenizer: DemoTokenizer): void {
  try {
    useAsReference(mle, mle.result.model, mle.result.tokenizer, c, corpus, tokenizer.path);
  } finally {
    disposeModel(mle.result.model);
  }
}

function evaluateModel(m: TrainedModel, referenceDir: string, corpusDir: string, c: DemoConfig, scorer: Pep8Scorer, stream: ProgressStream): Promise<EvaluationResult> {
  return evaluate({
    modelDir: m.modelDir, task: DEMO_TASK, corpusDir, referenceDir, scorer, seed: c.seed,
    samples: c.eval.samples, nextWordItems: c.eval.nextWordItems, compileItems: c.eval.compileItems, lossTokens: c.eval.lossTokens,
    onStage: (s) => stream.write(`  evaluate ${m.objective}: ${s}\n`),
    onWarning: (w) => stream.write(`  evaluate ${m.objective}: warning: ${w}\n`),
  });
}

/** A few samples of each model, drawn as the evaluation draws them, with their pep8 scores. */
async function showSamples(models: Record<DemoObjective, TrainedModel>, c: DemoConfig, scorer: Pep8Scorer): Promise<Record<DemoObjective, ShownSample[]>> {
  const out = {} as Record<DemoObjective, ShownSample[]>;
  for (const name of DEMO_OBJECTIVES) {
    const m = await loadEvalModel(models[name].modelDir);
    try {
      manualSeed(c.seed);
      const texts = unconditionalSamples(m, c.eval.shown).map((s) => s.text);
      const { scores } = await scoreTexts(scorer, texts);
      out[name] = texts.map((text, i) => ({ text, score: Number.isNaN(scores[i]!) ? null : scores[i]! }));
    } finally {
      disposeModel(m.model);
    }
  }
  return out;
}

function buildReport(
  o: DemoOptions, outDir: string, corpus: DemoCorpus, tokenizer: DemoTokenizer, models: Record<DemoObjective, TrainedModel>,
  evaluations: Record<DemoObjective, EvaluationResult>, shown: Record<DemoObjective, ShownSample[]>, timings: Record<string, number>,
): DemoReport {
  const c = o.config, f = corpus.manifest.files;
  const metrics = { mle: evaluations.mle.metrics, conditional: evaluations.conditional.metrics };
  const model = (name: DemoObjective): ModelReport => ({
    training: models[name].summary, conditional: evaluations[name].conditional, kl_standard_error: evaluations[name].klStandardError,
    unscorable: evaluations[name].unscorable, samples: shown[name],
  });
  return {
    format: DEMO_REPORT_FORMAT, preset: c.preset, task: DEMO_TASK, seed: c.seed,
    corpus: {
      dir: corpus.dir, reused: corpus.reused, fraction: c.corpusFraction,
      documents: { train: f.train.documents, validation: f.validation.documents, test: f.test.documents },
      train_characters: f.train.characters, bad_line_share: 1 - corpus.manifest.scores.segments.zeroShare,
    },
    tokenizer: { path: tokenizer.path, vocab_size: tokenizer.vocabSize, reused: tokenizer.reused },
    reference: { model: 'mle', samples: c.eval.referenceSamples },
    evaluation: { samples: c.eval.samples, next_word_items: evaluations.mle.nextWordItems, compile_items: evaluations.mle.compileItems },
    metrics,
    models: { mle: model('mle'), conditional: model('conditional') },
    pareto: { x: 'kl_from_reference', y: 'misalignment/mean', frontier: paretoFrontier(paretoPoints(metrics)).map((i) => DEMO_OBJECTIVES[i]!) },
    timings_s: timings,
    files: { markdown: join(outDir, REPORT_FILES[0]), json: join(outDir, REPORT_FILES[1]), svg: join(outDir, REPORT_FILES[2]) },
  };
}

/** Each model at (KL from the reference, mean misalignment). */
function paretoPoints(metrics: DemoReport['metrics']): ParetoPoint[] {
  return DEMO_OBJECTIVES.map((name) => ({ label: name, x: metrics[name].kl_from_reference ?? NaN, y: metrics[name]['misalignment/mean'] ?? NaN }));
}

function writeReport(r: DemoReport, command: string): void {
  writeFileAtomic(r.files.svg, paretoSvg(paretoPoints(r.metrics), {
    title: `PEP8 (${r.preset} demo): misalignment against KL from the MLE model`,
    xLabel: 'KL(mle ‖ model), nats per sample', yLabel: 'misalignment: pycodestyle violations per character',
  }));
  writeFileAtomic(r.files.markdown, markdownReport(r, command));
  writeFileAtomic(r.files.json, JSON.stringify(r, null, 2) + '\n');
}
