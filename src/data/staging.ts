// Clearing up after killed runs. Directories are built in hidden staging siblings
// (src/util/atomic-file.ts names them `.<name>.tmp-<pid>-<hex>` and `.<name>.old-…`);
// a run killed before its rename leaves one behind, which the next run removes unless
// the process that made it is still alive.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes staging directories of `outDir` left by runs that were killed. */
export function removeStaleStaging(outDir: string): void {
  const parent = dirname(outDir);
  if (!existsSync(parent)) return;
  const pattern = new RegExp(`^\\.${basename(outDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:tmp|old)-(\\d+)-[0-9a-f]+$`);
  for (const name of readdirSync(parent)) {
    const m = pattern.exec(name);
    if (m && !isRunning(Number(m[1]))) rmSync(join(parent, name), { recursive: true, force: true });
  }
}
