#!/usr/bin/env node
// The `posterior` program: `posterior <command> [options]`. Each command lives in
// src/cli/commands/<command>.ts and exports `summary` and `run(args)`; this file only
// finds it, runs it and turns a PosteriorError into one sentence and a non-zero exit.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PosteriorError } from '../util/errors.js';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command> {
  return (await import(join(commandsDir, `${name}.js`))) as Command;
}

async function help(): Promise<void> {
  const lines = ['usage: posterior <command> [options]   (posterior <command> --help for its options)', '', 'commands:'];
  for (const name of commandNames()) lines.push(`  ${name.padEnd(12)} ${(await load(name)).summary}`);
  console.log(lines.join('\n'));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    await help();
    return name ? 0 : 2;
  }
  if (!commandNames().includes(name)) throw new PosteriorError(`unknown command '${name}'; run 'posterior --help' for the list`);
  return (await load(name)).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof PosteriorError) {
      console.error(`posterior: ${err.message}`);
      process.exitCode = 1;
    } else {
      console.error(err);
      process.exitCode = 70;
    }
  },
);
