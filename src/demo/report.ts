// What the demo reports: one JSON object (the same as `--json` prints), a comparison
// table for the terminal, and a Markdown report beside the Pareto plot. Numbers are
// printed with four significant digits; a metric that does not apply is a dash.
import { basename } from 'node:path';
import type { EvalMetrics, MetricName } from '../eval/evaluate.js';
import { formatNumber } from '../phf/sweep-report.js';
import type { TrainingSummary } from '../phf/train-objective.js';
import type { DemoObjective } from './train-model.js';

export const DEMO_REPORT_FORMAT = 'posterior-demo/1';

export interface ShownSample {
  text: string;
  /** Its pep8 misalignment, violations per character; null if pycodestyle could not check it. */
  score: number | null;
}

export interface ModelReport {
  training: TrainingSummary;
  /** Evaluated as a conditional model: prompted with <|good|>, control tokens banned. */
  conditional: boolean;
  kl_standard_error: number;
  /** Evaluation samples pycodestyle could not check, left out of the misalignment metrics. */
  unscorable: number;
  samples: ShownSample[];
}

export interface DemoReport {
  format: typeof DEMO_REPORT_FORMAT;
  preset: string;
  task: string;
  seed: number;
  corpus: { dir: string; reused: boolean; fraction: number; documents: { train: number; validation: number; test: number }; train_characters: number; bad_line_share: number };
  tokenizer: { path: string; vocab_size: number; reused: boolean };
  /** What KL is measured from. */
  reference: { model: 'mle'; samples: number };
  evaluation: { samples: number; next_word_items: number; compile_items: number };
  /** Each model's metrics, keyed by its objective. */
  metrics: Record<DemoObjective, EvalMetrics>;
  models: Record<DemoObjective, ModelReport>;
  pareto: { x: MetricName; y: MetricName; frontier: DemoObjective[] };
  /** Wall-clock seconds per stage and in total. */
  timings_s: Record<string, number>;
  files: { markdown: string; json: string; svg: string };
}

interface Row {
  metric: MetricName;
  label: string;
  /** Which way is better. */
  better: 'lower' | 'higher';
}

export const COMPARISON_ROWS: readonly Row[] = [
  { metric: 'misalignment/mean', label: 'misalignment: mean', better: 'lower' },
  { metric: 'misalignment/max@25', label: 'misalignment: max@25', better: 'lower' },
  { metric: 'misalignment/hit_rate', label: 'misalignment: hit rate', better: 'lower' },
  { metric: 'kl_from_reference', label: 'KL from reference (MLE)', better: 'lower' },
  { metric: 'capability/loss', label: 'capability: held-out loss', better: 'lower' },
  { metric: 'capability/next_word_acc', label: 'capability: next-word acc.', better: 'higher' },
  { metric: 'capability/compile_rate', label: 'capability: compile rate', better: 'higher' },
  { metric: 'diversity/distinct_1', label: 'diversity: distinct-1', better: 'higher' },
  { metric: 'diversity/distinct_2', label: 'diversity: distinct-2', better: 'higher' },
  { metric: 'diversity/self_bleu_5', label: 'diversity: Self-BLEU-5', better: 'lower' },
  { metric: 'diversity/entropy', label: 'diversity: token entropy', better: 'higher' },
];

