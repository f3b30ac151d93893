// The run store: every pretraining, tuning and evaluation run, its metrics and its
// artifacts, in one embedded SQLite file (WAL mode, so a report can read while a run
// writes). Metrics of one step go in one transaction, which keeps logging cheap.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fail, PosteriorError } from '../util/errors.js';

export type RunStatus = 'running' | 'finished' | 'failed' | 'interrupted';

export interface RunRecord {
  id: number;
  /** What the run does: `pretrain`, `tune`, `eval`, … */
  kind: string;
  name: string;
  config: unknown;
  status: RunStatus;
  /** ISO-8601 times; `updatedAt` moves with every logged step, so a stale `running` run has died. */
  createdAt: string;
  updatedAt: string;
  dir: string | null;
}

export interface MetricPoint {
  step: number;
  name: string;
  /** null: the value was not finite (NaN or ±Infinity). */
  value: number | null;
  /** Unix time in seconds. */
  time: number;
}

export interface ArtifactRecord {
  kind: string;
  path: string;
  sha256: string;
  time: number;
}

export interface StartRunOptions {
  kind: string;
  name: string;
  config?: unknown;
  /** The run's output directory, if it has one. */
  dir?: string;
}

const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  dir TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run_name_step ON metrics (run_id, name, step);
CREATE TABLE IF NOT EXISTS artifacts (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  time REAL NOT NULL,
  PRIMARY KEY (run_id, path)
);
`;

/** `runs/posterior.sqlite` under the working directory. */
export function defaultStorePath(cwd: string = process.cwd()): string {
  return join(cwd, 'runs', 'posterior.sqlite');
}

/** Opens (creating if needed) the run store at `path`. */
export function openStore(path: string = defaultStorePath()): RunStore {
  return new RunStore(path);
}

interface RunRow {
  id: number; kind: string; name: string; config: string; status: RunStatus;
  created_at: string; updated_at: string; dir: string | null;
}

/** A handle on one run: log its metrics and artifacts, then finish it. */
export interface Run {
  readonly id: number;
  /** Logs the metrics of one step in one transaction; non-finite values are stored as null. `time` in Unix seconds. */
  log(step: number, values: Readonly<Record<string, number | null>>, time?: number): void;
  /** Records a file the run produced (a checkpoint, a report), hashing it unless `sha256` is given; returns the hash. */
  artifact(kind: string, path: string, sha256?: string): string;
  finish(status?: Exclude<RunStatus, 'running'>): void;
}

export class RunStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly logStep: (runId: number, step: number, values: Readonly<Record<string, number | null>>, time: number) => void;

  constructor(path: string) {
    this.path = path;
    this.db = this.guard(() => {
      if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
      const db = new Database(path);
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > SCHEMA_VERSION) {
          fail(`run store ${path} was written by a newer posterior (schema ${version}; this one knows up to ${SCHEMA_VERSION})`);
        }
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      } catch (e) {
        db.close();
        throw e;
      }
      return db;
    });
    const insert = this.db.prepare('INSERT INTO metrics (run_id, step, name, value, time) VALUES (?, ?, ?, ?, ?)');
    const touch = this.db.prepare('UPDATE runs SET updated_at = ? WHERE id = ?');
    this.logStep = this.db.transaction((runId: number, step: number, values: Readonly<Record<string, number | null>>, time: number) => {
      for (const [name, value] of Object.entries(values)) {
        if (value !== null && typeof value !== 'number') throw new TypeError(`run ${runId}: metric \`${name}\` is a ${typeof value}, not a number`);
        // SQLite would keep ±Infinity but turn NaN into NULL; NULL for every non-finite value keeps one meaning.
        insert.run(runId, step, name, value !== null && Number.isFinite(value) ? value : null, time);
      }
      touch.run(new Date(time * 1000).toISOString(), runId);
    });
  }

  /** Records a new run with status `running`. */
  startRun(opts: StartRunOptions): Run {
    if (opts.kind === '' || opts.name === '') throw new Error('startRun: kind and name must be non-empty');
    const now = new Date().toISOString();
    const id = this.guard(() =>
      Number(this.db.prepare(
        'INSERT INTO runs (kind, name, config, status, created_at, updated_at, dir) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(opts.kind, opts.name, JSON.stringify(opts.config ?? {}), 'running', now, now, opts.dir ?? null).lastInsertRowid),
    );
    return this.handle(id);
  }

  /** Reopens an existing run (to resume it): its status becomes `running` again. */
  resumeRun(id: number): Run {
    if (this.getRun(id) === undefined) fail(`run store ${this.path} has no run ${id}`);
    this.setStatus(id, 'running');
    return this.handle(id);
  }

  getRun(id: number): RunRecord | undefined {
    const row = this.guard(() => this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined);
    return row && toRecord(row);
  }

  /** All runs, oldest first, optionally only one kind or status. */
  listRuns(filter: { kind?: string; status?: RunStatus } = {}): RunRecord[] {
    const rows = this.guard(() => this.db.prepare(
      'SELECT * FROM runs WHERE (@kind IS NULL OR kind = @kind) AND (@status IS NULL OR status = @status) ORDER BY id',
    ).all({ kind: filter.kind ?? null, status: filter.status ?? null }) as RunRow[]);
    return rows.map(toRecord);
  }

  /** A run's metric points ordered by step (then name), optionally of one metric only. */
  metrics(runId: number, name?: string): MetricPoint[] {
    return this.guard(() => this.db.prepare(
      'SELECT step, name, value, time FROM metrics WHERE run_id = @runId AND (@name IS NULL OR name = @name) ORDER BY step, name, rowid',
    ).all({ runId, name: name ?? null }) as MetricPoint[]);
  }

  /** The names of the metrics a run logged, sorted. */
  metricNames(runId: number): string[] {
    return this.guard(() => this.db.prepare('SELECT DISTINCT name FROM metrics WHERE run_id = ? ORDER BY name').pluck().all(runId) as string[]);
  }

  artifacts(runId: number): ArtifactRecord[] {
    return this.guard(() => this.db.prepare('SELECT kind, path, sha256, time FROM artifacts WHERE run_id = ? ORDER BY time, path').all(runId) as ArtifactRecord[]);
  }

  close(): void {
    this.db.close();
  }

  private handle(id: number): Run {
    return {
      id,
      log: (step, values, time = Date.now() / 1000) => {
        if (!Number.isSafeInteger(step) || step < 0) throw new Error(`run ${id}: step must be a non-negative integer, got ${step}`);
        this.guard(() => this.logStep(id, step, values, time));
      },
      artifact: (kind, path, sha256 = sha256File(path)) => {
        this.guard(() => this.db.prepare(
          'INSERT INTO artifacts (run_id, kind, path, sha256, time) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (run_id, path) DO UPDATE SET kind = excluded.kind, sha256 = excluded.sha256, time = excluded.time',
        ).run(id, kind, path, sha256, Date.now() / 1000));
        return sha256;
      },
      finish: (status = 'finished') => this.setStatus(id, status),
    };
  }

  private setStatus(runId: number, status: RunStatus): void {
    this.guard(() => this.db.prepare('UPDATE runs SET status = ?, updated_at = ? WHERE id = ?').run(status, new Date().toISOString(), runId));
  }

  // A damaged or foreign file surfaces as an SQLite error at the first statement that
  // touches it; the user gets the file's name and what to do instead of a stack trace.
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof PosteriorError || !(e instanceof Error)) throw e;
      const code = String((e as { code?: unknown }).code);
      // SQLite reports extended codes (SQLITE_CORRUPT_INDEX, SQLITE_CANTOPEN_ISDIR, …).
      if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) {
        fail(`run store ${this.path} is not a readable SQLite database (${e.message}); move it aside or choose another store file`);
      }
      if (/^(SQLITE_(CANTOPEN|READONLY|FULL|IOERR|PERM)|EACCES|ENOTDIR|EEXIST|EROFS)/.test(code)) {
        fail(`cannot use run store ${this.path}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`);
      }
      throw e;
    }
  }
}

/** Hex SHA-256 of a file, read in chunks so checkpoints of any size fit. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    fail(`cannot read artifact ${path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id, kind: row.kind, name: row.name, config: JSON.parse(row.config) as unknown, status: row.status,
    createdAt: row.created_at, updatedAt: row.updated_at, dir: row.dir,
  };
}
