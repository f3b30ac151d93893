// `node dist/bench/tokenizer.js`: BPE training and encoding, posterior against Hugging
// Face `tokenizers` (Rust, from the project .venv), on the first N bytes (default 10 MB)
// of the Python standard library's .py files, vocabulary 8192 with <|endoftext|> as id 0.
// Rounds alternate the two sides; we report medians, and whether both learned the same
// merges. `tokenizers` runs once on one thread (our trainer has one) and once on all.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { trainBpe } from '../src/lm/bpe-trainer.js';
import { Tokenizer } from '../src/lm/tokenizer.js';
import { median } from './median.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = join(root, '.venv', 'bin', 'python');

const PEER = String.raw`
import json, sys, time
from tokenizers import ByteLevelBPETokenizer, Tokenizer
op, corpus, vocab_size, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
texts = json.load(open(corpus))
t0 = time.perf_counter()
if op == 'train':
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=['<|endoftext|>'], show_progress=False)
    seconds = time.perf_counter() - t0
    tok.save(path)
    print(json.dumps({'seconds': seconds}))
else:
    tok = Tokenizer.from_file(path)
    n = sum(len(e.ids) for e in tok.encode_batch(texts))
    print(json.dumps({'seconds': time.perf_counter() - t0, 'tokens': n}))
`;

function pyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    return st?.isDirectory() ? pyFiles(p) : st?.isFile() && p.endsWith('.py') ? [p] : [];
  });
}

// Whole files in sorted path order, strictly decoded, cut at maxBytes on a character boundary.
function corpus(dir: string, maxBytes: number): string[] {
  const texts: string[] = [];
  let bytes = 0;
  for (const file of pyFiles(dir).sort()) {
    let raw = readFileSync(file);
    if (bytes + raw.length > maxBytes) {
      let end = maxBytes - bytes;
      while (end > 0 && (raw[end]! & 0xc0) === 0x80) end--;
      raw = raw.subarray(0, end);
    }
    texts.push(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    bytes += raw.length;
    if (bytes >= maxBytes) break;
  }
  return texts;
}

function peer(op: string, corpusFile: string, vocabSize: number, path: string, threads?: number): { seconds: number; tokens?: number } {
  const env = { ...process.env, ...(threads ? { RAYON_NUM_THREADS: String(threads) } : {}) };
  const r = spawnSync(PYTHON, ['-c', PEER, op, corpusFile, String(vocabSize), path], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`tokenizers ${op} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; tokens?: number };
}

function merges(path: string): string[] {
  const model = (JSON.parse(readFileSync(path, 'utf8')) as { model: { merges: Array<string | string[]> } }).model;
  return model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      bytes: { type: 'string', default: '10000000' },
      vocab: { type: 'string', default: '8192' },
      dir: { type: 'string', default: '/usr/lib/python3.11' },
      json: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds), vocabSize = Number(values.vocab);
  const texts = corpus(values.dir, Number(values.bytes));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const tmp = mkdtempSync(join(tmpdir(), 'posterior-bench-tok-'));
  const corpusFile = join(tmp, 'corpus.json');
  writeFileSync(corpusFile, JSON.stringify(texts));
  const oursFile = join(tmp, 'ours.json'), theirsFile = join(tmp, 'theirs.json');
  const t = { ours: [] as number[], peer1: [] as number[], peerAll: [] as number[], encOurs: [] as number[], encPeer: [] as number[] };
  let tokens = 0;
  const log = (s: string) => values.json || process.stderr.write(`[bench] ${s}\n`);
  for (let r = 0; r < rounds; r++) {
    const sides = r % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
    for (const side of sides) {
      if (side === 'ours') {
        const t0 = performance.now();
        const tok = trainBpe(texts, { vocabSize, specialTokens: ['<|endoftext|>'] });
        t.ours.push((performance.now() - t0) / 1000);
        tok.save(oursFile);
        const fresh = Tokenizer.load(oursFile);
        const t1 = performance.now();
        tokens = fresh.encodeBatch(texts).reduce((n, ids) => n + ids.length, 0);
        t.encOurs.push((performance.now() - t1) / 1000);
      } else {
        t.peer1.push(peer('train', corpusFile, vocabSize, theirsFile, 1).seconds);
        t.peerAll.push(peer('train', corpusFile, vocabSize, theirsFile).seconds);
        t.encPeer.push(peer('encode', corpusFile, vocabSize, theirsFile, 1).seconds);
      }
      log(`round ${r + 1}/${rounds} ${side} done`);
    }
  }
  const a = merges(oursFile), b = merges(theirsFile);
  const firstDiff = a.findIndex((m, i) => m !== b[i]);
  const result = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
    corpus: { dir: values.dir, documents: texts.length, bytes, tokens },
    vocabSize,
    train_seconds: { posterior: median(t.ours), tokenizers_1_thread: median(t.peer1), tokenizers_all_threads: median(t.peerAll) },
    encode_tokens_per_second: { posterior: tokens / median(t.encOurs), tokenizers_1_thread: tokens / median(t.encPeer) },
    merges: { posterior: a.length, tokenizers: b.length, identical: firstDiff < 0 && a.length === b.length, first_difference: firstDiff },
  };
  rmSync(tmp, { recursive: true });
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const s = result.train_seconds, e = result.encode_tokens_per_second;
  console.log(`corpus: ${texts.length} files, ${bytes} bytes, ${tokens} tokens; vocabulary ${vocabSize}; ${rounds} rounds, medians`);
  console.log(`train   posterior ${s.posterior.toFixed(2)} s | tokenizers 1 thread ${s.tokenizers_1_thread.toFixed(2)} s, all threads ${s.tokenizers_all_threads.toFixed(2)} s`);
  console.log(`encode  posterior ${(e.posterior / 1e6).toFixed(2)} M tokens/s | tokenizers 1 thread ${(e.tokenizers_1_thread / 1e6).toFixed(2)} M tokens/s`);
  console.log(`merges  ${result.merges.identical ? 'identical' : `differ from #${firstDiff}`} (${a.length} vs ${b.length})`);
}

main();
