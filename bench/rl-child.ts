// One side of the RL benchmark (bench/rl.ts, BENCH.md "RL update"): posterior's own
// tuning loop (Tuner + a strategy + an LMDistribution policy and its frozen reference).
//   node rl-child.js prepare CACHE                     build the tokenizer, model and prompts once
//   node rl-child.js run CACHE reinforce|dpg N [--threads T]   N updates, each on a "go" line on stdin
//   node rl-child.js profile CACHE [--threads T]       one update's generation, native calls counted
// Lines meant for the parent start with "@bench " and carry one JSON object.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { BooleanFactor } from '../src/distributions/boolean-factor.js';
import { ContextDistribution } from '../src/distributions/context-distribution.js';
import type { Contexts, Sample, Sampled } from '../src/distributions/distribution.js';
import { EBM } from '../src/distributions/ebm.js';
import { LMDistribution, type LMDistributionOptions, type LMSampleOptions } from '../src/distributions/lm-distribution.js';
import { native } from '../src/engine/native.js';
import { getNumThreads, manualSeed, setNumThreads } from '../src/engine/random.js';
import type { Tensor } from '../src/engine/tensor.js';
import { trainBpe } from '../src/lm/bpe-trainer.js';
import { loadModel, saveModel } from '../src/lm/checkpoint.js';
import { GPT } from '../src/lm/gpt.js';
import { gptConfig } from '../src/lm/gpt-config.js';
import type { Tokenizer } from '../src/lm/tokenizer.js';
import { predicateScorer } from '../src/scorers/predicate.js';
import type { Scorer } from '../src/scorers/scorer.js';
import { DPG } from '../src/tuners/dpg.js';
import { FixedKLController } from '../src/tuners/kl-controller.js';
import { Reinforce } from '../src/tuners/reinforce.js';
import type { Rollout } from '../src/tuners/rollout.js';
import type { Metrics, StepContext } from '../src/tuners/strategy.js';
import { Tuner } from '../src/tuners/tuner.js';

/** What the cached tokenizer, model and prompts are built from (a change rebuilds them). */
const BUILD = {
  corpus: '/usr/lib/python3.11', ext: '.py', maxBytes: 5_000_000, vocabSize: 8192,
  layers: 4, width: 256, heads: 4, positions: 256, seed: 0,
  prompts: 256, minPromptTokens: 3, maxPromptTokens: 24,
};

/** BENCH.md's RL setup; the parent reads it from `prepare` and hands the peer its part. */
const SETUP = {
  ...BUILD,
  promptsPerUpdate: 16, completionsPerPrompt: 4, maxNewTokens: 64, temperature: 1, beta: 0.05, lr: 1e-5,
  // TRL's default max_grad_norm; our loop clips to the same norm.
  gradClip: 1,
  // DPG's pointwise target a(x)·[e-fraction ≥ this]: ~95% of initial samples pass (mean 0.086, sd 0.015),
  // since the loop skips a step in which some prompt's 4 completions all miss (its running Z is then 0).
  dpgThreshold: 0.06,
};

function say(obj: unknown): void {
  process.stdout.write(`@bench ${JSON.stringify(obj)}\n`);
}

/** The reward: the share of a completion's characters (code points, as Python counts them) that are `e`. */
function eFraction(text: string): number {
  let n = 0, e = 0;
  for (const ch of text) {
    n++;
    if (ch === 'e') e++;
  }
  return e / Math.max(1, n);
}

// --- prepare -------------------------------------------------------------------------

function pyFiles(dir: string, seen: Set<string>): string[] {
  const real = realpathSync(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    return st?.isDirectory() ? pyFiles(p, seen) : st?.isFile() && p.endsWith(SETUP.ext) ? [p] : [];
  });
}

