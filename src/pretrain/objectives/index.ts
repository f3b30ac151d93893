// The objectives a pretraining config can name (`objective: mle` or
// `objective: {name: conditional, threshold: 0.1}`). Each entry validates its own
// parameters, so a typo in one is reported by field, like the rest of the config.
import { z } from 'zod';
import { parseConfig } from '../../util/config.js';
import { fail } from '../../util/errors.js';
import type { Objective } from '../objective.js';
import { MleObjective } from './mle.js';

interface ObjectiveEntry {
  /** The parameters besides `name` (a strict object, defaults filled in). */
  params: z.ZodObject;
  create(params: Record<string, unknown>): Objective;
}

const registry: Record<string, ObjectiveEntry> = {
  mle: { params: z.strictObject({}), create: () => new MleObjective() },
};

export const objectiveNames = Object.keys(registry);

/** Builds the objective a config names; `source` starts error sentences (e.g. `config run.yaml`). */
export function createObjective(spec: { name: string } & Record<string, unknown>, source: string): Objective {
  const entry = registry[spec.name];
  if (!entry) fail(`${source}: field \`objective\` names an unknown objective '${spec.name}' (known: ${objectiveNames.join(', ')})`);
  const schema = z.object({ objective: entry.params.extend({ name: z.string() }) });
  const { objective } = parseConfig({ objective: spec }, schema, source);
  const { name: _, ...params } = objective as Record<string, unknown>;
  return entry.create(params);
}