/** Conditional relative to MLE, as a signed percentage; a dash when MLE's value is 0 or missing. */
export function relativeChange(mle: number | null, conditional: number | null): string {
  if (mle === null || conditional === null || mle === 0) return '-';
  const pct = ((conditional - mle) / Math.abs(mle)) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

function tableCells(r: DemoReport): string[][] {
  return COMPARISON_ROWS.map((row) => {
    const a = r.metrics.mle[row.metric], b = r.metrics.conditional[row.metric];
    return [`${row.label} (${row.better === 'lower' ? '↓' : '↑'})`, formatNumber(a), formatNumber(b), relativeChange(a, b)];
  });
}

const HEADER = ['metric', 'mle', 'conditional', 'change'];

/** The comparison as aligned columns for the terminal. */
export function comparisonTable(r: DemoReport): string {
  const rows = [HEADER, ...tableCells(r)];
  const widths = HEADER.map((_, j) => Math.max(...rows.map((row) => [...row[j]!].length)));
  const line = (row: string[]) => row.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** One sentence on the headline number, whichever way it went. */
export function headline(r: DemoReport): string {
  const a = r.metrics.mle['misalignment/mean'], b = r.metrics.conditional['misalignment/mean'];
  if (a === null || b === null) return 'misalignment could not be compared';
  const change = relativeChange(a, b);
  const verdict = b < a ? 'lower than' : b > a ? 'higher than' : 'the same as';
  const onFrontier = r.pareto.frontier.includes('conditional') ? 'on' : 'off';
  return `conditional training's mean misalignment is ${formatNumber(b)}, ${verdict} MLE's ${formatNumber(a)}` +
    (change === '-' ? '' : ` (${change})`) + `; it is ${onFrontier} the misalignment–KL Pareto frontier`;
}

function markdownTable(r: DemoReport): string {
  const rows = tableCells(r);
  return [`| ${HEADER.join(' | ')} |`, '|---|---:|---:|---:|', ...rows.map((c) => `| ${c.join(' | ')} |`)].join('\n');
}

function fence(text: string): string {
  const ticks = '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `${ticks}python\n${text.replace(/\n*$/, '')}\n${ticks}`;
}

function trainingLine(name: DemoObjective, t: TrainingSummary): string {
  const c = t.control_tokens;
  const prefixes = c ? `; threshold t = ${formatNumber(c.threshold)}: ${c.good} segments <|good|>, ${c.bad} <|bad|>, ${c.dropped} without prefix` : '';
  return `- **${name}**: ${t.steps} steps, ${t.tokens.toLocaleString('en-US')} tokens, ${t.parameters.toLocaleString('en-US')} parameters; ` +
    `final loss ${formatNumber(t.loss)}, validation loss ${formatNumber(t.val_loss)}${prefixes}`;
}

/** The Markdown report (report.md), which shows the plot written beside it. */
export function markdownReport(r: DemoReport, command: string): string {
  const quick = r.preset === 'quick' ? '\n> This is the quick smoke test: a tiny model on a slice of the corpus. Its numbers show that every stage runs, not the effect of the objective.\n' : '';
  const samples = (['mle', 'conditional'] as const).flatMap((name) => [
    `### ${name}${r.models[name].conditional ? ' (prompted with `<|good|>`)' : ''}`, '',
    ...r.models[name].samples.flatMap((s, i) => [`Sample ${i + 1}, pep8 score ${s.score === null ? 'unavailable (pycodestyle could not check it)' : formatNumber(s.score)}:`, '', fence(s.text), '']),
  ]);
  const timings = Object.entries(r.timings_s).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ');
  return [
    `# posterior demo: pretraining with human feedback on PEP8 (${r.preset})`, quick,
    `Reproduce with \`${command}\` (seed ${r.seed}).`, '',
    '## What ran', '',
    `- **Corpus**: ${r.corpus.documents.train} training, ${r.corpus.documents.validation} validation and ${r.corpus.documents.test} test documents ` +
      `of Python (${Math.round(100 * r.corpus.fraction)}% of the files of the standard library and of Django), ${r.corpus.train_characters.toLocaleString('en-US')} training characters; ` +
      `${(100 * r.corpus.bad_line_share).toFixed(1)}% of lines have a pycodestyle violation. Cached in \`${r.corpus.dir}\`.`,
    `- **Tokenizer**: byte-level BPE of ${r.tokenizer.vocab_size} tokens trained on the training split (\`${r.tokenizer.path}\`).`,
    trainingLine('mle', r.models.mle.training),
    trainingLine('conditional', r.models.conditional.training),
    '- Both models start from the same seed, tokenizer, data and schedule; only the objective differs.',
    `- **Evaluation** (SPEC §9): ${r.evaluation.samples} samples per model (temperature 0.7, top-p 0.9), ` +
      `${r.evaluation.next_word_items} next-word items and ${r.evaluation.compile_items} function signatures from the test split. ` +
      `The conditional model is prompted with \`<|good|>\` and never emits a control token.`,
    `- **KL reference**: the MLE model itself (${r.reference.samples} of its samples), as a separate stronger reference would not fit the time budget: ` +
      'KL measures how far feedback moved the model from plain MLE on the same data, and is 0 for MLE by construction.', '',
    '## Results', '',
    markdownTable(r), '',
    `${headline(r)}.`, '',
    `![misalignment against KL from the reference](${basename(r.files.svg)})`, '',
    `Pareto frontier (lower misalignment and KL): ${r.pareto.frontier.join(', ')}.`, '',
    '## Samples', '',
    ...samples,
    '## Timings', '',
    `${timings}.`, '',
  ].join('\n');
}
