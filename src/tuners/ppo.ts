// PPO with a KL penalty (SPEC §6), as in Ziegler et al. and TRL: each token's reward is
// −β·(log π_old − log a) for that token, plus r(x) on the last token; a linear value
// head on the policy's last hidden states gives V_t; advantages by GAE (γ = 1,
// λ = 0.95), whitened; then several epochs over minibatches of the rollout with the
// clipped ratio (ε = 0.2) and a clipped value loss. A policy with one token per sample
// (the categorical toy) makes this the per-sequence version.
import { noGrad } from '../engine/autograd.js';
import { tensor } from '../engine/create.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { TokenLevelPolicy } from '../distributions/trainable.js';
import { ValueHead } from '../lm/value-head.js';
import { fail } from '../util/errors.js';
import type { Random } from '../util/random.js';
import { FixedKLController, type KLController } from './kl-controller.js';
import { required, type Rollout } from './rollout.js';
import type { Metrics, StepContext, Strategy, StrategyState } from './strategy.js';

export interface PPOOptions {
  /** β, fixed or adaptive (default: fixed 0.05). */
  kl?: KLController;
  /** Passes over each rollout (default 4). */
  epochs?: number;
  /** Minibatches per pass (default 1). */
  minibatches?: number;
  /** ε of the clipped ratio (default 0.2). */
  clipRatio?: number;
  /** Clip range of the value update (default 0.2). */
  valueClip?: number;
  gamma?: number;
  /** GAE's λ (default 0.95). */
  lambda?: number;
  /** Weight of the value loss (default 0.1). */
  valueCoef?: number;
  /** Normalise advantages to mean 0, variance 1 over the rollout (default true). */
  whiten?: boolean;
}

/** The rollout seen token by token: row-major [N, L] arrays. */
export interface TokenRollout {
  L: number;
  mask: Float32Array;
  oldLogProbs: Float32Array;
  oldValues: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  /** Σ_t (log π_old − log a) per sample. */
  kl: Float64Array;
}

export class PPO implements Strategy {
  readonly name = 'ppo';
  readonly needs = { target: false, reward: true, tokenLogBase: true };
  readonly usesLogPolicyTensor = false;
  readonly kl: KLController;
  private readonly o: Required<Omit<PPOOptions, 'kl'>>;
  private readonly head: ValueHead;

  constructor(
    private readonly policy: TokenLevelPolicy,
    options: PPOOptions = {},
  ) {
    this.kl = options.kl ?? new FixedKLController(0.05);
    this.o = { epochs: 4, minibatches: 1, clipRatio: 0.2, valueClip: 0.2, gamma: 1, lambda: 0.95, valueCoef: 0.1, whiten: true, ...stripUndefined(options) };
    for (const k of ['epochs', 'minibatches'] as const) if (!Number.isSafeInteger(this.o[k]) || this.o[k] < 1) fail(`PPO's ${k} must be a positive integer, got ${this.o[k]}.`);
    for (const k of ['clipRatio', 'valueClip', 'valueCoef'] as const) if (!(this.o[k] > 0)) fail(`PPO's ${k} must be positive, got ${this.o[k]}.`);
    if (!(this.o.gamma > 0 && this.o.gamma <= 1) || !(this.o.lambda >= 0 && this.o.lambda <= 1)) fail(`PPO needs γ in (0, 1] and λ in [0, 1], got ${this.o.gamma} and ${this.o.lambda}.`);
    this.head = new ValueHead(policy.hiddenSize);
  }

  parameters(): ReadonlyMap<string, Tensor> {
    return this.head.parameters();
  }

