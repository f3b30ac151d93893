"""The benchmark peer (BENCH.md, substrate): the same GPT written idiomatically in
PyTorch eager (nn.Linear, F.softmax, torch.multinomial, a KV cache grown by
torch.cat). Prints one JSON object: per-step seconds and peak RSS."""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, h, inner):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c)
        self.c_fc = nn.Linear(c, inner)
        self.mlp_proj = nn.Linear(inner, c)

    def forward(self, x, cache=None):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if cache[0] is not None:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[0], cache[1] = k, v
        y = F.scaled_dot_product_attention(q, k, v, is_causal=T > 1)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, ctx, c, layers, heads, inner):
        super().__init__()
        self.wte = nn.Embedding(vocab, c)
        self.wpe = nn.Embedding(ctx, c)
        self.h = nn.ModuleList(Block(c, heads, inner) for _ in range(layers))
        self.ln_f = nn.LayerNorm(c)
        for name, t in self.named_parameters():
            if t.dim() == 2:  # GPT-2's initialisation, so the initial loss is ≈ log(vocab)
                nn.init.normal_(t, 0.0, 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(t)

    def forward(self, ids, caches=None, past=0):
        pos = torch.arange(past, past + ids.shape[1])
        x = self.wte(ids) + self.wpe(pos)
        for i, b in enumerate(self.h):
            x = b(x, caches[i] if caches is not None else None)
        return F.linear(self.ln_f(x), self.wte.weight)


def train(model, args):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    times = []
    for _ in range(args.warmup + args.steps):
        ids = torch.randint(0, args.vocab, (args.batch, args.ctx + 1))
        t0 = time.perf_counter()
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, args.vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return times[args.warmup:], loss.item()


@torch.no_grad()
def sample(model, args):
    times = []
    for _ in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        ids = torch.zeros(args.sequences, 1, dtype=torch.long)
        caches = [[None, None] for _ in model.h]
        logits = model(ids, caches, 0)
        out = []
        for t in range(args.new_tokens):
            probs = F.softmax(logits[:, -1, :], dim=-1)
            nxt = torch.multinomial(probs, 1)
            out.append(nxt)
            if t + 1 < args.new_tokens:
                logits = model(nxt, caches, t + 1)
        times.append(time.perf_counter() - t0)
    return times[args.warmup:], None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["train", "sample"], required=True)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--ctx", type=int, default=128)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--sequences", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=128)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = GPT(args.vocab, args.ctx, args.width, args.layers, args.heads, 4 * args.width)
    if args.mode == "train":
        model.train()
        times, loss = train(model, args)
    else:
        model.eval()
        times, loss = sample(model, args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"times": times, "peak_rss": peak, "loss": loss}))


if __name__ == "__main__":
    main()
