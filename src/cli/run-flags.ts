// Flags and Ctrl-C handling shared by the commands that run a training job from a
// config file (`posterior pretrain`, `posterior tune`).
import { parseArgs } from 'node:util';
import { fail } from '../util/errors.js';
import { parsedFlags } from './sampling-flags.js';

export interface RunFlags {
  config: string;
  resume: boolean;
  json: boolean;
}

/** Parses `--config FILE [--resume] [--json]`; undefined after printing the usage for --help. */
export function runFlags(command: string, usage: string, args: string[]): RunFlags | undefined {
  const { values } = parsedFlags(command, () => parseArgs({
    args,
    options: {
      config: { type: 'string' },
      resume: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  if (!values.config) fail(`--config FILE is required; run 'posterior ${command} --help' for the options`);
  return { config: values.config, resume: values.resume, json: values.json };
}

/** Runs the job with a signal that Ctrl-C aborts, so it can stop at a step boundary. */
export async function untilSigint<T>(job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await job(abort.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
