import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rand, tensor } from '../../src/engine/create.js';
import { noGrad } from '../../src/engine/autograd.js';
import { manualSeed } from '../../src/engine/random.js';
import { tidy } from '../../src/engine/scope.js';
import { trainBpe } from '../../src/lm/bpe-trainer.js';
import { saveModel } from '../../src/lm/checkpoint.js';
import { GPT } from '../../src/lm/gpt.js';
import { gptConfig } from '../../src/lm/gpt-config.js';
import { generate, type GenerateOptions, type GeneratedSample } from '../../src/lm/generate.js';
import { scoreContinuations } from '../../src/lm/logprob.js';
import { filterLogits, sampleCategorical, topKFilter, topPFilter } from '../../src/lm/sampling-filters.js';
import { PosteriorError } from '../../src/util/errors.js';

const V = 32;

/** A tiny random GPT with large weights, so its next-token distributions are far from uniform and depend on the context. */
function tinyModel(seed = 0): GPT {
  manualSeed(seed);
  return new GPT(gptConfig({ vocab_size: V, n_positions: 48, n_embd: 32, n_layer: 2, n_head: 4, initializer_range: 0.3 })).initWeights();
}

/** Next-token logits after ids, from a full forward pass without any cache (float64). */
function lastLogits(model: GPT, ids: ArrayLike<number>): Float64Array {
  return noGrad(() => tidy(() => {
    const logits = model.forward(tensor(Int32Array.from(ids), [1, ids.length], 'int64'));
    return Float64Array.from(logits.select(1, ids.length - 1).toFloat32Array());
  }));
}

