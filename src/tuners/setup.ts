// From a tuning config to a ready Tuner: load the target (the prior and its evidence),
// make the policy (a copy of the prior, or the `init` checkpoint), pick the strategy and
// its options, and wire metrics, checkpoints and resume checks to the output directory.
import { join } from 'node:path';
import { CategoricalPolicy } from '../distributions/categorical-policy.js';
import { Categorical } from '../distributions/categorical.js';
import { LMDistribution, type LMSampleOptions } from '../distributions/lm-distribution.js';
import { isTokenLevel, type TrainablePolicy } from '../distributions/trainable.js';
import type { Warn } from '../estimators/warning.js';
import { setNumThreads } from '../engine/random.js';
import type { Scorer } from '../scorers/scorer.js';
import { fail } from '../util/errors.js';
import type { ProgressStream } from '../util/progress.js';
import { CHECKPOINT_DIR, firstDifference, readConfigSnapshot } from './checkpoint.js';
import { MAY_CHANGE, type MethodConfig, type TuneConfig } from './config.js';
import { DPG } from './dpg.js';
import { FDPG } from './f-dpg.js';
import { buildFeature, buildReward } from './feature-spec.js';
import { AdaptiveKLController, FixedKLController, type KLController } from './kl-controller.js';
import { KLAdaptiveDPG } from './kl-dpg.js';
import { PPO } from './ppo.js';
import { Reinforce } from './reinforce.js';
import type { Strategy } from './strategy.js';
import { loadTarget, loadTargetConfig, type LoadedTarget, type TargetConfig } from './target-config.js';
import { Tuner, type TunerOptions } from './tuner.js';

export interface SetupOptions {
  /** Names the config in sentences, e.g. `config tune.yaml`. */
  source: string;
  resume?: boolean;
  stream?: ProgressStream;
  signal?: AbortSignal;
  warn?: Warn;
  onStep?: TunerOptions['onStep'];
}

export interface TuneSetup {
  tuner: Tuner;
  policy: TrainablePolicy;
  target: LoadedTarget;
  /** Releases scorer workers and native memory. */
  close(): Promise<void>;
}

