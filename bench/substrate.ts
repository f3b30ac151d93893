// `npm run bench`: the substrate benchmark of BENCH.md. posterior and the PyTorch
// peer (python/bench_peer.py, same wheel, same threads) run the same GPT in separate
// processes, alternating, in one run; we report medians and ratios. A child process
// per measurement also gives each side its own peak RSS.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { median } from './median.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shape = { vocab: 8192, ctx: 128, width: 256, layers: 4, heads: 4, batch: 16, sequences: 32, newTokens: 128 };

interface Measurement {
  times: number[];
  peak_rss: number;
}

function runChild(cmd: string, args: string[]): Measurement {
  // Both sides get the same OpenMP wait policy (posterior's default, PASSIVE, unless set).
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Measurement;
}

function ours(mode: string, steps: number, threads: number): Measurement {
  return runChild(process.execPath, [join(root, 'dist', 'bench', 'substrate-child.js'), mode, String(steps), String(threads)]);
}

function peer(mode: string, steps: number, threads: number): Measurement {
  return runChild(join(root, '.venv', 'bin', 'python'), [join(root, 'python', 'bench_peer.py'), '--mode', mode, '--steps', String(steps), '--threads', String(threads)]);
}

function main(): void {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, rounds: { type: 'string', default: '3' }, steps: { type: 'string', default: '5' }, threads: { type: 'string', default: '2' } } });
  const rounds = Number(values.rounds), steps = Number(values.steps), threads = Number(values.threads);
  type Series = { ours: number[]; peer: number[]; oursRss: number[]; peerRss: number[] };
  const samples: Record<string, Series> = {};
  for (const mode of ['train', 'sample']) {
    const s: Series = (samples[mode] = { ours: [], peer: [], oursRss: [], peerRss: [] });
    for (let r = 0; r < rounds; r++) {
      // Alternate which side goes first so drift on a shared machine hits both.
      const order = r % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const side of order) {
        const m = side === 'ours' ? ours(mode, steps, threads) : peer(mode, steps, threads);
        (side === 'ours' ? s.ours : s.peer).push(...m.times);
        (side === 'ours' ? s.oursRss : s.peerRss).push(m.peak_rss);
        if (!values.json) process.stderr.write(`[bench] ${mode} round ${r + 1}/${rounds} ${side}: median ${median(m.times).toFixed(3)} s/step\n`);
      }
    }
  }
  const trainTokens = shape.batch * shape.ctx, sampleTokens = shape.sequences * shape.newTokens;
  const t = samples.train!, g = samples.sample!;
  const result = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', threads },
    setup: shape,
    train: {
      posterior_tokens_per_s: trainTokens / median(t.ours),
      pytorch_tokens_per_s: trainTokens / median(t.peer),
      ratio: median(t.peer) / median(t.ours),
      posterior_peak_rss_mb: Math.max(...t.oursRss) / 2 ** 20,
      pytorch_peak_rss_mb: Math.max(...t.peerRss) / 2 ** 20,
      memory_ratio: Math.max(...t.oursRss) / Math.max(...t.peerRss),
    },
    sample: {
      posterior_tokens_per_s: sampleTokens / median(g.ours),
      pytorch_tokens_per_s: sampleTokens / median(g.peer),
      ratio: median(g.peer) / median(g.ours),
      posterior_peak_rss_mb: Math.max(...g.oursRss) / 2 ** 20,
      pytorch_peak_rss_mb: Math.max(...g.peerRss) / 2 ** 20,
    },
    rounds,
    steps_per_round: steps,
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const f = (x: number) => x.toFixed(0), r2 = (x: number) => x.toFixed(2);
  console.log(`substrate benchmark (${result.machine.model}, ${result.machine.cpus} cores, ${threads} threads; medians of ${rounds}×${steps} steps)`);
  console.log(`training  tokens/s: posterior ${f(result.train.posterior_tokens_per_s)}  PyTorch ${f(result.train.pytorch_tokens_per_s)}  ratio ${r2(result.train.ratio)}×`);
  console.log(`sampling  tokens/s: posterior ${f(result.sample.posterior_tokens_per_s)}  PyTorch ${f(result.sample.pytorch_tokens_per_s)}  ratio ${r2(result.sample.ratio)}×`);
  console.log(`peak RSS (training): posterior ${f(result.train.posterior_peak_rss_mb)} MB  PyTorch ${f(result.train.pytorch_peak_rss_mb)} MB  ratio ${r2(result.train.memory_ratio)}×`);
}

main();
