// One experiment of docs/RESULTS.md: tune the same prior with several methods (each a
// `posterior tune` config) and measure every tuned model, and the prior, against one
// target with `posterior estimate` on fresh samples drawn as the tuning drew them.
// With --qrs-beta, each model (and the prior) is also the proposal of quasi-rejection
// sampling from the target over a fixed budget of proposals, whose acceptance rate and
// TV(p_β, p) join the table.
// Writes <out>.json (every estimate, wall-clock seconds) and <out>.md (the table).
//   node dist/experiments/compare.js --title T --target CFG --out experiments/results/x CONFIG...
// A run whose model already exists is measured, not retrained: delete its out_dir to
// train it again. --table-only rewrites <out>.md from <out>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

interface Run {
  name: string;
  config: string;
  train_seconds: number | null;
  estimate: Record<string, number | null>;
}

// KL(p‖π), TV and Ẑ are importance-weighted from π's own samples, so they cannot see
// the part of p that π misses: a collapsed π reads KL(p‖π) ≈ 0 with an Ẑ far below the
// prior's unbiased one. H(π), the entropy of a whole sample, shows the collapse.
const COLUMNS: [string, string][] = [
  ['b/mean', 'E_π[b]'],
  ['kl_policy_base', 'KL(π‖a)'],
  ['kl_target_policy', 'KL(p‖π)'],
  ['tv_target_policy', 'TV(p,π)'],
  ['z', 'Ẑ from π'],
  ['objective/entropy', 'H(π), nats'],
  ['diversity/distinct_1', 'distinct-1'],
  ['diversity/distinct_2', 'distinct-2'],
];

const CLI = join(dirname(new URL(import.meta.url).pathname), '..', 'src', 'cli', 'main.js');

function posterior(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    console.error(`compare: posterior ${args.join(' ')} failed (its message is above); the runs measured so far are not written`);
    process.exit(1);
  }
  return r.stdout;
}

/** A run is named after its config file, which says the method and its settings. */
function tuneSettings(config: string): { name: string; outDir: string; maxNewTokens: number } {
  const c = YAML.parse(readFileSync(config, 'utf8')) as { out_dir: string; sampling?: { max_new_tokens?: number } };
  return { name: basename(config, extname(config)), outDir: c.out_dir, maxNewTokens: c.sampling?.max_new_tokens ?? 64 };
}

function estimate(target: string, model: string, samples: number, contexts: number, maxNewTokens: number): Record<string, number | null> {
  return JSON.parse(posterior(['estimate', '--target', target, '--model', model, '-n', String(samples), '--contexts', String(contexts), '--max-new-tokens', String(maxNewTokens), '--json'])) as Record<string, number | null>;
}

function qrs(target: string, model: string, draws: number, beta: string, maxNewTokens: number): Record<string, number | null> {
  const r = JSON.parse(posterior(['qrs', '--target', target, '--proposal', model, '--draws', String(draws), '--beta', beta, '--max-new-tokens', String(maxNewTokens), '--out', '/dev/null', '--json'])) as Record<string, number | null>;
  return { 'qrs/acceptance_rate': r.acceptance_rate ?? null, 'qrs/tv_to_target': r.tv_to_target ?? null };
}

/** Tunes with `config` unless its model exists; the wall-clock seconds of the tuning, kept beside the model. */
function trained(config: string, outDir: string): number | null {
  const record = join(outDir, 'tuning-seconds.json');
  if (existsSync(join(outDir, 'model', 'config.json'))) return existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as number) : null;
  const t0 = performance.now();
  posterior(['tune', '--config', config, '--json']);
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(record, JSON.stringify(seconds));
  return seconds;
}

function cell(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : String(Number(v.toPrecision(3)));
}

/**
 * KL(p‖a), the divergence from the prior that the target itself has: −log Z for a
 * pointwise target (log P − log a = 0 wherever p lives), Σ λ·μ − log Z for an
 * exponential-family target with moments μ. For a conditional target Ẑ is an average
 * over contexts, so no single number applies.
 */
