// The tuning loop shared by every method (DESIGN "Tuner"). Each step: draw C contexts
// (one empty context when unconditional) → M samples per context from the proposal
// (the policy itself unless the method keeps its own q) → score log a, log P, the
// reward and monitored features → estimate Z (running, or per context for CDPG) →
// the strategy's gradient step(s) on log π → metrics → the strategy's proposal update.
// Checkpoints hold everything that shapes the future (weights, AdamW, both RNGs, the
// running estimates), so a resumed run ends bit-identical to an uninterrupted one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContextDistribution } from '../distributions/context-distribution.js';
import type { Distribution, LogScored, SampleOptions } from '../distributions/distribution.js';
import { EBM } from '../distributions/ebm.js';
import { tokenizerFingerprint, type TrainablePolicy } from '../distributions/trainable.js';
import type { RunningPartitionState } from '../estimators/running-partition.js';
import { warnLoudly, type Warn } from '../estimators/warning.js';
import { AdamW } from '../engine/adamw.js';
import { clipGradNorm, zeroGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import { manualSeed } from '../engine/random.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { openMetrics, readMetrics, METRICS_FILE, type MetricsWriter } from '../runs/metrics.js';
import type { Scorer } from '../scorers/scorer.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { fail, PosteriorError } from '../util/errors.js';
import { progress, type ProgressStream } from '../util/progress.js';
import { Random } from '../util/random.js';
import { CHECKPOINT_DIR, loadTuneCheckpoint, saveTuneCheckpoint } from './checkpoint.js';
import { drawSamples, scoreSamples, type Drawn } from './draw.js';
import { PartitionEstimate, type PartitionOptions } from './partition-estimate.js';
import { groupByContext, type Rollout } from './rollout.js';
import { RolloutMonitor } from './rollout-metrics.js';
import type { Metrics, StepContext, Strategy } from './strategy.js';

export interface TuneOptimizerOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  /** Default 0: the KL terms, not weight decay, keep the policy near the prior. */
  weightDecay?: number;
  /** Clip the global gradient norm to this (default: no clipping). */
  gradClip?: number | null;
}

export interface TunerOptions<O extends SampleOptions = SampleOptions> {
  policy: TrainablePolicy<O>;
  /** The prior a (frozen). */
  base: Distribution;
  /** The unnormalised target P; required by the distribution-matching methods. */
  target?: LogScored;
  /** r(x, c); required by REINFORCE and PPO. */
  reward?: Scorer;
  /** Features whose E_π is logged as `moment/<name>`. */
  monitor?: readonly Scorer[];
  /** τ(c); omit for unconditional tuning. */
  contexts?: ContextDistribution;
  strategy: Strategy;
  /** Total steps of the run. */
  steps: number;
  /** C (default 16 with contexts, else 1). */
  contextsPerStep?: number;
  /** M (default 64). */
  samplesPerContext?: number;
  /** How the proposal samples (temperature, top-k, …); the loop adds its own generator. */
  sampleOptions?: Omit<O, 'random'>;
  optimizer: TuneOptimizerOptions;
  partition?: PartitionOptions;
  /** Fail after this many steps in a row without any sample of positive target weight (default 20). */
  maxEmptySteps?: number;
  /** Seeds the JavaScript generator and LibTorch's (default 0). */
  seed?: number;
  /** Where warnings go (default: loudly on stderr); repeats are thinned out. */
  warn?: Warn;
  /** Metrics, checkpoints and the final model go here; without it the run is in memory only. */
  outDir?: string;
  checkpointInterval?: number;
  /** Stored with checkpoints so a resume can refuse a different config. */
  config?: unknown;
  stream?: ProgressStream;
  onStep?: (step: number, metrics: Readonly<Metrics>) => void;
  /** Stop at the next step boundary, writing a checkpoint first. */
  signal?: AbortSignal;
}

export interface TuneResult {
  steps: number;
  totalSteps: number;
  interrupted: boolean;
  /** The metrics of the last step. */
  metrics: Metrics;
  checkpointDir: string | null;
  /** The final policy as a loadable model directory, if the policy can save itself. */
  modelDir: string | null;
}

export class Tuner<O extends SampleOptions = SampleOptions> {
  step = 0;
  readonly steps: number;
  private readonly o: TunerOptions<O>;
  private readonly optimizer: AdamW;
  private readonly params: Tensor[];
  private random: Random;
  private readonly partition: PartitionEstimate;
  private monitor: RolloutMonitor;
  private readonly warn: Warn;
  private readonly C: number;
  private readonly M: number;
  private emptySteps = 0;
  private lastCheckpoint: number | null = null;

