"""The RL benchmark peer (BENCH.md, RL update): TRL's RLOOTrainer on the same GPT-2
checkpoint, tokenizer, prompts and reward as posterior's REINFORCE-with-KL
(leave-one-out baseline). Prints one JSON object: seconds per update and peak RSS."""
import argparse
import json
import resource
import tempfile
import time

import torch
from datasets import Dataset
from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast, TrainerCallback
from trl import RLOOConfig, RLOOTrainer


def e_fraction(completions, **_):
    # The reward: the share of a completion's characters that are the letter e.
    return [c.count("e") / max(1, len(c)) for c in completions]


class StepTimer(TrainerCallback):
    def __init__(self):
        self.stamps = []

    def on_step_begin(self, args, state, control, **kw):
        self.stamps.append(("begin", time.perf_counter()))

    def on_step_end(self, args, state, control, **kw):
        self.stamps.append(("end", time.perf_counter()))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--prompts", required=True, help="JSON list of prompt strings")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tok = PreTrainedTokenizerFast(tokenizer_file=f"{args.model}/tokenizer.json", eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tok.padding_side = "left"
    model = GPT2LMHeadModel.from_pretrained(args.model)
    prompts = json.load(open(args.prompts))
    n = 16 * (args.steps + 1)
    data = Dataset.from_dict({"prompt": [prompts[i % len(prompts)] for i in range(n)]})
    with tempfile.TemporaryDirectory() as out:
        config = RLOOConfig(
            output_dir=out, use_cpu=True, bf16=False, num_generations=4, per_device_train_batch_size=64,
            beta=0.05, max_completion_length=64, num_iterations=1, learning_rate=1e-5, temperature=1.0,
            max_steps=args.steps + 1, logging_steps=1, save_strategy="no", report_to=[], seed=0,
        )
        timer = StepTimer()
        trainer = RLOOTrainer(model=model, reward_funcs=e_fraction, args=config, train_dataset=data,
                              processing_class=tok, callbacks=[timer])
        trainer.train()
    ends = [t for k, t in timer.stamps if k == "end"]
    times = [b - a for a, b in zip(ends, ends[1:])]  # end to end: generation happens before step_begin
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"times": times, "completions_per_update": 64, "peak_rss": peak}))


if __name__ == "__main__":
    main()