function targetKL(target: string, prior: Run): number | null {
  const t = YAML.parse(readFileSync(target, 'utf8')) as { contexts?: unknown; constraints?: { feature: { name?: string }; moment: number }[] };
  const logZ = prior.estimate.log_z;
  if (t.contexts !== undefined || logZ === null || logZ === undefined) return null;
  let sum = -logZ;
  for (const c of t.constraints ?? []) {
    const lambda = prior.estimate[`lambda/${c.feature.name}`];
    if (lambda === null || lambda === undefined) return null;
    sum += lambda * c.moment;
  }
  return sum;
}

function table(title: string, target: string, prior: Run, runs: Run[], extra: string[]): string {
  const cols = [...COLUMNS, ...extra.map((k): [string, string] => [k, k])];
  const row = (r: Run) => `| ${r.name} | ${cols.map(([k]) => cell(r.estimate[k])).join(' | ')} | ${r.train_seconds === null ? '-' : Math.round(r.train_seconds)} |`;
  const kl = targetKL(target, prior);
  return [
    `### ${title}`, '',
    ...(kl === null ? [] : [`KL(p‖a) = ${cell(kl)}: the KL(π‖a) of a policy equal to the target p.`, '']),
    `| model | ${cols.map(([, label]) => label).join(' | ')} | tuning s |`,
    `|---|${cols.map(() => '---:').join('|')}|---:|`,
    row(prior), ...runs.map(row), '',
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      title: { type: 'string' }, target: { type: 'string' }, out: { type: 'string' },
      samples: { type: 'string', default: '1024' }, contexts: { type: 'string', default: '16' }, columns: { type: 'string', default: '' },
      'qrs-beta': { type: 'string' }, 'qrs-draws': { type: 'string', default: '1024' },
      'table-only': { type: 'boolean', default: false },
    },
  });
  if (!values.title || !values.target || !values.out || positionals.length === 0) {
    console.error('usage: node dist/experiments/compare.js --title T --target CFG --out PATH [--samples N] [--contexts C] [--columns k1,k2] [--qrs-beta B --qrs-draws D] [--table-only] CONFIG...');
    process.exitCode = 1;
    return;
  }
  const extra = [...(values.columns ? values.columns.split(',') : []), ...(values['qrs-beta'] ? ['qrs/acceptance_rate', 'qrs/tv_to_target'] : [])];
  if (values['table-only']) {
    const saved = JSON.parse(readFileSync(`${values.out}.json`, 'utf8')) as { prior: Run; runs: Run[] };
    writeFileSync(`${values.out}.md`, table(values.title, values.target, saved.prior, saved.runs, extra));
    console.log(readFileSync(`${values.out}.md`, 'utf8'));
    return;
  }
  const samples = Number(values.samples), contexts = Number(values.contexts);
  const measure = (model: string, maxNewTokens: number) => ({
    ...estimate(values.target!, model, samples, contexts, maxNewTokens),
    ...(values['qrs-beta'] && qrs(values.target!, model, Number(values['qrs-draws']), values['qrs-beta'], maxNewTokens)),
  });
  const settings = positionals.map((config) => ({ config, ...tuneSettings(config) }));
  const maxNewTokens = settings[0]!.maxNewTokens;
  const runs: Run[] = [];
  for (const s of settings) {
    const seconds = trained(s.config, s.outDir);
    runs.push({ name: s.name, config: s.config, train_seconds: seconds, estimate: measure(join(s.outDir, 'model'), s.maxNewTokens) });
  }
  const prior: Run = { name: 'prior', config: values.target, train_seconds: null, estimate: measure('prior', maxNewTokens) };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(`${values.out}.json`, JSON.stringify({ title: values.title, target: values.target, samples, contexts, prior, runs }, null, 2) + '\n');
  writeFileSync(`${values.out}.md`, table(values.title, values.target, prior, runs, extra));
  console.log(readFileSync(`${values.out}.md`, 'utf8'));
}

main();
