// `npm run bench:rl`: the RL update benchmark of BENCH.md. posterior's tuning loop
// (REINFORCE with a KL penalty and a leave-one-out baseline, and DPG on the same budget)
// against TRL's RLOOTrainer, on one GPT-2 checkpoint, tokenizer, prompt set and reward
// (built once under .cache/bench-rl/). Each side is a long-lived child process that runs
// one update when told to, so the sides alternate update by update in one run and each
// keeps its own peak RSS; we report medians after a warm-up, ratios, and where each
// side's update time goes. `--profile` also counts the native calls of a generation
// and times it under different thread settings.
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './median.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join(root, 'dist', 'bench', 'rl-child.js');
const PYTHON = join(root, '.venv', 'bin', 'python');
const PEER = join(root, 'python', 'bench_rl_peer.py');
const CACHE = join(root, '.cache', 'bench-rl');
const SIDES = ['reinforce', 'dpg', 'trl'] as const;
type SideName = (typeof SIDES)[number];
const LABEL: Record<SideName, string> = { reinforce: 'posterior REINFORCE+KL (RLOO)', dpg: 'posterior DPG', trl: 'TRL RLOOTrainer' };
const PARTS = ['generate', 'score', 'reference_logprobs', 'policy_logprobs', 'policy_forward', 'loss', 'backward_step'] as const;

type Message = Record<string, unknown>;

interface Update {
  seconds: number;
  parts: Record<string, number>;
  tokens: number;
  completions: number;
  reward_mean?: number;
  /** 1 when the loop skipped the gradient step (DPG: some prompt without a sample in the target's support). */
  skipped?: number;
}

interface Setup {
  promptsPerUpdate: number;
  completionsPerPrompt: number;
  maxNewTokens: number;
  beta: number;
  lr: number;
  temperature: number;
  [k: string]: unknown;
}

/** The "@bench {json}" line of a finished child's output. */
function lastMessage(stdout: string): Message {
  const line = stdout.split('\n').filter((l) => l.startsWith('@bench ')).at(-1);
  if (line === undefined) throw new Error(`no @bench line in:\n${stdout}`);
  return JSON.parse(line.slice(7)) as Message;
}

/** A side of the benchmark: a child that answers each "go" with one update's message. */
class Side {
  private readonly proc: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly queue: Message[] = [];
  private waiter: ((m: Message) => void) | null = null;
  private failed: ((e: Error) => void) | null = null;
  private stderr = '';
  private exited = false;

  constructor(readonly name: SideName, cmd: string, args: string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(cmd, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      if (!line.startsWith('@bench ')) return;
      const m = JSON.parse(line.slice(7)) as Message;
      if (this.waiter) this.settle().resolve(m);
      else this.queue.push(m);
    });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.proc.on('exit', (code) => {
      this.exited = true;
      if (this.failed) this.settle().reject(new Error(`${LABEL[this.name]} exited (code ${code}) before answering:\n${this.stderr}`));
    });
  }

  private settle(): { resolve: (m: Message) => void; reject: (e: Error) => void } {
    const out = { resolve: this.waiter!, reject: this.failed! };
    this.waiter = this.failed = null;
    return out;
  }

  next(): Promise<Message> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.reject(new Error(`${LABEL[this.name]} has exited:\n${this.stderr}`));
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failed = reject;
    });
  }

  async update(): Promise<Update> {
    this.proc.stdin.write('go\n');
    return (await this.next()) as unknown as Update;
  }

  kill(): void {
    if (!this.exited) this.proc.kill();
  }
}

function startSide(name: SideName, setup: Setup, total: number, threads: number, env: NodeJS.ProcessEnv): Side {
  if (name !== 'trl') return new Side(name, process.execPath, [CHILD, 'run', CACHE, name, String(total), '--threads', String(threads)], env);
  return new Side(name, PYTHON, [
    PEER, '--model', join(CACHE, 'model'), '--prompts', join(CACHE, 'prompts.json'), '--updates', String(total), '--threads', String(threads),
    '--prompts-per-update', String(setup.promptsPerUpdate), '--generations', String(setup.completionsPerPrompt),
    '--max-new-tokens', String(setup.maxNewTokens), '--beta', String(setup.beta), '--lr', String(setup.lr), '--temperature', String(setup.temperature),
  ], env);
}

interface SideResult {
  seconds_per_update: number;
  completions_per_s: number;
  peak_rss_mb: number;
  tokens_per_update: number;
  reward_mean_first: number | null;
  skipped_updates: number;
  /** Median seconds per part; `other` is the median of what the parts leave of each update. */
  breakdown: Record<string, number>;
  updates: number[];
}

