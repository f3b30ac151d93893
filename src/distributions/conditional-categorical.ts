// A conditional toy a(x|c): one Categorical per context. It lets the CDPG estimators
// and tuners be tested in closed form, context by context.
import { fail } from '../util/errors.js';
import type { Categorical } from './categorical.js';
import { BaseDistribution, checkCount, perSampleContexts, type Contexts, type Sample, type Sampled, type SampleOptions } from './distribution.js';

export class ConditionalCategorical extends BaseDistribution {
  private readonly table: Map<string, Categorical>;

  constructor(table: ReadonlyMap<string, Categorical> | Readonly<Record<string, Categorical>>) {
    super();
    this.table = new Map(table instanceof Map ? table : Object.entries(table));
    if (this.table.size === 0) fail('a conditional categorical distribution needs at least one context.');
  }

  contexts(): string[] {
    return [...this.table.keys()];
  }

  /** The distribution x | context. */
  given(context: string | undefined): Categorical {
    if (context === undefined) fail('this distribution is conditional: give a context.');
    const d = this.table.get(context);
    if (d === undefined) fail(`unknown context "${context}".`);
    return d;
  }

  async sample(n: number, context?: string, opts?: SampleOptions): Promise<Sampled> {
    checkCount(n);
    return this.given(context).sample(n, context, opts);
  }

  async logScore(samples: readonly Sample[], context?: Contexts): Promise<Float64Array> {
    const contexts = perSampleContexts(context, samples.length);
    const out = new Float64Array(samples.length);
    for (let i = 0; i < samples.length; i++) out[i] = (await this.given(contexts?.[i]).logScore([samples[i]]))[0];
    return out;
  }
}
