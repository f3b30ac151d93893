// AdamW with parameter groups (decoupled weight decay, as torch.optim.AdamW). The
// moment estimates are ordinary tensors, so checkpoints save and restore them.
import { native } from './native.js';
import { zeros } from './create.js';
import { PosteriorError } from '../util/errors.js';
import type { Tensor } from './tensor.js';

export interface ParamGroup {
  params: Tensor[];
  /** Defaults to the optimiser's weightDecay. */
  weightDecay?: number;
}

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  expAvg: Tensor[];
  expAvgSq: Tensor[];
}

export class AdamW {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private stepCount = 0;
  private readonly groups: ParamGroup[];
  private readonly expAvg: Tensor[][];
  private readonly expAvgSq: Tensor[][];

  constructor(groups: ParamGroup[], opts: AdamWOptions) {
    this.groups = groups;
    this.lr = opts.lr;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    const like = (p: Tensor) => zeros(p.shape, 'float32', p.device).keep();
    this.expAvg = groups.map((g) => g.params.map(like));
    this.expAvgSq = groups.map((g) => g.params.map(like));
  }

  get step(): number {
    return this.stepCount;
  }

  /** One update from the parameters' current gradients. */
  update(): void {
    this.stepCount++;
    const [b1, b2] = this.betas;
    this.groups.forEach((g, i) => {
      native.adamwStep(
        g.params.map((p) => p.handle),
        this.expAvg[i]!.map((t) => t.handle),
        this.expAvgSq[i]!.map((t) => t.handle),
        this.stepCount, this.lr, b1, b2, this.eps, g.weightDecay ?? this.weightDecay,
      );
    });
  }

  /** The state, flattened in group order (views of the live tensors, not copies). */
  state(): AdamWState {
    return { step: this.stepCount, expAvg: this.expAvg.flat(), expAvgSq: this.expAvgSq.flat() };
  }

  load(state: AdamWState): void {
    const mine = this.state();
    if (state.expAvg.length !== mine.expAvg.length || state.expAvgSq.length !== mine.expAvgSq.length) {
      throw new PosteriorError(`optimiser state holds ${state.expAvg.length} tensors but the model has ${mine.expAvg.length} parameters`);
    }
    mine.expAvg.forEach((t, i) => t.copy_(state.expAvg[i]!));
    mine.expAvgSq.forEach((t, i) => t.copy_(state.expAvgSq[i]!));
    this.stepCount = state.step;
  }
}
