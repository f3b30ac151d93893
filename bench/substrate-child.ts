// One side of the substrate benchmark: `node substrate-child.js train|sample STEPS THREADS`.
// Prints {"times": [...seconds per step], "peak_rss": bytes} as its last line.
import { performance } from 'node:perf_hooks';
import { AdamW } from '../src/engine/adamw.js';
import { randint } from '../src/engine/create.js';
import { crossEntropy } from '../src/engine/functional.js';
import { zeroGrad } from '../src/engine/autograd.js';
import { manualSeed, setNumThreads } from '../src/engine/random.js';
import { tidy } from '../src/engine/scope.js';
import { GPT } from '../src/lm/gpt.js';
import { gptConfig } from '../src/lm/gpt-config.js';
import { generate } from '../src/lm/generate.js';

const [mode = 'train', stepsArg = '5', threadsArg = '2'] = process.argv.slice(2);
const steps = Number(stepsArg), warmup = 1;
setNumThreads(Number(threadsArg));
manualSeed(0);
const V = 8192, T = 128;
const model = new GPT(gptConfig({ vocab_size: V, n_positions: T, n_embd: 256, n_layer: 4, n_head: 4, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 })).initWeights();

function trainStep(opt: AdamW): number {
  return tidy(() => {
    const ids = randint(0, V, [16, T + 1]);
    const logits = model.forward(ids.slice(1, 0, T), { train: true });
    const loss = crossEntropy(logits.view(-1, V), ids.slice(1, 1, T + 1).reshape(-1));
    zeroGrad(model.parameters());
    loss.backward();
    opt.update();
    return loss.item();
  });
}

async function sampleOnce(): Promise<void> {
  const prompts = Array.from({ length: 32 }, () => Int32Array.of(0));
  await generate(model, prompts, { maxNewTokens: T, temperature: 1 });
}

const times: number[] = [];
const opt = mode === 'train' ? new AdamW([{ params: model.parameters() }], { lr: 3e-4 }) : null;
for (let i = 0; i < warmup + steps; i++) {
  const t0 = performance.now();
  if (opt) trainStep(opt);
  else await sampleOnce();
  if (i >= warmup) times.push((performance.now() - t0) / 1000);
}
console.log(JSON.stringify({ times, peak_rss: process.resourceUsage().maxRSS * 1024 }));