/** Whole files in sorted path order, strict UTF-8 (others skipped, as `posterior tokenizer train` does), cut at maxBytes on a character boundary. */
function corpusTexts(): string[] {
  const texts: string[] = [];
  let bytes = 0;
  for (const file of pyFiles(SETUP.corpus, new Set()).sort()) {
    const raw = readFileSync(file);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      continue;
    }
    if (text === '') continue;
    let cut = raw;
    if (bytes + raw.length > SETUP.maxBytes) {
      let end = SETUP.maxBytes - bytes;
      while (end > 0 && (raw[end]! & 0xc0) === 0x80) end--;
      cut = raw.subarray(0, end);
      text = cut.toString('utf8');
    }
    texts.push(text);
    bytes += cut.length;
    if (bytes >= SETUP.maxBytes) break;
  }
  return texts;
}

/** The first N distinct stripped `def …:` lines of the corpus whose token count lies in range. */
function promptsOf(texts: string[], tokenizer: Tokenizer): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line.startsWith('def ') || !line.endsWith(':') || seen.has(line)) continue;
      const n = tokenizer.encode(line).length;
      if (n < SETUP.minPromptTokens || n > SETUP.maxPromptTokens) continue;
      seen.add(line);
      out.push(line);
      if (out.length === SETUP.prompts) return out;
    }
  }
  throw new Error(`the corpus holds only ${out.length} prompts of ${SETUP.minPromptTokens}–${SETUP.maxPromptTokens} tokens`);
}

function prepare(cache: string): void {
  const stamp = join(cache, 'setup.json');
  const key = JSON.stringify(BUILD);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
    say({ cached: true, setup: SETUP });
    return;
  }
  mkdirSync(cache, { recursive: true });
  const t0 = performance.now();
  const texts = corpusTexts();
  const tokenizer = trainBpe(texts, { vocabSize: SETUP.vocabSize, specialTokens: ['<|endoftext|>'] });
  const prompts = promptsOf(texts, tokenizer);
  manualSeed(SETUP.seed);
  const config = gptConfig({
    vocab_size: SETUP.vocabSize, n_positions: SETUP.positions, n_embd: SETUP.width, n_layer: SETUP.layers, n_head: SETUP.heads,
    // No dropout: TRL would otherwise train with it on and we without, and BENCH.md measures the same model.
    resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, bos_token_id: 0, eos_token_id: 0,
  });
  const model = new GPT(config).initWeights();
  saveModel(join(cache, 'model'), model, { tokenizer });
  writeFileSync(join(cache, 'prompts.json'), JSON.stringify(prompts, null, 1));
  writeFileSync(stamp, key);
  say({ cached: false, seconds: (performance.now() - t0) / 1000, parameters: model.numParameters, setup: SETUP });
}

// --- run -----------------------------------------------------------------------------

/** Seconds spent per part of an update, and counters, since the last take(). */
class Clock {
  private parts = new Map<string, number>();
  tokens = 0;

  add(part: string, since: number): void {
    this.parts.set(part, (this.parts.get(part) ?? 0) + (performance.now() - since) / 1000);
  }

  sync<T>(part: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(part, t0);
    }
  }

  async time<T>(part: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(part, t0);
    }
  }

  /** The parts so far; `loss` encloses `backward_step`, and is reported without it. */
  take(): { parts: Record<string, number>; tokens: number } {
    const parts = Object.fromEntries(this.parts);
    if (parts.loss !== undefined) parts.loss -= parts.backward_step ?? 0;
    const out = { parts, tokens: this.tokens };
    this.parts = new Map();
    this.tokens = 0;
    return out;
  }
}

/** The real LMDistribution, timing what the tuner asks of it: generation, scoring, the differentiable pass. */
class TimedLM extends LMDistribution {
  constructor(model: GPT, tokenizer: Tokenizer, options: LMDistributionOptions, private readonly clock: Clock, private readonly role: 'policy' | 'reference') {
    super(model, tokenizer, options);
  }

  override async sampleMany(contexts: readonly (string | undefined)[], perContext: number, opts?: LMSampleOptions): Promise<Sampled> {
    const out = await this.clock.time('generate', () => super.sampleMany(contexts, perContext, opts));
    for (const s of out.samples) this.clock.tokens += s.tokens?.length ?? 0;
    return out;
  }

  override logScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array> {
    return this.clock.time(`${this.role}_logprobs`, () => super.logScore(samples, context));
  }

