import numpy as np


def block(h, W, V):
    return h + np.maximum(h @ W, 0.0) @ V


def residual_net(params, X, y):
    """Six residual ReLU blocks: the skip connections carry the gradient past every block undamped."""
    h = X @ params["W_in"]
    for W, V in params["blocks"]:
        h = block(h, W, V)
    prediction = h @ params["W_out"]
    return np.mean((prediction - y) ** 2)


_rng = np.random.default_rng(0)
INPUTS = {
    "params": {
        "W_in": _rng.normal(0.0, 0.5, size=(4, 8)),
        "blocks": [(_rng.normal(0.0, 0.5, size=(8, 8)), _rng.normal(0.0, 0.1, size=(8, 8))) for _ in range(6)],
        "W_out": _rng.normal(0.0, 0.35, size=(8, 1)),
    },
    "X": _rng.normal(size=(32, 4)),
    "y": _rng.normal(size=(32, 1)),
}
WRT = ("params",)
