// Deterministic document-level splits: a document's split depends only on its id
// (a hash of it), so adding or removing other documents never moves it, and every
// segment of a document lands in the same split.
import { createHash } from 'node:crypto';
import { fail } from '../util/errors.js';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

export type SplitFractions = Readonly<Record<SplitName, number>>;

export const DEFAULT_SPLIT: SplitFractions = { train: 0.9, validation: 0.05, test: 0.05 };

/** A uniform number in [0, 1) from the first 48 bits of sha256(id). */
export function idHashUnit(id: string): number {
  return createHash('sha256').update(id, 'utf8').digest().readUIntBE(0, 6) / 2 ** 48;
}

export function splitOf(id: string, fractions: SplitFractions = DEFAULT_SPLIT): SplitName {
  const u = idHashUnit(id);
  if (u < fractions.train) return 'train';
  return u < fractions.train + fractions.validation ? 'validation' : 'test';
}

/** "90,5,5" or "0.9,0.05,0.05" (train, validation, test; normalised to sum 1). */
export function parseSplit(spec: string): SplitFractions {
  const parts = spec.split(/[,/:]/).map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts[0]! + parts[1]! + parts[2]! <= 0) {
    fail(`--split must be three non-negative numbers for train, validation and test, such as 90,5,5, not '${spec}'`);
  }
  const total = parts[0]! + parts[1]! + parts[2]!;
  return { train: parts[0]! / total, validation: parts[1]! / total, test: parts[2]! / total };
}
