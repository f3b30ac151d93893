// `posterior pretrain --config FILE [--resume] [--json]`: train a GPT from scratch on a
// corpus with a pretraining objective (MLE for now), with checkpoints and exact resume.
// Ctrl-C stops at the next step boundary after writing a checkpoint.
import { loadPretrainConfig } from '../../pretrain/config.js';
import { pretrain, type PretrainResult } from '../../pretrain/trainer.js';
import { runFlags, untilSigint } from '../run-flags.js';

export const summary = 'pretrain a GPT on a corpus from a YAML/JSON config (checkpoints, exact --resume)';

const USAGE = `usage: posterior pretrain --config FILE [--resume] [--json]

  --config FILE  the run's settings (.yaml, .yml or .json); see examples/pretrain-*.yaml
  --resume       continue the run in the config's out_dir from its last checkpoint
  --json         print the result as one JSON object on stdout
Progress goes to stderr; metrics to <out_dir>/metrics.jsonl; the model to <out_dir>/model.`;

export async function run(args: string[]): Promise<number> {
  const flags = runFlags('pretrain', USAGE, args);
  if (!flags) return 0;
  const config = loadPretrainConfig(flags.config);
  const result = await untilSigint((signal) => pretrain(config, { resume: flags.resume, source: `config ${flags.config}`, signal }));
  print(result, flags.json);
  return result.interrupted ? 130 : 0;
}

function print(r: PretrainResult, json: boolean): void {
  const summary = {
    out_dir: r.outDir, model_dir: r.modelDir, checkpoint_dir: r.checkpointDir, steps: r.steps, total_steps: r.totalSteps,
    interrupted: r.interrupted, loss: r.loss, val_loss: r.valLoss, tokens_per_second: r.tokensPerSecond, parameters: r.numParameters,
    samples: r.samples,
  };
  if (json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const f = (x: number | null, d = 4) => (x === null ? '-' : x.toFixed(d));
  r.samples.forEach((text, i) => console.log(`--- sample ${i + 1} ---\n${text}`));
  console.log(r.interrupted
    ? `interrupted at step ${r.steps}/${r.totalSteps}; checkpoint in ${r.checkpointDir} (continue with --resume)`
    : `trained ${r.steps} steps: loss ${f(r.loss)}, val/loss ${f(r.valLoss)}, ${f(r.tokensPerSecond, 0)} tokens/s; model in ${r.modelDir}`);
}
