// A target as a config file (YAML or JSON), shared by `posterior tune`, `estimate` and
// `qrs`: the prior a (an LM checkpoint directory, or a small categorical for a toy),
// optionally a prompt file that makes it conditional, and the evidence —
//   factors:      require / forbid a boolean feature (pointwise, b ∈ {0,1}), or
//                 exponential: exp(coefficient · φ(x)) with the raw feature (RLHF's a·exp(r/β));
//   constraints:  E_p[φ] = moment (GDC), fitted by `constrain` on a pool from the prior.
// Paths are relative to the working directory, as on the command line.
import { z } from 'zod';
import { BooleanFactor } from '../distributions/boolean-factor.js';
import { Categorical } from '../distributions/categorical.js';
import { ContextDistribution } from '../distributions/context-distribution.js';
import type { Distribution, SampleOptions } from '../distributions/distribution.js';
import { EBM, type Factor } from '../distributions/ebm.js';
import { ExponentialFactor } from '../distributions/exponential-factor.js';
import { LMDistribution, type LMSampleOptions } from '../distributions/lm-distribution.js';
import { constrain } from '../estimators/constrain.js';
import type { Warn } from '../estimators/warning.js';
import type { Scorer } from '../scorers/scorer.js';
import { loadConfig, parseConfig } from '../util/config.js';
import { Random } from '../util/random.js';
import { buildFeature, featureSchema, isBooleanSpec, type Feature } from './feature-spec.js';

const factorSchema = z.union([
  z.strictObject({ require: featureSchema }),
  z.strictObject({ forbid: featureSchema }),
  z.strictObject({ exponential: featureSchema, coefficient: z.number() }),
]);

export const targetSchema = z
  .strictObject({
    /** An LM checkpoint directory, or {texts, weights} for a categorical toy prior. */
    prior: z.union([z.string().min(1), z.strictObject({ texts: z.array(z.string()).min(1), weights: z.array(z.number().nonnegative()).min(1) })]),
    /** A prompt file (one per line, or JSONL): the target becomes conditional, one per prompt. */
    contexts: z.string().min(1).optional(),
    /** The JSONL field holding a prompt (default "prompt"). */
    contexts_field: z.string().min(1).optional(),
    factors: z.array(factorSchema).default([]),
    constraints: z.array(z.strictObject({ feature: featureSchema, moment: z.number() })).default([]),
    /** The pool on which λ is fitted for distributional constraints. */
    fit: z
      .strictObject({
        pool_size: z.number().int().positive().default(4096),
        batch_size: z.number().int().positive().default(256),
        lr: z.number().positive().optional(),
        tol: z.number().positive().optional(),
        max_iter: z.number().int().positive().optional(),
        seed: z.number().int().nonnegative().default(0),
      })
      .prefault({}),
  })
  .superRefine((t, ctx) => {
    if (t.factors.length === 0 && t.constraints.length === 0) ctx.addIssue({ code: 'custom', path: ['factors'], message: 'needs at least one factor or constraint (without evidence the target is the prior itself)' });
    if (typeof t.prior !== 'string' && t.prior.texts.length !== t.prior.weights.length) ctx.addIssue({ code: 'custom', path: ['prior', 'weights'], message: `must have one weight per text (${t.prior.texts.length}), got ${t.prior.weights.length}` });
    if (typeof t.prior !== 'string' && t.contexts !== undefined) ctx.addIssue({ code: 'custom', path: ['contexts'], message: 'needs an LM prior; a categorical toy prior is unconditional' });
    t.factors.forEach((f, i) => {
      const spec = 'require' in f ? f.require : 'forbid' in f ? f.forbid : undefined;
      if (spec !== undefined && !isBooleanSpec(spec)) ctx.addIssue({ code: 'custom', path: ['factors', i, 'require' in f ? 'require' : 'forbid'], message: 'must be a boolean feature (contains, regex, compiles, or a task with at_most); a raw score belongs in an exponential factor' });
    });
    if (t.contexts !== undefined && t.constraints.length > 0) ctx.addIssue({ code: 'custom', path: ['constraints'], message: 'cannot be combined with contexts: distributional constraints are fitted for one unconditional prior' });
  });

export type TargetConfig = z.infer<typeof targetSchema>;

export function loadTargetConfig(path: string): TargetConfig {
  return loadConfig(path, targetSchema);
}

export function parseTargetConfig(raw: unknown, source: string): TargetConfig {
  return parseConfig(raw, targetSchema, source);
}

export interface LoadedTarget {
  /** The prior a: an LMDistribution or a Categorical. */
  prior: Distribution;
  target: EBM;
  contexts?: ContextDistribution;
  /** Every feature the target uses, by name (for metrics). */
  features: Scorer[];
  /** λ and the moment reached, per distributional constraint. */
  fitted: { name: string; lambda: number; moment: number }[];
  /** Releases the scorers' workers. */
  close(): Promise<void>;
}

export interface LoadTargetOptions {
  /** How the prior samples the pool for distributional constraints. */
  sampleOptions?: Omit<LMSampleOptions, 'random'>;
  warn?: Warn;
}

export async function loadTarget(t: TargetConfig, opts: LoadTargetOptions = {}): Promise<LoadedTarget> {
  const prior: Distribution = typeof t.prior === 'string' ? await LMDistribution.load(t.prior, { sampling: opts.sampleOptions }) : Categorical.fromWeights(t.prior.texts, t.prior.weights);
  const built: Feature[] = [];
  const feature = async (spec: z.infer<typeof featureSchema>): Promise<Feature> => {
    const f = await buildFeature(spec);
    built.push(f);
    return f;
  };
  const close = async () => {
    for (const f of built) await f.scorer.close?.();
  };
  try {
    const factors: Factor[] = [];
    for (const f of t.factors) {
      if ('require' in f) factors.push(booleanFactor(await feature(f.require), false));
      else if ('forbid' in f) factors.push(booleanFactor(await feature(f.forbid), true));
      else factors.push(new ExponentialFactor((await feature(f.exponential)).scorer, f.coefficient));
    }
    let target = new EBM(prior, factors);
    const fitted: LoadedTarget['fitted'] = [];
    if (t.constraints.length > 0) {
      const features = await Promise.all(t.constraints.map((c) => feature(c.feature)));
      const c = await constrain<SampleOptions>(
        target.base,
        t.constraints.map((k, i) => ({ feature: features[i]!.scorer, moment: k.moment, boolean: features[i]!.boolean })),
        { poolSize: t.fit.pool_size, batchSize: t.fit.batch_size, lr: t.fit.lr, tol: t.fit.tol, maxIter: t.fit.max_iter, random: new Random(t.fit.seed), warn: opts.warn },
      );
      target = new EBM(prior, [...factors, ...c.ebm.factors]);
      features.forEach((f, i) => fitted.push({ name: f.scorer.name, lambda: c.lambdas[i]!, moment: c.moments[i]! }));
    }
    const contexts = t.contexts === undefined ? undefined : await ContextDistribution.fromFile(t.contexts, { field: t.contexts_field });
    return { prior, target, contexts, features: built.map((f) => f.scorer), fitted, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function booleanFactor(f: Feature, negate: boolean): Factor {
  if (!f.boolean) throw new Error(`feature ${f.scorer.name} is not boolean; the schema should have refused it`);
  return new BooleanFactor(f.scorer, negate);
}
