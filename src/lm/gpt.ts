// GPT-2 in one file: token + learned position embeddings, pre-LayerNorm blocks of
// causal self-attention and a tanh-GELU MLP, a final LayerNorm and an LM head tied
// to the token embedding. Parameter names and layouts are Hugging Face's
// (`transformer.h.0.attn.c_attn.weight` is [in, out], GPT-2's Conv1D), so a
// model.safetensors moves between posterior and transformers unchanged.
import { zeros, ones, arange } from '../engine/create.js';
import { affine, dropout, embedding, gelu, layerNorm, linear, scaledDotProductAttention } from '../engine/functional.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { ParamGroup } from '../engine/adamw.js';
import type { GPTConfig } from './gpt-config.js';
import type { KVCache } from './kv-cache.js';

export interface ForwardOptions {
  /** Absolute positions [B, T]; default 0..T-1 after what the cache already holds. */
  positions?: Tensor;
  /** Boolean [B, 1, T, S] (true = may attend), for left-padded batches; default causal. */
  mask?: Tensor;
  cache?: KVCache;
  /** Enables dropout. */
  train?: boolean;
}

export class GPT {
  readonly params = new Map<string, Tensor>();
  readonly headDim: number;

  constructor(readonly config: GPTConfig) {
    this.headDim = config.n_embd / config.n_head;
    const { n_embd: c, n_layer, n_positions, vocab_size } = config;
    const inner = config.n_inner ?? 4 * c;
    this.add('transformer.wte.weight', [vocab_size, c]);
    this.add('transformer.wpe.weight', [n_positions, c]);
    for (let i = 0; i < n_layer; i++) {
      const p = `transformer.h.${i}`;
      this.add(`${p}.ln_1.weight`, [c], 1); this.add(`${p}.ln_1.bias`, [c], 0);
      this.add(`${p}.attn.c_attn.weight`, [c, 3 * c]); this.add(`${p}.attn.c_attn.bias`, [3 * c], 0);
      this.add(`${p}.attn.c_proj.weight`, [c, c]); this.add(`${p}.attn.c_proj.bias`, [c], 0);
      this.add(`${p}.ln_2.weight`, [c], 1); this.add(`${p}.ln_2.bias`, [c], 0);
      this.add(`${p}.mlp.c_fc.weight`, [c, inner]); this.add(`${p}.mlp.c_fc.bias`, [inner], 0);
      this.add(`${p}.mlp.c_proj.weight`, [inner, c]); this.add(`${p}.mlp.c_proj.bias`, [c], 0);
    }
    this.add('transformer.ln_f.weight', [c], 1); this.add('transformer.ln_f.bias', [c], 0);
  }

  private add(name: string, shape: number[], constant?: number): void {
    // Matrices start at zero until initWeights(); LayerNorm gains at one, biases at zero.
    const t = constant === 1 ? ones(shape) : zeros(shape);
    this.params.set(name, t.keep().requiresGrad_(true));
  }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`GPT has no parameter ${name}`);
    return t;
  }

  /** GPT-2's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2·layers). Uses LibTorch's RNG. */
  initWeights(): this {
    const std = this.config.initializer_range;
    const projStd = std / Math.sqrt(2 * this.config.n_layer);
    for (const [name, t] of this.params) {
      if (!name.endsWith('.weight') || name.includes('.ln_')) continue;
      t.normal_(0, name.endsWith('c_proj.weight') ? projStd : std);
    }
    return this;
  }

  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  /** Weight decay on matrices and embeddings only (biases and LayerNorm gains are exempt). */
  paramGroups(weightDecay: number): ParamGroup[] {
    const decay: Tensor[] = [], none: Tensor[] = [];
    for (const t of this.params.values()) (t.rank >= 2 ? decay : none).push(t);
    return [{ params: decay, weightDecay }, { params: none, weightDecay: 0 }];
  }

  get numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Final hidden states [B, T, C] (after ln_f). */
  hidden(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    return tidy(() => {
      const [B, T] = ids.shape as [number, number];
      const past = opts.cache?.length ?? 0;
      const positions = opts.positions ?? arange(past, past + T).unsqueeze(0);
      const train = opts.train ?? false;
      let x = embedding(this.p('transformer.wte.weight'), ids).add(embedding(this.p('transformer.wpe.weight'), positions));
      x = dropout(x, this.config.embd_pdrop, train);
      for (let i = 0; i < this.config.n_layer; i++) x = this.block(i, x, B, T, opts, train);
      opts.cache?.advance(T);
      return layerNorm(x, this.p('transformer.ln_f.weight'), this.p('transformer.ln_f.bias'), this.config.layer_norm_epsilon);
    });
  }

  /** Next-token logits [B, T, V] from hidden states: the LM head tied to wte. */
  logits(hidden: Tensor): Tensor {
    return linear(hidden, this.p('transformer.wte.weight'));
  }

  forward(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    return tidy(() => this.logits(this.hidden(ids, opts)));
  }

  private block(i: number, x: Tensor, B: number, T: number, opts: ForwardOptions, train: boolean): Tensor {
    const p = `transformer.h.${i}`;
    const eps = this.config.layer_norm_epsilon;
    const a = this.attention(i, layerNorm(x, this.p(`${p}.ln_1.weight`), this.p(`${p}.ln_1.bias`), eps), B, T, opts, train);
    x = x.add(dropout(a, this.config.resid_pdrop, train));
    const h = layerNorm(x, this.p(`${p}.ln_2.weight`), this.p(`${p}.ln_2.bias`), eps);
    const approx = this.config.activation_function === 'gelu' ? 'none' : 'tanh';
    const m = affine(gelu(affine(h, this.p(`${p}.mlp.c_fc.weight`), this.p(`${p}.mlp.c_fc.bias`)), approx), this.p(`${p}.mlp.c_proj.weight`), this.p(`${p}.mlp.c_proj.bias`));
    return x.add(dropout(m, this.config.resid_pdrop, train));
  }

  private attention(i: number, h: Tensor, B: number, T: number, opts: ForwardOptions, train: boolean): Tensor {
    const p = `transformer.h.${i}.attn`;
    const H = this.config.n_head, D = this.headDim, C = this.config.n_embd;
    const qkv = affine(h, this.p(`${p}.c_attn.weight`), this.p(`${p}.c_attn.bias`)).view(B, T, 3, H, D).permute(2, 0, 3, 1, 4);
    const q = qkv.select(0, 0);
    let k = qkv.select(0, 1), v = qkv.select(0, 2);
    const fresh = !opts.cache || opts.cache.length === 0;
    if (opts.cache) [k, v] = opts.cache.append(i, k, v);
    // Without a mask: causal while the cache is empty; a single new token sees everything.
    const causal = !opts.mask && fresh && T > 1;
    if (!opts.mask && !fresh && T > 1) throw new Error('decoding several tokens onto a cache needs an explicit mask');
    const y = scaledDotProductAttention(q, k, v, { mask: opts.mask ?? null, causal, dropout: train ? this.config.attn_pdrop : 0, scale: this.config.scale_attn_weights ? undefined : 1 });
    return affine(y.transpose(1, 2).reshape(B, T, C), this.p(`${p}.c_proj.weight`), this.p(`${p}.c_proj.bias`));
  }
}
