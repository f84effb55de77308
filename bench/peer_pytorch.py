"""
The workloads of `trainer bench`, written as plain PyTorch eager: the peer that `./bench.sh peer`
runs side by side with the trainer. Standard library, torch and numpy only; the model follows
llama2.c's model.py (nanoGPT style), loaded from a llama2.c checkpoint (stories260K).

    /usr/bin/python3 bench/peer_pytorch.py --model stories260K.bin [--threads N] [trainer bench options]
        one JSON line per measurement, keyed as the trainer's
    /usr/bin/python3 bench/peer_pytorch.py table --trainer T1.jsonl ... --peer P1.jsonl ... --threads N --command C
        the side-by-side table of both sides' runs (medians)

`./bench.sh peer` runs both; Debian's /usr/bin/python3 is the one with python3-torch.

Shapes, counts, warm-up and what is timed follow trainer/src/main/java/dev/rlhf/trainer/bench/Benchmarks.java
and cli/BenchCommand.java; the option names and defaults are the trainer's. Before timing anything the
script checks that it reproduces stories260K's reference ids (../shared/data/README.md) and exits 1 if not.
"""
import argparse
import copy
import glob
import json
import math
import mmap
import os
import platform
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BOS, EOS = 1, 2
MASKED_SCORE = -1e9  # as the trainer: finite, so a fully masked row stays finite
DECODE_REPEATS = 5  # timed repeats behind each decoding figure, median reported (Benchmarks.DECODE_REPEATS)
DECODE_WARM_UP_STEPS = 2000  # untimed decoding steps first (Benchmarks.DECODE_WARM_UP_STEPS)


# ----------------------------------------------------------------------------- model

