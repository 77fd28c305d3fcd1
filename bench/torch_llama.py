#!/usr/bin/python3
"""Independent PyTorch reference for the Hugging Face Llama math (LlamaForCausalLM).

Used by benchmarks and optional parity tests only; `npm test` never needs it.
Written from the equations, not from transformers (which is not installed):

    RMSNorm   y = w * x / sqrt(mean(x^2) + eps)                  (computed in fp32 or wider)
    RoPE      inv_freq[j] = theta^(-2j/hd), angle = pos * inv_freq, cos/sin = cat(angle, angle)
              q' = q*cos + rotate_half(q)*sin,  rotate_half(x) = cat(-x2, x1)   (Su et al. 2021)
    attention grouped-query (each KV head serves nHeads/nKVHeads query heads), causal
              softmax(Q K^T / sqrt(hd)) V, then o_proj
    MLP       down(silu(gate(x)) * up(x))                          (SwiGLU, Shazeer 2020)
    block     x += attn(norm1(x)); x += mlp(norm2(x)); logits = lm_head(norm(x))

Parameter names are Hugging Face's verbatim (model.layers.0.self_attn.q_proj.weight, ...).
Every subcommand prints exactly one JSON object as its last stdout line; logs go to stderr.

Example:
    /usr/bin/python3 bench/torch_llama.py selftest
    /usr/bin/python3 bench/torch_llama.py logits --model ckpt/ --ids 1,5,7
    /usr/bin/python3 bench/torch_llama.py train-bench --config bench/reference.json --steps 20
    /usr/bin/python3 bench/torch_llama.py sample-bench --config bench/reference.json --batch 64 --new-tokens 64

Threads: the default --threads 1 leaves both cores to OpenBLAS's own thread pool; torch's
OpenMP threads on top of it oversubscribe a 2-core machine (measured 2-10x slower steps and
2-7x slower sampling with --threads 2). Checkpoints in F16/BF16 are upcast and computed in
fp32 (or --dtype float64), so logits are a high-precision reference, not a bf16 replay.
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import struct
import sys
import tempfile
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


class InputError(Exception):
    """Bad user input: printed as one clear line, exit status 2."""


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- model


@dataclass
class LlamaConfig:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 2048
    tie_word_embeddings: bool = False
    attention_bias: bool = False

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x  # at least fp32
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * y.to(x.dtype)


def rope_cos_sin(positions, head_dim, theta, dtype):
    """cos, sin of shape (T, hd) for integer positions (T,), halves duplicated as in HF."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(dtype) / head_dim))
    angles = positions.to(dtype)[:, None] * inv_freq[None, :]  # (T, hd/2)
    emb = torch.cat((angles, angles), dim=-1)  # (T, hd)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    """x: (B, T, h, hd); cos/sin: (T, hd)."""
    cos, sin = cos[:, None, :], sin[:, None, :]  # (T, 1, hd)
    return x * cos + rotate_half(x) * sin


