"""The RL benchmark peer (BENCH.md, RL update): TRL's RLOOTrainer on the same GPT-2
checkpoint, tokenizer, prompts and reward as posterior's REINFORCE-with-KL
(leave-one-out baseline). bench/rl.ts drives it: after setup it prints a ready line,
then runs one update per "go" line on stdin and prints that update's seconds, their
breakdown and the completions' tokens; at the end, its peak RSS. Lines for the parent
start with "@bench " and carry one JSON object (TRL may print other lines)."""
import argparse
import json
import resource
import sys
import tempfile
import time
from collections import defaultdict

import torch
from datasets import Dataset
from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast, TrainerCallback
from trl import RLOOConfig, RLOOTrainer

EOS = "<|endoftext|>"


def say(obj):
    print("@bench " + json.dumps(obj), flush=True)


def e_fraction(text):
    # The reward: the share of a completion's characters that are the letter e.
    return text.count("e") / max(1, len(text))


class Clock:
    """Seconds per part of the current update, and counters."""

    def __init__(self):
        self.parts = defaultdict(float)
        self.tokens = 0
        self.rewards = []

    def wrap(self, fn, part_of):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.parts[part_of(*args, **kwargs)] += time.perf_counter() - t0
        return timed

    def take(self):
        out = {"parts": dict(self.parts), "tokens": self.tokens, "rewards": self.rewards}
        self.parts, self.tokens, self.rewards = defaultdict(float), 0, []
        return out


class Gate(TrainerCallback):
    """Waits for the parent's "go" before each update and reports the update after it."""

    def __init__(self, clock, completions):
        self.clock, self.completions = clock, completions
        self.t0 = self.t_opt = 0.0

    def on_step_begin(self, args, state, control, **kw):
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("bench_rl_peer: the parent stopped sending updates")
        self.clock.take()
        self.t0 = time.perf_counter()

    def on_pre_optimizer_step(self, args, state, control, **kw):
        self.t_opt = time.perf_counter()

    def on_optimizer_step(self, args, state, control, **kw):
        self.clock.parts["backward_step"] += time.perf_counter() - self.t_opt

    def on_step_end(self, args, state, control, **kw):
        seconds = time.perf_counter() - self.t0
        c = self.clock.take()
        rewards = c.pop("rewards")
        say({"seconds": seconds, **c, "completions": self.completions,
             "reward_mean": sum(rewards) / max(1, len(rewards))})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, help="checkpoint directory (config.json, model.safetensors, tokenizer.json)")
    p.add_argument("--prompts", required=True, help="JSON list of prompt strings")
    p.add_argument("--updates", type=int, required=True, help="updates to run, warm-up included")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--prompts-per-update", type=int, default=16)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--beta", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--temperature", type=float, default=1.0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tok = PreTrainedTokenizerFast(tokenizer_file=f"{args.model}/tokenizer.json", eos_token=EOS, pad_token=EOS)
    tok.padding_side = "left"
    model = GPT2LMHeadModel.from_pretrained(args.model)
    # posterior starts every prompt with <|endoftext|> (GPT-2's document start); so does the peer.
    prompts = [EOS + s for s in json.load(open(args.prompts))]
    completions = args.prompts_per_update * args.generations
    clock = Clock()

    def reward(completions, completion_ids, **_):
        clock.tokens += sum(len(ids) for ids in completion_ids)
        r = [e_fraction(c) for c in completions]
        clock.rewards.extend(r)
        return r

    with tempfile.TemporaryDirectory() as out:
        config = RLOOConfig(
            output_dir=out, use_cpu=True, bf16=False, num_generations=args.generations,
            per_device_train_batch_size=completions, beta=args.beta, max_completion_length=args.max_new_tokens,
            num_iterations=1, learning_rate=args.lr, temperature=args.temperature, max_steps=args.updates,
            logging_steps=10**9, save_strategy="no", report_to=[], disable_tqdm=True, seed=0,
        )
        trainer = RLOOTrainer(model=model, reward_funcs=reward, args=config, train_dataset=Dataset.from_dict({"prompt": prompts}),
                              processing_class=tok, callbacks=[Gate(clock, completions)])
        # The same parts as posterior's breakdown; what is left (advantages, padding, clipping) is "other".
        trainer._generate = clock.wrap(trainer._generate, lambda *a, **k: "generate")
        trainer._calculate_rewards = clock.wrap(trainer._calculate_rewards, lambda *a, **k: "score")

        def logps_part(m, *a, **k):
            if torch.is_grad_enabled():
                return "policy_forward"
            return "reference_logprobs" if m is trainer.ref_model else "policy_logprobs"
        trainer._get_per_token_logps_and_entropies = clock.wrap(trainer._get_per_token_logps_and_entropies, logps_part)
        trainer.accelerator.backward = clock.wrap(trainer.accelerator.backward, lambda *a, **k: "backward_step")
        trainer._clip_grad_norm = clock.wrap(trainer._clip_grad_norm, lambda *a, **k: "backward_step")
        say({"ready": True, "threads": torch.get_num_threads(), "parameters": sum(t.numel() for t in model.parameters())})
        trainer.train()
    say({"done": True, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})


if __name__ == "__main__":
    main()
