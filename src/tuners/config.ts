// The tuning config (`posterior tune --config FILE`), YAML or JSON, validated strictly:
// an unknown field or a wrong type is one sentence naming the file and the field. The
// target is a target config (a path, or inline); the method picks the loss strategy
// and carries its own options; the budget is `steps` × contexts × samples.
import { z } from 'zod';
import { loadConfig, parseConfig } from '../util/config.js';
import { groupBaselines } from './baseline.js';
import { fDivergences } from './f-dpg.js';
import { featureSchema } from './feature-spec.js';
import { targetSchema } from './target-config.js';

const positiveInt = z.number().int().positive();

/** β: a number (fixed), or the adaptive controller of Ziegler et al. */
const klSchema = z.union([
  z.number().min(0),
  z.strictObject({ init_beta: z.number().positive(), target: z.number().positive(), horizon: z.number().positive().default(10_000) }),
]);

const methodSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('dpg') }),
  z.strictObject({ name: z.literal('kl-dpg'), interval: positiveInt.default(16) }),
  z.strictObject({
    name: z.literal('f-dpg'),
    divergence: z.enum(fDivergences),
    baseline: z.enum(['running-mean', 'batch-mean', 'none']).default('running-mean'),
    momentum: z.number().min(0).lt(1).default(0.9),
    max_log_ratio: z.number().positive().default(10),
  }),
  z.strictObject({ name: z.literal('gdc') }),
  z.strictObject({ name: z.literal('cdpg'), epsilon: z.number().min(0).default(1e-4) }),
  z.strictObject({ name: z.literal('reinforce'), kl: klSchema.default(0), baseline: z.enum(groupBaselines).default('batch-mean') }),
  z.strictObject({
    name: z.literal('ppo'),
    kl: klSchema.default(0.05),
    epochs: positiveInt.default(4),
    minibatches: positiveInt.default(1),
    clip_ratio: z.number().positive().default(0.2),
    value_clip: z.number().positive().default(0.2),
    gamma: z.number().gt(0).max(1).default(1),
    gae_lambda: z.number().min(0).max(1).default(0.95),
    value_coef: z.number().positive().default(0.1),
    whiten: z.boolean().default(true),
  }),
]);

export type MethodConfig = z.infer<typeof methodSchema>;
export const methods = methodSchema.options.map((o) => o.shape.name.value);

const samplingSchema = z.strictObject({
  /** C: contexts drawn per step (conditional targets only; default 16). */
  contexts_per_step: positiveInt.optional(),
  /** M: samples per context (default 64). */
  samples_per_context: positiveInt.default(64),
  temperature: z.number().positive().default(1),
  top_k: positiveInt.optional(),
  top_p: z.number().gt(0).max(1).optional(),
  max_new_tokens: positiveInt.default(64),
  min_new_tokens: z.number().int().nonnegative().optional(),
});

const optimizerSchema = z.strictObject({
  lr: z.number().positive().default(1e-5),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().positive().default(1e-8),
  weight_decay: z.number().nonnegative().default(0),
  grad_clip: z.number().positive().nullable().default(1),
});

export const tuneConfigSchema = z
  .strictObject({
    out_dir: z.string().min(1),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** LibTorch intra-op threads; default: LibTorch's choice. */
    threads: positiveInt.optional(),
    /** A target config file, or the target inline. */
    target: z.union([z.string().min(1), targetSchema]),
    /** Start the policy from this checkpoint instead of the prior. */
    init: z.string().min(1).optional(),
    method: methodSchema,
    /** r(x, c) for REINFORCE and PPO; a list is the product of its features (for 0/1 features: all hold). */
    reward: z.union([featureSchema, z.array(featureSchema).min(1)]).optional(),
    /** Features whose E_π is logged (the target's own features always are). */
    monitor: z.array(featureSchema).default([]),
    steps: positiveInt,
    sampling: samplingSchema.prefault({}),
    optimizer: optimizerSchema.prefault({}),
    partition: z
      .strictObject({
        /** EMA weight of each batch in the running Ẑ; null for the cumulative mean. */
        momentum: z.number().gt(0).max(1).nullable().default(null),
        /** One Ẑ for all contexts of a conditional target (the context-free baseline of CDPG). */
        pooled: z.boolean().default(false),
        max_empty_steps: positiveInt.default(20),
      })
      .prefault({}),
    checkpoint_interval: positiveInt.default(100),
  })
  .superRefine((c, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const rl = c.method.name === 'reinforce' || c.method.name === 'ppo';
    if (rl && c.reward === undefined) problem(['reward'], `is required by ${c.method.name}`);
    if (!rl && c.reward !== undefined) problem(['reward'], `is only used by reinforce and ppo; ${c.method.name} matches the target`);
    if (typeof c.target === 'object') {
      if (c.method.name === 'gdc' && c.target.constraints.length === 0) problem(['target', 'constraints'], 'needs at least one constraint for gdc (a distributional target)');
      if (c.method.name === 'cdpg' && c.target.contexts === undefined) problem(['target', 'contexts'], 'is required by cdpg (a conditional target)');
    }
  });

export type TuneConfig = z.infer<typeof tuneConfigSchema>;

/** Fields a resumed run may change: they do not alter what was computed so far. */
export const MAY_CHANGE = ['out_dir', 'steps', 'checkpoint_interval', 'threads'];

export function parseTuneConfig(raw: unknown, source: string): TuneConfig {
  return parseConfig(raw, tuneConfigSchema, source);
}

export function loadTuneConfig(path: string): TuneConfig {
  return loadConfig(path, tuneConfigSchema);
}