function logSoftmax(z: Float64Array): Float64Array {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

function argmax(z: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if (z[i]! > z[best]!) best = i;
  return best;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

function gen(model: GPT, prompts: Int32Array[], opts: GenerateOptions, seed = 1): GeneratedSample[] {
  manualSeed(seed);
  return generate(model, prompts, opts);
}

/** Pearson's statistic over cells whose expected count is at least 5 (the rest pooled). */
function chiSquare(counts: number[], probs: number[], n: number): { stat: number; df: number } {
  let stat = 0, df = -1, restObs = 0, restExp = 0;
  counts.forEach((c, i) => {
    const e = probs[i]! * n;
    if (e >= 5) {
      stat += (c - e) ** 2 / e;
      df++;
    } else {
      restObs += c;
      restExp += e;
    }
  });
  if (restExp > 0) {
    stat += (restObs - restExp) ** 2 / restExp;
    df++;
  }
  return { stat, df };
}

/** A generous upper quantile of chi-square with df degrees of freedom (Wilson–Hilferty, z = 5). */
function chiCritical(df: number): number {
  const z = 5;
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

const prompts = [Int32Array.of(3, 1, 4), Int32Array.of(1, 5, 9, 2, 6, 5, 3), Int32Array.of(7), Int32Array.of(8, 9, 7, 9, 3)];

test('greedy decoding with the KV cache equals argmax over full forward passes without a cache', () => {
  const model = tinyModel(1);
  const [s] = generate(model, [prompts[1]!], { maxNewTokens: 12, temperature: 0 });
  let ids = Array.from(prompts[1]!);
  const expected: number[] = [], expectedLp: number[] = [];
  for (let t = 0; t < 12; t++) {
    const z = lastLogits(model, ids);
    const next = argmax(z);
    expected.push(next);
    expectedLp.push(logSoftmax(z)[next]!);
    ids = [...ids, next];
  }
  assert.deepEqual(Array.from(s!.tokens), expected);
  close(s!.modelLogProbs, expectedLp, 1e-4, 'modelLogProbs');
  assert.deepEqual(Array.from(s!.logProbs), new Array(12).fill(0), 'greedy choices are certain');
  assert.ok(Math.abs(s!.modelLogProb - expectedLp.reduce((a, b) => a + b)) < 1e-4);
});

test('prompts of different lengths in one batch give each row what it gets alone', () => {
  const model = tinyModel(2);
  const batch = generate(model, prompts, { maxNewTokens: 10, temperature: 0 });
  prompts.forEach((p, i) => {
    const [alone] = generate(model, [p], { maxNewTokens: 10, temperature: 0 });
    assert.equal(batch[i]!.promptIndex, i);
    assert.deepEqual(Array.from(batch[i]!.tokens), Array.from(alone!.tokens), `prompt ${i}`);
    close(batch[i]!.modelLogProbs, alone!.modelLogProbs, 1e-4, `prompt ${i} modelLogProbs`);
  });
});

test('sampled log-probs: the model ones equal scoring, the sampling ones equal the filtered distribution', () => {
  const model = tinyModel(3);
  const opts = { maxNewTokens: 8, temperature: 0.7, topK: 12, topP: 0.9, bannedIds: [2], numReturnSequences: 3 };
  const samples = gen(model, prompts, opts, 5);
  assert.equal(samples.length, prompts.length * 3);
  const scores = scoreContinuations(model, samples.map((s) => prompts[s.promptIndex]!), samples.map((s) => s.tokens));
  samples.forEach((s, k) => {
    close(s.modelLogProbs, scores[k]!.logProbs, 1e-4, `sample ${k} modelLogProbs vs scoring`);
    // Independent reference: the filters written out in JavaScript over full-forward logits.
    const ctx = Array.from(prompts[s.promptIndex]!);
    s.tokens.forEach((tok, j) => {
      const z = lastLogits(model, [...ctx, ...s.tokens.slice(0, j)]).map((x, id) => (id === 2 ? -Infinity : x / 0.7));
      const sorted = [...z].sort((a, b) => b - a);
      const kth = sorted[11]!;
      let kept = z.map((x) => (x < kth ? -Infinity : x));
      const probs = Array.from(logSoftmax(kept), Math.exp);
      const order = probs.map((_, i) => i).sort((a, b) => probs[b]! - probs[a]!);
      let ahead = 0;
      const drop = new Set<number>();
      for (const i of order) {
        if (ahead >= 0.9) drop.add(i);
        ahead += probs[i]!;
      }
      kept = kept.map((x, i) => (drop.has(i) ? -Infinity : x));
      const lp = logSoftmax(kept)[tok]!;
      assert.ok(Number.isFinite(lp), `sample ${k} step ${j} drew a filtered-out token ${tok}`);
      assert.ok(Math.abs(lp - s.logProbs[j]!) < 1e-4, `sample ${k} step ${j}: ${s.logProbs[j]} vs ${lp}`);
    });
    assert.ok(Math.abs(s.logProb - s.logProbs.reduce((a, b) => a + b)) < 1e-9);
  });
});

test('at temperature 1 without filters the sampling and model log-probs coincide', () => {
  const model = tinyModel(4);
  const samples = gen(model, prompts, { maxNewTokens: 6, numReturnSequences: 2 });
  for (const s of samples) assert.deepEqual(s.logProbs, s.modelLogProbs);
  const tempered = gen(model, prompts, { maxNewTokens: 6, temperature: 0.5 });
  assert.ok(tempered.some((s) => s.logProbs.some((x, j) => Math.abs(x - s.modelLogProbs[j]!) > 1e-3)), 'temperature must change the sampling log-probs');
});

test('top-k = 1 is greedy decoding', () => {
  const model = tinyModel(5);
  const greedy = generate(model, prompts, { maxNewTokens: 8, temperature: 0 });
  const top1 = gen(model, prompts, { maxNewTokens: 8, topK: 1, temperature: 1.3 });
  greedy.forEach((g, i) => {
    assert.deepEqual(Array.from(top1[i]!.tokens), Array.from(g.tokens));
    assert.deepEqual(Array.from(top1[i]!.logProbs), new Array(8).fill(0));
  });
});

test('banned ids never appear', () => {
  const model = tinyModel(6);
  const free = gen(model, prompts, { maxNewTokens: 10, numReturnSequences: 8 });
  const common = new Map<number, number>();
  for (const s of free) for (const t of s.tokens) common.set(t, (common.get(t) ?? 0) + 1);
  const banned = [...common.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([t]) => t);
  const samples = gen(model, prompts, { maxNewTokens: 10, numReturnSequences: 8, bannedIds: banned });
  for (const s of samples) for (const t of s.tokens) assert.ok(!banned.includes(t), `banned token ${t} was drawn`);
  const greedy = generate(model, prompts, { maxNewTokens: 10, temperature: 0, bannedIds: banned });
  for (const s of greedy) for (const t of s.tokens) assert.ok(!banned.includes(t), `greedy chose banned token ${t}`);
});

test('EOS ends a row, is kept with its log-probs, and the batch stops once every row has ended', () => {
  const model = tinyModel(7);
  const plain = generate(model, prompts, { maxNewTokens: 10, temperature: 0 });
  // A row r whose greedy output has, from its third token on, one it has not produced before.
  const fresh = plain.map((s) => s.tokens.findIndex((t, j) => j >= 2 && s.tokens.indexOf(t) === j));
  const r = fresh.findIndex((j) => j >= 2);
  assert.ok(r >= 0, 'some greedy row must have a fresh token to stop at');
  const first = fresh[r]!;
  const eosId = plain[r]!.tokens[first]!;
  const steps: number[] = [];
  const stopped = generate(model, prompts, { maxNewTokens: 10, temperature: 0, eosId, onToken: (p) => steps.push(p.step) });
  stopped.forEach((s, i) => {
    const full = plain[i]!.tokens;
    const at = full.indexOf(eosId);
    const len = at < 0 ? 10 : at + 1;
    assert.deepEqual(Array.from(s.tokens), Array.from(full.slice(0, len)), `prompt ${i}`);
    close(s.modelLogProbs, plain[i]!.modelLogProbs.slice(0, len), 1e-6, `prompt ${i} modelLogProbs`);
    assert.equal(s.finished, at >= 0);
  });
  assert.ok(stopped[r]!.finished && stopped[r]!.tokens.length === first + 1);
  // Sampled rows: EOS only ever last; a row without EOS ran to maxNewTokens.
  const sampled = gen(model, prompts, { maxNewTokens: 10, eosId, numReturnSequences: 6 });
  for (const s of sampled) {
    assert.equal(s.tokens.indexOf(eosId), s.finished ? s.tokens.length - 1 : -1);
    if (!s.finished) assert.equal(s.tokens.length, 10);
    assert.equal(s.logProbs.length, s.tokens.length);
  }
  // A batch in which every row ends early stops early.
  steps.length = 0;
  generate(model, [prompts[r]!], { maxNewTokens: 10, temperature: 0, eosId, onToken: (p) => steps.push(p.step) });
  assert.deepEqual(steps, Array.from({ length: first + 1 }, (_, j) => j + 1));
});

test('minNewTokens bans EOS until that many tokens exist', () => {
  const model = tinyModel(8);
  // The most likely first token after prompt 2 makes an EOS that would end rows at once.
  const eosId = argmax(lastLogits(model, prompts[2]!));
  const early = gen(model, [prompts[2]!], { maxNewTokens: 8, eosId, numReturnSequences: 40 });
  assert.ok(early.some((s) => s.tokens.length < 4), 'without minNewTokens some rows must end early');
  const samples = gen(model, [prompts[2]!], { maxNewTokens: 8, eosId, minNewTokens: 4, numReturnSequences: 40 });
  for (const s of samples) {
    assert.ok(s.tokens.length >= 5 || !s.finished, `a row ended after ${s.tokens.length} tokens`);
    assert.ok(s.tokens.slice(0, 4).indexOf(eosId) < 0);
  }
  assert.ok(samples.some((s) => s.finished), 'EOS is allowed after minNewTokens');
});

test('the same seed gives the same samples, another seed others', () => {
  const model = tinyModel(9);
  const a = gen(model, prompts, { maxNewTokens: 8, temperature: 0.9 }, 42);
  const b = gen(model, prompts, { maxNewTokens: 8, temperature: 0.9 }, 42);
  const c = gen(model, prompts, { maxNewTokens: 8, temperature: 0.9 }, 43);
  assert.deepEqual(a.map((s) => Array.from(s.tokens)), b.map((s) => Array.from(s.tokens)));
  assert.deepEqual(a.map((s) => Array.from(s.logProbs)), b.map((s) => Array.from(s.logProbs)));
  assert.notDeepEqual(a.map((s) => Array.from(s.tokens)), c.map((s) => Array.from(s.tokens)));
});

test('one-step samples at temperature T follow softmax(logits / T)', () => {
  const model = tinyModel(10);
  const n = 20_000;
  const z = lastLogits(model, prompts[0]!);
  for (const T of [0.6, 1.6]) {
    const samples = gen(model, [prompts[0]!], { maxNewTokens: 1, temperature: T, numReturnSequences: n }, 11);
    const counts = new Array(V).fill(0);
    for (const s of samples) counts[s.tokens[0]!]++;
    const expected = Array.from(logSoftmax(z.map((x) => x / T)), Math.exp);
    const { stat, df } = chiSquare(counts, expected, n);
    assert.ok(df >= 3, `too few populated cells (${df + 1}) for the test to mean anything`);
    assert.ok(stat < chiCritical(df), `T=${T}: chi2 ${stat.toFixed(1)} with ${df} df`);
    // The untempered distribution must be rejected, or the check above proves nothing.
    const untempered = chiSquare(counts, Array.from(logSoftmax(z), Math.exp), n);
    assert.ok(untempered.stat > 10 * chiCritical(untempered.df), `T=${T}: indistinguishable from T=1`);
  }
});

test('sampleCategorical follows unnormalised probabilities across blocks and never draws a zero', () => {
  // 300 entries: three blocks of 128, the last one padded; mass in all three.
  const w = new Float32Array(300);
  const support = [0, 5, 127, 128, 200, 255, 256, 299];
  support.forEach((i, k) => (w[i] = k + 1));
  const n = 40_000;
  manualSeed(3);
  const drawn = tidy(() => {
    const probs = tensor(w, [1, 300]).expand(n, 300);
    return sampleCategorical(probs, rand([n, 2])).toInt32Array();
  });
  const counts = new Array(300).fill(0);
  for (const d of drawn) counts[d]++;
  for (let i = 0; i < 300; i++) if (w[i] === 0) assert.equal(counts[i], 0, `entry ${i} has no mass but was drawn`);
  const total = w.reduce((a, b) => a + b, 0);
  const { stat, df } = chiSquare(support.map((i) => counts[i]), support.map((i) => w[i]! / total), n);
  assert.ok(stat < chiCritical(df), `chi2 ${stat.toFixed(1)} with ${df} df`);
  // The extreme uniforms land on the last and first entries with mass (the target is (1 - u)·total).
  const edges = tidy(() => sampleCategorical(tensor(w, [1, 300]).expand(2, 300), tensor([0, 0, 0.99999994, 0.99999994], [2, 2])).toInt32Array());
  assert.deepEqual(Array.from(edges), [299, 0]);
});

test('top-p keeps the smallest most-likely set reaching p, renormalised; top-k keeps ties', () => {
  const probs = [0.1, 0.4, 0.05, 0.3, 0.15];
  const logits = tensor(probs.map(Math.log), [1, 5]);
  const out = (t: ReturnType<typeof topPFilter>) => Array.from(t.logSoftmax(-1).toFloat32Array());
  // Mass ahead of each token in descending order: 0.4 → 0, 0.3 → 0.4, 0.15 → 0.7, 0.1 → 0.85, 0.05 → 0.95.
  const cases: Array<[number, number[]]> = [[0.3, [1]], [0.5, [1, 3]], [0.75, [1, 3, 4]], [0.9, [1, 3, 4, 0]], [1, [0, 1, 2, 3, 4]]];
  for (const [p, keep] of cases) {
    const mass = keep.reduce((s, i) => s + probs[i]!, 0);
    const expected = probs.map((q, i) => (keep.includes(i) ? Math.log(q / mass) : -Infinity));
    const got = out(topPFilter(logits, p));
    got.forEach((g, i) => assert.ok(g === expected[i] || Math.abs(g - expected[i]!) < 1e-6, `p=${p}, token ${i}: ${g} vs ${expected[i]}`));
  }
  const tied = tensor([1, 3, 2, 3, 0], [1, 5]);
  assert.deepEqual(Array.from(topKFilter(tied, 1).toFloat32Array()), [-Infinity, 3, -Infinity, 3, -Infinity]);
  assert.deepEqual(Array.from(topKFilter(tied, 3).toFloat32Array()), [-Infinity, 3, 2, 3, -Infinity]);
  // Bans come before temperature, top-k and top-p.
  const f = filterLogits(tensor([4, 3, 2, 1, 0], [1, 5]), { banned: tensor([0], [1], 'int64'), temperature: 0.5, topK: 2 });
  assert.deepEqual(Array.from(f.toFloat32Array()), [-Infinity, 6, 4, -Infinity, -Infinity]);
});

test('bad input is refused with a sentence naming it', () => {
  const model = tinyModel(12);
  const long = new Int32Array(45).fill(1);
  assert.throws(() => generate(model, [prompts[0]!, long], { maxNewTokens: 8 }), (e: unknown) => e instanceof PosteriorError && /prompt 1 has 45 tokens/.test(e.message));
  assert.throws(() => generate(model, [new Int32Array(49)], { maxNewTokens: 1 }), /no new token fits/);
  assert.throws(() => generate(model, [Int32Array.of(1, 99)], { maxNewTokens: 1 }), /prompt 0 has token id 99 at position 1/);
  assert.throws(() => generate(model, [Int32Array.of()], { maxNewTokens: 1 }), /prompt 0 is empty/);
  assert.throws(() => generate(model, prompts, { maxNewTokens: 4, bannedIds: [V] }), /bannedIds\[0\] is 32/);
  assert.throws(() => generate(model, prompts, { maxNewTokens: 4, topP: 0 }), /topP/);
  // A request longer than the context is clipped to it: a 1-token prompt fills it exactly.
  const [s] = generate(model, [Int32Array.of(1)], { maxNewTokens: 500 });
  assert.equal(s!.tokens.length, 48);
});

test('posterior sample: seeded JSON samples whose model log-probs match scoring', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posterior-sample-'));
  try {
    const tokenizer = trainBpe(['the cat sat on the mat. the dog sat on the log.'], { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
    manualSeed(13);
    const model = new GPT(gptConfig({ vocab_size: tokenizer.vocabSize, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, initializer_range: 0.3 })).initWeights();
    saveModel(dir, model, { tokenizer });
    const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/src/cli/main.js', 'sample', '--model', dir, ...args], { encoding: 'utf8' });
    const args = ['--prompt', 'the cat', '-n', '3', '--max-new-tokens', '6', '--temperature', '0.8', '--seed', '5', '--json'];
    const r = cli(...args);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { seed: number; promptIds: number[]; samples: Array<{ text: string; tokens: number[]; modelLogProbs: number[] }> };
    assert.equal(out.seed, 5);
    assert.deepEqual(out.promptIds, Array.from(tokenizer.encode('the cat')));
    assert.equal(out.samples.length, 3);
    const scores = scoreContinuations(model, out.samples.map(() => Int32Array.from(out.promptIds)), out.samples.map((s) => Int32Array.from(s.tokens)));
    out.samples.forEach((s, i) => {
      assert.equal(s.text, tokenizer.decode(s.tokens, { skipSpecial: true }));
      close(s.modelLogProbs, scores[i]!.logProbs, 1e-4, `sample ${i}`);
    });
    assert.equal(cli(...args).stdout, r.stdout, 'the same seed gives the same samples');
    const long = cli('--prompt', 'the cat sat on the mat. the dog sat on the log. the cat', '--max-new-tokens', '30');
    assert.equal(long.status, 1);
    assert.match(long.stderr, /^posterior: prompt 0 has \d+ tokens; with 30 new tokens that exceeds the model's context of 32/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