def causal_mask(t_q, t_k, device):
    """True where query i (absolute position t_k - t_q + i) must NOT see key j."""
    i = torch.arange(t_q, device=device)[:, None] + (t_k - t_q)
    j = torch.arange(t_k, device=device)[None, :]
    return j > i  # (Tq, Tk)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hd, nh, nkv = cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads
        self.nh, self.nkv, self.hd = nh, nkv, hd
        self.q_proj = nn.Linear(cfg.hidden_size, nh * hd, bias=cfg.attention_bias)
        self.k_proj = nn.Linear(cfg.hidden_size, nkv * hd, bias=cfg.attention_bias)
        self.v_proj = nn.Linear(cfg.hidden_size, nkv * hd, bias=cfg.attention_bias)
        self.o_proj = nn.Linear(nh * hd, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, cache=None, pos=0):
        """x: (B, T, C). With cache=(k_cache, v_cache) of shape (B, nkv, L, hd), the new keys
        and values are written at [pos, pos+T) and attention runs over [0, pos+T)."""
        B, T, _ = x.shape
        nh, nkv, hd = self.nh, self.nkv, self.hd
        rep = nh // nkv
        q = apply_rope(self.q_proj(x).view(B, T, nh, hd), cos, sin).transpose(1, 2)  # (B, nh, T, hd)
        k = apply_rope(self.k_proj(x).view(B, T, nkv, hd), cos, sin).transpose(1, 2)  # (B, nkv, T, hd)
        v = self.v_proj(x).view(B, T, nkv, hd).transpose(1, 2)  # (B, nkv, T, hd)
        if cache is not None:
            k_cache, v_cache = cache
            k_cache[:, :, pos:pos + T] = k
            v_cache[:, :, pos:pos + T] = v
            k, v = k_cache[:, :, :pos + T], v_cache[:, :, :pos + T]  # (B, nkv, Tk, hd)
        Tk = k.shape[2]
        # grouped-query attention without copying K/V: query head h uses KV head h // rep
        q = q.reshape(B, nkv, rep * T, hd)  # (B, nkv, rep*T, hd)
        if T == 1:  # decoding: broadcast dot products beat B*nkv tiny GEMMs on CPU (~1.6x)
            att = (q.unsqueeze(-2) * k.unsqueeze(2)).sum(-1) * (1.0 / math.sqrt(hd))  # (B, nkv, rep, Tk)
            att = torch.softmax(att, dim=-1)
            y = (att.unsqueeze(-1) * v.unsqueeze(2)).sum(-2).view(B, nh, T, hd)  # (B, nh, 1, hd)
        else:
            att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))  # (B, nkv, rep*T, Tk)
            att = att.view(B, nkv, rep, T, Tk).masked_fill(causal_mask(T, Tk, x.device), float("-inf"))
            att = torch.softmax(att.view(B, nkv, rep * T, Tk), dim=-1)
            y = torch.matmul(att, v).view(B, nh, T, hd)  # (B, nh, T, hd)
        y = y.transpose(1, 2).reshape(B, T, nh * hd)  # (B, T, C)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, cache=None, pos=0):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache, pos)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    """Module tree mirrors HF so that named_parameters() yields HF names verbatim."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = LlamaModel(cfg)
        if not cfg.tie_word_embeddings:
            self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)

    def unembed_weight(self):
        return self.model.embed_tokens.weight if self.cfg.tie_word_embeddings else self.lm_head.weight

    def forward(self, ids, caches=None, pos=0, last_only=False):
        """ids: (B, T) int64 at absolute positions [pos, pos+T) -> logits (B, T, V),
        or (B, 1, V) for the last position only when last_only (decoding)."""
        x = self.model.embed_tokens(ids)  # (B, T, C)
        positions = torch.arange(pos, pos + ids.shape[1], device=ids.device)
        cos, sin = rope_cos_sin(positions, self.cfg.head_dim, self.cfg.rope_theta, x.dtype)
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i], pos)
        if last_only:
            x = x[:, -1:]  # (B, 1, C)
        return F.linear(self.model.norm(x), self.unembed_weight())  # (B, T, V)