@dataclass
class ModelArgs:
    dim: int = 64
    hidden_dim: int = 172
    n_layers: int = 5
    n_heads: int = 8
    n_kv_heads: int = 4
    vocab_size: int = 512
    max_seq_len: int = 512
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def precompute_rope(head_dim, end, theta):
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angles = torch.outer(torch.arange(end).float(), freqs)  # [end, head_dim / 2]
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotates consecutive pairs (i, i+1) of each head, as llama2.c. x [B, T, H, D]; cos, sin [B, T, D/2]."""
    x0, x1 = x.reshape(*x.shape[:-1], -1, 2).unbind(-1)
    cos, sin = cos.unsqueeze(2), sin.unsqueeze(2)
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(3)


class KVCache:
    """Keys and values of every layer, preallocated for max_len positions and written in place."""

    def __init__(self, args, batch, max_len):
        head_dim = args.dim // args.n_heads
        shape = (batch, max_len, args.n_kv_heads, head_dim)
        self.keys = [torch.zeros(shape) for _ in range(args.n_layers)]
        self.values = [torch.zeros(shape) for _ in range(args.n_layers)]
        self.length = 0

    def update(self, layer, k, v):
        end = self.length + k.shape[1]
        self.keys[layer][:, self.length:end] = k
        self.values[layer][:, self.length:end] = v
        return self.keys[layer][:, :end], self.values[layer][:, :end]


class Attention(nn.Module):
    def __init__(self, args, layer):
        super().__init__()
        self.layer = layer
        self.n_heads, self.n_kv_heads = args.n_heads, args.n_kv_heads
        self.head_dim = args.dim // args.n_heads
        self.wq = nn.Linear(args.dim, args.n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(args.dim, args.n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(args.dim, args.n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(args.n_heads * self.head_dim, args.dim, bias=False)

    def forward(self, x, cos, sin, mask, cache):
        B, T, _ = x.shape
        q = apply_rope(self.wq(x).view(B, T, self.n_heads, self.head_dim), cos, sin)
        k = apply_rope(self.wk(x).view(B, T, self.n_kv_heads, self.head_dim), cos, sin)
        v = self.wv(x).view(B, T, self.n_kv_heads, self.head_dim)
        if cache is not None:
            k, v = cache.update(self.layer, k, v)
        n_rep = self.n_heads // self.n_kv_heads  # grouped-query attention: each kv head serves n_rep query heads
        k = k.repeat_interleave(n_rep, dim=2)
        v = v.repeat_interleave(n_rep, dim=2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        scores = q @ k.transpose(2, 3) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = scores + mask
        out = F.softmax(scores, dim=-1) @ v
        return self.wo(out.transpose(1, 2).reshape(B, T, -1))


class FeedForward(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.w1 = nn.Linear(args.dim, args.hidden_dim, bias=False)
        self.w2 = nn.Linear(args.hidden_dim, args.dim, bias=False)
        self.w3 = nn.Linear(args.dim, args.hidden_dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    def __init__(self, args, layer):
        super().__init__()
        self.attention = Attention(args, layer)
        self.feed_forward = FeedForward(args)
        self.attention_norm = RMSNorm(args.dim, args.norm_eps)
        self.ffn_norm = RMSNorm(args.dim, args.norm_eps)

    def forward(self, x, cos, sin, mask, cache):
        h = x + self.attention(self.attention_norm(x), cos, sin, mask, cache)
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nn.Module):
    """Llama decoder with a tied output head and, for critics and reward models, an optional value head."""

    def __init__(self, args):
        super().__init__()
        self.args = args
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        self.layers = nn.ModuleList(TransformerBlock(args, i) for i in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.value_head = None
        cos, sin = precompute_rope(args.dim // args.n_heads, args.max_seq_len, args.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def add_value_head(self, seed):
        """A small value head (OpenRLHF's init, as the trainer's RewardTrainer.initialiseValueHead)."""
        self.value_head = nn.Linear(self.args.dim, 1)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.value_head.weight.copy_(torch.randn(1, self.args.dim, generator=generator) / (self.args.dim + 1))
            self.value_head.bias.zero_()
        return self

    def forward(self, tokens, positions, mask, cache=None):
        """Final-normed hidden states [B, T, dim]; positions [B, T]; mask additive [B, 1, T, keys] or None."""
        h = self.tok_embeddings(tokens)
        cos, sin = self.rope_cos[positions], self.rope_sin[positions]
        for layer in self.layers:
            h = layer(h, cos, sin, mask, cache)
        if cache is not None:
            cache.length += tokens.shape[1]
        return self.norm(h)

    def logits(self, hidden):
        return F.linear(hidden, self.tok_embeddings.weight)

    def values(self, hidden):
        return self.value_head(hidden).squeeze(-1)


def load_llama2c(path):
    """A llama2.c checkpoint (legacy format: 7 int32 header, then float32 weights)."""
    with open(path, "rb") as f:
        dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, max_seq_len = struct.unpack("<7i", f.read(28))
        data = np.fromfile(f, dtype="<f4")
    shared = vocab_size > 0
    args = ModelArgs(dim, hidden_dim, n_layers, n_heads, n_kv_heads, abs(vocab_size), max_seq_len)
    model = Transformer(args)
    head_dim, kv_dim = dim // n_heads, n_kv_heads * (dim // n_heads)
    offset = 0

    def take(*shape):
        nonlocal offset
        n = int(np.prod(shape))
        out = torch.from_numpy(data[offset:offset + n].copy()).view(*shape)
        offset += n
        return out

    def per_layer(name, *shape):
        w = take(n_layers, *shape)
        for i, layer in enumerate(model.layers):
            layer.get_parameter(name).data.copy_(w[i])

    with torch.no_grad():
        model.tok_embeddings.weight.copy_(take(args.vocab_size, dim))
        per_layer("attention_norm.weight", dim)
        per_layer("attention.wq.weight", dim, dim)
        per_layer("attention.wk.weight", kv_dim, dim)
        per_layer("attention.wv.weight", kv_dim, dim)
        per_layer("attention.wo.weight", dim, dim)
        per_layer("ffn_norm.weight", dim)
        per_layer("feed_forward.w1.weight", hidden_dim, dim)
        per_layer("feed_forward.w2.weight", dim, hidden_dim)
        per_layer("feed_forward.w3.weight", hidden_dim, dim)
        model.norm.weight.copy_(take(dim))
    if not shared:
        raise ValueError(f"{path}: an untied output head is not supported by this benchmark")
    return model


# ----------------------------------------------------------------------------- masks and batches

def attention_mask(key_mask, queries):
    """Additive mask [B, 1, queries, keys]: causal over the last `queries` keys, padded keys hidden."""
    keys = key_mask.shape[1]
    causal = torch.ones(queries, keys, dtype=torch.bool).tril(diagonal=keys - queries)
    allowed = causal[None, None] & key_mask[:, None, None, :].bool()
    return torch.zeros(allowed.shape).masked_fill_(~allowed, MASKED_SCORE)


def right_padded(rows):
    """Token ids [N, L] and key mask [N, L] of right-padded rows, and each row's length."""
    width = max(len(r) for r in rows)
    tokens = torch.zeros(len(rows), width, dtype=torch.long)
    key_mask = torch.zeros(len(rows), width)
    for i, r in enumerate(rows):
        tokens[i, :len(r)] = torch.tensor(r)
        key_mask[i, :len(r)] = 1
    return tokens, key_mask, torch.tensor([len(r) for r in rows])


def full_forward(model, tokens, key_mask):
    """Hidden states of right-padded rows, no cache (training and scoring passes)."""
    positions = torch.arange(tokens.shape[1]).expand_as(tokens)
    return model(tokens, positions, attention_mask(key_mask, tokens.shape[1]))


def token_logprobs(logits, tokens):
    """log p(tokens[:, t+1] | ..t) [B, T-1] from logits [B, T, V]."""
    return torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, tokens[:, 1:, None]).squeeze(-1)


# ----------------------------------------------------------------------------- generation

