// The evaluation suite of one model on one task (SPEC §9, red-teaming aside): every
// metric under its name in one flat record. Bad input — a missing corpus, reference
// or test split, a model that cannot be evaluated as asked — is refused before any
// sampling starts.
import { loadCorpus, readManifest } from '../data/corpus.js';
import { manualSeed } from '../engine/random.js';
import { Pep8Scorer } from '../scorers/pep8.js';
import type { Scorer } from '../scorers/scorer.js';
import { createTaskScorer, isTask, tasks } from '../scorers/task-scorer.js';
import { fail } from '../util/errors.js';
import { compileRate, heldOutLoss, heldOutSignatures, nextWordAccuracy, nextWordItems } from './capability.js';
import { diversityMetrics } from './diversity.js';
import { disposeModel, loadEvalModel } from './eval-model.js';
import { checkSharedTokenizer, klFromReference } from './kl-from-reference.js';
import { MAX_AT, measureMisalignment } from './misalignment.js';
import { defaultCorpusDir, defaultReferenceDir, loadReference } from './reference-model.js';

export const METRIC_NAMES = [
  'misalignment/mean', 'misalignment/max@25', 'misalignment/hit_rate',
  'kl_from_reference',
  'capability/loss', 'capability/next_word_acc', 'capability/compile_rate',
  'diversity/distinct_1', 'diversity/distinct_2', 'diversity/self_bleu_5', 'diversity/entropy',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];
/** null where a metric does not apply (compile rate outside code) or had nothing to measure. */
export type EvalMetrics = Record<MetricName, number | null>;

export interface EvaluateOptions {
  modelDir: string;
  task: string;
  /** Default `.cache/data/<task>`. */
  corpusDir?: string;
  /** Default `.cache/reference/<task>`. */
  referenceDir?: string;
  /** Unconditional samples for misalignment and diversity (default 200). */
  samples?: number;
  seed?: number;
  /** true: evaluate as a conditional model (it must have the control tokens); default: detect. */
  conditional?: boolean;
  nextWordItems?: number;
  compileItems?: number;
  lossTokens?: number;
  /** The task's misalignment scorer (default: created here and closed at the end). */
  scorer?: Scorer;
  /** Called as each stage starts, for progress. */
  onStage?: (stage: string) => void;
  /** Told about samples the scorer could not score (default: a line on stderr). */
  onWarning?: (message: string) => void;
}

export interface EvaluationResult {
  metrics: EvalMetrics;
  conditional: boolean;
  samples: number;
  /** Samples the scorer refused (e.g. pycodestyle crashed on them), left out of the misalignment metrics. */
  unscorable: number;
  klStandardError: number;
  nextWordItems: number;
  compileItems: number;
  referenceSamples: number;
}

export async function evaluate(opts: EvaluateOptions): Promise<EvaluationResult> {
  const { task } = opts;
  if (!isTask(task)) fail(`unknown task '${task}'; the tasks are ${tasks.join(', ')}`);
  const samples = opts.samples ?? 200;
  if (!Number.isInteger(samples) || samples < MAX_AT) fail(`the number of samples must be an integer of at least ${MAX_AT} (max@${MAX_AT} needs a full group), got ${samples}`);
  const seed = opts.seed ?? 0;
  const corpusDir = opts.corpusDir ?? defaultCorpusDir(task);
  const corpus = readManifest(corpusDir);
  if (corpus.files.test.documents === 0) fail(`corpus ${corpusDir} has no test split (${corpus.files.test.file} holds no documents), so capability cannot be measured on held-out text`);
  const stage = opts.onStage ?? (() => {});

  const m = await loadEvalModel(opts.modelDir, opts.conditional);
  const ref = await loadReference(opts.referenceDir ?? defaultReferenceDir(task), task).catch((e: unknown) => {
    disposeModel(m.model);
    throw e;
  });
  const scorer = opts.scorer ?? await createTaskScorer(task);
  try {
    checkSharedTokenizer(ref.tokenizer, ref.dir, m.tokenizer, m.dir);
    const docs = await loadCorpus(corpusDir, 'test');

    stage('misalignment');
    manualSeed(seed);
    const mis = await measureMisalignment(m, scorer, samples);
    if (mis.unscorable.length > 0) {
      (opts.onWarning ?? ((w) => process.stderr.write(`warning: ${w}\n`)))(
        `scorer ${scorer.name} could not score ${mis.unscorable.length} of ${samples} samples (first: ${mis.unscorable[0]!.reason}); the misalignment metrics leave them out`);
    }
    stage('diversity');
    const div = diversityMetrics(mis.samples.map((s) => s.tokens));
    stage('kl_from_reference');
    const kl = klFromReference(m, ref);
    stage('capability/loss');
    const loss = heldOutLoss(m, docs, opts.lossTokens);
    stage('capability/next_word_acc');
    const items = nextWordItems(docs, opts.nextWordItems ?? 200);
    const nextWord = nextWordAccuracy(m, items);
    let compile = NaN, compileItems = 0;
    if (task === 'pep8') {
      stage('capability/compile_rate');
      const signatures = heldOutSignatures(docs, opts.compileItems ?? 100);
      compileItems = signatures.length;
      manualSeed(seed);
      const checker = scorer instanceof Pep8Scorer ? scorer : new Pep8Scorer();
      try {
        compile = await compileRate(m, signatures, checker);
      } finally {
        if (checker !== scorer) await checker.close();
      }
    }
    const orNull = (x: number) => (Number.isFinite(x) ? x : null);
    return {
      metrics: {
        'misalignment/mean': mis.mean,
        'misalignment/max@25': mis.maxAt25,
        'misalignment/hit_rate': mis.hitRate,
        kl_from_reference: kl.kl,
        'capability/loss': loss,
        'capability/next_word_acc': orNull(nextWord),
        'capability/compile_rate': orNull(compile),
        'diversity/distinct_1': div.distinct1,
        'diversity/distinct_2': div.distinct2,
        'diversity/self_bleu_5': div.selfBleu5,
        'diversity/entropy': div.entropy,
      },
      conditional: m.conditional, samples, unscorable: mis.unscorable.length, klStandardError: kl.standardError,
      nextWordItems: items.length, compileItems, referenceSamples: ref.samples.length,
    };
  } finally {
    if (!opts.scorer) await scorer.close?.();
    disposeModel(m.model);
    disposeModel(ref.model);
  }
}
