import numpy as np


def layer(h, W, b):
    return np.tanh(h @ W + b)


def healthy_tanh_mlp(params, X, y):
    """A two-layer tanh MLP with Xavier-initialised weights: gradients of a sensible size everywhere."""
    h = layer(X, params["W1"], params["b1"])
    h = layer(h, params["W2"], params["b2"])
    prediction = h @ params["W3"]
    return np.mean((prediction - y) ** 2)


_rng = np.random.default_rng(0)
INPUTS = {
    "params": {
        "W1": _rng.normal(0.0, np.sqrt(2 / (4 + 16)), size=(4, 16)),
        "b1": np.zeros(16),
        "W2": _rng.normal(0.0, np.sqrt(2 / (16 + 16)), size=(16, 16)),
        "b2": np.zeros(16),
        "W3": _rng.normal(0.0, np.sqrt(2 / (16 + 1)), size=(16, 1)),
    },
    "X": _rng.normal(size=(32, 4)),
    "y": _rng.normal(size=(32, 1)),
}
WRT = ("params",)