@torch.inference_mode()
def generate(model, prompts, max_new_tokens, greedy=False, temperature=1.0):
    """Left-padded batched sampling with a preallocated KV cache; rows stop at EOS (kept in their ids)."""
    rows = len(prompts)
    longest = max(len(p) for p in prompts)
    max_new_tokens = min(max_new_tokens, model.args.max_seq_len - longest)
    total = longest + max_new_tokens
    tokens = torch.zeros(rows, longest, dtype=torch.long)
    key_mask = torch.zeros(rows, total)
    for i, p in enumerate(prompts):
        tokens[i, longest - len(p):] = torch.tensor(p)
        key_mask[i, longest - len(p):longest] = 1
    positions = (key_mask[:, :longest].cumsum(1) - 1).clamp(min=0).long()
    cache = KVCache(model.args, rows, total)
    hidden = model(tokens, positions, attention_mask(key_mask[:, :longest], longest), cache)
    logits = model.logits(hidden[:, -1])
    next_position = positions[:, -1] + 1
    out = torch.full((rows, max_new_tokens), EOS, dtype=torch.long)
    finished = torch.zeros(rows, dtype=torch.bool)
    lengths = torch.full((rows,), max_new_tokens, dtype=torch.long)
    for t in range(max_new_tokens):
        if greedy:
            chosen = logits.argmax(-1)
        else:
            chosen = torch.multinomial(F.softmax(logits / temperature, dim=-1), 1).squeeze(-1)
        chosen = chosen.masked_fill(finished, EOS)  # a finished row's output is final
        out[:, t] = chosen
        newly = (chosen == EOS) & ~finished
        lengths[newly] = t + 1
        finished |= newly
        if t == max_new_tokens - 1 or bool(finished.all()):
            break
        key_mask[:, longest + t] = 1
        mask = torch.zeros(rows, 1, 1, longest + t + 1).masked_fill_(key_mask[:, None, None, :longest + t + 1] == 0,
                                                                     MASKED_SCORE)
        hidden = model(chosen[:, None], next_position[:, None], mask, cache)
        logits = model.logits(hidden[:, -1])
        next_position += 1
    return [out[i, :lengths[i]].tolist() for i in range(rows)]


REFERENCES = [  # ../shared/data/README.md, "Reference outputs of stories260K"
    ([1], [(403, 17.0235), (385, 15.4062), (410, 13.1083), (317, 12.7692), (407, 12.4181)],
     [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408,
      419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352]),
    ([1, 403, 407, 261, 378, 432, 261, 400, 428],
     [(395, 14.0682), (432, 10.6472), (269, 10.2922), (286, 10.097), (263, 9.7328)],
     [395, 392, 412, 444, 286, 399, 344, 444, 429, 275, 266, 426, 346, 286, 399, 344, 444, 429, 275, 266, 267, 262,
      411, 411, 263, 415, 294, 286, 322, 419, 292, 411]),
]


@torch.inference_mode()
def reference_mismatches(model):
    """What differs from stories260K's reference outputs: top-5 logits, greedy ids one by one and batched."""
    problems = []
    for prompt, top5, ids in REFERENCES:
        tokens = torch.tensor([prompt])
        logits = model.logits(model(tokens, torch.arange(len(prompt))[None], attention_mask(torch.ones(1, len(prompt)),
                                                                                            len(prompt))))[0, -1]
        values, indices = logits.topk(5)
        got = list(zip(indices.tolist(), values.tolist()))
        if [i for i, _ in got] != [i for i, _ in top5] or max(abs(a[1] - b[1]) for a, b in zip(got, top5)) > 1e-3:
            problems.append(f"prompt {prompt}: top-5 logits {got}, expected {top5}")
        generated = generate(model, [prompt], len(ids), greedy=True)[0]
        if generated != ids:
            problems.append(f"prompt {prompt}: greedy ids {generated}, expected {ids}")
    batched = generate(model, [p for p, _, _ in REFERENCES], max(len(i) for _, _, i in REFERENCES), greedy=True)
    for (prompt, _, ids), got in zip(REFERENCES, batched):
        if got[:len(ids)] != ids:
            problems.append(f"prompt {prompt} in a left-padded batch: greedy ids {got[:len(ids)]}, expected {ids}")
    return problems


# ----------------------------------------------------------------------------- benchmarks

def emit(line):
    print(json.dumps(line), flush=True)


@torch.inference_mode()
def decode(model, context, steps, generator):
    """ms per greedy token at `context` tokens, batch 1, KV cache: prefill untimed, then `steps` steps timed."""
    prompt = torch.randint(3, model.args.vocab_size, (1, context - steps), generator=generator)
    prompt[0, 0] = BOS
    cache = KVCache(model.args, 1, context)
    positions = torch.arange(prompt.shape[1])[None]
    logits = model.logits(model(prompt, positions, attention_mask(torch.ones(prompt.shape), prompt.shape[1]), cache)[:, -1])
    ids = []
    start = time.perf_counter()
    for s in range(steps):
        chosen = logits.argmax(-1, keepdim=True)  # [1, 1]
        ids.append(chosen.item())
        if s < steps - 1:
            logits = model.logits(model(chosen, torch.tensor([[cache.length]]), None, cache)[:, -1])
    per_token = (time.perf_counter() - start) / max(steps - 1, 1)
    return per_token * 1000


def openings(model, count):
    """Story openings of up to 12 tokens the policy writes from BOS (the trainer's prompts), as ids with BOS."""
    return [[BOS] + [t for t in o if t != EOS] for o in generate(model, [[BOS]] * count, 12)]


def adamw(model, lr, weight_decay):
    return torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=weight_decay)


