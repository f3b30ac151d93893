// Flags shared by the commands that sample from an LM without a config file
// (`posterior estimate`, `posterior qrs`): how to sample, and the seed; and the flag
// handling every command shares (parse errors, --help, a required checkpoint).
import type { LMSampleOptions } from '../distributions/lm-distribution.js';
import { fail } from '../util/errors.js';

export const samplingOptions = {
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'max-new-tokens': { type: 'string', default: '64' },
  seed: { type: 'string', default: '0' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const samplingUsage = `  --temperature T        sampling temperature (default 1)
  --top-k K, --top-p P   sampling filters (default none)
  --max-new-tokens N     longest sample (default 64)
  --seed S               seed of the sampling (default 0)`;

interface SamplingValues {
  temperature?: string;
  'top-k'?: string;
  'top-p'?: string;
  'max-new-tokens'?: string;
  seed?: string;
}

export function cliSampling(v: SamplingValues): Omit<LMSampleOptions, 'random'> {
  return {
    temperature: v.temperature === undefined ? undefined : number(v.temperature, '--temperature', (x) => x > 0),
    topK: v['top-k'] === undefined ? undefined : integer(v['top-k'], '--top-k', 1),
    topP: v['top-p'] === undefined ? undefined : number(v['top-p'], '--top-p', (x) => x > 0 && x <= 1),
    maxNewTokens: integer(v['max-new-tokens'] ?? '64', '--max-new-tokens', 1),
  };
}

export function cliSeed(v: SamplingValues): number {
  return integer(v.seed ?? '0', '--seed', 0);
}

/** A flag that must be an integer ≥ min. */
export function integer(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) fail(`${flag} must be an integer ≥ ${min}, got ${text}`);
  return n;
}

function number(text: string, flag: string, ok: (x: number) => boolean): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !ok(n)) fail(`${flag} is out of range or not a number: ${text}`);
  return n;
}

/** Prints the usage if --help was given; true then, so the command can stop. */
export function printedUsage(help: boolean | undefined, usage: string): boolean {
  if (help) console.log(usage);
  return help === true;
}

/** --model, required: a checkpoint directory. */
export function requiredCheckpoint(command: string, model: string | undefined): string {
  if (!model) fail(`--model is required: a checkpoint directory; run 'posterior ${command} --help' for the options`);
  return model;
}

/** Runs node:util's parseArgs, turning its errors into one sentence that points at --help. */
export function parsedFlags<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    fail(`${(e as Error).message.split(/\.(?:\s|$)/)[0]}; run 'posterior ${command} --help' for the options`);
  }
}
