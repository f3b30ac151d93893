// The model's hyper-parameters, in Hugging Face's GPT2Config names so config.json is
// interchangeable with transformers. Unknown HF fields are kept but ignored; options
// that change the numerics and that we do not implement are refused by name.
import { z } from 'zod';
import { PosteriorError } from '../util/errors.js';

export const gptConfigSchema = z.object({
  model_type: z.literal('gpt2').default('gpt2'),
  vocab_size: z.number().int().positive(),
  n_positions: z.number().int().positive().default(1024),
  n_embd: z.number().int().positive().default(768),
  n_layer: z.number().int().positive().default(12),
  n_head: z.number().int().positive().default(12),
  n_inner: z.number().int().positive().nullable().default(null),
  activation_function: z.enum(['gelu_new', 'gelu_pytorch_tanh', 'gelu']).default('gelu_new'),
  resid_pdrop: z.number().min(0).max(1).default(0.1),
  embd_pdrop: z.number().min(0).max(1).default(0.1),
  attn_pdrop: z.number().min(0).max(1).default(0.1),
  layer_norm_epsilon: z.number().positive().default(1e-5),
  initializer_range: z.number().positive().default(0.02),
  bos_token_id: z.number().int().nonnegative().nullable().default(null),
  eos_token_id: z.number().int().nonnegative().nullable().default(null),
  tie_word_embeddings: z.boolean().default(true),
  scale_attn_weights: z.boolean().default(true),
  scale_attn_by_inverse_layer_idx: z.literal(false).default(false),
  reorder_and_upcast_attn: z.boolean().default(false),
}).passthrough();

export type GPTConfig = z.infer<typeof gptConfigSchema>;

/** Validates a config object; `source` names the file in the error sentence. */
export function parseGptConfig(raw: unknown, source: string): GPTConfig {
  const r = gptConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new PosteriorError(`${source}: field \`${issue.path.join('.') || '(root)'}\` ${issue.message}`);
  }
  const c = r.data;
  if (c.n_embd % c.n_head !== 0) throw new PosteriorError(`${source}: n_embd (${c.n_embd}) must be divisible by n_head (${c.n_head})`);
  if (!c.tie_word_embeddings) throw new PosteriorError(`${source}: tie_word_embeddings=false is not supported (GPT-2 ties the LM head to wte)`);
  return c;
}

/** A config with GPT-2's defaults for the given size. */
export function gptConfig(fields: Partial<GPTConfig> & { vocab_size: number }): GPTConfig {
  return parseGptConfig(fields, 'model config');
}

/** The fields transformers needs to rebuild the same model (written to config.json). */
export function toHfConfig(c: GPTConfig): Record<string, unknown> {
  return { ...c, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', torch_dtype: 'float32' };
}