def masked_mean(x, mask):
    return (x * mask).sum() / mask.sum().clamp(min=1)


def masked_whiten(x, mask, shift_mean=True):
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean) ** 2, mask) * mask.sum() / (mask.sum() - 1).clamp(min=1)
    out = (x - mean) * torch.rsqrt(var + 1e-8)
    return out if shift_mean else out + mean


class Ppo:
    """PPO as the trainer runs it: actor, reference, critic and reward model all stories260K (value heads fresh)."""
    kl_coef, gamma, lam, clip_range, value_clip_range, vf_coef, reward_clip = 0.02, 1.0, 0.95, 0.2, 0.2, 0.1, 10.0

    def __init__(self, policy, samples, max_new_tokens, mini_batches):
        self.actor = copy.deepcopy(policy).requires_grad_(True)
        self.reference = copy.deepcopy(policy).requires_grad_(False)
        self.critic = copy.deepcopy(policy).requires_grad_(True).add_value_head(1)
        self.reward = copy.deepcopy(policy).add_value_head(1).requires_grad_(False)
        self.samples, self.max_new_tokens, self.mini_batches = samples, max_new_tokens, mini_batches
        self.actor_optimizer = adamw(self.actor, 1e-6, 0.0)
        self.critic_optimizer = adamw(self.critic, 9e-6, 0.0)

    @torch.no_grad()
    def rollout(self, prompts):
        """Sampling, then the actor's (with entropy), reference's and critic's passes, scoring, GAE."""
        rows = [p for p in prompts for _ in range(self.samples)]
        responses = generate(self.actor, rows, self.max_new_tokens)
        tokens, key_mask, lengths = right_padded([p + r for p, r in zip(rows, responses)])
        n, width = tokens.shape
        prompt_lengths = torch.tensor([len(p) for p in rows])
        position = torch.arange(width - 1)[None]
        mask = ((position + 1 >= prompt_lengths[:, None]) & (position + 1 < lengths[:, None])).float()  # predicts a response token
        chunk = n // self.mini_batches
        old_logp, ref_logp, old_values, entropy = [], [], [], 0.0
        for start in range(0, n, chunk):
            t, km, m = tokens[start:start + chunk], key_mask[start:start + chunk], mask[start:start + chunk]
            logits = self.actor.logits(full_forward(self.actor, t, km))
            old_logp.append(token_logprobs(logits, t) * m)
            logp_all = torch.log_softmax(logits[:, :-1], dim=-1)
            entropy += (-(logp_all.exp() * logp_all).sum(-1) * m).sum().item()
            ref_logp.append(token_logprobs(self.reference.logits(full_forward(self.reference, t, km)), t) * m)
            old_values.append(self.critic.values(full_forward(self.critic, t, km))[:, :-1])
        old_logp, ref_logp, old_values = torch.cat(old_logp), torch.cat(ref_logp), torch.cat(old_values)
        scores = self.reward.values(full_forward(self.reward, tokens, key_mask)).gather(1, (lengths - 1)[:, None]).squeeze(1)

        rewards = -self.kl_coef * (old_logp - ref_logp) * mask  # k1 KL penalty per token
        last = (lengths - 2)[:, None]  # position predicting the last response token
        rewards.scatter_add_(1, last, scores.clamp(-self.reward_clip, self.reward_clip)[:, None])
        advantages = torch.zeros_like(rewards)
        next_value, next_advantage = torch.zeros(n), torch.zeros(n)
        for t in reversed(range(width - 1)):
            m = mask[:, t]
            delta = rewards[:, t] + self.gamma * next_value - old_values[:, t]
            advantage = delta + self.gamma * self.lam * next_advantage
            advantages[:, t] = advantage * m
            next_value = torch.where(m > 0, old_values[:, t], next_value)
            next_advantage = torch.where(m > 0, advantage, next_advantage)
        returns = advantages + old_values * mask
        advantages = masked_whiten(advantages, mask) * mask
        tokens_generated = sum(len(r) for r in responses)
        return dict(tokens=tokens, key_mask=key_mask, mask=mask, old_logp=old_logp, old_values=old_values,
                    advantages=advantages, returns=returns, entropy=entropy, response_tokens=tokens_generated)

    def update(self, r, rows):
        """One optimizer step of the actor (clipped surrogate) and of the critic (clipped value loss)."""
        t, km, m = r["tokens"][rows], r["key_mask"][rows], r["mask"][rows]
        logp = token_logprobs(self.actor.logits(full_forward(self.actor, t, km)), t)
        ratio = torch.exp(logp - r["old_logp"][rows])
        advantages = r["advantages"][rows]
        policy_loss = masked_mean(torch.max(-advantages * ratio,
                                            -advantages * ratio.clamp(1 - self.clip_range, 1 + self.clip_range)), m)
        policy_loss.backward()
        nn.utils.clip_grad_norm_(self.actor.parameters(), 1.0)
        self.actor_optimizer.step()
        self.actor_optimizer.zero_grad(set_to_none=True)

        values = self.critic.values(full_forward(self.critic, t, km))[:, :-1]
        old, returns = r["old_values"][rows], r["returns"][rows]
        clipped = old + (values - old).clamp(-self.value_clip_range, self.value_clip_range)
        value_loss = 0.5 * masked_mean(torch.max((values - returns) ** 2, (clipped - returns) ** 2), m)
        (self.vf_coef * value_loss).backward()
        nn.utils.clip_grad_norm_(self.critic.parameters(), 1.0)
        self.critic_optimizer.step()
        self.critic_optimizer.zero_grad(set_to_none=True)
        return policy_loss.item(), value_loss.item()


