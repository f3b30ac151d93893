// `posterior tune --config FILE [--resume] [--json]`: tune a policy towards a target with
// one of the distribution-matching or RL methods (dpg, kl-dpg, f-dpg, gdc, cdpg,
// reinforce, ppo), with metrics, checkpoints and exact resume. Ctrl-C stops at the
// next step boundary after writing a checkpoint.
import { loadTuneConfig, methods } from '../../tuners/config.js';
import { setupTuning } from '../../tuners/setup.js';
import type { TuneResult } from '../../tuners/tuner.js';
import { runFlags, untilSigint } from '../run-flags.js';

export const summary = 'tune a policy towards a target (DPG, KL-DPG, f-DPG, GDC, CDPG, REINFORCE, PPO) from a config';

const USAGE = `usage: posterior tune --config FILE [--resume] [--json]

  --config FILE  the run's settings (.yaml, .yml or .json); see examples/tune-*.yaml
                 methods: ${methods.join(', ')}
  --resume       continue the run in the config's out_dir from its last checkpoint
  --json         print the result as one JSON object on stdout
Progress goes to stderr; metrics to <out_dir>/metrics.jsonl; the tuned model to <out_dir>/model.`;

export async function run(args: string[]): Promise<number> {
  const flags = runFlags('tune', USAGE, args);
  if (!flags) return 0;
  const config = loadTuneConfig(flags.config);
  const { result, fitted } = await untilSigint(async (signal) => {
    const setup = await setupTuning(config, { source: `config ${flags.config}`, resume: flags.resume, signal });
    try {
      return { result: await setup.tuner.run({ resume: flags.resume }), fitted: setup.target.fitted };
    } finally {
      await setup.close();
    }
  });
  print(result, fitted, flags.json);
  return result.interrupted ? 130 : 0;
}

function print(r: TuneResult, fitted: { name: string; lambda: number; moment: number }[], json: boolean): void {
  const m = r.metrics;
  const pick = (k: string) => (m[k] === undefined || !Number.isFinite(m[k]) ? null : m[k]!);
  const summary = {
    steps: r.steps, total_steps: r.totalSteps, interrupted: r.interrupted, checkpoint_dir: r.checkpointDir, model_dir: r.modelDir,
    kl_target_policy: pick('kl_target_policy'), kl_policy_base: pick('kl_policy_base'), 'b/mean': pick('b/mean'), z: pick('z'), 'reward/mean': pick('reward/mean'),
    lambdas: Object.fromEntries(fitted.map((f) => [f.name, f.lambda])),
  };
  if (json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const f = (x: number | null) => (x === null ? '-' : x.toPrecision(4));
  console.log(r.interrupted
    ? `interrupted at step ${r.steps}/${r.totalSteps}; checkpoint in ${r.checkpointDir} (continue with --resume)`
    : `tuned ${r.steps} steps: KL(p‖π) ${f(summary.kl_target_policy)}, KL(π‖a) ${f(summary.kl_policy_base)}, E_π[b] ${f(summary['b/mean'])}${summary['reward/mean'] === null ? '' : `, reward ${f(summary['reward/mean'])}`}; model in ${r.modelDir ?? '-'}`);
}
