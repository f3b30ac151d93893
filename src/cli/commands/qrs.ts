// `posterior qrs --target CONFIG --proposal DIR -n N --beta B`: quasi-rejection
// sampling from a target with an LM proposal (SPEC §4): accepted samples follow
// ∝ min(P, β·q); the acceptance rate, Ẑ and TV(p_β, p) say how good they are.
// Samples go to --out as JSON lines (or to stdout, with the summary on stderr).
import { parseArgs } from 'node:util';
import type { Distribution } from '../../distributions/distribution.js';
import { LMDistribution, type LMSampleOptions } from '../../distributions/lm-distribution.js';
import { tokenizerFingerprint } from '../../distributions/trainable.js';
import { manualSeed } from '../../engine/random.js';
import { quasiRejectionSample } from '../../samplers/quasi-rejection.js';
import { loadTarget, loadTargetConfig } from '../../tuners/target-config.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { fail } from '../../util/errors.js';
import { Random } from '../../util/random.js';
import { cliSampling, cliSeed, integer, parsedFlags, samplingOptions, samplingUsage } from '../sampling-flags.js';

export const summary = 'quasi-rejection sampling from a target with a model as proposal, with its acceptance rate';

const USAGE = `usage: posterior qrs --target CONFIG --proposal DIR|prior (-n N | --draws D) (--beta B | --log-beta L) [options]

  --target CONFIG        a target config (.yaml/.json); see examples/target-*.yaml
  --proposal DIR|prior   the proposal q: a checkpoint directory (e.g. a tuned policy), or the prior
  -n, --samples N        accepted samples wanted
  --draws D              instead of -n: draw exactly D proposals and keep those accepted
                         (measures the acceptance rate of a poor proposal in bounded time)
  --beta B, --log-beta L accept x with min(1, P(x)/(β q(x))); larger β: closer to p, fewer accepted
  --context TEXT         the prompt, for a conditional target
  --batch-size N         proposals per batch (default 64)
  --max-draws N          give up after this many proposals (default 1000·n)
${samplingUsage}
  --out FILE             write the samples there as JSON lines (default: stdout)
  --json                 print the summary as one JSON object`;

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('qrs', () =>
    parseArgs({
      args,
      options: {
        ...samplingOptions,
        target: { type: 'string' },
        proposal: { type: 'string' },
        samples: { type: 'string', short: 'n' },
        beta: { type: 'string' },
        'log-beta': { type: 'string' },
        context: { type: 'string' },
        'batch-size': { type: 'string', default: '64' },
        'max-draws': { type: 'string' },
        draws: { type: 'string' },
        out: { type: 'string' },
      },
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.target || !values.proposal || (values.samples === undefined) === (values.draws === undefined)) fail(`--target CONFIG, --proposal DIR and one of -n N and --draws D are required; run 'posterior qrs --help' for the options`);
  if (values.draws !== undefined && values['max-draws'] !== undefined) fail('--draws D is the number of proposals; it replaces --max-draws');
  if ((values.beta === undefined) === (values['log-beta'] === undefined)) fail('give exactly one of --beta and --log-beta');
  const draws = values.draws === undefined ? undefined : integer(values.draws, '--draws', 1);
  // With a budget of D proposals, at most D can be accepted.
  const n = draws ?? integer(values.samples!, '--samples', 1);
  const beta = values.beta === undefined ? undefined : Number(values.beta);
  const logBeta = values['log-beta'] === undefined ? undefined : Number(values['log-beta']);
  if (beta !== undefined && !(beta > 0 && Number.isFinite(beta))) fail(`--beta must be a positive number, got ${values.beta}`);
  if (logBeta !== undefined && !Number.isFinite(logBeta)) fail(`--log-beta must be a number, got ${values['log-beta']}`);
  const sampleOptions = cliSampling(values);
  const seed = cliSeed(values);
  manualSeed(seed);
  const target = await loadTarget(loadTargetConfig(values.target), { sampleOptions });
  try {
    if (target.contexts && values.context === undefined) fail(`the target in ${values.target} is conditional; give the prompt with --context`);
    const proposal = values.proposal === 'prior' ? (target.prior as Distribution<LMSampleOptions>) : await LMDistribution.load(values.proposal, { sampling: sampleOptions });
    if (tokenizerFingerprint(proposal) !== tokenizerFingerprint(target.prior)) fail(`the proposal in ${values.proposal} uses a different tokenizer than the target's prior; samples carry token ids, so both must share one tokenizer`);
    const r = await quasiRejectionSample(target.target, proposal, n, {
      beta, logBeta, random: new Random(seed), context: values.context, sampleOptions: sampleOptions as LMSampleOptions,
      batchSize: integer(values['batch-size'], '--batch-size', 1), maxDraws: draws ?? (values['max-draws'] === undefined ? undefined : integer(values['max-draws'], '--max-draws', 1)), partial: draws !== undefined,
    });
    const lines = r.samples.map((s, i) => `${JSON.stringify({ text: s.text, log_target: r.logTarget[i], log_proposal: r.logProposal[i] })}\n`).join('');
    const summary = { accepted: r.samples.length, drawn: r.drawn, acceptance_rate: r.acceptanceRate, expected_acceptance_rate: r.expectedAcceptanceRate, log_z: r.logZ, tv_to_target: r.tvToTarget };
    const text = values.json ? JSON.stringify(summary) : `accepted ${summary.accepted} of ${summary.drawn} proposals (rate ${r.acceptanceRate.toPrecision(4)}, expected ${r.expectedAcceptanceRate.toPrecision(4)}); log Ẑ ${r.logZ.toPrecision(5)}; TV(p_β, p) ≈ ${r.tvToTarget.toPrecision(3)}`;
    if (values.out !== undefined) {
      writeFileAtomic(values.out, lines);
      console.log(text);
    } else {
      process.stdout.write(lines);
      process.stderr.write(`${text}\n`);
    }
  } finally {
    await target.close();
  }
  return 0;
}