# Untimed rollouts (with their updates) before the timed ones, as the trainer's Benchmarks.PPO_WARM_UP_ROLLOUTS:
# the JVM needs them to finish compiling; here they change little, and keep both sides doing the same work.
PPO_WARM_UP_ROLLOUTS = 3


def ppo(policy, args):
    """Rollout tokens/s and s per optimizer step: PPO_WARM_UP_ROLLOUTS warm-up rollouts with their updates, then the timed ones."""
    trainer = Ppo(policy, args.ppo_samples, args.ppo_new_tokens, args.ppo_mini_batches)
    prompts = openings(policy, args.ppo_prompts * (args.ppo_rollouts + PPO_WARM_UP_ROLLOUTS))
    rows = args.ppo_prompts * args.ppo_samples
    mini = rows // args.ppo_mini_batches
    rollout_seconds = update_seconds = 0.0
    tokens = updates = 0
    for index in range(args.ppo_rollouts + PPO_WARM_UP_ROLLOUTS):
        timed = index >= PPO_WARM_UP_ROLLOUTS
        start = time.perf_counter()
        r = trainer.rollout(prompts[index * args.ppo_prompts:(index + 1) * args.ppo_prompts])
        seconds = time.perf_counter() - start
        if timed:
            rollout_seconds += seconds
            tokens += r["response_tokens"]
        for b in range(args.ppo_mini_batches):
            start = time.perf_counter()
            trainer.update(r, torch.arange(b * mini, (b + 1) * mini))
            if timed:
                update_seconds += time.perf_counter() - start
                updates += 1
    return tokens / rollout_seconds, update_seconds / updates


def rollout_generation(policy, args):
    """Tokens/s of the rollout's sampling alone: prompts x samples rows, one warm-up run, then --generation-runs timed."""
    runs = args.generation_runs
    prompts = openings(policy, args.ppo_prompts)
    rows = [p for p in prompts for _ in range(args.ppo_samples)]
    generate(policy, rows, args.ppo_new_tokens)
    start = time.perf_counter()
    tokens = sum(len(r) for _ in range(runs) for r in generate(policy, rows, args.ppo_new_tokens))
    return tokens / (time.perf_counter() - start)


def rankings(policy, count, k, new_tokens, generator):
    """`count` openings with k continuations each in a random full order: (rows of prompt + response + EOS, order)."""
    prompts = openings(policy, count)
    responses = generate(policy, [p for p in prompts for _ in range(k)], new_tokens)
    out = []
    for i, p in enumerate(prompts):
        rows = [p + [t for t in r if t != EOS] + [EOS] for r in responses[i * k:(i + 1) * k]]
        out.append((len(p), rows, torch.randperm(k, generator=generator).tolist()))
    return out


def ordered_pairs(order):
    return [(order[a], order[b]) for a in range(len(order)) for b in range(a + 1, len(order))]


def lr_schedule(warmup, total, min_ratio=0.1):
    """Linear warmup, then cosine decay to min_ratio of the peak (the trainer's LearningRateSchedule)."""
    def factor(step):  # step counts from 0 here, from 1 in the trainer
        step += 1
        if warmup > 0 and step <= warmup:
            return step / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return min_ratio + 0.5 * (1 - min_ratio) * (1 + math.cos(math.pi * progress))
    return factor


def preference_steps(model, optimizer, warmup_ratio, batches, loss_of):
    """Pairs/s of optimizer steps 2..n (step 1 warms up): loss, backward, clip to 1.0, AdamW, schedule."""
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_schedule(round(warmup_ratio * len(batches)), len(batches)))
    start, pairs = None, 0
    for step, (batch, batch_pairs) in enumerate(batches):
        loss_of(batch).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if step == 0:
            start = time.perf_counter()
        else:
            pairs += batch_pairs
    return pairs / (time.perf_counter() - start)


def shuffled_batches(items, batch_size, steps, generator):
    order = []
    while len(order) < batch_size * steps:
        order += torch.randperm(len(items), generator=generator).tolist()
    return [[items[i] for i in order[s * batch_size:(s + 1) * batch_size]] for s in range(steps)]


def sequence_logprobs(model, rows):
    """Summed log-probabilities of the response tokens of (prompt length, ids) rows, one right-padded pass."""
    tokens, key_mask, lengths = right_padded([ids for _, ids in rows])
    position = torch.arange(tokens.shape[1] - 1)[None]
    prompt_lengths = torch.tensor([p for p, _ in rows])[:, None]
    response = ((position + 1 >= prompt_lengths) & (position + 1 < lengths[:, None])).float()
    return (token_logprobs(model.logits(full_forward(model, tokens, key_mask)), tokens) * response).sum(-1)