function summarise(updates: Update[], peakRss: number): SideResult {
  const seconds = updates.map((u) => u.seconds);
  const breakdown: Record<string, number> = {};
  for (const p of PARTS) if (updates.some((u) => u.parts[p] !== undefined)) breakdown[p] = median(updates.map((u) => u.parts[p] ?? 0));
  breakdown.other = median(updates.map((u) => u.seconds - Object.values(u.parts).reduce((s, x) => s + x, 0)));
  const med = median(seconds);
  return {
    seconds_per_update: med, completions_per_s: updates[0]!.completions / med, peak_rss_mb: peakRss / 2 ** 20,
    tokens_per_update: updates.reduce((s, u) => s + u.tokens, 0) / updates.length,
    reward_mean_first: updates[0]!.reward_mean ?? null, skipped_updates: updates.filter((u) => u.skipped).length, breakdown, updates: seconds,
  };
}

/** Runs every side, update by update in a rotating order, and collects the updates after the warm-up. */
async function measure(sides: SideName[], setup: Setup, updates: number, warmup: number, threads: number, env: NodeJS.ProcessEnv, log: (s: string) => void): Promise<Partial<Record<SideName, SideResult>>> {
  const running = sides.map((s) => startSide(s, setup, warmup + updates, threads, env));
  try {
    for (const s of running) {
      const ready = await s.next();
      log(`[bench:rl] ${LABEL[s.name]} ready (${String(ready.threads)} threads)`);
    }
    const kept = new Map<SideName, Update[]>(sides.map((s) => [s, []]));
    for (let u = 0; u < warmup + updates; u++) {
      // Rotate who goes first so drift on a shared machine hits every side.
      const order = running.map((_, i) => running[(i + u) % running.length]!);
      for (const s of order) {
        const r = await s.update();
        if (u >= warmup) kept.get(s.name)!.push(r);
        log(`[bench:rl] ${u < warmup ? 'warm-up' : `update ${u - warmup + 1}/${updates}`} ${LABEL[s.name]}: ${r.seconds.toFixed(2)} s (${Object.entries(r.parts).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')})${r.skipped ? ', gradient step SKIPPED' : ''}`);
      }
    }
    const out: Partial<Record<SideName, SideResult>> = {};
    for (const s of running) {
      const done = await s.next();
      out[s.name] = summarise(kept.get(s.name)!, Number(done.peak_rss));
    }
    return out;
  } finally {
    for (const s of running) s.kill();
  }
}

/** Generation alone under several thread settings, with native calls counted once. */
function profileGeneration(threads: number, log: (s: string) => void): Message[] {
  // LibTorch's OpenMP is libgomp: PASSIVE sleeps at once after each parallel op, ACTIVE spins
  // forever, GOMP_SPINCOUNT spins that many times (~0.1 ms here) before sleeping.
  const configs: { threads: number; env: Record<string, string> }[] = [
    { threads, env: { OMP_WAIT_POLICY: 'PASSIVE' } },
    { threads, env: { OMP_WAIT_POLICY: 'ACTIVE' } },
    { threads, env: { OMP_WAIT_POLICY: 'PASSIVE', GOMP_SPINCOUNT: '10000' } },
    { threads: 1, env: { OMP_WAIT_POLICY: 'PASSIVE' } },
  ];
  return configs.map((c) => {
    const r = spawnSync(process.execPath, [CHILD, 'profile', CACHE, '--threads', String(c.threads)], { cwd: root, encoding: 'utf8', env: { ...process.env, ...c.env } });
    if (r.status !== 0) throw new Error(`the generation profile failed:\n${r.stderr}`);
    const m = lastMessage(r.stdout);
    log(`[bench:rl] profile ${settings(m)}: generation ${(m.generate_seconds as number[]).map((x) => x.toFixed(2)).join(' / ')} s`);
    return m;
  });
}

