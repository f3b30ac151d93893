// `posterior estimate --target CONFIG --model DIR`: how far a model is from a target —
// Ẑ, KL(p‖π), TV, JS, KL(π‖a), E_π[b], feature moments, ESS — from samples of the model.
// `--model prior` measures the target's own prior.
import { parseArgs } from 'node:util';
import type { Distribution } from '../../distributions/distribution.js';
import { LMDistribution, type LMSampleOptions } from '../../distributions/lm-distribution.js';
import { tokenizerFingerprint } from '../../distributions/trainable.js';
import { manualSeed } from '../../engine/random.js';
import { estimateAgainstTarget } from '../../tuners/estimate.js';
import { loadTarget, loadTargetConfig } from '../../tuners/target-config.js';
import { fail } from '../../util/errors.js';
import { Random } from '../../util/random.js';
import { cliSampling, cliSeed, integer, parsedFlags, samplingOptions, samplingUsage } from '../sampling-flags.js';

export const summary = 'estimate Z, KL/TV/JS to a target, KL from the prior and constraint moments for a model';

const USAGE = `usage: posterior estimate --target CONFIG --model DIR|prior [-n N] [options] [--json]

  --target CONFIG        a target config (.yaml/.json); see examples/target-*.yaml
  --model DIR|prior      the model to measure: a checkpoint directory, or the target's prior
  -n, --samples N        samples per context (default 1024)
  --contexts C           contexts drawn, for a conditional target (default 16)
${samplingUsage}
  --json                 print the estimates as one JSON object`;

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('estimate', () =>
    parseArgs({
      args,
      options: {
        ...samplingOptions,
        target: { type: 'string' },
        model: { type: 'string' },
        samples: { type: 'string', short: 'n', default: '1024' },
        contexts: { type: 'string', default: '16' },
      },
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.target || !values.model) fail(`--target CONFIG and --model DIR are required; run 'posterior estimate --help' for the options`);
  const sampleOptions = cliSampling(values);
  const seed = cliSeed(values);
  const samples = integer(values.samples, '--samples', 1);
  const contextCount = integer(values.contexts, '--contexts', 1);
  manualSeed(seed);
  const target = await loadTarget(loadTargetConfig(values.target), { sampleOptions });
  try {
    const model = values.model === 'prior' ? (target.prior as Distribution<LMSampleOptions>) : await LMDistribution.load(values.model, { sampling: sampleOptions });
    if (tokenizerFingerprint(model) !== tokenizerFingerprint(target.prior)) fail(`the model in ${values.model} uses a different tokenizer than the target's prior; samples carry token ids, so both must share one tokenizer`);
    const m = await estimateAgainstTarget({
      model, base: target.prior, target: target.target, features: target.features, contexts: target.contexts,
      samples, contextCount, sampleOptions, random: new Random(seed), warn: (w) => process.stderr.write(`warning: ${w}\n`),
    });
    for (const f of target.fitted) m[`lambda/${f.name}`] = f.lambda;
    if (values.json) console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number.isFinite(v) ? v : null]))));
    else for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(28)} ${Number.isFinite(v) ? Number(v.toPrecision(6)) : '-'}`);
  } finally {
    await target.close();
  }
  return 0;
}
