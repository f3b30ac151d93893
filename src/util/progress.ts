// Progress of long jobs on stderr. On a terminal, one line redrawn in place:
//   train  25% |█████               | 250/1000 [00:10<00:30, 25.0 it/s] loss=2.5
// Elsewhere (CI logs, redirected output) redrawing would litter the log, so a plain line
// is printed every ~10 s and once at the end.

/** Free-form trailing information: a string, or named values (numbers shown to 4 significant digits). */
export type Postfix = string | Readonly<Record<string, number | string>>;

/** What progress needs of an output stream (process.stderr satisfies it). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Total units of work; without it there is no bar, percentage or ETA. */
  total?: number;
  /** Name of one unit of work, for the rate: `it` (default), `tok`, `step`, … */
  unit?: string;
  /** Units already done when this job starts (a resumed run); the rate counts only new work. */
  start?: number;
  stream?: ProgressStream;
  /** Redraw in place; default: whether the stream is a terminal. */
  tty?: boolean;
  /** Off a terminal, milliseconds between lines (default 10 000). */
  intervalMs?: number;
  /** On a terminal, minimum milliseconds between redraws (default 100). */
  redrawMs?: number;
  /** Clock in milliseconds (for tests). */
  now?: () => number;
}

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export class Progress {
  private current: number;
  private postfix: Postfix = '';
  private readonly startTime: number;
  private readonly startCount: number;
  private lastDraw = -Infinity;
  private finished = false;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;

  constructor(readonly label: string, private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.current = this.startCount = opts.start ?? 0;
    this.startTime = this.now();
    // Off a terminal the first line is due one interval in, not at once.
    if (!this.tty) this.lastDraw = this.startTime;
  }

  /** Adds `n` units of work done. */
  tick(n = 1, postfix?: Postfix): void {
    this.update(this.current + n, postfix);
  }

  /** Sets the units of work done so far. */
  update(current: number, postfix?: Postfix): void {
    if (this.finished) return;
    this.current = current;
    if (postfix !== undefined) this.postfix = postfix;
    const t = this.now();
    if (t - this.lastDraw >= (this.tty ? this.opts.redrawMs ?? 100 : this.opts.intervalMs ?? 10_000)) this.draw(t);
  }

  /** Prints a message without breaking the bar. */
  log(message: string): void {
    if (this.tty && !this.finished) {
      this.stream.write(`\r\x1b[K${message}\n`);
      this.draw(this.now());
    } else {
      this.stream.write(`${message}\n`);
    }
  }

  /** Prints the final state and ends the line; later updates are ignored. */
  done(postfix?: Postfix): void {
    if (this.finished) return;
    if (postfix !== undefined) this.postfix = postfix;
    this.draw(this.now());
    if (this.tty) this.stream.write('\n');
    this.finished = true;
  }

  /** The status line for the current state (without terminal control characters). */
  render(width = this.width()): string {
    const elapsed = (this.now() - this.startTime) / 1000;
    const rate = elapsed > 0 ? (this.current - this.startCount) / elapsed : 0;
    const unit = this.opts.unit ?? 'it';
    const speed = rate > 0 && rate < 1 ? `${formatNumber(1 / rate)} s/${unit}` : `${formatRate(rate)} ${unit}/s`;
    const post = formatPostfix(this.postfix);
    const tail = post === '' ? '' : ` ${post}`;
    const total = this.opts.total;
    if (total === undefined || total <= 0) {
      return `${this.label} ${this.current} ${unit} [${formatTime(elapsed)}, ${speed}]${tail}`;
    }
    const frac = Math.min(1, Math.max(0, this.current / total));
    const eta = rate > 0 ? formatTime(Math.max(0, total - this.current) / rate) : '?';
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const stats = `${this.current}/${total} [${formatTime(elapsed)}<${eta}, ${speed}]${tail}`;
    if (!this.tty) return `${this.label} ${pct} ${stats}`;
    const barWidth = Math.max(10, Math.min(40, width - this.label.length - pct.length - stats.length - 6));
    return `${this.label} ${pct} |${bar(frac, barWidth)}| ${stats}`;
  }

  private draw(t: number): void {
    this.lastDraw = t;
    if (!this.tty) {
      this.stream.write(`${this.render()}\n`);
      return;
    }
    const width = this.width();
    // A line longer than the terminal wraps, and \r then redraws only its last part.
    this.stream.write(`\r${this.render(width).slice(0, width - 1)}\x1b[K`);
  }

  // A pseudo-terminal without a size reports 0 columns.
  private width(): number {
    return this.stream.columns || 80;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }
}

/** Starts a progress display for a job called `label`. */
export function progress(label: string, opts: ProgressOptions = {}): Progress {
  return new Progress(label, opts);
}

function bar(frac: number, width: number): string {
  const eighths = Math.round(frac * width * 8);
  const full = Math.floor(eighths / 8);
  const part = BLOCKS[eighths % 8]!;
  return ('█'.repeat(full) + part).padEnd(width, ' ');
}

function formatTime(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e4) return `${(r / 1e3).toFixed(1)}k`;
  return r >= 100 ? r.toFixed(0) : r.toFixed(r >= 10 ? 1 : 2);
}

function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3).replace(/\.?0+e/, 'e') : String(Number(v.toPrecision(4)));
}

function formatPostfix(p: Postfix): string {
  if (typeof p === 'string') return p;
  return Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`).join(' ');
}
