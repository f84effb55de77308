"""The PPO rollout's scoring passes of bench/peer_pytorch.py one by one, as the trainer's RolloutPassProbe runs them.

16 rows of 66 tokens per actor (log-probabilities and entropy), reference and critic pass, 64 rows of 67 for the
reward model, each repeated at the same shape: median and least wall time and CPU time of the calling thread (at
one thread, the work done, which a loaded machine disturbs far less than the wall time).
Run: env -u OPENBLAS_CORETYPE OMP_NUM_THREADS=1 /usr/bin/python3 bench/peer_rollout_passes.py --threads 1
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_pytorch as peer  # noqa: E402


def timed(name, run, repeats):
    with torch.no_grad():
        for _ in range(5):
            run()
        wall, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.thread_time()
            run()
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
    wall.sort()
    cpu.sort()
    print(f"PASS {name:26s} wall median {wall[repeats // 2]:7.2f} least {wall[0]:7.2f} | "
          f"cpu median {cpu[repeats // 2]:7.2f} least {cpu[0]:7.2f} ms")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="../shared/data/models/stories260K/stories260K.bin")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    policy = peer.load_llama2c(args.model)
    critic = peer.load_llama2c(args.model).add_value_head(1)
    generator = torch.Generator().manual_seed(1)
    tokens, key_mask = torch.randint(1, 501, (16, 66), generator=generator), torch.ones(16, 66)
    all_tokens, all_mask = torch.randint(1, 501, (64, 67), generator=generator), torch.ones(64, 67)

    def actor():
        logits = policy.logits(peer.full_forward(policy, tokens, key_mask))
        peer.token_logprobs(logits, tokens)
        logp_all = torch.log_softmax(logits[:, :-1], dim=-1)
        (-(logp_all.exp() * logp_all).sum(-1)).sum().item()

    timed("reference pass 16x66", lambda: peer.token_logprobs(
        policy.logits(peer.full_forward(policy, tokens, key_mask)), tokens), args.repeats)
    timed("actor pass with entropy", actor, args.repeats)
    timed("critic pass 16x66", lambda: critic.values(peer.full_forward(critic, tokens, key_mask))[:, :-1], args.repeats)
    timed("reward pass 64x67", lambda: critic.values(peer.full_forward(critic, all_tokens, all_mask))[:, -1], args.repeats)


if __name__ == "__main__":
    main()