  override logProbTensor(samples: readonly Sample[], context?: Contexts): Tensor {
    return this.clock.sync(`${this.role}_forward`, () => super.logProbTensor(samples, context));
  }
}

async function timedLM(dir: string, clock: Clock, role: 'policy' | 'reference'): Promise<TimedLM> {
  const { model, tokenizer } = await loadModel(dir);
  if (tokenizer === null) throw new Error(`${dir} has no tokenizer.json; delete the cache and run again`);
  if (role === 'reference') for (const t of model.parameters()) t.requiresGrad_(false);
  return new TimedLM(model, tokenizer, { sampling: { temperature: SETUP.temperature, maxNewTokens: SETUP.maxNewTokens } }, clock, role);
}

// The strategies themselves, with the loss/backward/step split timed through the tuner's StepContext.
function timedContext(ctx: StepContext, clock: Clock): StepContext {
  return { ...ctx, step: (loss) => clock.sync('backward_step', () => ctx.step(loss)) };
}

class TimedReinforce extends Reinforce {
  constructor(private readonly clock: Clock) {
    super({ kl: new FixedKLController(SETUP.beta), baseline: 'leave-one-out' });
  }

  override update(r: Rollout, ctx: StepContext, logPolicy: Tensor | undefined): Metrics {
    return this.clock.sync('loss', () => super.update(r, timedContext(ctx, this.clock), logPolicy));
  }
}

class TimedDPG extends DPG {
  constructor(private readonly clock: Clock) {
    super();
  }

  override update(r: Rollout, ctx: StepContext, logPolicy: Tensor | undefined): Metrics {
    return this.clock.sync('loss', () => super.update(r, timedContext(ctx, this.clock), logPolicy));
  }
}

function timedScorer(name: string, clock: Clock, fn: (text: string) => number): Scorer {
  return { name, score: async (texts) => clock.sync('score', () => Float64Array.from(texts, fn)) };
}

async function runUpdates(cache: string, method: string, updates: number): Promise<void> {
  const clock = new Clock();
  const dir = join(cache, 'model');
  const prompts = JSON.parse(readFileSync(join(cache, 'prompts.json'), 'utf8')) as string[];
  const policy = await timedLM(dir, clock, 'policy');
  const reference = await timedLM(dir, clock, 'reference');
  const reward = timedScorer('e_fraction', clock, eFraction);
  const warnings: string[] = [];
  const common = {
    policy, base: reference, contexts: new ContextDistribution(prompts), steps: updates,
    contextsPerStep: SETUP.promptsPerUpdate, samplesPerContext: SETUP.completionsPerPrompt,
    sampleOptions: { temperature: SETUP.temperature, maxNewTokens: SETUP.maxNewTokens },
    optimizer: { lr: SETUP.lr, gradClip: SETUP.gradClip }, seed: SETUP.seed, warn: (m: string) => void warnings.push(m),
  };
  let tuner: Tuner<LMSampleOptions>;
  if (method === 'reinforce') {
    tuner = new Tuner({ ...common, reward, strategy: new TimedReinforce(clock) });
  } else if (method === 'dpg') {
    // "At least 6% of the completion is e": pointwise evidence b(x), the target a(x)·b(x) over the reference.
    const passes = predicateScorer(`e_fraction≥${SETUP.dpgThreshold}`, (text) => eFraction(text) >= SETUP.dpgThreshold);
    const b = { name: passes.name, score: (texts: readonly string[], contexts?: readonly string[]) => clock.time('score', () => passes.score(texts, contexts)) };
    tuner = new Tuner({ ...common, target: new EBM(reference, [new BooleanFactor(b)]), monitor: [reward], strategy: new TimedDPG(clock) });
  } else {
    throw new Error(`unknown method ${method}; use reinforce or dpg`);
  }
  say({ ready: true, threads: getNumThreads(), parameters: policy.model.numParameters });
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  for (let i = 0; i < updates; i++) {
    const line = await lines.next();
    if (line.done || line.value.trim() !== 'go') break;
    clock.take();
    const t0 = performance.now();
    const m = await tuner.next();
    const seconds = (performance.now() - t0) / 1000;
    const { parts, tokens } = clock.take();
    say({
      seconds, parts, tokens, completions: SETUP.promptsPerUpdate * SETUP.completionsPerPrompt,
      reward_mean: m['reward/mean'] ?? m['moment/e_fraction'], kl: m['objective/kl'], skipped: m.skipped, ...(m['b/mean'] === undefined ? {} : { b_mean: m['b/mean'] }),
    });
  }
  tuner.dispose();
  say({ done: true, peak_rss: process.resourceUsage().maxRSS * 1024, warnings: warnings.slice(0, 5) });
}

