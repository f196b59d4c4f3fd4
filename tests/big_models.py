"""Real-sized models for the layout tests and the render benchmark: a GPT-2-style forward pass, scalar
code written in loops, one weight shared by hundreds of layers. Each returns (function, args, wrt)."""

import numpy as np

import graphviz_ad as ga


def _layer_norm(h, gain, bias):
    mu = np.mean(h, axis=-1, keepdims=True)
    var = np.mean((h - mu) ** 2, axis=-1, keepdims=True)
    return (h - mu) / np.sqrt(var + 1e-5) * gain + bias


def _gelu(h):
    return 0.5 * h * (1 + np.tanh(0.7978845608 * (h + 0.044715 * h ** 3)))


def _attention(h, w_qkv, w_out, heads):
    t, d = h.shape
    qkv = h @ w_qkv
    q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
    outs = []
    for i in range(heads):
        s = slice(i * d // heads, (i + 1) * d // heads)
        scores = q[:, s] @ k[:, s].T / np.sqrt(d // heads)
        outs.append(ga.softmax(scores, axis=-1) @ v[:, s])
    return np.concatenate(outs, axis=1) @ w_out


def _block(h, p, heads):
    h = h + _attention(_layer_norm(h, p["ln1_g"], p["ln1_b"]), p["w_qkv"], p["w_attn"], heads)
    return h + _gelu(_layer_norm(h, p["ln2_g"], p["ln2_b"]) @ p["w_fc"]) @ p["w_proj"]


def gpt2(params, tokens, targets):
    """A GPT-2-style forward pass and loss: embeddings, pre-norm attention blocks, GELU MLPs, tied head."""
    h = params["wte"][tokens] + params["wpe"][: len(tokens)]
    for p in params["blocks"]:
        h = _block(h, p, heads=2)
    h = _layer_norm(h, params["lnf_g"], params["lnf_b"])
    return ga.cross_entropy(h @ params["wte"].T, targets)


def gpt2_inputs(layers=3, d=16, vocab=32, t=8, seed=0):
    rng = np.random.default_rng(seed)

    def w(*shape):
        return rng.normal(0.0, 0.02 / np.sqrt(shape[0] / 16), size=shape)

    blocks = [{"ln1_g": np.ones(d), "ln1_b": np.zeros(d), "w_qkv": w(d, 3 * d), "w_attn": w(d, d),
               "ln2_g": np.ones(d), "ln2_b": np.zeros(d), "w_fc": w(d, 4 * d), "w_proj": w(4 * d, d)}
              for _ in range(layers)]
    params = {"wte": w(vocab, d), "wpe": w(t, d), "blocks": blocks, "lnf_g": np.ones(d), "lnf_b": np.zeros(d)}
    return params, rng.integers(0, vocab, size=t), rng.integers(0, vocab, size=t)


def gpt2_model(layers=3):
    params, tokens, targets = gpt2_inputs(layers)
    return gpt2, (params, tokens, targets), ["params"]


def scalar_mlp(weights, biases, xs):
    """A 4-16-16-1 tanh MLP written with Python floats in loops, one op per multiply-add."""
    act = list(xs)
    for layer_w, layer_b in zip(weights, biases):
        nxt = []
        for row, b in zip(layer_w, layer_b):
            total = b
            for wi, xi in zip(row, act):
                total = total + wi * xi
            nxt.append(np.tanh(total))
        act = nxt
    return act[0]


def scalar_mlp_model(sizes=(4, 16, 16, 1), seed=0):
    rng = np.random.default_rng(seed)
    weights = [[[float(rng.normal(0, 1 / np.sqrt(a))) for _ in range(a)] for _ in range(b)]
               for a, b in zip(sizes, sizes[1:])]
    biases = [[0.0] * b for b in sizes[1:]]
    xs = [float(x) for x in rng.normal(size=sizes[0])]
    return scalar_mlp, (weights, biases, xs), ["weights", "biases"]


def shared_weight(x, w):
    """One weight used by every one of 300 layers: h = tanh(w * h)."""
    h = x
    for _ in range(300):
        h = np.tanh(w * h) + 0.1
    return h


def shared_weight_model():
    return shared_weight, (0.5, 1.1), None


def long_sum(xs):
    """Values summed in one long chain."""
    total = 0.0
    for x in xs:
        total = total + x * x
    return total


def long_sum_model(n=800):
    return long_sum, ([float(v) for v in np.linspace(-1, 1, n)],), None


MODELS = {"gpt2": gpt2_model, "scalar_mlp": scalar_mlp_model, "shared_weight": shared_weight_model,
          "long_sum": long_sum_model}


def trace(name):
    fun, args, wrt = MODELS[name]()
    return ga.trace(fun, *args, wrt=wrt)
