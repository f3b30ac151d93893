// `posterior sample`: draws continuations of a prompt from a checkpoint, with the
// log-probability of each under the sampling distribution and under the model.
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { manualSeed } from '../../engine/random.js';
import { loadModel } from '../../lm/checkpoint.js';
import { generate, type GeneratedSample } from '../../lm/generate.js';
import { fail } from '../../util/errors.js';
import { parsedFlags, printedUsage, requiredCheckpoint } from '../sampling-flags.js';
import { progress } from '../../util/progress.js';

export const summary = 'sample continuations of a prompt from a checkpoint, with their log-probabilities';

const USAGE = `usage: posterior sample --model DIR [--prompt TEXT] [-n N] [options]

  --model DIR             checkpoint directory (config.json, model.safetensors, tokenizer.json)
  --prompt TEXT           text to continue (default: none, i.e. start from <|endoftext|>)
  -n, --num N             number of samples (default 1)
  --max-new-tokens N      at most this many new tokens per sample (default 64)
  --min-new-tokens N      no end-of-text before this many tokens (default 0)
  --temperature T         0 is greedy decoding (default 1)
  --top-k K               sample among the K most likely tokens only
  --top-p P               sample from the smallest set of tokens with probability >= P
  --seed S                LibTorch seed, for reproducible samples (default: random, printed)
  --device DEV            cpu (default) or cuda
  --json                  one JSON object with the samples, their token ids and log-probs

A sample ends at <|endoftext|> (the checkpoint's EOS) or after --max-new-tokens.`;

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) fail(`${flag} must be an integer ≥ ${min}, not '${value}'`);
  return n;
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) fail(`${flag} must be a number, not '${value}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('sample', () => parseArgs({
    args,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      num: { type: 'string', short: 'n', default: '1' },
      'max-new-tokens': { type: 'string', default: '64' },
      'min-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      device: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
  if (printedUsage(values.help, USAGE)) return 0;
  const dir = requiredCheckpoint('sample', values.model);
  const n = integer('-n', values.num, 1)!;
  const maxNewTokens = integer('--max-new-tokens', values['max-new-tokens'], 1)!;
  const minNewTokens = integer('--min-new-tokens', values['min-new-tokens'], 0);
  const temperature = number('--temperature', values.temperature);
  const topK = integer('--top-k', values['top-k'], 1);
  const topP = number('--top-p', values['top-p']);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) fail(`--top-p must be in (0, 1], not '${values['top-p']}'`);
  if (temperature !== undefined && temperature < 0) fail(`--temperature must be ≥ 0, not '${values.temperature}'`);
  const seed = integer('--seed', values.seed, 0) ?? randomInt(2 ** 31);

  const { model, tokenizer, config } = await loadModel(dir, values.device ? { device: values.device } : {});
  const eosId = tokenizer?.eosId ?? config.eos_token_id ?? undefined;
  const promptText = values.prompt ?? '';
  if (promptText !== '' && !tokenizer) fail(`--prompt needs a tokenizer, but checkpoint ${dir} has no tokenizer.json`);
  let prompt = tokenizer ? tokenizer.encode(promptText) : new Int32Array(0);
  if (prompt.length === 0) {
    // Unconditional samples start from the end-of-text token, as GPT-2's do.
    const start = eosId ?? config.bos_token_id ?? undefined;
    if (start === undefined) fail(`checkpoint ${dir} has no <|endoftext|>, eos_token_id or bos_token_id to start an unconditional sample from; give --prompt`);
    prompt = Int32Array.of(start);
  }

  const bar = progress('sample', { total: maxNewTokens, unit: 'tok' });
  manualSeed(seed);
  const samples = generate(model, [prompt], {
    maxNewTokens, numReturnSequences: n, eosId,
    ...(minNewTokens !== undefined ? { minNewTokens } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(tokenizer ? { tokenizer } : {}),
    onToken: (p) => bar.update(p.step, { done: `${p.finished}/${p.rows}` }),
  });
  bar.done();

  if (values.json) {
    console.log(JSON.stringify({ model: dir, seed, prompt: promptText, promptIds: Array.from(prompt), samples: samples.map(asJson) }));
  } else {
    samples.forEach((s, i) => {
      const body = s.text !== undefined ? promptText + s.text : Array.from(s.tokens).join(' ');
      console.log(`--- sample ${i + 1}/${n}: ${s.tokens.length} tokens${s.finished ? ', ended' : ''}, log p = ${s.modelLogProb.toFixed(3)} (sampling: ${s.logProb.toFixed(3)})`);
      console.log(body);
    });
    console.error(`seed ${seed}`);
  }
  return 0;
}

function asJson(s: GeneratedSample): Record<string, unknown> {
  return {
    ...(s.text !== undefined ? { text: s.text } : {}),
    tokens: Array.from(s.tokens),
    finished: s.finished,
    logProb: s.logProb,
    modelLogProb: s.modelLogProb,
    logProbs: Array.from(s.logProbs),
    modelLogProbs: Array.from(s.modelLogProbs),
  };
}
