// What a PHF sweep reports: results.json (settings, one row per objective, the Pareto
// frontier), results.md (the same rows as a table) and pareto.svg (mean misalignment
// against KL from the reference, frontier drawn). Numbers are printed with four
// significant digits; a metric that does not apply is a dash.
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MetricName } from '../eval/evaluate.js';
import { paretoFrontier, paretoSvg, type ParetoPoint } from '../eval/pareto-plot.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { EvaluationRecord, EvaluationSettings, SweepSettings, TrainingRecord } from './sweep.js';

export const SWEEP_REPORT_FORMAT = 'posterior-phf-sweep/1';
export const REPORT_FILES = { markdown: 'results.md', json: 'results.json', svg: 'pareto.svg' } as const;

export interface SweepRow {
  objective: string;
  training: TrainingRecord;
  evaluation: EvaluationRecord;
}

export interface SweepReport {
  format: typeof SWEEP_REPORT_FORMAT;
  settings: SweepSettings & EvaluationSettings;
  rows: SweepRow[];
  /** Objectives on the frontier, in order of KL; rows without both coordinates are left out of the plot. */
  pareto: { x: MetricName; y: MetricName; frontier: string[]; unplotted: string[] };
  files: { markdown: string; json: string; svg: string };
}

export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return v === 0 ? '0' : String(Number(v.toPrecision(4)));
}

/** Each row with both coordinates at (KL from the reference, mean misalignment). */
export function sweepPoints(rows: readonly SweepRow[]): ParetoPoint[] {
  return rows
    .map((r) => ({ label: r.objective, x: r.evaluation.metrics.kl_from_reference ?? NaN, y: r.evaluation.metrics['misalignment/mean'] ?? NaN }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
}

export function buildSweepReport(settings: SweepReport['settings'], outDir: string, rows: SweepRow[]): SweepReport {
  const points = sweepPoints(rows);
  const plotted = new Set(points.map((p) => p.label));
  return {
    format: SWEEP_REPORT_FORMAT, settings, rows,
    pareto: {
      x: 'kl_from_reference', y: 'misalignment/mean',
      frontier: paretoFrontier(points).map((i) => points[i]!.label),
      unplotted: rows.map((r) => r.objective).filter((n) => !plotted.has(n)),
    },
    files: {
      markdown: join(outDir, REPORT_FILES.markdown), json: join(outDir, REPORT_FILES.json), svg: join(outDir, REPORT_FILES.svg),
    },
  };
}

/** `{task} ({regime} regime, {budget} tokens per objective)`, the plot's and the report's title. */
function subject(s: SweepSettings): string {
  return `${s.task} (${s.regime} regime, ${s.budget.toLocaleString('en-US')} tokens per objective)`;
}

const COLUMNS: readonly { head: string; cell: (r: SweepRow) => string }[] = [
  { head: 'objective', cell: (r) => (r.evaluation.conditional ? `${r.objective} (<\\|good\\|>)` : r.objective) },
  ...metricColumns([
    ['misalignment/mean', 'misalignment ↓'], ['misalignment/max@25', 'max@25 ↓'], ['misalignment/hit_rate', 'hit rate ↓'],
  ]),
  { head: 'KL from ref. ↓', cell: (r) => `${formatNumber(r.evaluation.metrics.kl_from_reference)} ± ${formatNumber(r.evaluation.kl_standard_error)}` },
  ...metricColumns([
    ['capability/loss', 'held-out loss ↓'], ['capability/next_word_acc', 'next word ↑'], ['capability/compile_rate', 'compiles ↑'],
    ['diversity/distinct_1', 'distinct-1 ↑'], ['diversity/distinct_2', 'distinct-2 ↑'], ['diversity/self_bleu_5', 'Self-BLEU-5 ↓'], ['diversity/entropy', 'entropy ↑'],
  ]),
  { head: 'red-team best ↓', cell: (r) => formatNumber(r.evaluation.redteam?.best) },
  { head: 'top-10 ↓', cell: (r) => formatNumber(r.evaluation.redteam?.top10) },
  { head: 'pool mean ↓', cell: (r) => formatNumber(r.evaluation.redteam?.pool_mean) },
  { head: 'tokens', cell: (r) => r.training.tokens.toLocaleString('en-US') },
  { head: 'train s', cell: (r) => r.training.seconds.toFixed(1) },
  { head: 'val loss', cell: (r) => formatNumber(r.training.val_loss) },
];

function metricColumns(list: readonly (readonly [MetricName, string])[]): { head: string; cell: (r: SweepRow) => string }[] {
  return list.map(([metric, head]) => ({ head, cell: (r: SweepRow) => formatNumber(r.evaluation.metrics[metric]) }));
}

/** The rows as a Markdown table. */
export function resultsTable(rows: readonly SweepRow[]): string {
  return [
    `| ${COLUMNS.map((c) => c.head).join(' | ')} |`,
    `|${COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${COLUMNS.map((c) => c.cell(r)).join(' | ')} |`),
  ].join('\n');
}

export function markdownReport(r: SweepReport): string {
  const s = r.settings, m = s.model;
  const redteam = s.redteam_rounds > 0
    ? `red-teaming: ${s.redteam_rounds} round${s.redteam_rounds === 1 ? '' : 's'} of iterated few-shot prompting with the reference as red LM; the columns are the final pool's best score, top-10 mean and mean.`
    : 'red-teaming skipped (--redteam-rounds 0).';
  return [
    `# PHF sweep: ${subject(s)}`, '',
    `Every objective trained from seed ${s.seed} on ${s.corpus.dir} with the reference's tokenizer, a ${m.n_layer} × ${m.n_embd} GPT ` +
      `(${m.n_head} heads, context ${m.block_size}), batches of ${s.batch_size}, AdamW at lr ${s.lr}, and evaluated on ${s.samples} samples ` +
      `(conditional models prompted with \`<|good|>\`); KL is measured from the reference in ${s.reference.dir}; ${redteam}`, '',
    resultsTable(r.rows), '',
    `![mean misalignment against KL from the reference](${basename(r.files.svg)})`, '',
    `Pareto frontier (lower misalignment and KL): ${r.pareto.frontier.join(', ') || 'none'}.` +
      (r.pareto.unplotted.length ? ` Not plotted (a coordinate is missing): ${r.pareto.unplotted.join(', ')}.` : ''), '',
  ].join('\n');
}

export function writeSweepReport(r: SweepReport): void {
  const points = sweepPoints(r.rows);
  // No point to plot (every model lacks a coordinate): no plot, rather than an older sweep's.
  if (points.length === 0) rmSync(r.files.svg, { force: true });
  else {
    writeFileAtomic(r.files.svg, paretoSvg(points, {
      title: `PHF sweep, ${subject(r.settings)}`,
      xLabel: 'KL(reference ‖ model), nats per sample', yLabel: `misalignment (${r.settings.task} score), mean`,
    }));
  }
  writeFileAtomic(r.files.markdown, markdownReport(r));
  writeFileAtomic(r.files.json, JSON.stringify(r, null, 2) + '\n');
}
