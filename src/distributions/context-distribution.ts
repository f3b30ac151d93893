// τ(c), the distribution of contexts (prompts) for conditional targets (SPEC §7):
// uniform over a list of prompts read from code, a text file (one per line) or a
// JSONL file (one JSON string, or an object with a prompt field, per line).
import { readFile } from 'node:fs/promises';
import { fail } from '../util/errors.js';
import { Random } from '../util/random.js';
import { checkCount } from './distribution.js';

export interface ContextFileOptions {
  /** JSONL: the field that holds the prompt when a line is an object (default "prompt"). */
  field?: string;
  /** Seed of the generator used when `sample` gets no `random` (default 0). */
  seed?: number;
}

export class ContextDistribution {
  private readonly prompts: readonly string[];
  private readonly random: Random;

  constructor(prompts: readonly string[], options: { seed?: number; source?: string } = {}) {
    if (prompts.length === 0) fail(`${options.source ?? 'the list of contexts'} holds no prompts; give at least one.`);
    this.prompts = [...prompts];
    this.random = new Random(options.seed ?? 0);
  }

  /** `.jsonl`/`.ndjson` files are read as JSONL; anything else as one prompt per non-blank line. */
  static async fromFile(path: string, options: ContextFileOptions = {}): Promise<ContextDistribution> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      fail(`cannot read the prompt file ${path}: ${(e as Error).message}`);
    }
    const lines = text.split(/\r?\n/);
    const prompts = /\.(jsonl|ndjson)$/i.test(path)
      ? lines.flatMap((line, i) => (line.trim() === '' ? [] : [parseJsonPrompt(line, `line ${i + 1} of ${path}`, options.field ?? 'prompt')]))
      : lines.filter((line) => line.trim() !== '');
    return new ContextDistribution(prompts, { seed: options.seed, source: `the prompt file ${path}` });
  }

  get size(): number {
    return this.prompts.length;
  }

  contexts(): readonly string[] {
    return this.prompts;
  }

  /** `n` contexts drawn uniformly with replacement. */
  sample(n: number, random: Random = this.random): string[] {
    checkCount(n, 'context count');
    return Array.from({ length: n }, () => this.prompts[random.int(this.prompts.length)]);
  }
}

function parseJsonPrompt(line: string, where: string, field: string): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    fail(`${where} is not valid JSON.`);
  }
  if (typeof value === 'string') return value;
  const prompt = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
  if (typeof prompt !== 'string') fail(`${where} must be a JSON string or an object with a string field "${field}".`);
  return prompt;
}
