// `posterior tokenizer train|encode`: learn a byte-level BPE tokenizer from a corpus and
// write it as a Hugging Face tokenizer.json, or show how a tokenizer splits a text.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trainBpe, type TrainProgress } from '../../lm/bpe-trainer.js';
import { Tokenizer } from '../../lm/tokenizer.js';
import { fail } from '../../util/errors.js';

export const summary = 'train a byte-level BPE tokenizer (tokenizer.json) on a corpus, or encode a text';

const USAGE = `usage:
  posterior tokenizer train --corpus PATH... --vocab-size N --out DIR/tokenizer.json
                            [--special '<|endoftext|>,...'] [--min-frequency 2]
                            [--ext .py] [--max-bytes N]
  posterior tokenizer encode --tokenizer FILE --text TEXT

train:
  --corpus PATH       a directory (all files below it, in sorted path order), a text file
                      (one document), or a .jsonl file (one document per line, field "text");
                      repeat the flag or list more paths after it
  --vocab-size N      final vocabulary size, special tokens and the 256 bytes included
  --out FILE          where to write tokenizer.json
  --special LIST      comma-separated special tokens, given the first ids (default <|endoftext|>)
  --min-frequency N   stop when the best pair occurs fewer times (default 2)
  --ext EXT           in directories, read only files with this extension (repeatable)
  --max-bytes N       read only the first N bytes of the corpus (UTF-8)
encode:
  prints {"ids": [...], "tokens": [...]} for TEXT`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'train') return train(rest);
  if (sub === 'encode') return encode(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  return fail(`unknown tokenizer subcommand '${sub}'; use 'train' or 'encode'`);
}

// parseArgs throws a plain TypeError for a bad flag; the user gets it as one sentence.
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    const first = (e as Error).message.split(/\.(?:\s|$)/)[0];
    return fail(`${first}; run 'posterior tokenizer --help' for the options`);
  }
}

