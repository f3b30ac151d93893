// `posterior demo [--quick] [--json] [--out DIR]`: the README's main job — pretraining
// with human feedback end to end on built-in data (src/demo/demo.ts), printed as a
// comparison table (or one JSON object) and written up under the out directory.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DEMO, QUICK_DEMO } from '../../demo/config.js';
import { runDemo } from '../../demo/demo.js';
import { comparisonTable, headline } from '../../demo/report.js';
import { fail } from '../../util/errors.js';
import { integer, parsedFlags } from '../sampling-flags.js';

export const summary = 'the end-to-end demo: PEP8 corpus, tokenizer, MLE vs conditional pretraining, evaluation, report';

const USAGE = `usage: posterior demo [--quick] [--json] [--out DIR] [--seed S]

Prepares a slice of the PEP8 corpus (30% of the files of the Python standard library
and of Django, scored line by line with pycodestyle), trains a byte-level BPE
tokenizer on it, pretrains an MLE and a conditional-training model from the same
seed, tokenizer and data, evaluates both (misalignment, KL from the MLE model,
capability, diversity), prints the comparison and writes DIR/report.md,
DIR/report.json and DIR/pareto.svg. About 7-10 minutes on 2 cores; --quick under 1.

  --quick        a smoke test: a small model on a 5% slice (shows the path, not the effect)
  --json         print the report as one JSON object (metrics keyed by objective)
  --out DIR      output directory (default runs/demo); replaced by each run
  --cache DIR    cached corpus and tokenizer, reused when still valid (default .cache/demo)
  --sources DIR  where Debian packages are unpacked (default .cache/sources)
  --seed S       seed of training, sampling and evaluation (default 0)
Progress goes to stderr.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('demo', () => parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: 'runs/demo' },
      cache: { type: 'string', default: '.cache/demo' },
      sources: { type: 'string', default: '.cache/sources' },
      seed: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.out.trim() === '') fail('--out must name a directory');
  const seed = integer(values.seed, '--seed', 0);
  const config = { ...(values.quick ? QUICK_DEMO : DEFAULT_DEMO), seed };
  const command = ['posterior demo', values.quick ? '--quick' : '', seed === 0 ? '' : `--seed ${seed}`].filter(Boolean).join(' ');
  const report = await runDemo({ config, outDir: values.out, cacheDir: resolve(values.cache), sourcesDir: resolve(values.sources), command });
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  console.log(`PEP8, ${report.preset} demo (seed ${report.seed}): MLE against conditional training\n`);
  console.log(comparisonTable(report));
  console.log(`\n${headline(report)}.`);
  console.log(`KL is measured from the MLE model (0 for MLE by construction); ↓/↑: lower/higher is better.`);
  console.log(`Report: ${report.files.markdown}, ${report.files.json}, ${report.files.svg}`);
  return 0;
}