def dpo(policy, data, args, generator, beta=0.1):
    """DPO (sigmoid loss) on every ordered pair of the rankings; reference log-probabilities precomputed, untimed."""
    model = copy.deepcopy(policy).requires_grad_(True)
    pairs = [((p, rows[better]), (p, rows[worse])) for p, rows, order in data for better, worse in ordered_pairs(order)]
    with torch.no_grad():
        reference = {}
        for start in range(0, len(pairs), max(args.preference_batch, 8)):
            chunk = pairs[start:start + max(args.preference_batch, 8)]
            logps = sequence_logprobs(model, [c for c, _ in chunk] + [r for _, r in chunk])
            for i in range(len(chunk)):
                reference[start + i] = (logps[i], logps[len(chunk) + i])
    indexed = list(enumerate(pairs))
    batches = [(b, len(b)) for b in shuffled_batches(indexed, args.preference_batch, args.preference_steps, generator)]

    def loss_of(batch):
        logps = sequence_logprobs(model, [c for _, (c, _) in batch] + [r for _, (_, r) in batch])
        chosen, rejected = logps[:len(batch)], logps[len(batch):]
        ref_chosen = torch.stack([reference[i][0] for i, _ in batch])
        ref_rejected = torch.stack([reference[i][1] for i, _ in batch])
        return -F.logsigmoid(beta * ((chosen - ref_chosen) - (rejected - ref_rejected))).mean()

    return preference_steps(model, adamw(model, 1e-4, 0.0), 0.1, batches, loss_of)


def reward_model(policy, data, args, generator):
    """Reward-model training, K-way loss: each ranking's responses in the batch, all its ordered pairs weighted."""
    model = copy.deepcopy(policy).requires_grad_(True).add_value_head(42)
    batches = [(b, sum(len(ordered_pairs(o)) for _, _, o in b))
               for b in shuffled_batches(data, args.preference_batch, args.preference_steps, generator)]

    def loss_of(batch):
        rows = [ids for _, ranking_rows, _ in batch for ids in ranking_rows]
        tokens, key_mask, lengths = right_padded(rows)
        rewards = model.values(full_forward(model, tokens, key_mask)).gather(1, (lengths - 1)[:, None]).squeeze(1)
        better, worse, weight, offset = [], [], [], 0
        for _, ranking_rows, order in batch:
            pairs = ordered_pairs(order)
            for b, w in pairs:
                better.append(offset + b)
                worse.append(offset + w)
                weight.append(1.0 / (len(pairs) * len(batch)))
            offset += len(ranking_rows)
        diff = rewards[torch.tensor(better)] - rewards[torch.tensor(worse)]
        return -(F.logsigmoid(diff) * torch.tensor(weight)).sum()

    return preference_steps(model, adamw(model, 1e-4, 0.0), 0.03, batches, loss_of)


