// The manifest of a prepared corpus (manifest.json): what went in (sources and their
// versions, cleaning counts), what came out (files with sizes and sha256 checksums)
// and the score distribution. It holds no timestamps, so preparing the same sources
// twice gives the same bytes.
import { z } from 'zod';
import { SPLITS } from './split.js';

export const MANIFEST_FORMAT = 'posterior-corpus/1';

const count = z.number().int().nonnegative();

const cleanStats = z.object({
  files: count,
  bytes: count,
  binary: count,
  invalidUtf8: count,
  candidates: count,
  tooShort: count,
  tooLong: count,
  duplicates: count,
  kept: count,
});

const scoreSummary = z.object({
  count,
  mean: z.number(),
  max: z.number(),
  quantiles: z.object({
    '0.1': z.number(),
    '0.25': z.number(),
    '0.5': z.number(),
    '0.75': z.number(),
    '0.9': z.number(),
    '0.99': z.number(),
  }),
  zeroShare: z.number().min(0).max(1),
});

const splitFile = z.object({
  file: z.string(),
  documents: count,
  segments: count,
  characters: count,
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  task: z.string(),
  segmentation: z.enum(['lines', 'sentences']),
  scorer: z.object({ name: z.string() }).catchall(z.string()),
  sources: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['directory', 'debian', 'npm', 'memory']),
      package: z.string().optional(),
      version: z.string(),
      cleaning: cleanStats,
    }),
  ),
  cleaning: cleanStats.extend({ minChars: count, maxChars: count }),
  split: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
  files: z.object(Object.fromEntries(SPLITS.map((s) => [s, splitFile])) as Record<(typeof SPLITS)[number], typeof splitFile>),
  scores: z.object({ documents: scoreSummary, segments: scoreSummary }),
  /** Token counts per split, filled in by tokenisation (null until then). */
  tokens: z.record(z.string(), count).nullable(),
});

export type CorpusManifest = z.infer<typeof manifestSchema>;
export type ScoreSummary = z.infer<typeof scoreSummary>;

/** The q-quantile of sorted values, interpolating linearly (numpy's default). */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summariseScores(values: Float64Array): ScoreSummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  let zeros = 0;
  for (const v of sorted) {
    sum += v;
    if (v === 0) zeros++;
  }
  const n = sorted.length;
  const q = (p: number): number => quantile(sorted, p);
  return {
    count: n,
    mean: n === 0 ? 0 : sum / n,
    max: n === 0 ? 0 : sorted[n - 1]!,
    quantiles: { '0.1': q(0.1), '0.25': q(0.25), '0.5': q(0.5), '0.75': q(0.75), '0.9': q(0.9), '0.99': q(0.99) },
    zeroShare: n === 0 ? 0 : zeros / n,
  };
}