  constructor(options: TunerOptions<O>) {
    this.o = options;
    const { policy, strategy } = options;
    this.steps = positiveInt(options.steps, 'the number of steps');
    if (strategy.needs.target && options.target === undefined) fail(`${strategy.name} needs a target to match; give one.`);
    if (strategy.needs.reward && options.reward === undefined) fail(`${strategy.name} needs a reward scorer; give one.`);
    this.C = positiveInt(options.contextsPerStep ?? (options.contexts ? 16 : 1), 'contexts per step');
    if (!options.contexts && this.C !== 1) fail(`without contexts, tuning draws one (empty) context per step, not ${this.C}.`);
    this.M = positiveInt(options.samplesPerContext ?? 64, 'samples per context');
    checkTokenizers(options);
    this.warn = thinned(options.warn ?? warnLoudly);
    if (options.seed !== undefined) manualSeed(options.seed);
    this.random = new Random(options.seed ?? 0);
    this.partition = new PartitionEstimate(options.partition);
    this.monitor = new RolloutMonitor({ warn: this.warn });
    const o = options.optimizer;
    const extra = [...strategy.parameters().values()];
    this.optimizer = new AdamW([{ params: policy.parameters() }, ...(extra.length ? [{ params: extra }] : [])], {
      lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay ?? 0,
    });
    this.params = [...policy.parameters(), ...extra];
  }

  get checkpointDir(): string | null {
    return this.o.outDir === undefined ? null : join(this.o.outDir, CHECKPOINT_DIR);
  }

  /** Restores the run from `<outDir>/checkpoint`. */
  resume(): void {
    const dir = this.checkpointDir;
    if (dir === null) fail('cannot resume a tuning run without an output directory.');
    const loaded = loadTuneCheckpoint(dir, this.checkpointTensors(), this.optimizer);
    const s = loaded.state;
    this.step = loaded.step;
    this.lastCheckpoint = loaded.step;
    this.random = Random.fromState(s.random as number[]);
    this.partition.load((s.partition ?? null) as RunningPartitionState | null);
    this.monitor = new RolloutMonitor({ warn: this.warn }, typeof s.running_kl === 'number' ? s.running_kl : undefined);
    this.emptySteps = typeof s.empty_steps === 'number' ? s.empty_steps : 0;
    this.o.strategy.load((s.strategy ?? {}) as Record<string, unknown>);
  }

  /** Writes `<outDir>/checkpoint` (or `dir`). */
  save(dir = this.checkpointDir): void {
    if (dir === null) fail('cannot save a checkpoint without an output directory.');
    saveTuneCheckpoint(dir, {
      step: this.step,
      tensors: this.checkpointTensors(),
      optimizer: this.optimizer,
      config: this.o.config,
      state: {
        random: this.random.state(),
        partition: this.partition.state(),
        running_kl: this.monitor.runningPolicyBaseKL ?? null,
        empty_steps: this.emptySteps,
        strategy: this.o.strategy.state(),
      },
    });
    this.lastCheckpoint = this.step;
  }

  /** Runs the remaining steps, with metrics, progress and checkpoints when there is an output directory. */
  async run(opts: { resume?: boolean } = {}): Promise<TuneResult> {
    const dir = this.checkpointDir;
    if (opts.resume) this.resume();
    else if (dir !== null && existsSync(dir)) fail(`${this.o.outDir} already holds a tuning run (${dir}); resume it or choose another output directory.`);
    const writer = this.o.outDir === undefined ? undefined : openMetricsAt(this.o.outDir, this.step);
    const bar = progress('tune', { total: this.steps, unit: 'step', start: this.step, stream: this.o.stream });
    let metrics: Metrics = {};
    try {
      while (this.step < this.steps) {
        await new Promise((r) => setImmediate(r));
        if (this.o.signal?.aborted) break;
        metrics = await this.withCheckpointNote(() => this.next());
        writer?.log(this.step, metrics);
        bar.update(this.step, pickShown(metrics));
        this.o.onStep?.(this.step, metrics);
        const interval = this.o.checkpointInterval ?? 100;
        if (dir !== null && (this.step % interval === 0 || this.step === this.steps)) this.save();
      }
    } finally {
      writer?.close();
      bar.done();
    }
    const interrupted = this.step < this.steps;
    if (interrupted && dir !== null && this.lastCheckpoint !== this.step) this.save();
    let modelDir: string | null = null;
    if (!interrupted && this.o.outDir !== undefined && this.o.policy.save) {
      modelDir = join(this.o.outDir, 'model');
      this.o.policy.save(modelDir);
    }
    return { steps: this.step, totalSteps: this.steps, interrupted, metrics, checkpointDir: dir, modelDir };
  }