// --- profile ----------------------------------------------------------------------------

/** Native calls that run no kernel: freeing handles and reading metadata. */
const BOOKKEEPING = new Set(['dispose', 'shape', 'dtype', 'device']);

interface CallStats {
  calls: number;
  ms: number;
}

/** Wraps every function of the addon so each call is counted and timed (the object is shared by all modules). */
function instrumentNative(): Map<string, CallStats> {
  const stats = new Map<string, CallStats>();
  const addon = native as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(addon)) {
    if (typeof fn !== 'function') continue;
    const s: CallStats = { calls: 0, ms: 0 };
    stats.set(name, s);
    addon[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return (fn as (...a: unknown[]) => unknown)(...args);
      } finally {
        s.calls++;
        s.ms += performance.now() - t0;
      }
    };
  }
  return stats;
}

/** One update's generation (16 prompts × 4, 64 new tokens), timed plain and then with every native call counted. */
async function profile(cache: string): Promise<void> {
  const clock = new Clock();
  const policy = await timedLM(join(cache, 'model'), clock, 'policy');
  const prompts = (JSON.parse(readFileSync(join(cache, 'prompts.json'), 'utf8')) as string[]).slice(0, SETUP.promptsPerUpdate);
  const gen = () => policy.sampleMany(prompts, SETUP.completionsPerPrompt, { temperature: SETUP.temperature, maxNewTokens: SETUP.maxNewTokens });
  manualSeed(SETUP.seed);
  await gen();
  const plain: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await gen();
    plain.push((performance.now() - t0) / 1000);
  }
  const stats = instrumentNative();
  clock.take();
  const t0 = performance.now();
  await gen();
  const seconds = (performance.now() - t0) / 1000;
  const { tokens } = clock.take();
  const steps = SETUP.maxNewTokens;
  const byCalls = [...stats].filter(([, s]) => s.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
  const calls = byCalls.reduce((n, [, s]) => n + s.calls, 0), nativeMs = byCalls.reduce((n, [, s]) => n + s.ms, 0);
  const ops = byCalls.filter(([name]) => !BOOKKEEPING.has(name)).reduce((n, [, s]) => n + s.calls, 0);
  say({
    threads: getNumThreads(), env: { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? null, GOMP_SPINCOUNT: process.env.GOMP_SPINCOUNT ?? null },
    generate_seconds: plain, instrumented_seconds: seconds, tokens, steps,
    native_calls: calls, native_calls_per_step: calls / steps, op_calls_per_step: ops / steps, native_seconds: nativeMs / 1000,
    js_seconds: seconds - nativeMs / 1000,
    top: byCalls.slice(0, 25).map(([name, s]) => ({ name, calls: s.calls, per_step: s.calls / steps, ms: Number(s.ms.toFixed(2)) })),
  });
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { threads: { type: 'string', default: '2' } } });
  const [mode, cache, method = 'reinforce', updates = '5'] = positionals;
  if (!cache) throw new Error('usage: rl-child.js prepare|run|profile CACHE [reinforce|dpg UPDATES] [--threads N]');
  setNumThreads(Number(values.threads));
  if (mode === 'prepare') prepare(cache);
  else if (mode === 'run') await runUpdates(cache, method, Number(updates));
  else if (mode === 'profile') await profile(cache);
  else throw new Error(`unknown mode ${mode}`);
}

await main();
