"""Oracle: independent numpy forward of HF LlamaForCausalLM (repeat_kv, rotate_half RoPE, RMSNorm,
SwiGLU, tied lm_head) on the micro test model dumped by generator-llama-dump.ts.

usage: python3 scripts/oracles/generator_llama.py DIR > test/fixtures/generator/micro-seed0-logits.json
Prints {"preset", "seed", "ids", "logits": [S][V]} for fixed token ids.
"""
import json
import sys

import numpy as np

d = sys.argv[1]
cfg = json.load(open(f"{d}/config.json"))
man = json.load(open(f"{d}/manifest.json"))
raw = open(f"{d}/onnx/model.onnx_data", "rb").read()


def w(name):
    e = man[name]
    return np.frombuffer(raw, np.float32, e["length"] // 4, e["offset"]).reshape(e["dims"]).astype(np.float64)


H, NH, NKV, HD, L = (cfg[k] for k in ["hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim", "num_hidden_layers"])
eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
ids = np.array([1, 40, 7, 300, 12, 99, 5, 250])
S = len(ids)


def rms(x):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)


E = w("model.embed_tokens.weight")
x = E[ids]
inv = theta ** (-np.arange(0, HD, 2) / HD)
fr = np.arange(S)[:, None] * inv[None]
ang = np.concatenate([fr, fr], -1)
cos, sin = np.cos(ang), np.sin(ang)


def rot(t):
    return np.concatenate([-t[..., HD // 2:], t[..., : HD // 2]], -1)


mask = np.triu(np.full((S, S), -np.inf), 1)
for layer in range(L):
    p = f"model.layers.{layer}."
    h = rms(x)
    q = (h @ w(p + "self_attn.q_proj.weight_T")).reshape(S, NH, HD).transpose(1, 0, 2)
    k = (h @ w(p + "self_attn.k_proj.weight_T")).reshape(S, NKV, HD).transpose(1, 0, 2)
    v = (h @ w(p + "self_attn.v_proj.weight_T")).reshape(S, NKV, HD).transpose(1, 0, 2)
    q = q * cos + rot(q) * sin
    k = k * cos + rot(k) * sin
    k = np.repeat(k, NH // NKV, 0)
    v = np.repeat(v, NH // NKV, 0)
    s = q @ k.transpose(0, 2, 1) / np.sqrt(HD) + mask
    s = np.exp(s - s.max(-1, keepdims=True))
    s /= s.sum(-1, keepdims=True)
    a = (s @ v).transpose(1, 0, 2).reshape(S, NH * HD)
    x = x + a @ w(p + "self_attn.o_proj.weight_T")
    h = rms(x)
    g = h @ w(p + "mlp.gate_proj.weight_T")
    u = h @ w(p + "mlp.up_proj.weight_T")
    x = x + (g / (1 + np.exp(-g)) * u) @ w(p + "mlp.down_proj.weight_T")
logits = rms(x) @ E.T
json.dump({"preset": "micro", "seed": 0, "ids": ids.tolist(), "logits": [[float(v) for v in row] for row in logits]}, sys.stdout)