function train(args: string[]): number {
  const { values, positionals } = parsed(() => parseArgs({
    args,
    options: {
      corpus: { type: 'string', multiple: true },
      'vocab-size': { type: 'string' },
      out: { type: 'string' },
      special: { type: 'string', default: '<|endoftext|>' },
      'min-frequency': { type: 'string', default: '2' },
      ext: { type: 'string', multiple: true },
      'max-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  }));
  if (values.help) return help();
  const paths = [...(values.corpus ?? []), ...positionals];
  if (paths.length === 0) fail('--corpus is required: a directory, text file or .jsonl file to train on');
  if (!values.out) fail('--out is required: the tokenizer.json file to write');
  const specialTokens = values.special.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const vocabSize = integerFlag('--vocab-size', values['vocab-size'], 256 + specialTokens.length);
  const minFrequency = integerFlag('--min-frequency', values['min-frequency'], 0);
  const maxBytes = values['max-bytes'] === undefined ? Infinity : integerFlag('--max-bytes', values['max-bytes'], 1);
  const exts = (values.ext ?? []).map((e) => (e.startsWith('.') ? e : `.${e}`));
  const corpus = new Corpus(paths, exts, maxBytes);
  const progress = new ProgressLine();
  const t0 = performance.now();
  const tok = trainBpe(corpus.texts(), { vocabSize, specialTokens, minFrequency, onProgress: (p) => progress.show(p) });
  progress.done();
  if (corpus.bytes === 0) fail(`the corpus (${paths.join(', ')}) holds no text`);
  tok.save(values.out);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`wrote ${values.out}: vocabulary ${tok.vocabSize} from ${corpus.documents} documents (${corpus.bytes} bytes) in ${seconds.toFixed(1)} s`);
  if (corpus.skipped.length) console.error(`skipped ${corpus.skipped.length} files that are not UTF-8 text, e.g. ${corpus.skipped[0]}`);
  if (tok.vocabSize < vocabSize) console.error(`note: the corpus only supports ${tok.vocabSize} tokens at --min-frequency ${minFrequency}`);
  return 0;
}

function encode(args: string[]): number {
  const { values } = parsed(() => parseArgs({
    args,
    options: { tokenizer: { type: 'string' }, text: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }));
  if (values.help) return help();
  if (!values.tokenizer) fail('--tokenizer is required: a tokenizer.json file');
  if (values.text === undefined) fail('--text is required: the text to encode');
  const tok = Tokenizer.load(values.tokenizer);
  const ids = [...tok.encode(values.text)];
  console.log(JSON.stringify({ ids, tokens: ids.map((id) => tok.idToToken(id)) }));
  return 0;
}

function help(): number {
  console.log(USAGE);
  return 0;
}

function integerFlag(name: string, value: string | undefined, min: number): number {
  if (value === undefined) fail(`${name} is required`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) fail(`${name} must be an integer of at least ${min}, got '${value}'`);
  return n;
}

/** The documents of the corpus paths, read lazily in order, with what was read. */
class Corpus {
  documents = 0;
  bytes = 0;
  readonly skipped: string[] = [];

  constructor(private readonly paths: string[], private readonly exts: string[], private readonly maxBytes: number) {}

  *texts(): Generator<string> {
    for (const path of this.paths) {
      for (const file of this.files(path)) {
        for (const text of this.documentsOf(file, file === path)) {
          const room = this.maxBytes - this.bytes;
          const doc = Buffer.byteLength(text) > room ? truncateUtf8(text, room) : text;
          this.documents++;
          this.bytes += Buffer.byteLength(doc);
          yield doc;
          if (this.bytes >= this.maxBytes) return;
        }
      }
    }
  }

  private files(path: string): string[] {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return fail(`corpus path ${path} does not exist`);
    }
    if (!stat.isDirectory()) return [path];
    const found = walk(path, new Set()).filter((f) => this.exts.length === 0 || this.exts.some((e) => f.endsWith(e)));
    return found.sort();
  }

  // A file named explicitly must be text; one met in a directory walk may be anything,
  // so a binary is skipped (and reported) instead of ending the run.
  private *documentsOf(file: string, explicit: boolean): Generator<string> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      return fail(`cannot read corpus file ${file}: ${(e as Error).message}`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      if (explicit) fail(`corpus file ${file} is not UTF-8 text`);
      this.skipped.push(file);
      return;
    }
    if (file.endsWith('.jsonl')) yield* jsonlTexts(file, text);
    else if (text !== '') yield text;
  }
}

function walk(dir: string, seen: Set<string>): string[] {
  const real = realpathSync(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const stat = statSync(p, { throwIfNoEntry: false });
    if (!stat) return [];
    return stat.isDirectory() ? walk(p, seen) : stat.isFile() ? [p] : [];
  });
}

function* jsonlTexts(file: string, content: string): Generator<string> {
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(lines[i]!);
    } catch {
      fail(`${file} line ${i + 1} is not valid JSON`);
    }
    const text = (row as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') fail(`${file} line ${i + 1} has no string field "text"`);
    if (text !== '') yield text;
  }
}

// The longest prefix of `text` within `maxBytes` bytes that ends on a character boundary.
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** A one-line progress display on stderr, redrawn with \r, only when stderr is a terminal. */
class ProgressLine {
  private last = 0;
  private shown = false;

  show(p: TrainProgress): void {
    if (!process.stderr.isTTY) return;
    const now = performance.now();
    if (now - this.last < 100 && p.done !== p.total) return;
    this.last = now;
    this.shown = true;
    const line = p.phase === 'counting'
      ? `reading corpus: ${(p.done / 1e6).toFixed(1)} M characters`
      : `merging: ${p.done}/${p.total} tokens`;
    process.stderr.write(`\r${line.padEnd(50)}`);
  }

  done(): void {
    if (this.shown) process.stderr.write('\n');
  }
}
