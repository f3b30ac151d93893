"""PyTorch / transformers / tokenizers as an independent reference for the tests.

Serves JSON lines: one request per stdin line, one answer per stdout line
({"error": traceback} on failure), so a test file pays for the imports once.
Requests ("op" selects):
  save        random GPT2LMHeadModel(config) (seeded, every parameter perturbed) ->
              save_pretrained(dir); its logits on ids
  logits      GPT2LMHeadModel.from_pretrained(dir): loading info and logits on ids
  state_dict  names and shapes of GPT2LMHeadModel(config).state_dict(), parameter count
  tokenizer   trains a byte-level BPE with `tokenizers` on corpus; writes
              json_dir/tokenizer.json and pair_dir/{vocab.json, merges.txt}; ids of texts
  encode      ids of texts under the tokenizer.json at path
  adamw       torch.optim.AdamW over param groups for len(grads) steps
ids are lists of equal-length id lists; logits come back flattened [B * T * V].
"""
import json
import os
import sys
import traceback

import torch


def _gpt2(config):
    from transformers import GPT2Config, GPT2LMHeadModel
    return GPT2LMHeadModel(GPT2Config(**config))


def _logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor(ids, dtype=torch.long)).logits.reshape(-1).tolist()


def save(req):
    torch.manual_seed(req["seed"])
    model = _gpt2(req["config"]).eval()
    # Every parameter moves away from its initial constant, so swapped LayerNorm
    # gains and biases, or a mis-read position table, would change the logits.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(req["dir"])
    return {"logits": _logits(model, req["ids"]), "files": sorted(os.listdir(req["dir"]))}


def logits(req):
    from transformers import GPT2LMHeadModel
    model, info = GPT2LMHeadModel.from_pretrained(req["dir"], output_loading_info=True)
    model.eval()
    info = {k: sorted(str(x) for x in v) for k, v in info.items()}
    return {"logits": _logits(model, req["ids"]), "info": info}


def state_dict(req):
    model = _gpt2(req["config"])
    return {"params": {k: list(v.shape) for k, v in model.state_dict().items()},
            "numel": sum(p.numel() for p in model.parameters())}


def tokenizer(req):
    from tokenizers import ByteLevelBPETokenizer
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(req["corpus"], vocab_size=req["vocab_size"], min_frequency=2,
                            special_tokens=["<|endoftext|>"], show_progress=False)
    tok.save(os.path.join(req["json_dir"], "tokenizer.json"))
    tok.save_model(req["pair_dir"])
    return {"ids": [tok.encode(t).ids for t in req["texts"]]}


def encode(req):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(req["path"])
    return {"ids": [tok.encode(t).ids for t in req["texts"]]}


def adamw(req):
    """groups: [{params: [{shape, data}], weight_decay}]; grads[step][flat param index] = data."""
    groups = [{"params": [torch.tensor(p["data"], dtype=torch.float32).reshape(p["shape"]).requires_grad_()
                          for p in g["params"]], "weight_decay": g["weight_decay"]} for g in req["groups"]]
    flat = [p for g in groups for p in g["params"]]
    opt = torch.optim.AdamW(groups, lr=req["lr"], betas=tuple(req["betas"]), eps=req["eps"], foreach=False)
    for step in req["grads"]:
        for p, g in zip(flat, step):
            p.grad = torch.tensor(g, dtype=torch.float32).reshape(p.shape)
        opt.step()
    return {"params": [p.detach().reshape(-1).tolist() for p in flat],
            "exp_avg": [opt.state[p]["exp_avg"].reshape(-1).tolist() for p in flat],
            "exp_avg_sq": [opt.state[p]["exp_avg_sq"].reshape(-1).tolist() for p in flat]}


OPS = {"save": save, "logits": logits, "state_dict": state_dict, "tokenizer": tokenizer, "encode": encode,
       "adamw": adamw}

if __name__ == "__main__":
    torch.set_num_threads(1)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            answer = OPS[request["op"]](request)
        except Exception:  # reported to the test, which fails with the traceback
            answer = {"error": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
