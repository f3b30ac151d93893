// The objectives a pretraining config can name (`objective: mle` or
// `objective: {name: conditional, threshold: 0.1}`). Each entry validates its own
// parameters, so a typo in one is reported by field, like the rest of the config.
// Every objective also takes `regime` (pretrain | finetune, see ../regime.ts).
import { z } from 'zod';
import { parseConfig } from '../../util/config.js';
import { fail } from '../../util/errors.js';
import type { Objective } from '../objective.js';
import { REGIMES, withRegime, type Regime } from '../regime.js';
import { AwrObjective } from './awr.js';
import { ConditionalObjective } from './conditional.js';
import { FilteringObjective } from './filtering.js';
import { MleObjective } from './mle.js';
import { RwrObjective } from './rwr.js';
import { checkThresholdSpec, thresholdParams } from './threshold.js';
import { UnlikelihoodObjective } from './unlikelihood.js';

interface ObjectiveEntry<P extends z.ZodRawShape = z.ZodRawShape> {
  /** The parameters besides `name` and `regime` (a strict object, defaults filled in). */
  params: z.ZodObject<P>;
  /** `source` starts the sentences of errors found later (a threshold outside the corpus's scores). */
  create(params: z.infer<z.ZodObject<P>>, source: string): Objective;
}

function entry<P extends z.ZodRawShape>(e: ObjectiveEntry<P>): ObjectiveEntry {
  return e as unknown as ObjectiveEntry;
}

const positive = z.number().positive();

const registry: Record<string, ObjectiveEntry> = {
  mle: entry({ params: z.strictObject({}), create: () => new MleObjective() }),
  filtering: entry({
    params: z.strictObject(thresholdParams),
    create: (p, source) => (checkThresholdSpec(p, source), new FilteringObjective(p, source)),
  }),
  conditional: entry({
    params: z.strictObject({ ...thresholdParams, drop_prob: z.number().min(0).max(1).default(0.01) }),
    create: (p, source) => (checkThresholdSpec(p, source), new ConditionalObjective(p, source)),
  }),
  unlikelihood: entry({
    params: z.strictObject({ ...thresholdParams, alpha: z.number().nonnegative().default(1) }),
    create: (p, source) => (checkThresholdSpec(p, source), new UnlikelihoodObjective(p, source)),
  }),
  rwr: entry({ params: z.strictObject({ beta: positive.default(10) }), create: (p) => new RwrObjective(p) }),
  awr: entry({
    params: z.strictObject({ alpha: z.number().min(0).max(1).default(0.5), beta: positive.default(1) }),
    create: (p) => new AwrObjective(p),
  }),
};

export const objectiveNames = Object.keys(registry);

/** Builds the objective a config names; `source` starts error sentences (e.g. `config run.yaml`). */
export function createObjective(spec: { name: string } & Record<string, unknown>, source: string): Objective {
  const entry = registry[spec.name];
  if (!entry) fail(`${source}: field \`objective\` names an unknown objective '${spec.name}' (known: ${objectiveNames.join(', ')})`);
  const schema = z.object({ objective: entry.params.extend({ name: z.string(), regime: z.enum(REGIMES).default('pretrain') }) });
  const { objective } = parseConfig({ objective: spec }, schema, source);
  const { name: _, regime, ...params } = objective as Record<string, unknown> & { regime: Regime };
  return withRegime(entry.create(params, source), regime);
}