  /** One tuning step; returns its metrics. */
  async next(): Promise<Metrics> {
    const started = performance.now();
    const step = this.step + 1;
    const { policy, strategy } = this.o;
    const drawn = await this.draw();
    const n = drawn.samples.length;
    const groups = groupByContext(drawn.contexts, n);
    const scored = await scoreSamples(drawn, { ...this.o, tokenLogBase: strategy.needs.tokenLogBase });
    const logZ = scored.logTarget === undefined ? undefined : this.partition.estimate({ ...scored, logTarget: scored.logTarget, logProposal: drawn.logProposal, contexts: drawn.contexts, groups });
    const withZ = logZ === undefined ? groups : groups.filter((g) => Number.isFinite(logZ[g[0]!]!));
    // A target-matching method leaves out the contexts with no estimate of Z_c yet (see
    // `withEstimatedZ`) and skips the step only when no context has one.
    const skip = strategy.needs.target && withZ.length === 0;
    this.emptySteps = skip ? this.emptySteps + 1 : 0;
    if (this.emptySteps > 0 && this.emptySteps >= (this.o.maxEmptySteps ?? 20)) {
      fail(`no sample of the last ${this.emptySteps} steps (${this.emptySteps * n} samples) has positive weight under the target, so Z cannot be estimated: the target is unreachable from this proposal, or too rare for ${n} samples per step (raise the samples per step).`);
    }
    const precomputed = skip || !strategy.usesLogPolicyTensor ? await policy.logScore(drawn.samples, drawn.contexts) : undefined;
    const ctx: StepContext = { random: this.random, step: (loss) => this.optimise(loss, step) };
    const rollout = tidy(() => {
      const lp = precomputed === undefined ? policy.logProbTensor(drawn.samples, drawn.contexts) : undefined;
      const r: Rollout = {
        samples: drawn.samples, contexts: drawn.contexts, groups, logProposal: drawn.logProposal, logBase: scored.logBase,
        logPolicy: precomputed ?? lp!.detach().toFloat64Array(), logTarget: scored.logTarget, logZ, reward: scored.reward, tokenLogBase: scored.tokenLogBase,
      };
      const m = this.monitor.metrics(r, scored.features, step);
      if (logZ !== undefined) m.contexts_with_hits = withZ.length / groups.length;
      if (skip) return { r, m };
      const used = strategy.needs.target && withZ.length < groups.length ? withEstimatedZ(r, lp, withZ) : { r, lp };
      Object.assign(m, strategy.update(used.r, ctx, used.lp));
      return { r: used.r, m };
    });
    const metrics = rollout.m;
    if (!skip) Object.assign(metrics, strategy.afterUpdate ? await strategy.afterUpdate(rollout.r, step) : {});
    this.step = step;
    const seconds = (performance.now() - started) / 1000;
    return { ...metrics, lr: this.optimizer.lr, skipped: skip ? 1 : 0, 'time/step': seconds, samples_per_second: n / seconds };
  }

  /** Frees the strategy's tensors (value head, proposal); the policy belongs to the caller. */
  dispose(): void {
    this.o.strategy.dispose();
  }

  private checkpointTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [k, t] of this.o.policy.namedParameters()) out.set(`policy.${k}`, t);
    for (const [k, t] of this.o.strategy.parameters()) out.set(`strategy.${k}`, t);
    for (const [k, t] of this.o.strategy.buffers()) out.set(`strategy.${k}`, t);
    return out;
  }

  private draw(): Promise<Drawn> {
    const proposal = (this.o.strategy.proposal?.() ?? this.o.policy) as Distribution<O>;
    const contexts: (string | undefined)[] = this.o.contexts ? this.o.contexts.sample(this.C, this.random) : [undefined];
    return drawSamples(proposal, contexts, this.M, { ...this.o.sampleOptions, random: this.random } as O);
  }

  private optimise(loss: Tensor, step: number): number {
    const value = loss.item();
    if (!Number.isFinite(value)) fail(`tuning stopped at step ${step} because the loss is ${value} (importance weights may have overflowed; try a lower lr or larger batches).`);
    loss.backward();
    const norm = clipGradNorm(this.params, this.o.optimizer.gradClip ?? Infinity);
    if (!Number.isFinite(norm)) {
      zeroGrad(this.params);
      fail(`tuning stopped at step ${step} because the gradient norm is ${norm} (try a lower lr or a grad_clip).`);
    }
    this.optimizer.update();
    zeroGrad(this.params);
    return norm;
  }

  // Bad input mid-run (a scorer's NaN, an overflow) stops the run; the sentence says where the last good checkpoint is.
  private async withCheckpointNote<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof PosteriorError) || this.checkpointDir === null) throw e;
      const kept = this.lastCheckpoint === null ? 'no checkpoint had been written yet' : `the last checkpoint (step ${this.lastCheckpoint}) is kept in ${this.checkpointDir}`;
      throw new PosteriorError(`${e.message.replace(/\.$/, '')}; ${kept}.`);
    }
  }
}

