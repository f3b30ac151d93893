// How the evaluation samples (SPEC §9): temperature 0.7, top-p 0.9, at least 10 and at
// most 128 new tokens, from the model's evaluation prompt plus any text prompt, with a
// conditional model's control tokens banned. A sample's tokens stop before its EOS.
import { generate } from '../lm/generate.js';
import { fail } from '../util/errors.js';
import type { EvalModel } from './eval-model.js';

export interface SamplingSettings {
  temperature: number;
  topP: number;
  minNewTokens: number;
  maxNewTokens: number;
}

export const EVAL_SAMPLING: Readonly<SamplingSettings> = { temperature: 0.7, topP: 0.9, minNewTokens: 10, maxNewTokens: 128 };

export interface TextSample {
  /** Index of the text prompt it continues. */
  promptIndex: number;
  /** The new tokens, without the EOS that ended the sample. */
  tokens: Int32Array;
  text: string;
  /** Whether it ended with EOS rather than at the length limit. */
  finished: boolean;
}

/** Rows decoded together: large enough to keep the GEMMs busy, small enough for any context. */
const BATCH_ROWS = 50;

/**
 * `perPrompt` samples after each token prompt (which follows the model's own start
 * prompt); LibTorch's RNG must be seeded by the caller. The number of new tokens is
 * cut to what the model's context leaves after the longest prompt.
 */
export function sampleTexts(m: EvalModel, prompts: readonly Int32Array[], perPrompt: number, settings: SamplingSettings = EVAL_SAMPLING): TextSample[] {
  const full = prompts.map((p) => concat(m.prompt, p));
  const longest = Math.max(...full.map((p) => p.length));
  const context = m.model.config.n_positions;
  if (longest >= context) fail(`a prompt of ${longest} tokens leaves no room for new tokens in the context of ${context} of model ${m.dir}`);
  const maxNewTokens = Math.min(settings.maxNewTokens, context - longest + 1);
  const samples = generate(m.model, full, {
    maxNewTokens, minNewTokens: Math.min(settings.minNewTokens, maxNewTokens), temperature: settings.temperature, topP: settings.topP,
    eosId: m.eosId, bannedIds: m.banned, numReturnSequences: perPrompt, batchSize: BATCH_ROWS,
  });
  return samples.map((s) => {
    const tokens = s.finished ? s.tokens.slice(0, -1) : s.tokens;
    return { promptIndex: s.promptIndex, tokens, text: m.tokenizer.decode(tokens, { skipSpecial: true }), finished: s.finished };
  });
}

/** n unconditional samples (continuations of the start prompt alone). */
export function unconditionalSamples(m: EvalModel, n: number, settings: SamplingSettings = EVAL_SAMPLING): TextSample[] {
  return sampleTexts(m, [new Int32Array(0)], n, settings);
}

function concat(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
