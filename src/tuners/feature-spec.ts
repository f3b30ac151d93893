// Features named in a config file: what a target's factors and constraints, a reward
// and the monitored moments are made of. Each is a Scorer, boolean (0/1) or raw:
//   {contains: "cat"}             1 when the text contains the word (whole word, any case by default)
//   {regex: "^def ", flags: "m"}  1 when the regular expression matches
//   {task: pep8}                  the task's raw misalignment score (pep8, pii, toxicity; ≥ 0, lower is better)
//   {task: pep8, at_most: 0}      1 when that score is ≤ the threshold
//   {compiles: true}              1 when context + text compiles as Python
//   scope: function               on a boolean `compiles` or `task` feature: judge only the
//                                 function that context + text completes (the body, up to
//                                 the text's first top-level line; see function-scope.ts)
//   {length: characters}          the number of characters (a raw feature)
// Any of them may carry `name`, which metrics and messages use instead of the default.
import { z } from 'zod';
import { functionScoped } from '../scorers/function-scope.js';
import { predicateScorer } from '../scorers/predicate.js';
import { productScorer } from '../scorers/product.js';
import type { Scorer } from '../scorers/scorer.js';
import { createTaskScorer, tasks } from '../scorers/task-scorer.js';
import { thresholdScorer } from '../scorers/threshold.js';
import { checkBatch } from '../scorers/validate.js';
import { fail } from '../util/errors.js';

const named = { name: z.string().min(1).optional() };
const scoped = { scope: z.enum(['text', 'function']).default('text') };

export const featureSchema = z.union([
  z.strictObject({ contains: z.string().min(1), case_sensitive: z.boolean().default(false), whole_word: z.boolean().default(true), ...named }),
  z.strictObject({ regex: z.string().min(1), flags: z.string().regex(/^[imsu]*$/, 'must use only the flags i, m, s and u').default(''), ...named }),
  z.strictObject({ task: z.enum(tasks), at_most: z.number().optional(), ...scoped, ...named })
    .refine((s) => s.scope === 'text' || s.at_most !== undefined, { message: 'scope: function needs at_most (a 0/1 feature of the function)', path: ['scope'] }),
  z.strictObject({ compiles: z.literal(true), ...scoped, ...named }),
  z.strictObject({ length: z.literal('characters'), ...named }),
]);

export type FeatureSpec = z.infer<typeof featureSchema>;

/** Whether a spec names a 0/1 feature. */
export function isBooleanSpec(spec: FeatureSpec): boolean {
  return 'contains' in spec || 'regex' in spec || 'compiles' in spec || ('task' in spec && spec.at_most !== undefined);
}

export interface Feature {
  scorer: Scorer;
  /** The scorer returns only 0 and 1. */
  boolean: boolean;
}

export async function buildFeature(spec: FeatureSpec): Promise<Feature> {
  const rename = (s: Scorer): Scorer => (spec.name === undefined ? s : { ...s, name: spec.name, score: s.score.bind(s), close: s.close?.bind(s) });
  if ('contains' in spec) return { scorer: rename(containsScorer(spec.contains, spec.case_sensitive, spec.whole_word)), boolean: true };
  if ('regex' in spec) {
    let re: RegExp;
    try {
      re = new RegExp(spec.regex, spec.flags);
    } catch (e) {
      fail(`the regular expression /${spec.regex}/ is invalid: ${(e as Error).message}`);
    }
    return { scorer: rename(predicateScorer(`regex /${spec.regex}/${spec.flags}`, (t) => re.test(t))), boolean: true };
  }
  const inScope = (s: Scorer) => ('scope' in spec && spec.scope === 'function' ? functionScoped(s) : s);
  if ('task' in spec) {
    const raw = await createTaskScorer(spec.task);
    return spec.at_most === undefined ? { scorer: rename(raw), boolean: false } : { scorer: rename(inScope(thresholdScorer(raw, spec.at_most))), boolean: true };
  }
  if ('compiles' in spec) return { scorer: rename(inScope(await compilesScorer())), boolean: true };
  return { scorer: rename({ name: 'length', score: async (texts) => Float64Array.from(texts, (t) => [...t].length) }), boolean: false };
}

/** A reward: one feature, or the product of several (for 0/1 features: 1 when all hold); closing it closes them all. */
export async function buildReward(spec: FeatureSpec | readonly FeatureSpec[]): Promise<Scorer> {
  if (!Array.isArray(spec)) return (await buildFeature(spec as FeatureSpec)).scorer;
  const factors: Scorer[] = [];
  for (const s of spec) factors.push((await buildFeature(s)).scorer);
  return productScorer(factors);
}

/** 1 when the text contains `word`: as a whole word (not inside a longer one) unless `wholeWord` is off. */
export function containsScorer(word: string, caseSensitive = false, wholeWord = true): Scorer {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(wholeWord ? `(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])` : escaped, caseSensitive ? 'u' : 'iu');
  return predicateScorer(`contains "${word}"`, (t) => re.test(t));
}

async function compilesScorer(): Promise<Scorer> {
  const { createPep8Scorer } = await import('../scorers/pep8.js');
  const pep8 = createPep8Scorer();
  return {
    name: 'compiles',
    async score(texts, contexts) {
      checkBatch('compiles', texts, contexts);
      return Float64Array.from(await pep8.compiles(texts, contexts), (ok) => (ok ? 1 : 0));
    },
    close: () => pep8.close(),
  };
}
