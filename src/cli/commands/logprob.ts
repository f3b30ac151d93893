// `posterior logprob`: the log-probability a checkpoint gives a text (or token ids),
// token by token, optionally after a context.
import { parseArgs } from 'node:util';
import { loadModel } from '../../lm/checkpoint.js';
import { scoreContinuations } from '../../lm/logprob.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { fail } from '../../util/errors.js';
import { parsedFlags, printedUsage, requiredCheckpoint } from '../sampling-flags.js';

export const summary = 'score a text or token ids under a checkpoint: per-token and total log-probability';

const USAGE = `usage: posterior logprob --model DIR (--text TEXT | --ids 1,2,3) [--context TEXT] [--json]

  --model DIR       checkpoint directory (config.json, model.safetensors, tokenizer.json)
  --text TEXT       the text to score (needs the checkpoint's tokenizer.json)
  --ids LIST        or the token ids to score, comma-separated
  --context TEXT    text the scored tokens follow (default: none, i.e. <|endoftext|>)
  --device DEV      cpu (default) or cuda
  --json            one JSON object: ids, tokens, per-token log-probs and their sum

Without a context the first token is scored after <|endoftext|> (the checkpoint's
BOS/EOS token), as GPT-2 starts a text.`;

function parseIds(list: string, vocab: number): Int32Array {
  const parts = list.split(',').map((s) => s.trim());
  return Int32Array.from(parts, (s, i) => {
    const id = Number(s);
    if (s === '' || !Number.isInteger(id)) fail(`--ids must be comma-separated integers, but item ${i + 1} is '${s}'`);
    if (id < 0 || id >= vocab) fail(`--ids: token id ${id} (item ${i + 1}) is outside the model's vocabulary (0 to ${vocab - 1})`);
    return id;
  });
}

function encode(tokenizer: Tokenizer | null, text: string, flag: string, dir: string): Int32Array {
  if (!tokenizer) fail(`${flag} needs a tokenizer, but checkpoint ${dir} has no tokenizer.json; give --ids instead`);
  return tokenizer.encode(text);
}

export async function run(args: string[]): Promise<number> {
  const { values } = parsedFlags('logprob', () => parseArgs({
    args,
    options: {
      model: { type: 'string' },
      text: { type: 'string' },
      ids: { type: 'string' },
      context: { type: 'string' },
      device: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
  if (printedUsage(values.help, USAGE)) return 0;
  const dir = requiredCheckpoint('logprob', values.model);
  if ((values.text === undefined) === (values.ids === undefined)) fail('give exactly one of --text TEXT or --ids 1,2,3');
  const { model, tokenizer, config } = await loadModel(dir, values.device ? { device: values.device } : {});
  const ids = values.ids !== undefined ? parseIds(values.ids, config.vocab_size) : encode(tokenizer, values.text!, '--text', dir);
  if (ids.length === 0) fail('nothing to score: the text is empty');
  const context = values.context ? encode(tokenizer, values.context, '--context', dir) : new Int32Array(0);
  const startId = tokenizer?.eosId ?? config.bos_token_id ?? config.eos_token_id ?? undefined;
  if (context.length === 0 && startId === undefined) fail(`checkpoint ${dir} has no <|endoftext|>, bos_token_id or eos_token_id to score the first token after; give --context`);
  const [score] = scoreContinuations(model, [context], [ids], startId !== undefined ? { startId } : {});
  const tokens = Array.from(ids, (id) => tokenizer?.decode([id]) ?? String(id));

  if (values.json) {
    console.log(JSON.stringify({
      model: dir, context: values.context ?? '', contextIds: Array.from(context), ids: Array.from(ids),
      tokens, logProbs: Array.from(score!.logProbs), logProb: score!.logProb,
    }));
    return 0;
  }
  const width = Math.max(5, ...tokens.map((t) => JSON.stringify(t).length));
  console.log(`${'id'.padStart(7)}  ${'token'.padEnd(width)}  log p`);
  ids.forEach((id, i) => console.log(`${String(id).padStart(7)}  ${JSON.stringify(tokens[i]).padEnd(width)}  ${score!.logProbs[i]!.toFixed(4)}`));
  const mean = score!.logProb / ids.length;
  console.log(`total log p = ${score!.logProb.toFixed(4)} over ${ids.length} tokens (mean ${mean.toFixed(4)}, perplexity ${Math.exp(-mean).toFixed(3)})`);
  return 0;
}
