// The memory requirement: 2,000 training steps of a tiny GPT (forward,
// cross-entropy, backward, clipping, AdamW), each inside tidy(), keep the process's
// resident memory flat — in a plain synchronous loop, and in one that yields to the
// event loop every step (where the native finalizers also get to run). A leaking
// engine fails fast, before it eats the machine's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { arange, randint } from '../../src/engine/create.js';
import { AdamW } from '../../src/engine/adamw.js';
import { clipGradNorm, zeroGrad } from '../../src/engine/autograd.js';
import { crossEntropy } from '../../src/engine/functional.js';
import { manualSeed, setNumThreads } from '../../src/engine/random.js';
import { scopeSize, tidy } from '../../src/engine/scope.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';

const STEPS = 2000;
const WARMUP = 200;
const MAX_GROWTH_MB = 20;

// One thread: the test measures memory, and a busy shared machine makes OpenMP's
// worker hand-offs the dominant cost of such small operations.
setNumThreads(1);

for (const yieldEachStep of [false, true]) {
  test(`${STEPS} training steps of a tiny GPT inside tidy() keep resident memory flat (${yieldEachStep ? 'yielding to the event loop' : 'synchronous loop'})`, async () => {
    manualSeed(0);
    const V = 64, B = 4, T = 16;
    const model = new GPT(gptConfig({ vocab_size: V, n_positions: T, n_embd: 32, n_layer: 1, n_head: 2 })).initWeights();
    const opt = new AdamW(model.paramGroups(0.1), { lr: 3e-3 });
    const params = model.parameters();
    let rssAtWarmup = 0, first = 0, last = 0;
    const growthMb = () => (process.memoryUsage().rss - rssAtWarmup) / 2 ** 20;
    for (let step = 1; step <= STEPS; step++) {
      const loss = tidy(() => {
        // A learnable stream: each row is a run of consecutive ids from a random start.
        const seq = randint(0, V - T, [B, 1]).add(arange(0, T + 1).unsqueeze(0));
        const logits = model.forward(seq.slice(1, 0, T), { train: true });
        const l = crossEntropy(logits.reshape(B * T, V), seq.slice(1, 1, T + 1).reshape(B * T));
        l.backward();
        clipGradNorm(params, 1);
        opt.update();
        zeroGrad(params);
        return l.item();
      });
      if (yieldEachStep) await nextTurn();
      if (step === 1) first = loss;
      last = loss;
      if (step === WARMUP) rssAtWarmup = process.memoryUsage().rss;
      if (step > WARMUP && step % 100 === 0 && growthMb() >= MAX_GROWTH_MB) {
        assert.fail(`resident memory grew by ${growthMb().toFixed(1)} MB between step ${WARMUP} and step ${step}`);
      }
    }
    assert.equal(scopeSize(), 0, 'nothing leaked into an enclosing scope');
    assert.ok(growthMb() < MAX_GROWTH_MB, `resident memory grew by ${growthMb().toFixed(1)} MB between step ${WARMUP} and step ${STEPS}`);
    assert.ok(last < first / 2, `the model should learn the stream (loss ${first.toFixed(3)} → ${last.toFixed(3)})`);
    for (const p of params) p.dispose();
    for (const t of [...opt.state().expAvg, ...opt.state().expAvgSq]) t.dispose();
  });
}