def init_weights(model, seed, std=0.02):
    """GPT-2/Llama style init: N(0, std) for linears and embeddings, ones for norms, zero biases."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * std)


# ----------------------------------------------------------------------------- checkpoints

SAFETENSORS_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (None, 2)}


def read_safetensors(path):
    """Parse a .safetensors file: u64 LE header length N, N bytes of JSON header
    {name: {dtype, shape, data_offsets: [begin, end]}} (offsets relative to the data section),
    then raw little-endian data. Returns {name: float32 tensor}."""
    if sys.byteorder != "little":
        raise InputError("safetensors data is little-endian; this reader needs a little-endian host")
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise InputError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise InputError(f"{path}: header length {n} exceeds the file size {len(blob)}")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: header is not valid JSON ({e})")
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype")
        if dtype not in SAFETENSORS_DTYPES:
            raise InputError(f"{path}: tensor {name} has dtype {dtype}; expected one of F32, F16, BF16")
        shape, (begin, end) = info["shape"], info["data_offsets"]
        torch_dtype, size = SAFETENSORS_DTYPES[dtype]
        if end > len(data) or end - begin != math.prod(shape) * size:
            raise InputError(f"{path}: tensor {name} data_offsets {begin}..{end} "
                             f"do not fit shape {shape} {dtype}")
        raw = bytes(data[begin:end])
        if dtype == "BF16":  # bf16 is the top half of an fp32: widen the bits by 16
            bits = torch.frombuffer(bytearray(raw), dtype=torch.int16).to(torch.int32) << 16
            t = bits.view(torch.float32)
        else:
            t = torch.frombuffer(bytearray(raw), dtype=torch_dtype).float()
        out[name] = t.reshape(shape)
    return out


def load_config(model_dir):
    path = os.path.join(model_dir, "config.json")
    try:
        with open(path) as f:
            raw = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: cannot read config ({e})")
    if raw.get("rope_scaling"):
        raise InputError(f"{path}: rope_scaling {raw['rope_scaling']} is not supported (plain RoPE only)")
    if raw.get("hidden_act", "silu") != "silu":
        raise InputError(f"{path}: hidden_act {raw['hidden_act']!r} is not supported (expected silu)")
    req = ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"]
    missing = [k for k in req if k not in raw]
    if missing:
        raise InputError(f"{path}: missing fields {missing}")
    cfg = LlamaConfig(**{k: raw[k] for k in req},
                      num_key_value_heads=raw.get("num_key_value_heads") or raw["num_attention_heads"],
                      rms_norm_eps=raw.get("rms_norm_eps", 1e-6), rope_theta=raw.get("rope_theta", 10000.0),
                      max_position_embeddings=raw.get("max_position_embeddings", 2048),
                      tie_word_embeddings=bool(raw.get("tie_word_embeddings", False)),
                      attention_bias=bool(raw.get("attention_bias", False)))
    if raw.get("head_dim", cfg.head_dim) != cfg.head_dim:
        raise InputError(f"{path}: head_dim {raw['head_dim']} != hidden_size / num_attention_heads "
                         f"is not supported")
    if cfg.num_attention_heads % cfg.num_key_value_heads:
        raise InputError(f"{path}: num_attention_heads must be a multiple of num_key_value_heads")
    return cfg


def load_model(model_dir, dtype):
    cfg = load_config(model_dir)
    tensors = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    if not cfg.attention_bias and any(n.endswith("_proj.bias") for n in tensors):
        cfg.attention_bias = True  # Qwen2 layout: q/k/v biases without an attention_bias field
    model = LlamaForCausalLM(cfg).to(dtype)
    if cfg.tie_word_embeddings and "lm_head.weight" in tensors:
        log("note: tie_word_embeddings is set; ignoring lm_head.weight in the checkpoint")
        del tensors["lm_head.weight"]
    params = dict(model.named_parameters())
    unknown = sorted(set(tensors) - set(params))
    missing = sorted(set(params) - set(tensors))
    if unknown or missing:
        raise InputError(f"{model_dir}: checkpoint does not match config.json: "
                         f"missing {missing[:5]}, unexpected {unknown[:5]}")
    with torch.no_grad():
        for name, p in params.items():
            if tuple(tensors[name].shape) != tuple(p.shape):
                raise InputError(f"{model_dir}: {name} has shape {list(tensors[name].shape)}, "
                                 f"expected {list(p.shape)}")
            p.copy_(tensors[name].to(dtype))
    return model


def read_json(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: cannot read JSON ({e})")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    return data


def id_tensor(rows, vocab, what):
    if not rows or not all(isinstance(r, list) and len(r) == len(rows[0]) and r for r in rows):
        raise InputError(f"{what}: expected a non-empty list of equal-length non-empty id lists")
    t = torch.tensor(rows, dtype=torch.int64)
    if t.min() < 0 or t.max() >= vocab:
        raise InputError(f"{what}: token ids must lie in [0, {vocab})")
    return t


# ----------------------------------------------------------------------------- loss and grads


def weighted_loss(logits, target, weight):
    """sum(weight * token cross-entropy) / sum(weight). logits (B, T, V), target/weight (B, T)."""
    V = logits.shape[-1]
    ce = F.cross_entropy(logits.reshape(-1, V), target.reshape(-1), reduction="none")  # (B*T,)
    w = weight.reshape(-1).to(ce.dtype)
    return (ce * w).sum() / w.sum()


def loss_and_grads(model, inp, target, weight):
    model.zero_grad(set_to_none=True)
    loss = weighted_loss(model(inp), target, weight)
    loss.backward()
    return loss.item(), {n: p.grad.reshape(-1).double().tolist() for n, p in model.named_parameters()}


# ----------------------------------------------------------------------------- benchmarks

PROJECT_KEYS = {"vocabSize": None, "dModel": None, "nLayers": None, "nHeads": None, "nKVHeads": 0,
                "dFF": None, "maxSeqLen": None, "ropeTheta": 10000.0, "normEps": 1e-5,
                "tieEmbeddings": False, "seqLen": 0, "batchSize": 0}


def project_config(path):
    """Map the project's config keys onto LlamaConfig; returns (cfg, seqLen, batchSize)."""
    raw = read_json(path)
    unknown = sorted(set(raw) - set(PROJECT_KEYS))
    missing = sorted(k for k, d in PROJECT_KEYS.items() if d is None and k not in raw)
    if unknown or missing:
        raise InputError(f"{path}: unknown keys {unknown}, missing keys {missing}; "
                         f"allowed: {sorted(PROJECT_KEYS)}")
    c = {**PROJECT_KEYS, **raw}
    ints = ["vocabSize", "dModel", "nLayers", "nHeads", "nKVHeads", "dFF", "maxSeqLen", "seqLen", "batchSize"]
    bad = [k for k in ints if not isinstance(c[k], int) or c[k] < 0]
    if bad or c["dModel"] % c["nHeads"] or c["nHeads"] % (c["nKVHeads"] or c["nHeads"]) \
            or c["seqLen"] > c["maxSeqLen"]:
        raise InputError(f"{path}: expected non-negative integers for {bad or ints}, dModel divisible by "
                         f"nHeads, nHeads by nKVHeads, and seqLen <= maxSeqLen")
    cfg = LlamaConfig(vocab_size=c["vocabSize"], hidden_size=c["dModel"], intermediate_size=c["dFF"],
                      num_hidden_layers=c["nLayers"], num_attention_heads=c["nHeads"],
                      num_key_value_heads=c["nKVHeads"] or c["nHeads"], rms_norm_eps=c["normEps"],
                      rope_theta=c["ropeTheta"], max_position_embeddings=c["maxSeqLen"],
                      tie_word_embeddings=c["tieEmbeddings"])
    return cfg, c["seqLen"] or c["maxSeqLen"], c["batchSize"] or 1


