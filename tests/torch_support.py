"""Shared by the torch tests: the import rule, reference gradients from plain torch autograd, models."""

import os

import numpy as np
import pytest

try:
    import torch
except ImportError:   # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        raise ImportError("CI must run the torch tests: .ci/run installs torch and the [torch] extra") from None
    pytest.skip("torch is not installed (pip install graphviz-ad[torch]); CI runs these tests",
                allow_module_level=True)

from torch import nn
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode


class Outputs(TorchFunctionMode):
    """Plain torch, no graphviz-ad: every float result that requires grad, in the order it was made."""

    def __init__(self):
        super().__init__()
        self.tensors = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for t in result if isinstance(result, (tuple, list)) else [result]:
            if isinstance(t, torch.Tensor) and t.is_floating_point() and t.requires_grad and not t.is_leaf:
                self.tensors.append(t)
        return result


def reference(fn, *args):
    """(loss, {parameter name: grad}, [(value, grad) of every intermediate]) from torch.autograd.grad."""
    params = dict(fn.named_parameters()) if isinstance(fn, nn.Module) else {}
    mode = Outputs()
    with mode:
        loss = fn(*args)
    named = list(params.items()) + [(f"arg{k}", a) for k, a in enumerate(args)
                                    if isinstance(a, torch.Tensor) and a.requires_grad]
    grads = torch.autograd.grad(loss, [t for _, t in named] + mode.tensors, allow_unused=True)
    by_name = {n: g for (n, _), g in zip(named, grads)}
    inner = [(t.detach().numpy().copy(), g) for t, g in zip(mode.tensors, grads[len(named):])]
    return loss, by_name, inner


def assert_every_gradient_matches(G, fn, *args, rtol=1e-5, atol=1e-6):
    """Every parameter's and every intermediate node's gradient equals plain torch autograd's."""
    _, params, inner = reference(fn, *args)
    for name, g in params.items():
        if name.startswith("arg"):
            continue
        np.testing.assert_allclose(G.grad_of(name), g.numpy(), rtol=rtol, atol=atol, err_msg=name)
    ops = [n for n, d in G.nodes(data=True) if d["op"] not in ("input", "const") and d["requires_grad"]]
    # Match the graph's op nodes, in trace order, to the reference results (a result the output does not
    # depend on, like an LSTM's unused cell state, is not in the graph).
    k = 0
    matched = 0
    for value, g in inner:
        if k < len(ops) and np.shape(G.nodes[ops[k]]["value"]) == value.shape and \
                np.allclose(G.nodes[ops[k]]["value"], value, rtol=1e-6, atol=1e-7):
            expected = np.zeros(value.shape) if g is None else g.numpy()
            np.testing.assert_allclose(G.nodes[ops[k]]["grad"], expected, rtol=rtol, atol=atol,
                                       err_msg=f"node {ops[k]} {G.nodes[ops[k]]['name']}")
            k += 1
            matched += 1
    assert matched == len(ops), f"only {matched} of {len(ops)} op nodes matched a torch result"
    return matched


# ---- models ------------------------------------------------------------------------------------------

def net_221(w1, w2, w3, w4, w5, w6, x1, x2, target):
    """The numpy sample samples/net_221.py, written with torch."""
    h1 = torch.sigmoid(w1 * x1 + w2 * x2)
    h2 = torch.sigmoid(w3 * x1 + w4 * x2)
    out = torch.sigmoid(w5 * h1 + w6 * h2)
    loss = 0.5 * (out - target) ** 2
    return loss


def sigmoid_chain20(x, w):
    """samples/sigmoid_chain20.py with torch."""
    h = x
    for i in range(20):
        h = torch.sigmoid(w[i] * h + 0.5)
    return h


def residual_chain20(x, w):
    """samples/residual_chain20.py with torch."""
    h = x
    for i in range(20):
        h = h + torch.sigmoid(w[i] * h + 0.5)
    return h


def tensors(inputs, wrt, dtype=torch.float64):
    """A sample's INPUTS as torch tensors; those in `wrt` require grad."""
    return {k: torch.tensor(v, dtype=dtype, requires_grad=k in wrt) for k, v in inputs.items()}


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x, labels):
        h = F.relu(self.bn(self.conv(x)))
        h = self.drop(h)
        logits = self.fc(h.flatten(1))
        return F.cross_entropy(logits, labels)


class Encoder(nn.Module):
    def __init__(self, d=16, heads=2):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=32, dropout=0.1)

    def forward(self, src):
        y = self.layer(src)
        return (y ** 2).mean()


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2)
        self.head = nn.Linear(5, 1)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.head(out[-1]).pow(2).sum() + c.sum()