/**
 * The rollout restricted to the given context groups, and the differentiable log π of
 * their samples. The loop hands a target-matching method only the contexts whose Z_c
 * has an estimate, i.e. some sample of c has had P > 0. For the others the DPG advantage
 * P/(Z_c q) − π/q is 0/0 − π/q: whatever Z_c > 0 truly is, the first term is exactly 0
 * on these samples (P = 0 on every one), so the batch holds no estimate of c's part of
 * ∇KL(p_c‖π_c) beyond 0. The −π/q left over is the baseline, a control variate with
 * E_q[(π/q)∇log π] = ∇Σπ = 0: with no P-term to cancel against it is pure noise — each
 * step would push π_c's mass off whatever c happened to sample. Leaving c out therefore
 * drops nothing in expectation and removes that noise; and if p_c does not exist
 * (Z_c = 0) c has no term to contribute at all. The mean in the loss then runs over the
 * contexts used. (f-DPG likewise needs log Z_c for every sample it sees.)
 */
function withEstimatedZ(r: Rollout, lp: Tensor | undefined, groups: readonly (readonly number[])[]): { r: Rollout; lp: Tensor | undefined } {
  const idx = groups.flat().sort((x, y) => x - y);
  const pick = (xs: Float64Array): Float64Array => Float64Array.from(idx, (i) => xs[i]!);
  const contexts = r.contexts === undefined ? undefined : idx.map((i) => r.contexts![i]!);
  const sub: Rollout = {
    samples: idx.map((i) => r.samples[i]!), contexts, groups: groupByContext(contexts, idx.length),
    logProposal: pick(r.logProposal), logBase: pick(r.logBase), logPolicy: pick(r.logPolicy),
    logTarget: r.logTarget && pick(r.logTarget), logZ: r.logZ && pick(r.logZ), reward: r.reward && pick(r.reward),
    tokenLogBase: r.tokenLogBase && idx.map((i) => r.tokenLogBase![i]!),
  };
  return { r: sub, lp: lp?.indexSelect(0, tensor(Int32Array.from(idx), [idx.length], 'int64', lp.device)) };
}

function checkTokenizers(o: TunerOptions<SampleOptions>): void {
  const mine = tokenizerFingerprint(o.policy);
  const others: [string, unknown][] = [['base', o.base], ['proposal', o.strategy.proposal?.()], ['target', o.target instanceof EBM ? o.target.base : undefined]];
  for (const [what, d] of others) {
    const theirs = d === undefined ? undefined : tokenizerFingerprint(d);
    if (mine !== undefined && theirs !== undefined && theirs !== mine) fail(`the ${what} uses a different tokenizer than the policy; samples carry token ids, so both must share one tokenizer.`);
  }
}

function positiveInt(x: number, what: string): number {
  if (!Number.isSafeInteger(x) || x < 1) fail(`${what} must be a positive integer, got ${x}.`);
  return x;
}

/** Prints each kind of warning the first time, then every 100th time with a count. */
function thinned(warn: Warn): Warn {
  const seen = new Map<string, number>();
  return (message) => {
    const kind = message.slice(0, 20);
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    if (n === 1) warn(message);
    else if (n % 100 === 0) warn(`${message} (seen ${n} times)`);
  };
}

/** A resumed run rewrites the steps after its checkpoint; a fresh one starts the file anew. */
function openMetricsAt(outDir: string, step: number): MetricsWriter {
  const path = join(outDir, METRICS_FILE);
  if (existsSync(path)) writeFileAtomic(path, readMetrics(path).filter((r) => r.step <= step).map((r) => `${JSON.stringify(r)}\n`).join(''));
  return openMetrics(outDir);
}

function pickShown(m: Metrics): Record<string, number> {
  const shown: Record<string, number> = {};
  for (const k of ['kl_target_policy', 'kl_policy_base', 'b/mean', 'reward/mean']) if (m[k] !== undefined && Number.isFinite(m[k])) shown[k] = m[k]!;
  return shown;
}
