// The model under evaluation: a checkpoint with its tokenizer, and whether it is
// evaluated as a conditional model (prompted with `<|good|>`, control tokens banned).
// Every generation and scoring of the evaluation starts from `prompt`, so the two
// kinds of model differ in one place only.
import { loadModel } from '../lm/checkpoint.js';
import type { GPT } from '../lm/gpt.js';
import type { Tokenizer } from '../lm/tokenizer.js';
import { fail } from '../util/errors.js';
import { BAD_TOKEN, conditionalPrompt, controlTokenIds, GOOD_TOKEN, hasControlTokens } from '../pretrain/objectives/conditional.js';

export interface EvalModel {
  /** Where it was loaded from, for sentences. */
  dir: string;
  model: GPT;
  tokenizer: Tokenizer;
  eosId: number;
  conditional: boolean;
  /** What every sample starts from: `<|endoftext|>`, then `<|good|>` for a conditional model. */
  prompt: Int32Array;
  /** Never generated: the control tokens of a conditional model. */
  banned: number[];
}

/** `conditional`: true insists on conditional evaluation, false turns it off, undefined detects it. */
export function evalModel(dir: string, model: GPT, tokenizer: Tokenizer, conditional?: boolean): EvalModel {
  const eosId = tokenizer.eosId;
  if (eosId === undefined) fail(`the tokenizer of ${dir} has no <|endoftext|>, which starts every unconditional sample`);
  const controls = hasControlTokens(tokenizer);
  if (conditional && !controls) fail(`model ${dir} has no ${GOOD_TOKEN} and ${BAD_TOKEN} tokens, so it cannot be evaluated as a conditional model`);
  const isConditional = conditional ?? controls;
  const banned = isConditional ? controlTokenIds(tokenizer, `model ${dir}`) : [];
  for (const id of [eosId, ...banned]) {
    if (id >= model.config.vocab_size) fail(`the tokenizer of ${dir} has token id ${id}, beyond the model's vocabulary of ${model.config.vocab_size}`);
  }
  return {
    dir, model, tokenizer, eosId, conditional: isConditional, banned,
    prompt: isConditional ? conditionalPrompt(tokenizer, '', `model ${dir}`) : Int32Array.of(eosId),
  };
}

export async function loadEvalModel(dir: string, conditional?: boolean): Promise<EvalModel> {
  const { model, tokenizer } = await loadModel(dir);
  if (!tokenizer) {
    disposeModel(model);
    fail(`checkpoint ${dir} has no tokenizer.json; the evaluation decodes samples to text, so it needs one`);
  }
  try {
    return evalModel(dir, model, tokenizer, conditional);
  } catch (e) {
    disposeModel(model);
    throw e;
  }
}

export function disposeModel(model: GPT): void {
  for (const t of model.params.values()) t.dispose();
}
