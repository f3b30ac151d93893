// The demo's settings: how much of the PEP8 corpus, how large a tokenizer and model,
// how long to train and how much to evaluate. Two presets fit the time budgets on a
// 2-core machine: the default (under 15 minutes from a fresh machine) and --quick (a
// smoke test of every stage, under 3 minutes).

export interface DemoConfig {
  /** Names the preset in the report. */
  preset: string;
  seed: number;
  /** Documents kept from each corpus source (the standard library and Django), in path order. */
  maxPerSource: number;
  vocabSize: number;
  model: { n_layer: number; n_embd: number; n_head: number; block_size: number };
  training: { steps: number; batch_size: number; lr: number; warmup_steps: number; eval_interval: number };
  /** Conditional training leaves this share of segments without a control token (SPEC §8: 10% for code). */
  dropProb: number;
  eval: {
    /** Unconditional samples for misalignment and diversity (at least 25, for max@25). */
    samples: number;
    /** Samples of the reference (the MLE model) for KL estimates. */
    referenceSamples: number;
    nextWordItems: number;
    compileItems: number;
    lossTokens: number;
    /** Samples of each model shown in the report. */
    shown: number;
  };
}

/**
 * About 2.6 M characters of Python, a 4 × 256 GPT trained 360 steps of 16 × 128 tokens
 * (737k tokens) per objective, and SPEC §9's 200 evaluation samples.
 */
export const DEFAULT_DEMO: Readonly<DemoConfig> = {
  preset: 'default',
  seed: 0,
  maxPerSource: 150,
  vocabSize: 4096,
  model: { n_layer: 4, n_embd: 256, n_head: 4, block_size: 128 },
  training: { steps: 360, batch_size: 16, lr: 1e-3, warmup_steps: 30, eval_interval: 60 },
  dropProb: 0.1,
  eval: { samples: 200, referenceSamples: 256, nextWordItems: 100, compileItems: 50, lossTokens: 32_768, shown: 3 },
};

/** Every stage on a slice of the corpus with a tiny model: it shows the path works, not the effect. */
export const QUICK_DEMO: Readonly<DemoConfig> = {
  preset: 'quick',
  seed: 0,
  maxPerSource: 20,
  vocabSize: 1024,
  model: { n_layer: 2, n_embd: 64, n_head: 2, block_size: 64 },
  training: { steps: 60, batch_size: 16, lr: 3e-3, warmup_steps: 6, eval_interval: 20 },
  dropProb: 0.1,
  eval: { samples: 50, referenceSamples: 64, nextWordItems: 20, compileItems: 10, lossTokens: 8_192, shown: 2 },
};
