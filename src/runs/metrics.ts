// Metrics of a run, one JSON line per step in `<run dir>/metrics.jsonl`
// ({"step":12,"time":1715000000.123,"kl_target_policy":0.8,...}) and, when a run store
// handle is given, in the store too. Names pass through untouched (TRL/disco vocabulary:
// `kl_target_policy`, `objective/kl`, …). A non-finite value is a symptom worth seeing:
// it is written as null and announced, never dropped.
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import type { Run } from './store.js';

/** One line of metrics.jsonl: `step`, `time` (Unix seconds) and the metrics, null where not finite. */
export type MetricsRecord = { step: number; time: number } & Record<string, number | null>;

export interface MetricsWriterOptions {
  /** Also log every step into this run of the run store. */
  run?: Run;
  /** Where warnings go; default: a line on stderr. */
  warn?: (message: string) => void;
  /** Clock in Unix seconds; default Date.now() / 1000. */
  now?: () => number;
}

export const METRICS_FILE = 'metrics.jsonl';

export class MetricsWriter {
  readonly path: string;
  private readonly fd: number;
  private readonly run: Run | undefined;
  private readonly warn: (message: string) => void;
  private readonly now: () => number;
  private readonly nonFinite = new Map<string, { count: number; firstStep: number }>();

  /** Appends to `<dir>/metrics.jsonl` (creating `dir`), so a resumed run continues the same file. */
  constructor(dir: string, opts: MetricsWriterOptions = {}) {
    this.path = join(dir, METRICS_FILE);
    try {
      mkdirSync(dir, { recursive: true });
      this.fd = openSync(this.path, 'a');
    } catch (e) {
      fail(`cannot write metrics file ${this.path}: ${(e as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`);
    }
    this.run = opts.run;
    this.warn = opts.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`));
    this.now = opts.now ?? (() => Date.now() / 1000);
  }

  /** Records one step's metrics; returns the line as written. */
  log(step: number, values: Readonly<Record<string, number | null>>): MetricsRecord {
    if (!Number.isSafeInteger(step) || step < 0) throw new Error(`metrics: step must be a non-negative integer, got ${step}`);
    const clean: Record<string, number | null> = {};
    for (const [name, value] of Object.entries(values)) {
      if (name === 'step' || name === 'time') throw new Error(`metrics: \`${name}\` is reserved and cannot name a metric`);
      if (value !== null && typeof value !== 'number') throw new TypeError(`metrics: \`${name}\` is a ${typeof value}, not a number`);
      clean[name] = value !== null && Number.isFinite(value) ? value : null;
      if (value !== null && !Number.isFinite(value)) this.noteNonFinite(name, value, step);
    }
    const record: MetricsRecord = { step, time: this.now(), ...clean };
    // One write per line with O_APPEND: lines from a crash are at worst a cut-off last line.
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.run?.log(step, clean, record.time);
    return record;
  }

  /** Closes the file and reports metrics that were non-finite more than once. */
  close(): void {
    closeSync(this.fd);
    for (const [name, { count, firstStep }] of this.nonFinite) {
      if (count > 1) this.warn(`metric \`${name}\` was not finite at ${count} steps (first at step ${firstStep}); all were recorded as null`);
    }
  }

  // The first occurrence per metric is announced at once; repeats are counted for close().
  private noteNonFinite(name: string, value: number, step: number): void {
    const seen = this.nonFinite.get(name);
    if (seen) {
      seen.count++;
      return;
    }
    this.nonFinite.set(name, { count: 1, firstStep: step });
    this.warn(`metric \`${name}\` is ${value} at step ${step}; recorded as null`);
  }
}

/** Opens a metrics writer on `<dir>/metrics.jsonl`. */
export function openMetrics(dir: string, opts: MetricsWriterOptions = {}): MetricsWriter {
  return new MetricsWriter(dir, opts);
}

/**
 * Reads a metrics.jsonl file. A cut-off last line (a run killed mid-write) is ignored;
 * any other malformed line is an error naming the file and line.
 */
export function readMetrics(path: string): MetricsRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot read metrics file ${path}: ${(e as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`);
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '' ? lines.slice(0, -1) : lines;
  const records: MetricsRecord[] = [];
  complete.forEach((line, i) => {
    const last = i === complete.length - 1 && !text.endsWith('\n');
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (last) return;
      fail(`metrics file ${path} line ${i + 1} is not valid JSON`);
    }
    if (!isRecord(parsed)) fail(`metrics file ${path} line ${i + 1} is not a metrics record with numeric step and time`);
    records.push(parsed);
  });
  return records;
}

function isRecord(v: unknown): v is MetricsRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.step === 'number' && typeof o.time === 'number' &&
    Object.values(o).every((x) => x === null || typeof x === 'number');
}