export async function setupTuning(config: TuneConfig, opts: SetupOptions): Promise<TuneSetup> {
  if (config.threads) setNumThreads(config.threads);
  if (opts.resume) checkSameRun(config, opts.source);
  const targetConfig = typeof config.target === 'string' ? loadTargetConfig(config.target) : config.target;
  checkMethodFits(config.method, targetConfig, opts.source);
  const s = config.sampling;
  const sampleOptions: Omit<LMSampleOptions, 'random'> = { temperature: s.temperature, topK: s.top_k, topP: s.top_p, maxNewTokens: s.max_new_tokens, minNewTokens: s.min_new_tokens };
  const target = await loadTarget(targetConfig, { sampleOptions, warn: opts.warn });
  const scorers: Scorer[] = [];
  const close = async () => {
    await target.close();
    for (const sc of scorers) await sc.close?.();
  };
  try {
    const policy = await makePolicy(target, config, opts.source, sampleOptions);
    const strategy = makeStrategy(config.method, policy);
    const reward = config.reward === undefined ? undefined : await buildReward(config.reward);
    if (reward) scorers.push(reward);
    const monitor = [...target.features];
    for (const spec of config.monitor) {
      const f = (await buildFeature(spec)).scorer;
      scorers.push(f);
      if (!monitor.some((m) => m.name === f.name)) monitor.push(f);
    }
    const tuner = new Tuner({
      policy, base: target.prior, target: target.target, reward, monitor, contexts: target.contexts, strategy, steps: config.steps,
      contextsPerStep: s.contexts_per_step, samplesPerContext: s.samples_per_context, sampleOptions,
      optimizer: { lr: config.optimizer.lr, betas: config.optimizer.betas, eps: config.optimizer.eps, weightDecay: config.optimizer.weight_decay, gradClip: config.optimizer.grad_clip },
      partition: config.method.name === 'cdpg' ? { kind: 'per-context', epsilon: config.method.epsilon } : { kind: 'running', momentum: config.partition.momentum ?? undefined, pooled: config.partition.pooled },
      maxEmptySteps: config.partition.max_empty_steps, seed: config.seed, outDir: config.out_dir, checkpointInterval: config.checkpoint_interval,
      config, warn: opts.warn, stream: opts.stream, signal: opts.signal, onStep: opts.onStep,
    });
    return {
      tuner, policy, target,
      close: async () => {
        tuner.dispose();
        policy.dispose();
        await close();
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

function makePolicy(target: LoadedTarget, config: TuneConfig, source: string, sampling: Omit<LMSampleOptions, 'random'>): Promise<TrainablePolicy> | TrainablePolicy {
  if (target.prior instanceof Categorical) {
    if (config.init !== undefined) fail(`${source}: field \`init\` needs an LM prior; a categorical toy policy always starts at the prior`);
    return CategoricalPolicy.from(target.prior, { seed: config.seed });
  }
  if (!(target.prior instanceof LMDistribution)) throw new Error('the prior is neither an LM nor a categorical');
  return config.init === undefined ? copyOf(target.prior, sampling) : LMDistribution.load(config.init, { sampling });
}

// The policy starts as an independent, trainable copy of the prior's weights.
function copyOf(prior: LMDistribution, sampling: Omit<LMSampleOptions, 'random'>): LMDistribution {
  const frozen = prior.frozenCopy();
  for (const t of frozen.parameters()) t.requiresGrad_(true);
  return new LMDistribution(frozen.model, frozen.tokenizer, { ...prior.options, sampling });
}

export function makeStrategy(m: MethodConfig, policy: TrainablePolicy): Strategy {
  switch (m.name) {
    case 'dpg':
    case 'gdc':
    case 'cdpg':
      return new DPG();
    case 'kl-dpg':
      return new KLAdaptiveDPG(policy, { interval: m.interval });
    case 'f-dpg':
      return new FDPG({ divergence: m.divergence, baseline: m.baseline, momentum: m.momentum, maxLogRatio: m.max_log_ratio });
    case 'reinforce':
      return new Reinforce({ kl: klController(m.kl), baseline: m.baseline });
    case 'ppo':
      if (!isTokenLevel(policy)) fail('ppo needs a policy with per-token log-probabilities and hidden states.');
      return new PPO(policy, {
        kl: klController(m.kl), epochs: m.epochs, minibatches: m.minibatches, clipRatio: m.clip_ratio, valueClip: m.value_clip,
        gamma: m.gamma, lambda: m.gae_lambda, valueCoef: m.value_coef, whiten: m.whiten,
      });
  }
}

function klController(kl: number | { init_beta: number; target: number; horizon: number }): KLController {
  return typeof kl === 'number' ? new FixedKLController(kl) : new AdaptiveKLController({ initBeta: kl.init_beta, target: kl.target, horizon: kl.horizon });
}

function checkMethodFits(m: MethodConfig, t: TargetConfig, source: string): void {
  if (m.name === 'gdc' && t.constraints.length === 0) fail(`${source}: method gdc needs a target with constraints (a distributional target), and the target has none`);
  if (m.name === 'cdpg' && t.contexts === undefined) fail(`${source}: method cdpg needs a conditional target (one with contexts), and the target has none`);
}

function checkSameRun(config: TuneConfig, source: string): void {
  const dir = join(config.out_dir, CHECKPOINT_DIR);
  const saved = readConfigSnapshot(dir);
  if (saved === undefined) return;
  const diff = firstDifference(saved, JSON.parse(JSON.stringify(config)), MAY_CHANGE);
  if (diff !== undefined) fail(`${source}: field \`${diff}\` differs from the run in ${dir}, so it cannot be resumed exactly (only ${MAY_CHANGE.join(', ')} may change)`);
}

