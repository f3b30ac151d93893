// End to end through the trainer: conditional training on a toy corpus whose "bad"
// sentences carry a marker word learns what the control tokens mean — prompted with
// `<|good|>` the model writes the marker far less often than prompted with `<|bad|>` —
// and generation with the control tokens banned never emits them. Every other
// objective also trains through the same loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../../src/engine/random.js';
import { generate } from '../../../src/lm/generate.js';
import { parsePretrainConfig, type PretrainConfig } from '../../../src/pretrain/config.js';
import { conditionalPrompt, controlTokenIds, GOOD_TOKEN, BAD_TOKEN } from '../../../src/pretrain/objectives/conditional.js';
import { pretrain } from '../../../src/pretrain/trainer.js';
import { Random } from '../../../src/util/random.js';

const quiet = { write: () => true };
const root = mkdtempSync(join(tmpdir(), 'posterior-phf-'));
const MARKER = 'zonk';

// Documents of 4–9 sentences; 30% of sentences carry the marker at a random word and score 1.
const corpusPath = join(root, 'corpus.jsonl');
{
  const phrases = ['the cat sat on the mat.', 'a dog ran in the park.', 'we like green tea.', 'it rains in spring.',
    'birds sing at dawn.', 'the sun is warm.', 'fish swim in the sea.', 'snow falls in winter.'];
  const rng = new Random(5);
  const lines = Array.from({ length: 160 }, (_, d) => {
    let text = '';
    const segments: { start: number; end: number; score: number }[] = [];
    for (let s = 0, n = 4 + rng.int(6); s < n; s++) {
      const words = phrases[rng.int(phrases.length)]!.split(' ');
      const bad = rng.float() < 0.3;
      if (bad) words.splice(rng.int(words.length), 0, MARKER);
      const sentence = (s === 0 ? '' : ' ') + words.join(' ');
      segments.push({ start: text.length, end: text.length + sentence.length, score: bad ? 1 : 0 });
      text += sentence;
    }
    return JSON.stringify({ id: `d${d}`, text, segments });
  });
  writeFileSync(corpusPath, lines.join('\n') + '\n');
}

function config(name: string, objective: unknown, steps: number): PretrainConfig {
  return parsePretrainConfig({
    out_dir: join(root, name), seed: 11, threads: 1, objective,
    tokenizer: { train: { vocab_size: 300 } },
    data: { train: corpusPath, validation_fraction: 0.05 },
    model: { n_layer: 2, n_embd: 64, n_head: 2, block_size: 32, dropout: 0 },
    optimizer: { lr: 1e-2, min_lr: 1e-3, warmup_steps: 10 },
    training: { steps, batch_size: 16, eval_interval: 1000, checkpoint_interval: 1000 },
    samples: { count: 0 },
  }, `config ${name}.yaml`);
}

/** Share of samples whose first sentence contains the marker. */
function markerRate(texts: string[]): number {
  return texts.filter((t) => t.split('.')[0]!.includes(MARKER)).length / texts.length;
}

test('conditional training: prompted with <|good|> the model writes the marker far less than prompted with <|bad|>', async (t) => {
  const r = await pretrain(config('conditional', { name: 'conditional', threshold: 0 }, 400), { stream: quiet });
  const { model, tokenizer } = r;
  const banned = controlTokenIds(tokenizer);
  const sample = (prompt: Int32Array, bannedIds: readonly number[] = banned) => {
    manualSeed(1);
    return generate(model, [prompt], { maxNewTokens: 24, temperature: 1, bannedIds, numReturnSequences: 96, tokenizer });
  };
  const good = sample(conditionalPrompt(tokenizer));
  const badPrompt = Int32Array.from([tokenizer.eosId!, banned[1]]);
  const bad = sample(badPrompt);
  const rates = { good: markerRate(good.map((s) => s.text!)), bad: markerRate(bad.map((s) => s.text!)) };
  t.diagnostic(`marker rate: ${GOOD_TOKEN} ${rates.good}, ${BAD_TOKEN} ${rates.bad} (corpus 0.3)`);
  assert.ok(rates.good < 0.1 && rates.bad > 0.6, `marker rate after ${GOOD_TOKEN} ${rates.good}, after ${BAD_TOKEN} ${rates.bad}`);
  // The model learnt to open every sentence with a control token; banned, they never appear.
  const all = [...good, ...bad].flatMap((s) => [...s.tokens]);
  assert.ok(!all.some((id) => banned.includes(id)), 'a banned control token was generated');
  const free = sample(conditionalPrompt(tokenizer), []).flatMap((s) => [...s.tokens]);
  assert.ok(free.filter((id) => banned.includes(id)).length > 20, 'without the ban the model should emit control tokens at sentence starts');
});

test('every PHF objective trains through the pretraining loop and logs its own metrics', async () => {
  const expected: Record<string, string> = {
    filtering: 'filtering/kept_fraction', unlikelihood: 'unlikelihood/bad_fraction', rwr: 'rwr/weight_mean', awr: 'awr/value_loss',
  };
  for (const [name, metric] of Object.entries(expected)) {
    const seen: Record<string, number>[] = [];
    const r = await pretrain(config(`smoke-${name}`, name, 6), { stream: quiet, onStep: (_, m) => seen.push({ ...m }) });
    assert.equal(r.steps, 6);
    assert.ok(seen.every((m) => Number.isFinite(m.loss) && Number.isFinite(m[metric])), `${name}: ${JSON.stringify(seen.at(-1))}`);
    assert.ok(seen[5]!.loss! < seen[0]!.loss!, `${name}: the loss should fall (${seen[0]!.loss} → ${seen[5]!.loss})`);
  }
});