function settings(m: Message): string {
  const env = Object.entries(m.env as Record<string, string | null>).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  return [`${String(m.threads)} threads`, ...env].join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      updates: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      threads: { type: 'string', default: '2' },
      sides: { type: 'string', default: SIDES.join(',') },
      profile: { type: 'boolean', default: false },
    },
  });
  const updates = Number(values.updates), warmup = Number(values.warmup), threads = Number(values.threads);
  if (!(Number.isInteger(updates) && updates >= 1 && Number.isInteger(warmup) && warmup >= 0 && Number.isInteger(threads) && threads >= 1)) {
    throw new Error('--updates and --threads must be positive integers, --warmup a non-negative one');
  }
  const sides = values.sides.split(',').map((s) => s.trim()) as SideName[];
  for (const s of sides) if (!SIDES.includes(s)) throw new Error(`unknown side ${s}; choose from ${SIDES.join(', ')}`);
  const log = values.json ? () => {} : (s: string) => void process.stderr.write(`${s}\n`);

  const prep = spawnSync(process.execPath, [CHILD, 'prepare', CACHE], { cwd: root, encoding: 'utf8' });
  if (prep.status !== 0) throw new Error(`preparing ${CACHE} failed:\n${prep.stderr}`);
  const prepared = lastMessage(prep.stdout);
  const setup = prepared.setup as Setup;
  log(`[bench:rl] ${prepared.cached ? 'using' : 'built'} ${CACHE}`);

  // Both sides get the same OpenMP wait policy (posterior's default, PASSIVE, unless set).
  const ompWaitPolicy = process.env.OMP_WAIT_POLICY ?? 'PASSIVE';
  const env = { ...process.env, OMP_WAIT_POLICY: ompWaitPolicy };
  const results = await measure(sides, setup, updates, warmup, threads, env, log);
  const profile = values.profile ? profileGeneration(threads, log) : undefined;

  const trl = results.trl;
  const ratio = (s: SideResult | undefined) => (s && trl ? trl.seconds_per_update / s.seconds_per_update : null);
  const result = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', threads, omp_wait_policy: ompWaitPolicy },
    setup, updates, warmup, sides: results,
    ratio_reinforce_vs_trl: ratio(results.reinforce), ratio_dpg_vs_trl: ratio(results.dpg),
    ...(profile ? { generation_profile: profile } : {}),
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const n = setup.promptsPerUpdate * setup.completionsPerPrompt;
  console.log(`RL update benchmark (${result.machine.model}, ${result.machine.cpus} cores, ${threads} threads, OMP_WAIT_POLICY=${ompWaitPolicy}; ${n} completions of ≤ ${setup.maxNewTokens} tokens per update; medians of ${updates} updates after ${warmup} warm-up, sides alternating)`);
  console.log(`${'side'.padEnd(32)}${'s/update'.padStart(10)}${'compl./s'.padStart(10)}${'peak RSS'.padStart(11)}${'tokens/upd'.padStart(12)}`);
  for (const s of sides) {
    const r = results[s]!;
    console.log(`${LABEL[s].padEnd(32)}${r.seconds_per_update.toFixed(2).padStart(10)}${r.completions_per_s.toFixed(1).padStart(10)}${`${r.peak_rss_mb.toFixed(0)} MB`.padStart(11)}${r.tokens_per_update.toFixed(0).padStart(12)}`);
  }
  if (result.ratio_reinforce_vs_trl !== null) console.log(`ratio REINFORCE+KL / TRL (completions/s): ${result.ratio_reinforce_vs_trl.toFixed(2)}×`);
  if (result.ratio_dpg_vs_trl !== null) console.log(`ratio DPG / TRL (completions/s): ${result.ratio_dpg_vs_trl.toFixed(2)}×`);
  console.log('breakdown, median seconds per update:');
  for (const s of sides) console.log(`  ${LABEL[s].padEnd(30)} ${Object.entries(results[s]!.breakdown).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('  ')}`);
  for (const s of sides) if (results[s]!.skipped_updates) console.log(`WARNING: ${LABEL[s]} skipped the gradient step in ${results[s]!.skipped_updates} of ${updates} updates; its figure is not a full update`);
  if (profile) {
    const p = profile[0]!;
    console.log(`generation profile: ${Number(p.native_calls_per_step).toFixed(0)} native calls per decode step (${Number(p.op_calls_per_step).toFixed(0)} ops, the rest frees and shape reads), ${Number(p.native_seconds).toFixed(2)} s in native calls and ${Number(p.js_seconds).toFixed(2)} s in JavaScript of ${Number(p.instrumented_seconds).toFixed(2)} s`);
    console.log(`  heaviest: ${(p.top as { name: string; per_step: number; ms: number }[]).slice(0, 8).map((t) => `${t.name} ×${t.per_step.toFixed(0)}/step ${t.ms.toFixed(0)} ms`).join(', ')}`);
    for (const q of profile) console.log(`  ${settings(q)}: ${(q.generate_seconds as number[]).map((x) => x.toFixed(2)).join(' / ')} s per generation`);
  }
}

await main();