  buffers(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  /** V_t for hidden states [N, L, H] → [N, L]. */
  values(hidden: Tensor): Tensor {
    return this.head.values(hidden);
  }

  /** Old log-probs and values, per-token rewards, GAE advantages and returns. */
  prepare(r: Rollout): TokenRollout {
    const reward = required(r, 'reward', this.name);
    const tokenLogBase = required(r, 'tokenLogBase', this.name);
    const beta = this.kl.beta;
    const t = noGrad(() => tidy(() => {
      const tl = this.policy.tokenLogProbs(r.samples, r.contexts);
      return { L: tl.logProbs.shape[1]!, mask: tl.mask.toFloat32Array(), logp: tl.logProbs.toFloat32Array(), values: this.values(tl.hidden).toFloat32Array() };
    }));
    const N = r.samples.length, L = t.L;
    const advantages = new Float32Array(N * L), returns = new Float32Array(N * L), kl = new Float64Array(N);
    for (let n = 0; n < N; n++) {
      let len = 0;
      while (len < L && t.mask[n * L + len] === 1) len++;
      const base = tokenLogBase[n]!;
      if (base.length !== len) fail(`sample ${n} has ${len} tokens under the policy but ${base.length} under the base; they must tokenise alike.`);
      const rewards = new Float64Array(len);
      for (let j = 0; j < len; j++) {
        const d = t.logp[n * L + j]! - base[j]!;
        kl[n] += d;
        rewards[j] = -beta * d;
      }
      if (len > 0) rewards[len - 1] += reward[n]!;
      let gae = 0;
      for (let j = len - 1; j >= 0; j--) {
        const next = j + 1 < len ? t.values[n * L + j + 1]! : 0;
        const delta = rewards[j]! + this.o.gamma * next - t.values[n * L + j]!;
        gae = delta + this.o.gamma * this.o.lambda * gae;
        advantages[n * L + j] = gae;
        returns[n * L + j] = gae + t.values[n * L + j]!;
      }
    }
    if (this.o.whiten) whiten(advantages, t.mask);
    return { L, mask: t.mask, oldLogProbs: t.logp, oldValues: t.values, advantages, returns, kl };
  }

  update(r: Rollout, ctx: StepContext): Metrics {
    const beta = this.kl.beta;
    const p = this.prepare(r);
    const N = r.samples.length;
    const size = Math.ceil(N / this.o.minibatches);
    const sums = { loss: 0, clipfrac: 0, approxkl: 0, vf: 0, grad: 0, n: 0 };
    for (let e = 0; e < this.o.epochs; e++) {
      const order = shuffle(N, ctx.random);
      for (let start = 0; start < N; start += size) {
        const rows = order.slice(start, start + size);
        const m = tidy(() => {
          const out = this.minibatchLoss(r, p, rows);
          const loss = out.loss.item();
          return { ...out, loss, grad: ctx.step(out.loss) };
        });
        sums.grad += m.grad;
        sums.loss += m.loss;
        sums.clipfrac += m.clipfrac;
        sums.approxkl += m.approxkl;
        sums.vf += m.vf;
        sums.n++;
      }
    }
    const meanKL = p.kl.reduce((s, x) => s + x, 0) / N;
    this.kl.update(meanKL, N);
    return {
      loss: sums.loss / sums.n, grad_norm: sums.grad / sums.n, beta,
      'policy/clipfrac': sums.clipfrac / sums.n, 'policy/approxkl': sums.approxkl / sums.n, 'value/loss': sums.vf / sums.n,
    };
  }

  private minibatchLoss(r: Rollout, p: TokenRollout, rows: number[]): { loss: Tensor; clipfrac: number; approxkl: number; vf: number } {
    const L = p.L;
    const samples = rows.map((i) => r.samples[i]!);
    const contexts = r.contexts && rows.map((i) => r.contexts![i]!);
    const tl = this.policy.tokenLogProbs(samples, contexts);
    // The policy pads to the longest row of this minibatch, which may be shorter than L.
    const l = tl.logProbs.shape[1]!;
    const take = (xs: Float32Array) => {
      const out = new Float32Array(rows.length * l);
      rows.forEach((i, k) => out.set(xs.subarray(i * L, i * L + l), k * l));
      return tensor(out, [rows.length, l]);
    };
    const mask = tl.mask, count = mask.sum();
    const masked = (x: Tensor) => x.mul(mask).sum().div(count);
    const oldLogp = take(p.oldLogProbs), adv = take(p.advantages), ret = take(p.returns), oldV = take(p.oldValues);
    const logRatio = tl.logProbs.sub(oldLogp);
    const ratio = logRatio.exp();
    const eps = this.o.clipRatio;
    const pg = masked(adv.neg().mul(ratio).maximum(adv.neg().mul(ratio.clamp(1 - eps, 1 + eps))));
    const v = this.values(tl.hidden);
    const vClipped = oldV.add(v.sub(oldV).clamp(-this.o.valueClip, this.o.valueClip));
    const vf = masked(v.sub(ret).square().maximum(vClipped.sub(ret).square())).mul(0.5);
    const loss = pg.add(vf.mul(this.o.valueCoef));
    const clipfrac = masked(ratio.sub(1).abs().gt(eps).to('float32')).item();
    const approxkl = masked(logRatio.square()).mul(0.5).item();
    return { loss, clipfrac, approxkl, vf: vf.item() };
  }

  state(): StrategyState {
    return { beta: this.kl.state() };
  }

  load(state: StrategyState): void {
    if (typeof state.beta === 'number') this.kl.load(state.beta);
  }

  dispose(): void {
    this.head.dispose();
  }
}

function whiten(xs: Float32Array, mask: Float32Array): void {
  let n = 0, sum = 0, sq = 0;
  for (let i = 0; i < xs.length; i++) if (mask[i] === 1) { n++; sum += xs[i]!; sq += xs[i]! * xs[i]!; }
  if (n < 2) return;
  const mean = sum / n, sd = Math.sqrt(Math.max(sq / n - mean * mean, 0) * (n / (n - 1)));
  for (let i = 0; i < xs.length; i++) if (mask[i] === 1) xs[i] = (xs[i]! - mean) / (sd + 1e-8);
}

/** A Fisher–Yates permutation of 0..n-1 from the tuner's generator (reproducible, checkpointed). */
function shuffle(n: number, random: Random): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
