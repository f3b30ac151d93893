// A long-lived child process that answers one JSON line with one JSON line. Scorers
// written in other languages (pycodestyle, a user's classifier) live behind it.
// Failures of the process — it cannot start, exits, hangs past the timeout, or prints
// something that is not the expected JSON — kill it; the next request starts a fresh
// one. `call` retries a failed request once on a fresh process, then throws one
// PosteriorError naming the process, so a transient crash costs a restart and a
// persistent one a clear sentence.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fail } from '../util/errors.js';

export interface JsonLinesProcessOptions {
  command: string;
  args?: readonly string[];
  /** How errors name the process, e.g. "pep8 worker (/usr/bin/python3 worker.py)". */
  label: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A failure of the process itself (as opposed to bad input); retried once. */
export class ProcessFailure extends Error {}

const stderrTail = 2000;
const maxTimerMs = 2 ** 31 - 1; // setTimeout fires at once beyond this

interface Pending {
  resolve(line: string): void;
  reject(err: ProcessFailure): void;
}

export class JsonLinesProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private pending: Pending | undefined;
  private stdoutBuffer = '';
  private stderr = '';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: JsonLinesProcessOptions) {}

  get label(): string {
    return this.options.label;
  }

  /**
   * Sends `message`, waits at most `timeoutMs` for the answer and hands it to
   * `parse`, which throws a ProcessFailure for an answer of the wrong shape. A failed
   * attempt is retried once on a fresh process. Calls are served one at a time.
   */
  call<T>(message: unknown, timeoutMs: number, parse: (answer: unknown) => T, what: string): Promise<T> {
    const attempt = async (): Promise<T> => parse(parseJson(await this.exchange(JSON.stringify(message), timeoutMs)));
    const run = async (): Promise<T> => {
      try {
        return await attempt();
      } catch (first) {
        if (!(first instanceof ProcessFailure)) throw first;
        this.kill();
        try {
          return await attempt();
        } catch (second) {
          if (!(second instanceof ProcessFailure)) throw second;
          this.kill();
          fail(`${this.label} failed twice on ${what} (restarted once): ${second.message}`);
        }
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the process; a later call starts a new one. */
  close(): void {
    this.kill();
  }

  private exchange(line: string, timeoutMs: number): Promise<string> {
    const child = this.child ?? this.start();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.kill();
        reject(new ProcessFailure(`no answer within ${Math.round(timeoutMs)} ms`));
      }, Math.min(timeoutMs, maxTimerMs));
      this.pending = {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      child.stdin.write(line + '\n');
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const { command, args = [], env, cwd } = this.options;
    const child = spawn(command, [...args], { env, cwd });
    this.child = child;
    this.stdoutBuffer = '';
    this.stderr = '';
    // An idle worker must not keep Node alive; a pending request's timer does.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?(): void }).unref?.();
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onStdout(child, chunk));
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-stderrTail);
    });
    child.stdin.on('error', () => undefined); // EPIPE when it died; 'exit' reports it
    child.on('error', (err) => this.failPending(child, `could not start: ${err.message}`));
    // 'close' rather than 'exit': by then its last words on stderr have arrived.
    child.on('close', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.failPending(child, how + this.stderrSummary());
    });
    return child;
  }

  private onStdout(child: ChildProcessWithoutNullStreams, chunk: string): void {
    if (child !== this.child) return;
    this.stdoutBuffer += chunk;
    let newline: number;
    while ((newline = this.stdoutBuffer.indexOf('\n')) >= 0) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      const pending = this.pending;
      if (!pending) {
        this.kill();
        return; // output nobody asked for: the protocol is broken, start afresh
      }
      this.pending = undefined;
      pending.resolve(line);
    }
  }

  private failPending(child: ChildProcessWithoutNullStreams, reason: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new ProcessFailure(reason));
  }

  private stderrSummary(): string {
    const text = this.stderr.trim();
    if (!text) return '';
    const last = text.split('\n').slice(-3).join(' | ');
    return `; its stderr ends: ${last}`;
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
    throw new ProcessFailure(`it printed a line that is not JSON: ${JSON.stringify(shown)}`);
  }
}