def sft(args, generator, warmup=2, steps=5):
    """Tokens/s of forward, backward and AdamW on random tokens, a fresh model of --width, after warm-up."""
    width = args.width
    config = ModelArgs(dim=width, hidden_dim=width * 8 // 3 // 32 * 32 + 32, n_layers=args.layers,
                       n_heads=max(1, width // 64), n_kv_heads=max(1, width // 64), vocab_size=512,
                       max_seq_len=max(512, args.seq_len))
    model = Transformer(config)
    optimizer = adamw(model, 1e-4, 0.1)
    ids = torch.randint(3, config.vocab_size, (args.batch_size, args.seq_len + 1), generator=generator)
    ids[:, 0] = BOS
    inputs, targets = ids[:, :-1], ids[:, 1:]
    key_mask = torch.ones(inputs.shape)
    for s in range(warmup + steps):
        if s == warmup:
            start = time.perf_counter()
        logits = model.logits(full_forward(model, inputs, key_mask))
        loss = F.cross_entropy(logits.reshape(-1, config.vocab_size), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    return args.batch_size * args.seq_len * steps / (time.perf_counter() - start)


def matmul_gflops(size, repeats=5):
    """Best-of-`repeats` float32 N x N matmul GFLOP/s after one warm-up."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = 0.0
    for r in range(repeats + 1):
        start = time.perf_counter()
        c = a @ b
        c[0, 0].item()
        if r > 0:
            best = max(best, 2.0 * size ** 3 / (time.perf_counter() - start) / 1e9)
    return best


def loaded_blas():
    """The BLAS library this process mapped (Debian's torch reaches it through libblas.so.3's alternative)."""
    with open("/proc/self/maps") as maps:
        libs = {os.path.realpath(line.split()[-1]) for line in maps if "/" in line}
    blas = sorted(l for l in libs if "blas" in os.path.basename(l).lower())
    return ", ".join(os.path.join(os.path.basename(os.path.dirname(l)), os.path.basename(l)) for l in blas) or "none mapped"


def config_value(name, separator):
    """One setting of torch.__config__.show() (e.g. BLAS_INFO), or "unknown"."""
    for part in torch.__config__.show().replace(",", "\n").splitlines():
        if name + separator in part:
            return part.split(name + separator, 1)[1].strip()
    return "unknown"


def run(args):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    policy = load_llama2c(args.model).requires_grad_(False)
    problems = reference_mismatches(policy)
    if problems:
        print("peer_pytorch: the model does not reproduce stories260K's reference outputs:", *problems,
              sep="\n  ", file=sys.stderr)
        return 1
    emit({"benchmark": "environment", "torch": torch.__version__, "threads": torch.get_num_threads(),
          "interop_threads": torch.get_num_interop_threads(), "blas": loaded_blas(),
          "blas_info": config_value("BLAS_INFO", "="),
          "cpu_capability": config_value("CPU capability usage", ":"),
          "reference_ids": "match", "options": {k: v for k, v in vars(args).items() if k not in ("model", "tokenizer")}})
    warm_context = min(policy.args.max_seq_len, max(args.decode_steps * 2, 64))
    for _ in range(0, DECODE_WARM_UP_STEPS, args.decode_steps):  # as the trainer's bench, which warms its JIT
        decode(policy, warm_context, args.decode_steps, generator)
    for context in args.contexts:
        if context <= args.decode_steps or context > policy.args.max_seq_len:
            raise SystemExit(f"--contexts {context}: must exceed --decode-steps and fit the model's "
                             f"{policy.args.max_seq_len} tokens")
        decode(policy, context, 4, generator)  # warm-up
        ms = statistics.median(decode(policy, context, args.decode_steps, generator) for _ in range(DECODE_REPEATS))
        emit({"benchmark": "generate", "context": context, "kv_cache": True, "ms_per_token": ms,
              "tokens_per_second": 1000 / ms})
    if args.alignment:
        rollout_tps, update_s = ppo(policy, args)
        emit({"benchmark": "ppo", "responses_per_rollout": args.ppo_prompts * args.ppo_samples,
              "max_new_tokens": args.ppo_new_tokens, "timed_rollouts": args.ppo_rollouts,
              "rollout_tokens_per_second": rollout_tps, "seconds_per_update": update_s})
        emit({"benchmark": "rollout_generation", "responses": args.ppo_prompts * args.ppo_samples,
              "max_new_tokens": args.ppo_new_tokens, "tokens_per_second": rollout_generation(policy, args)})
        data = rankings(policy, args.preference_rankings, 4, args.preference_tokens, generator)
        emit({"benchmark": "dpo", "pairs_per_second": dpo(policy, data, args, generator)})
        emit({"benchmark": "reward_model", "pairs_per_second": reward_model(policy, data, args, generator)})
    matmul = matmul_gflops(args.matmul_size)  # after the alignment benchmarks, as the trainer
    emit({"benchmark": "sft", "width": args.width, "layers": args.layers, "batch_size": args.batch_size,
          "seq_len": args.seq_len, "tokens_per_second": sft(args, generator), "matmul_gflops_per_second": matmul})
    return 0


# ----------------------------------------------------------------------------- the side-by-side table

def read_runs(paths):
    runs = []
    for path in paths:
        with open(path) as f:
            runs.append([json.loads(line) for line in f if line.startswith("{")])
    return runs


def measurements(run_lines):
    """{row key: (value, higher is better)} of one run's JSON lines, from either side."""
    out = {}
    for m in run_lines:
        kind = m.get("benchmark")
        if kind == "generate" and m.get("kv_cache"):
            out[("decode", m["context"])] = (m["ms_per_token"], False)
        elif kind == "ppo":
            out[("ppo_rollout",)] = (m["rollout_tokens_per_second"], True)
            out[("ppo_update",)] = (m["seconds_per_update"], False)
        elif kind == "rollout_generation":
            out[("rollout_generation",)] = (m["tokens_per_second"], True)
        elif kind in ("dpo", "reward_model"):
            out[(kind,)] = (m["pairs_per_second"], True)
        elif kind == "sft":
            out[("sft",)] = (m["tokens_per_second"], True)
            out[("matmul",)] = (m["matmul_gflops_per_second"], True)
    return out


def row_label(key, options):
    return {
        "decode": lambda: f"greedy decoding, batch 1, KV cache, context {key[-1]} (ms/token)",
        "ppo_rollout": lambda: "PPO rollout: sampling + actor/ref/critic/reward passes (tokens/s)",
        "rollout_generation": lambda: "rollout generation only (tokens/s)",
        "ppo_update": lambda: "PPO update (s per optimizer step)",
        "dpo": lambda: "DPO training (pairs/s)",
        "reward_model": lambda: "reward-model training (pairs/s)",
        "sft": lambda: f"SFT, width {options['width']}, batch {options['batch_size']} x {options['seq_len']} (tokens/s)",
        "matmul": lambda: f"fp32 matmul {options['matmul_size']}^3 (GFLOP/s)",
    }[key[0]]()


def fmt(value):
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"


def djl_libtorch():
    """The libtorch DJL downloaded (~/.djl.ai/pytorch/<version>-...), and whether MKL is linked into it."""
    libs = sorted(glob.glob(os.path.expanduser("~/.djl.ai/pytorch/*/libtorch_cpu.so")), key=os.path.getmtime)
    if not libs:
        return "libtorch (version not found under ~/.djl.ai/pytorch)"
    version = os.path.basename(os.path.dirname(libs[-1])).split("-")[0]
    with open(libs[-1], "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        mkl = data.find(b"mkl_serv_intel_cpu_true") >= 0
    return f"libtorch {version}, BLAS: {'MKL (statically linked)' if mkl else 'no MKL found; see torch::show_config'}"


def cpu_facts():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
    flags = fields.get("Flags", "").split()
    return fields.get("Model name", "unknown").strip(), "yes" if "avx512f" in flags else "no"


def table(args):
    trainer_runs = [measurements(r) for r in read_runs(args.trainer)]
    peer_lines = read_runs(args.peer)
    peer_runs = [measurements(r) for r in peer_lines]
    environment = next((m for r in peer_lines for m in r if m.get("benchmark") == "environment"), {})
    order = ["decode", "ppo_rollout", "rollout_generation", "ppo_update", "dpo", "reward_model", "sft", "matmul"]
    keys = sorted((k for k in peer_runs[0] if all(k in r for r in trainer_runs + peer_runs)),
                  key=lambda k: (order.index(k[0]), k[1:]))
    lines = [f"| workload | trainer | PyTorch eager | trainer/PyTorch speed (>= 1.0x: the trainer is at least as fast) "
             f"| trainer, each round | PyTorch eager, each round |",
             "|---|---|---|---|---|---|"]
    for key in keys:
        higher_better = peer_runs[0][key][1]
        trainer = statistics.median(r[key][0] for r in trainer_runs)
        peer = statistics.median(r[key][0] for r in peer_runs)
        ratio = trainer / peer if higher_better else peer / trainer
        # Every round's figure beside the median: on a shared machine a row's spread says how far to trust it.
        rounds = lambda runs: " / ".join(fmt(r[key][0]) for r in runs)
        lines.append(f"| {row_label(key, environment['options'])} | {fmt(trainer)} | {fmt(peer)} | {ratio:.2f}x "
                     f"| {rounds(trainer_runs)} | {rounds(peer_runs)} |")
    cpu, avx512 = cpu_facts()
    lines += ["", f"Medians of {len(trainer_runs)} interleaved round{'s' if len(trainer_runs) != 1 else ''}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"CPU: {cpu} ({os.cpu_count()} logical CPUs), AVX-512: {avx512}; "
              f"trainer: DJL {args.djl_version}, {djl_libtorch()}; "
              f"PyTorch eager: torch {environment.get('torch', '?')} (/usr/bin/python3), "
              f"BLAS {environment.get('blas', '?')} (BLAS_INFO={environment.get('blas_info', '?')}), "
              f"CPU capability {environment.get('cpu_capability', '?')}; "
              f"threads: {args.threads} each side (trainer -Dai.djl.pytorch.num_threads={args.threads} "
              f"-Dai.djl.pytorch.num_interop_threads=1, PyTorch torch.set_num_threads({args.threads}), "
              f"interop 1; OMP_NUM_THREADS={args.threads}, OPENBLAS_CORETYPE unset); command: `{args.command}`"]
    print("\n".join(lines))
    return 0


def bench_options(p):
    """The `trainer bench` options that shape the workloads, with the trainer's defaults."""
    ints = lambda s: [int(x) for x in s.split(",")]
    p.add_argument("--contexts", type=ints, default=[64, 256, 512])
    p.add_argument("--decode-steps", type=int, default=32)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--matmul-size", type=int, default=2048)
    p.add_argument("--alignment", type=lambda s: s == "true", default=True)
    p.add_argument("--ppo-prompts", type=int, default=16)
    p.add_argument("--ppo-samples", type=int, default=4)
    p.add_argument("--ppo-new-tokens", type=int, default=53)
    p.add_argument("--ppo-mini-batches", type=int, default=4)
    p.add_argument("--ppo-rollouts", type=int, default=8)
    p.add_argument("--generation-runs", type=int, default=8)
    p.add_argument("--preference-rankings", type=int, default=64)
    p.add_argument("--preference-tokens", type=int, default=32)
    p.add_argument("--preference-batch", type=int, default=16)
    p.add_argument("--preference-steps", type=int, default=9)
    p.add_argument("--threads", type=int, default=os.cpu_count())


def main(argv):
    if argv[:1] == ["table"]:
        p = argparse.ArgumentParser(prog="peer_pytorch.py table", description="Side-by-side table of both sides' runs.")
        p.add_argument("--trainer", nargs="+", required=True, help="JSON lines of `trainer bench` runs")
        p.add_argument("--peer", nargs="+", required=True, help="JSON lines of this script's runs")
        p.add_argument("--command", required=True, help="the command that produced them, for the record")
        p.add_argument("--threads", type=int, required=True, help="threads each side ran with")
        p.add_argument("--djl-version", default="0.35.1")
        return table(p.parse_args(argv[1:]))
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--model", required=True, help="llama2.c checkpoint (stories260K.bin)")
    p.add_argument("--tokenizer", help="ignored: the peer works on token ids")
    p.add_argument("--device", choices=["auto", "cpu"], default="auto", help="the peer runs on the CPU")
    bench_options(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