def keep_freed_memory():
    """glibc hands large freed blocks back to the OS (mmap threshold 128 KiB, growing to at most
    32 MiB), so each training step page-faults fresh zeroed pages for its activations and logits.
    Raising the mmap and trim thresholds keeps them in the heap: the usual CPU tuning for PyTorch
    (like preloading jemalloc/tcmalloc), worth 1.5-2x here. One arena and a 1 GiB top pad, as
    alignlab's own tunables (bin/malloc-tunables.mjs), so both sides run with the same allocator
    settings where mallopt can set them."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: its maximum on 64-bit glibc
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
        libc.mallopt(-8, 1)  # M_ARENA_MAX
        libc.mallopt(-2, 1 << 30)  # M_TOP_PAD
    except (OSError, AttributeError):
        log("note: not glibc; allocator left untuned")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000.0, out


def train_bench(cfg, seq_len, batch, steps, warmup, seed=0):
    """Median wall time of a full AdamW training step, and of a no-grad forward."""
    model = LlamaForCausalLM(cfg)
    init_weights(model, seed)
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=3e-4, weight_decay=0.1, foreach=True)
    g = torch.Generator().manual_seed(seed + 1)

    def batch_ids():
        ids = torch.randint(cfg.vocab_size, (batch, seq_len + 1), generator=g)
        return ids[:, :-1].contiguous(), ids[:, 1:].contiguous()

    def step(inp, tgt):
        logits = model(inp)  # (B, T, V)
        loss = F.cross_entropy(logits.view(-1, cfg.vocab_size), tgt.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    step_ms, loss = [], float("nan")
    for i in range(warmup + steps):
        inp, tgt = batch_ids()
        ms, loss = timed(lambda: step(inp, tgt))
        if i >= warmup:
            step_ms.append(ms)
    fwd_ms = []
    inp, _ = batch_ids()
    with torch.no_grad():
        for i in range(warmup + steps):
            ms, _ = timed(lambda: model(inp))
            if i >= warmup:
                fwd_ms.append(ms)
    ms_step = statistics.median(step_ms)
    return {"msPerStep": ms_step, "fwdMs": statistics.median(fwd_ms),
            "tokensPerSec": batch * seq_len / (ms_step / 1000.0), "finalLoss": loss}


@torch.inference_mode()
def generate(model, prompts, new_tokens, temperature=0.0, generator=None):
    """Batched KV-cache decoding: one prefill over the prompts, then one token per step.
    Greedy when temperature == 0, else sampling from softmax(logits / temperature)."""
    cfg = model.cfg
    B, P = prompts.shape
    L = P + new_tokens
    if L > cfg.max_position_embeddings:
        raise InputError(f"prompt + new tokens = {L} exceeds maxSeqLen {cfg.max_position_embeddings}")
    dtype = model.model.embed_tokens.weight.dtype
    shape = (B, cfg.num_key_value_heads, L, cfg.head_dim)  # preallocated per layer
    caches = [(torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)) for _ in model.model.layers]

    def pick(logits):  # (B, V) -> (B, 1)
        if temperature <= 0:
            return logits.argmax(-1, keepdim=True)
        return torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator)

    out = torch.empty(B, new_tokens, dtype=torch.int64)
    tok = pick(model(prompts, caches, 0, last_only=True)[:, -1])
    out[:, 0:1] = tok
    for t in range(1, new_tokens):
        tok = pick(model(tok, caches, P + t - 1, last_only=True)[:, -1])
        out[:, t:t + 1] = tok
    return out


def sample_bench(cfg, batch, new_tokens, prompt_len, temperature, runs, seed=0):
    """Median wall time of generate() over `runs` runs after one warmup (prefill included)."""
    model = LlamaForCausalLM(cfg)
    init_weights(model, seed)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    prompts = torch.randint(cfg.vocab_size, (batch, prompt_len), generator=g)
    generate(model, prompts, new_tokens, temperature, g)  # warmup
    ms = statistics.median(timed(lambda: generate(model, prompts, new_tokens, temperature, g))[0]
                           for _ in range(runs))
    return {"tokensPerSec": batch * new_tokens / (ms / 1000.0), "msPerToken": ms / new_tokens,
            "batch": batch, "newTokens": new_tokens, "promptLen": prompt_len, "msPerRun": ms}


# ----------------------------------------------------------------------------- selftest


def naive_attention(x_q, x_k, x_v, theta, nh, nkv):
    """Per-position, per-head loop with RoPE written as explicit 2-D rotations of the pairs
    (j, j + hd/2). x_q: (T, nh, hd), x_k/x_v: (T, nkv, hd), float64. Returns (T, nh, hd)."""
    T, _, hd = x_q.shape
    half = hd // 2

    def rot(vec, p):
        r = vec.clone()
        for j in range(half):
            a = p * theta ** (-2.0 * j / hd)
            c, s = math.cos(a), math.sin(a)
            r[j] = vec[j] * c - vec[j + half] * s
            r[j + half] = vec[j + half] * c + vec[j] * s
        return r

    out = torch.zeros_like(x_q)
    for h in range(nh):
        kvh = h // (nh // nkv)
        keys = [rot(x_k[s, kvh], s) for s in range(T)]
        for t in range(T):
            q = rot(x_q[t, h], t)
            scores = [float(q @ keys[s]) / math.sqrt(hd) for s in range(t + 1)]
            m = max(scores)
            e = [math.exp(sc - m) for sc in scores]
            for s in range(t + 1):
                out[t, h] += e[s] / sum(e) * x_v[s, kvh]
    return out


def write_safetensors(path, tensors, dtype):
    """Test helper: the inverse of read_safetensors, for F32/F16/BF16."""
    header, chunks, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().float().contiguous()
        if dtype == "BF16":
            raw = (t.view(torch.int32) >> 16).to(torch.int16).numpy().tobytes()
        else:
            raw = t.to(SAFETENSORS_DTYPES[dtype][0]).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def selftest():
    torch.manual_seed(0)
    checks = {}
    tiny = dict(vocab_size=11, hidden_size=8, intermediate_size=12, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=100.0,
                max_position_embeddings=16)

    # 1. attention + RoPE + GQA against the naive loop
    cfg = LlamaConfig(**tiny, attention_bias=True)
    attn = Attention(cfg).double()
    x = torch.randn(1, 6, cfg.hidden_size, dtype=torch.float64)
    cos, sin = rope_cos_sin(torch.arange(6), cfg.head_dim, cfg.rope_theta, torch.float64)
    with torch.no_grad():
        fast = attn(x, cos, sin)
        q = attn.q_proj(x)[0].view(6, 4, 2)
        k, v = attn.k_proj(x)[0].view(6, 2, 2), attn.v_proj(x)[0].view(6, 2, 2)
        slow = attn.o_proj(naive_attention(q, k, v, cfg.rope_theta, 4, 2).reshape(1, 6, 8))
    checks["attention_vs_naive_maxabs"] = (fast - slow).abs().max().item()

    # 2. gradcheck of the weighted loss w.r.t. every parameter (float64, tied and untied)
    for tie in (False, True):
        model = LlamaForCausalLM(LlamaConfig(**tiny, tie_word_embeddings=tie, attention_bias=True)).double()
        init_weights(model, seed=1, std=0.5)
        names = [n for n, _ in model.named_parameters()]
        inp, tgt = torch.randint(11, (2, 5)), torch.randint(11, (2, 5))
        w = torch.rand(2, 5, dtype=torch.float64)

        def f(*ps):
            out = torch.nn.utils.stateless.functional_call(model, dict(zip(names, ps)), (inp,))
            return weighted_loss(out, tgt, w)

        ps = tuple(p.detach().clone().requires_grad_(True) for p in model.parameters())
        checks[f"gradcheck_tied={tie}"] = bool(torch.autograd.gradcheck(f, ps, eps=1e-6, atol=1e-6))
        loss, grads = loss_and_grads(model, inp, tgt, w)
        ref = torch.autograd.grad(f(*ps), ps)
        checks[f"loss_grads_tied={tie}_maxabs"] = max(
            (torch.tensor(grads[n], dtype=torch.float64) - r.reshape(-1)).abs().max().item()
            for n, r in zip(names, ref))

    # 3. KV-cache decoding reproduces the full causal forward
    model = LlamaForCausalLM(LlamaConfig(**tiny)).double()
    init_weights(model, seed=2, std=0.5)
    model.eval()
    prompts = torch.randint(11, (3, 4))
    gen = generate(model, prompts, 6)
    with torch.no_grad():
        seq = torch.cat([prompts, gen], 1)  # (3, 10)
        full = model(seq)  # (3, 10, V)
        shape = (3, 2, 10, 2)  # (B, nkv, L, hd)
        caches = [(torch.zeros(shape, dtype=torch.float64), torch.zeros(shape, dtype=torch.float64))
                  for _ in range(2)]
        stepped = [model(seq[:, :4], caches, 0)] + [model(seq[:, t:t + 1], caches, t) for t in range(4, 10)]
    checks["kv_cache_logits_maxabs"] = (torch.cat(stepped, 1) - full).abs().max().item()
    checks["kv_cache_greedy_matches_full_forward"] = bool(torch.equal(full[:, 3:-1].argmax(-1), gen))

    # 4. safetensors round trip in each dtype (the tied checkpoint carries a stray lm_head)
    for dtype, tol in (("F32", 1e-6), ("F16", 5e-2), ("BF16", 2e-1)):
        with tempfile.TemporaryDirectory() as d:
            model = LlamaForCausalLM(LlamaConfig(**tiny, tie_word_embeddings=dtype == "BF16"))
            init_weights(model, seed=3, std=0.5)
            tensors = dict(model.named_parameters())
            if dtype == "BF16":
                tensors["lm_head.weight"] = torch.zeros(11, 8)
            write_safetensors(os.path.join(d, "model.safetensors"), tensors, dtype)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump({**tiny, "tie_word_embeddings": dtype == "BF16"}, f)
            loaded = load_model(d, torch.float32)
            ids = torch.tensor([[1, 5, 7]])
            with torch.no_grad():
                diff = (loaded(ids) - model(ids)).abs().max().item()
            checks[f"safetensors_{dtype}_ok"] = diff < tol

    ok = all(v < 1e-10 if isinstance(v, float) else v for v in checks.values())
    return {"ok": bool(ok), **checks}


# ----------------------------------------------------------------------------- CLI


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    dtypes = {"float32": torch.float32, "float64": torch.float64}
    p = sub.add_parser("logits", help="logits of a HF-layout checkpoint")
    p.add_argument("--model", required=True)
    p.add_argument("--ids", help="comma-separated token ids (one sequence)")
    p.add_argument("--batch-file", help='JSON {"ids": [[...], ...]} of equal-length sequences')
    p.add_argument("--dtype", choices=dtypes, default="float32", help="compute precision")
    p = sub.add_parser("loss-grads", help="weighted CE loss and gradients of every parameter")
    p.add_argument("--model", required=True)
    p.add_argument("--batch-file", required=True, help='JSON {"input", "target", "weight"?}')
    p.add_argument("--dtype", choices=dtypes, default="float32")
    for name in ("train-bench", "sample-bench"):
        p = sub.add_parser(name)
        p.add_argument("--config", required=True, help="project config JSON (vocabSize, dModel, ...)")
        p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 measured fastest)")
    train_p, sample_p = sub.choices["train-bench"], sub.choices["sample-bench"]
    train_p.add_argument("--steps", type=int, default=20)
    train_p.add_argument("--warmup", type=int, default=3)
    sample_p.add_argument("--batch", type=int, default=64)
    sample_p.add_argument("--new-tokens", type=int, default=64)
    sample_p.add_argument("--prompt-len", type=int, default=16)
    sample_p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    sample_p.add_argument("--runs", type=int, default=3)
    sub.add_parser("selftest", help="check the math against naive loops and gradcheck")
    args = ap.parse_args(argv)

    try:
        if args.cmd == "logits":
            model = load_model(args.model, dtypes[args.dtype])
            if (args.ids is None) == (args.batch_file is None):
                raise InputError("logits: give exactly one of --ids or --batch-file")
            if args.ids is not None:
                try:
                    rows = [[int(s) for s in args.ids.split(",")]]
                except ValueError:
                    raise InputError(f"--ids: expected comma-separated integers, got {args.ids!r}")
            else:
                rows = read_json(args.batch_file).get("ids")
            ids = id_tensor(rows, model.cfg.vocab_size, args.batch_file or "--ids")
            with torch.no_grad():
                logits = model(ids).double()
            result = {"logits": (logits[0] if args.ids is not None else logits).tolist()}
        elif args.cmd == "loss-grads":
            model = load_model(args.model, dtypes[args.dtype])
            data = read_json(args.batch_file)
            inp = id_tensor(data.get("input"), model.cfg.vocab_size, f"{args.batch_file}: input")
            tgt = id_tensor(data.get("target"), model.cfg.vocab_size, f"{args.batch_file}: target")
            try:
                w = torch.tensor(data.get("weight") or torch.ones(inp.shape).tolist(), dtype=dtypes[args.dtype])
            except (TypeError, ValueError):
                w = torch.zeros(0)
            if tgt.shape != inp.shape or w.shape != inp.shape or w.sum() <= 0:
                raise InputError(f"{args.batch_file}: input, target and weight must share one shape "
                                 f"and the weights must have a positive sum")
            loss, grads = loss_and_grads(model, inp, tgt, w)
            result = {"loss": loss, "grads": grads}
        elif args.cmd in ("train-bench", "sample-bench"):
            torch.set_num_threads(args.threads)
            keep_freed_memory()
            cfg, seq_len, batch = project_config(args.config)
            if args.cmd == "train-bench":
                result = train_bench(cfg, seq_len, batch, args.steps, args.warmup)
            else:
                result = sample_bench(cfg, args.batch, args.new_tokens, args.prompt_len, args.temperature,
                                      args.runs)
            result.update(threads=args.threads, torchVersion=torch.__version__)
        else:
            result = selftest()
    except InputError as e:
        log(f"error: {e}")
        return 2
    print(json.dumps(result))
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
